#!/bin/bash
# volt --help teaches every setting there is: each flag of the option table in
# core/config/cli.c (bar the hidden debug flag), each key of the INI file's
# fixed sections (as the loader itself lists them when it refuses an unknown
# one) and each kind of device section. A flag or key added without help
# fails here.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

run_volt help --help
check_status help 0 "--help"
ini_help=$(sed -n '/^INI file/,$p' "$TMP/help.out")

flags=$(sed -n '/^static const struct option cli_options/,/^};/p' "$SRCDIR/core/config/cli.c" |
	sed -n 's/^[[:space:]]*{ "\([a-z-]*\)",.*/\1/p' | grep -v '^debug-')
if [ "$(wc -w <<<"$flags")" -lt 10 ]; then
	fail "--help: found only '$flags' in cli.c's option table (has its layout changed?)"
fi
missing=()
for flag in $flags; do
	grep -q -- "--$flag\b" "$TMP/help.out" || missing+=("--$flag")
done
if [ ${#missing[@]} -eq 0 ]; then
	pass "--help names all $(wc -w <<<"$flags") flags"
else
	fail "--help does not name: ${missing[*]}"
fi

for section in vm serial plugins api; do
	printf '[%s]\nno_such_key = 1\n' "$section" >"$TMP/$section.ini"
	run_volt "keys-$section" --config "$TMP/$section.ini"
	known=$(sed -n 's/.*(known: \(.*\))$/\1/p' "$TMP/keys-$section.err")
	if [ -z "$known" ]; then
		fail "[$section]: no list of known keys in the loader's refusal"
		show "keys-$section"
		continue
	fi
	missing=()
	for key in ${known//,/ }; do
		grep -qw -- "$key" <<<"$ini_help" || missing+=("$key")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		pass "--help names every [$section] key ($known)"
	else
		fail "--help does not name [$section] ${missing[*]}"
	fi
done

kinds=$(sed -n 's/^static const char \*const config_instance_kinds\[\] = { \(.*\) };$/\1/p' \
	"$SRCDIR/core/config/config.c" | tr -d '",')
if [ -z "$kinds" ]; then
	fail "--help: no config_instance_kinds in config.c (has its layout changed?)"
fi
for kind in $kinds; do
	if grep -qF "[$kind \"ID\"]" <<<"$ini_help"; then
		pass "--help names the [$kind \"ID\"] section"
	else
		fail "--help does not name the [$kind \"ID\"] section"
	fi
done

# --version: volt's version and the plugin ABI its SDK headers define.
abi=$(sed -n 's/^#define VOLT_ABI_MAJOR \([0-9]*\)$/\1/p' "$SRCDIR/sdk/include/volt/abi.h").$(
	sed -n 's/^#define VOLT_ABI_MINOR \([0-9]*\)$/\1/p' "$SRCDIR/sdk/include/volt/abi.h")
# A static volt (VOLT_STATIC: no program interpreter) says so after it.
kind=""
readelf -l "$VOLT" | grep -q 'program interpreter' ||
	kind="; static: plugins built in, no control API"
run_volt version --version
check_status version 0 "--version"
check_grep version out "^volt [0-9]+\.[0-9]+\.[0-9]+ \(plugin ABI ${abi//./\\.}$kind\)$" \
	"--version names the plugin ABI ($abi)${kind:+ and the static build}"

# The example --help prints is examples/hello.ini, line for line.
missing=()
while IFS= read -r line; do
	case $line in ''|';'*|'#'*) continue ;; esac
	grep -qxF -- "  $line" "$TMP/help.out" || missing+=("$line")
done <"$SRCDIR/examples/hello.ini"
if [ ${#missing[@]} -eq 0 ]; then
	pass "--help shows examples/hello.ini as it is"
else
	fail "--help's copy of examples/hello.ini lacks: ${missing[*]}"
fi

finish
