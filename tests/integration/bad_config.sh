#!/bin/bash
# Bad configuration is refused before any KVM call with exit status 2: an INI
# error names "FILE:LINE: key: reason", a flag error names the flag.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
HELLO=$GUESTS/hello
require_file "$HELLO"

# bad_ini NAME LINE KEY WHAT: $TMP/NAME.ini is refused with "FILE:LINE: KEY:".
bad_ini() {
	local name=$1 line=$2 key=$3 what=$4 ini="$TMP/$1.ini"

	run_volt "$name" --config "$ini"
	check_status "$name" 2 "$what"
	# grep -F: the path may hold regex characters.
	if grep -Fq -- "$ini:$line: $key: " "$TMP/$name.err"; then
		pass "$what: message names $name.ini:$line: $key"
	else
		fail "$what: no \"$ini:$line: $key: <reason>\" on stderr"
		show "$name"
	fi
}

cat >"$TMP/unknown_key.ini" <<INI
[vm]
kernel = $HELLO
memory_mib = 128
no_such_key = 1
INI
bad_ini unknown_key 4 no_such_key "unknown INI key"

cat >"$TMP/bad_value.ini" <<INI
# a comment
[vm]
kernel = $HELLO
vcpus = lots
INI
bad_ini bad_value 4 vcpus "non-numeric vcpus in INI"

cat >"$TMP/zero_vcpus.ini" <<INI
[vm]
vcpus = 0
kernel = $HELLO
INI
bad_ini zero_vcpus 2 vcpus "vcpus = 0 in INI"

cat >"$TMP/memory.ini" <<INI
[vm]
kernel = $HELLO

memory_mib = 1
INI
bad_ini memory 4 memory_mib "memory_mib below the minimum in INI"

# The serial output file is checked, not created, before anything runs.
cat >"$TMP/output_dir.ini" <<INI
[vm]
kernel = $HELLO
[serial]
output = $TMP
INI
bad_ini output_dir 4 output "[serial] output is a directory"
cat >"$TMP/output_parent.ini" <<INI
[vm]
kernel = $HELLO
[serial]
output = $TMP/no/such/dir/guest.log
INI
bad_ini output_parent 4 output "[serial] output in a directory that does not exist"

# flag NAME PATTERN WHAT ARGS...: volt ARGS exits 2 with PATTERN on stderr.
flag() {
	local name=$1 pattern=$2 what=$3
	shift 3
	run_volt "$name" "$@"
	check_status "$name" 2 "$what"
	check_grep "$name" err "$pattern" "$what: message names $pattern"
}

flag vcpus0 "--vcpus" "--vcpus 0" --kernel "$HELLO" --vcpus 0
flag vcpus_many "--vcpus" "--vcpus 1000" --kernel "$HELLO" --vcpus 1000
flag memory_bad "--memory" "--memory abc" --kernel "$HELLO" --memory abc
flag no_kernel "kernel" "no kernel given" --memory 128
flag unknown_flag "--no-such-flag" "unknown flag" --kernel "$HELLO" --no-such-flag
flag ambiguous "^volt: error: --no: ambiguous, it could be --no-seccomp, --no-landlock$" \
	"an ambiguous abbreviation" --kernel "$HELLO" --no
flag missing_ini "nonexistent.ini" "missing --config file" --config "$TMP/nonexistent.ini"
flag output_flag "^volt: error: --serial-output: $TMP: is a directory" "--serial-output DIR" \
	--kernel "$HELLO" --serial-output "$TMP"

finish
