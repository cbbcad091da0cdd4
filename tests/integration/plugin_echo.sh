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
check_grep echo err "test-echo start: late ioeventfd_add -1, irqfd_add -1" \
	"test-echo: ioeventfd_add and irqfd_add refused after realize (-EPERM)"
check_grep echo err "ioeventfd_add: only allowed in create or realize" \
	"test-echo: the refusal is logged"
check_grep echo err "test-echo drive e0: test-echo destroy" "test-echo: destroyed at exit"

# Destroyed in reverse order: e1 before e0.
if grep -o "drive e[01]: test-echo destroy" "$TMP/echo.err" | tr '\n' ' ' |
	grep -q "e1: test-echo destroy drive e0"; then
	pass "test-echo: destroyed in reverse order"
else
	fail "test-echo: not destroyed in reverse order"
	show echo
fi

# A claim the host refuses (COM1's ports): one failure line gives what the
# plugin tried (its error line) and why the core refused it, once.
sed 's/^greeting = hi there$/port = 0x3f8/' "$TMP/echo.ini" >"$TMP/claim.ini"
run_volt claim --config "$TMP/claim.ini" --plugin-dir "$PLUGINS"
check_status claim 1 "a refused port claim"
check_grep claim err "^volt: error: drive e1 \(test-echo\): realize failed: pio_register: File exists \(PIO bus: drive e1 at 0x3f8\+0x8 overlaps serial \(COM1\)" \
	"a refused port claim: the failure line gives the plugin's step and the cause"
if [ "$(grep -c "overlaps" "$TMP/claim.err")" -eq 1 ] &&
	[ "$(grep -c "error:" "$TMP/claim.err")" -eq 1 ]; then
	pass "a refused port claim: one error line"
else
	fail "a refused port claim: the cause is not reported exactly once"
	show claim
fi

# A [net] section opens a backend for its device: a device that never takes
# it is not a network device, and the VM is refused, both torn down.
cat >"$TMP/notnet.ini" <<INI
[vm]
kernel = $HELLO

[net "n0"]
plugin = test-echo
backend = test-nullnet
label = x
INI
run_volt notnet --config "$TMP/notnet.ini" --plugin-dir "$PLUGINS"
check_status notnet 1 "a device that is not a network device in a [net] section"
check_grep notnet err "^volt: error: net n0 \(test-echo\): the device never took its network backend \(test-nullnet\): a \[net\] section is for network devices; put test-echo in a \[device\] section$" \
	"a non-network device in a [net] section: says which and where it belongs"
check_grep notnet err "test-echo net n0: test-echo destroy" \
	"a non-network device in a [net] section: destroyed"
[ "$(grep -c "error:" "$TMP/notnet.err")" -eq 1 ] &&
	pass "a non-network device in a [net] section: one error line" ||
	{ fail "a non-network device in a [net] section: not one error line"; show notnet; }

# No [drive]/[net] section: no plugin is loaded, even from an empty dir.
mkdir -p "$TMP/empty"
run_volt none --kernel "$HELLO" --plugin-dir "$TMP/empty"
check_status none 0 "no plugin sections: nothing loaded"

finish
