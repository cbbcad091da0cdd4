#!/bin/bash
# A plugin that makes a syscall it never declared (tests/sandbox/
# sbx_undeclared.c: socket(), on purpose) is stopped by the sandbox: one line
# on stderr with the syscall's name and number, the thread and the plugin
# most likely responsible, and exit status 3. On its I/O thread, in its
# start hook on the main thread, and on a vCPU in its MMIO handler; with its
# declared syscall alone the VM runs normally.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
HELLO=$GUESTS/hello
ECHO=$GUESTS/echo
IDLE=$GUESTS/bench-idle
PLUGINS=$GUESTS/../sandbox/sbx-undeclared
require_file "$HELLO"
require_file "$ECHO"
require_file "$IDLE"
require_file "$PLUGINS/sbx-undeclared.so"
LINE='^volt: sandbox: blocked syscall socket \(41, args 0x2, 0x1\) on thread'

# ini NAME WHERE KERNEL: a VM with one sbx-undeclared instance, drive "phone".
ini() {
	cat >"$TMP/$1.ini" <<INI
[vm]
kernel = $3

[drive "phone"]
plugin = sbx-undeclared
where = $2
INI
}

# one_line NAME WHAT: the report is exactly one line.
one_line() {
	local n
	n=$(grep -c '^volt: sandbox: blocked' "$TMP/$1.err")
	if [ "$n" -eq 1 ]; then
		pass "$2: one report line"
	else
		fail "$2: $n report lines, want 1"
		show "$1"
	fi
}

# The idle guest never stops on its own: the I/O thread's callback runs
# before the VM could end (a guest that resets might win that race).
ini io io "$IDLE"
run_volt io --config "$TMP/io.ini" --plugin-dir "$PLUGINS"
check_status io 3 "undeclared syscall on an I/O thread"
check_grep io err "$LINE io:drive phone; most likely plugin sbx-undeclared \(drive phone\), which does not declare it; exiting with status 3\$" \
	"undeclared syscall on an I/O thread: syscall, thread and plugin named"
one_line io "undeclared syscall on an I/O thread"
if grep -q "socket() was not stopped" "$TMP/io.err"; then
	fail "undeclared syscall on an I/O thread: the syscall returned"
else
	pass "undeclared syscall on an I/O thread: the syscall never returned"
fi

ini start start "$HELLO"
run_volt start --config "$TMP/start.ini" --plugin-dir "$PLUGINS"
check_status start 3 "undeclared syscall in a start hook"
check_grep start err "$LINE main; most likely plugin sbx-undeclared, which does not declare it; exiting with status 3\$" \
	"undeclared syscall in a start hook: on the main thread, blaming the plugin whose hook runs"
one_line start "undeclared syscall in a start hook"
if grep -q "^Hello from the Volt hello guest" "$TMP/start.out"; then
	fail "undeclared syscall in a start hook: the guest ran"
else
	pass "undeclared syscall in a start hook: stopped before the guest ran"
fi

# The echo guest reads the first plugin MMIO page: the plugin's.
ini vcpu vcpu "$ECHO"
run_volt vcpu --config "$TMP/vcpu.ini" --plugin-dir "$PLUGINS"
check_status vcpu 3 "undeclared syscall on a vCPU"
check_grep vcpu err "$LINE vcpu0; most likely plugin sbx-undeclared, which does not declare it; exiting with status 3\$" \
	"undeclared syscall on a vCPU: on vcpu0, blaming the plugin whose handler runs"
one_line vcpu "undeclared syscall on a vCPU"

ini none none "$HELLO"
run_volt none --config "$TMP/none.ini" --plugin-dir "$PLUGINS"
check_status none 0 "only declared syscalls (read on its bound fd): the VM runs"
check_grep none out "^Hello from the Volt hello guest" "only declared syscalls: the guest ran"

# --no-seccomp: a warning, and nothing stops the syscall.
run_volt off --config "$TMP/start.ini" --plugin-dir "$PLUGINS" --no-seccomp
check_status off 0 "--no-seccomp: the VM runs"
check_grep off err "^volt: warning: sandbox: seccomp is off \(--no-seccomp\)" "--no-seccomp: warns"
check_grep off err "socket\(\) was not stopped" "--no-seccomp: the syscall is not stopped"

finish
