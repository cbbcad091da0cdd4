#!/usr/bin/env bash
# Ctrl-Alt-Del reaches the guest: SIGUSR2 to volt puts the keys' scancodes
# in the i8042's output buffer, the kbd guest reads exactly Ctrl, Alt and
# Del (set 1, as the controller translates by default) and resets, and
# volt exits 0. (The rig's e2e run checks the same with Linux; the API's
# SendCtrlAltDel is tests/api/ctrl_alt_del.sh.)
# Usage: ctrl_alt_del.sh VOLT GUEST_DIR SOURCE_DIR
set -u
. "$(dirname "$0")/common.sh"

require_kvm
guest="$GUESTS/kbd"
require_file "$guest"

"$VOLT" --kernel "$guest" >"$TMP/cad.out" 2>"$TMP/cad.err" &
pid=$!
for _ in $(seq 1000); do
	grep -q READY "$TMP/cad.out" 2>/dev/null && break
	sleep 0.01
done
if grep -q READY "$TMP/cad.out"; then
	pass "the kbd guest waits for keys"
	# Nothing arrives unasked: the guest has read no key yet.
	sleep 0.2
	grep -q 'KEYS 0x' "$TMP/cad.out" && fail "a key arrived before Ctrl-Alt-Del was sent"
	kill -USR2 "$pid"
else
	fail "no READY from the kbd guest"
	kill -TERM "$pid"
fi
# At most 10 s for the guest to read the keys and reset.
for _ in $(seq 1000); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.01
done
kill -KILL "$pid" 2>/dev/null
wait "$pid"
status=$?
check_status cad 0 "SIGUSR2: the guest resets after Ctrl-Alt-Del"
check_grep cad out "^KEYS 0x1d 0x38 0xe0 0x53$" "SIGUSR2: the guest read Ctrl, Alt, Del, nothing else"
check_grep cad err "SIGUSR2: sending Ctrl-Alt-Del" "SIGUSR2: volt says what it did"
finish
