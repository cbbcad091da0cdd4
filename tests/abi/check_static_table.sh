#!/bin/bash
# check_static_table.sh VOLT IDENT...: the slim volt holds the entry of every
# plugin in the generated static table (linked from plain static archives,
# no --whole-archive) and exports no plugin symbol dynamically.
set -u
volt=$1
shift
entry=${VOLT_ENTRY:-volt_plugin_entry_v1}
if [ $# -eq 0 ]; then
	echo "SKIP: no static plugins in this build"
	exit 77
fi
symbols=$(nm --defined-only "$volt") || { echo "FAIL: nm $volt"; exit 1; }
status=0
for ident in "$@"; do
	if printf '%s\n' "$symbols" | grep -Eq "^[0-9a-f]+ T ${entry}_${ident}\$"; then
		echo "PASS: ${entry}_${ident} is linked into $volt"
	else
		echo "FAIL: ${entry}_${ident} is missing from $volt"
		status=1
	fi
done
if printf '%s\n' "$symbols" | grep -Eq " volt_static_plugins\$"; then
	echo "PASS: volt_static_plugins is linked into $volt"
else
	echo "FAIL: volt_static_plugins is missing from $volt"
	status=1
fi
exit $status
