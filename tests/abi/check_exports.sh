#!/bin/bash
# check_exports.sh SO...: each plugin .so exports exactly one symbol, the
# entry volt_plugin_entry_v<MAJOR> as a function, and needs no symbol from
# the volt executable (every undefined symbol resolves in its own DT_NEEDED
# libraries: checked by -z defs at link time, and here by ldd -r).
# Any other argument is a directory standing for the *.so files in it (none,
# or no directory yet: skip, 77).
set -u
entry=${VOLT_ENTRY:-volt_plugin_entry_v1}
files=()
for arg in "$@"; do
	case $arg in
	*.so) files+=("$arg") ;;
	*) for f in "$arg"/*.so; do [ -e "$f" ] && files+=("$f"); done ;;
	esac
done
if [ ${#files[@]} -eq 0 ]; then
	echo "SKIP: no plugin .so in $*"
	exit 77
fi

status=0
for so in "${files[@]}"; do
	exports=$(nm -D --defined-only "$so") || { echo "FAIL: $so: nm failed"; status=1; continue; }
	if [ "$(printf '%s\n' "$exports" | awk 'NF { print $NF }')" = "$entry" ] &&
	   printf '%s\n' "$exports" | grep -Eq "^[0-9a-f]+ T $entry\$"; then
		echo "PASS: $so exports only $entry"
	else
		echo "FAIL: $so must export exactly one symbol, the function $entry; it exports:"
		printf '%s\n' "$exports" | sed 's/^/  /'
		status=1
	fi
	undefined=$(ldd -r "$so" 2>&1 | grep -E 'undefined symbol' || true)
	if [ -n "$undefined" ]; then
		echo "FAIL: $so has unresolved symbols (it may use nothing from volt):"
		printf '%s\n' "$undefined" | sed 's/^/  /'
		status=1
	fi
done
exit $status
