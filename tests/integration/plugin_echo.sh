#!/bin/bash
# The loader's happy path: the test-echo plugin (tests/plugins/test_echo.c,
# a register echo device that is not virtio) is loaded from --plugin-dir,
# its keys checked, created, realized (an MMIO page in the plugin window),
# started, and destroyed at exit, while the hello guest boots as usual.
. "$(dirname "$0")/common.sh"
require_kvm
HELLO=$GUESTS/hello
PLUGINS=$GUESTS/../plugins/good
require_file "$HELLO"
require_file "$PLUGINS/test-echo.so"

cat >"$TMP/echo.ini" <<INI
[vm]
kernel = $HELLO

[drive "e0"]
plugin = test-echo
label = first
depth = 0x20

[drive "e1"]
plugin = test-echo
label = second
greeting = hi there
INI

run_volt echo --config "$TMP/echo.ini" --plugin-dir "$PLUGINS"
check_status echo 0 "test-echo: the VM runs"
check_grep echo out "^Hello from the Volt hello guest" "test-echo: the guest booted"
check_grep echo err "test-echo drive e0: test-echo create: label first, depth 32" \
	"test-echo: create read its keys (hex number)"
check_grep echo err "test-echo drive e0: test-echo realize: hello, registers at 0xd8000000" \
	"test-echo: first instance at the start of the plugin MMIO window, default greeting"
check_grep echo err "test-echo drive e1: test-echo realize: hi there, registers at 0xd8001000" \
	"test-echo: second instance on the next page"
check_grep echo err "test-echo drive e1: test-echo start" "test-echo: start hook ran"
check_grep echo err "test-echo drive e0: test-echo destroy" "test-echo: destroyed at exit"

# Destroyed in reverse order: e1 before e0.
if grep -o "drive e[01]: test-echo destroy" "$TMP/echo.err" | tr '\n' ' ' |
	grep -q "e1: test-echo destroy drive e0"; then
	pass "test-echo: destroyed in reverse order"
else
	fail "test-echo: not destroyed in reverse order"
	show echo
fi

# No [drive]/[net] section: no plugin is loaded, even from an empty dir.
mkdir -p "$TMP/empty"
run_volt none --kernel "$HELLO" --plugin-dir "$TMP/empty"
check_status none 0 "no plugin sections: nothing loaded"

finish
