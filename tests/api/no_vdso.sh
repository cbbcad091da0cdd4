#!/bin/bash
# The sandbox on a host whose clocks have no vDSO mode: every
# clock_gettime is a real syscall (no_vdso_shim.c, LD_PRELOAD), so each
# thread's filter must allow it where the thread reads a clock: the API
# thread's FlushMetrics and connection timers, the I/O and vCPU threads.
# A ticking guest is started, its metrics flushed, paused and resumed
# through the API, then stopped by SIGTERM: exit 0 and no blocked syscall.
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
TICKER=$GUESTS/api-ticker
require_file "$TICKER"
SHIM=${VOLT_NO_VDSO_SHIM:-}
[ -r "$SHIM" ] || skip "no clock_gettime shim (VOLT_NO_VDSO_SHIM is set by ctest)"
export LD_PRELOAD=$SHIM
# An ASan build wants its runtime first; the shim comes before it here.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
METRICS=$TMP/metrics.json

start_volt novdso --serial-output "$TMP/serial.log" ||
	{ fail "volt did not serve $SOCK"; show novdso; finish; }
expect PUT /metrics "{\"metrics_path\": \"$METRICS\"}" 204 "" "PUT /metrics"
expect PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 32}' 204 "" "2 vCPUs"
expect PUT /boot-source "$(boot_source "$TICKER")" 204 "" "PUT /boot-source (ticker)"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "InstanceStart"
for _ in $(seq 500); do
	[ -s "$TMP/serial.log" ] && break
	sleep 0.01
done
[ -s "$TMP/serial.log" ] && pass "the guest ticks" || fail "no output from the guest"
expect PUT /actions '{"action_type": "FlushMetrics"}' 204 "" "FlushMetrics after lockdown"
expect PATCH /vm '{"state": "Paused"}' 204 "" "PATCH /vm Paused"
expect PATCH /vm '{"state": "Resumed"}' 204 "" "PATCH /vm Resumed"
expect GET / - 200 '"state":"Running"' "GET /: Running"
[ -s "$METRICS" ] && pass "metrics written" || fail "no metrics line in $METRICS"
stop_volt
check_status novdso 0 "SIGTERM: exit 0"
if grep -q "blocked syscall" "$TMP/novdso.err"; then
	fail "the sandbox blocked a syscall: $(grep -m1 'blocked syscall' "$TMP/novdso.err")"
else
	pass "no blocked syscall with every clock read a syscall"
fi
finish
