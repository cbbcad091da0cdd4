#!/bin/bash
# PATCH /vm on a guest that never stops printing (api-ticker, 2 vCPUs):
# paused, its output and its vCPU exits stand still; resumed, both move
# again; paused and resumed a hundred times over, it still runs; SIGTERM
# while paused stops volt (a held vCPU is let go to stop).
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
TICKER=$GUESTS/api-ticker
require_file "$TICKER"
OUT=$TMP/serial.log
METRICS=$TMP/metrics.json

size() { stat -c %s "$OUT"; }
io_exits() {   # vCPU 0's io exits in the last metrics line
	tail -n 1 "$METRICS" | grep -o '"id":0,"exits":{[^}]*' | grep -o '"io":[0-9]*' | cut -d: -f2
}
grows() {   # within 5 s
	local s0
	s0=$(size)
	for _ in $(seq 500); do
		[ "$(size)" -gt "$s0" ] && return 0
		sleep 0.01
	done
	return 1
}

start_volt pause --serial-output "$OUT" || { fail "volt did not serve $SOCK"; show pause; finish; }
expect PUT /metrics "{\"metrics_path\": \"$METRICS\"}" 204 "" "PUT /metrics"
expect PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 32}' 204 "" "2 vCPUs"
expect PUT /boot-source "$(boot_source "$TICKER")" 204 "" "PUT /boot-source (ticker)"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "InstanceStart"
grows && pass "the guest ticks" || fail "no output from the guest"

expect PATCH /vm '{"state": "Paused"}' 204 "" "PATCH /vm Paused"
sleep 0.2   # output the guest wrote before it was held reaches the file
s1=$(size)
api PUT /actions '{"action_type": "FlushMetrics"}'
e1=$(io_exits)
sleep 1
s2=$(size)
api PUT /actions '{"action_type": "FlushMetrics"}'
e2=$(io_exits)
[ "$s1" = "$s2" ] && pass "paused: no output for 1 s ($s1 bytes)" ||
	fail "paused, yet the output grew from $s1 to $s2 bytes"
[ -n "$e1" ] && [ "$e1" = "$e2" ] && pass "paused: vCPU 0's io exits stand at $e1" ||
	fail "paused, yet vCPU 0's io exits went from '$e1' to '$e2'"
expect GET / - 200 '"state":"Paused"' "GET /: Paused"

expect PATCH /vm '{"state": "Resumed"}' 204 "" "PATCH /vm Resumed"
grows && pass "resumed: the guest ticks again" || fail "resumed, but no output"

for i in $(seq 100); do
	api PATCH /vm '{"state": "Paused"}'
	[ "$code" = 204 ] || break
	api PATCH /vm '{"state": "Resumed"}'
	[ "$code" = 204 ] || break
done
[ "$i" = 100 ] && [ "$code" = 204 ] && pass "100 pauses and resumes" ||
	fail "pause/resume $i answered $code"
grows && pass "after 100 pauses, the guest still ticks" || fail "no output after 100 pauses"

expect PATCH /vm '{"state": "Paused"}' 204 "" "paused again"
stop_volt
check_status pause 0 "SIGTERM while paused: exit 0"
[ -e "$SOCK" ] && fail "socket left behind" || pass "socket removed"
finish
