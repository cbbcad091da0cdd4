#!/bin/bash
# Load on a running VM: 1000 sequential requests, each on a connection of
# its own, then 1000 more on one kept-alive connection, then 50 at once,
# three times over; every one answered as expected, and volt's open fds the
# same before and after.
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
IDLE=$GUESTS/bench-idle
require_file "$IDLE"

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# curl_config N CLOSE: a curl config of N requests, cycling through reads,
# a refused write and an action; CLOSE=1 gives each its own connection.
curl_config() {
	local i
	for ((i = 0; i < $1; i++)); do
		# --next resets every per-request option, the socket too.
		[ "$i" -gt 0 ] && echo 'next'
		echo "unix-socket = \"$SOCK\""
		case $((i % 5)) in
		0) echo 'url = "http://localhost/"' ;;
		1) echo 'url = "http://localhost/machine-config"' ;;
		2) echo 'url = "http://localhost/vm/config"' ;;
		3) printf '%s\n' 'url = "http://localhost/machine-config"' 'request = "PUT"' \
			'data = "{\"vcpu_count\": 1, \"mem_size_mib\": 64}"' ;;
		4) printf '%s\n' 'url = "http://localhost/actions"' 'request = "PUT"' \
			'data = "{\"action_type\": \"FlushMetrics\"}"' ;;
		esac
		[ "$2" = 1 ] && echo 'header = "Connection: close"'
		printf '%s\n' 'output = "/dev/null"' 'write-out = "%{http_code}\n"'
	done
}

# The answers curl_config's requests must get, in order.
expected_codes() {
	local i
	for ((i = 0; i < $1; i++)); do
		case $((i % 5)) in
		3) echo 400 ;;   # pre-boot only
		4) echo 204 ;;
		*) echo 200 ;;
		esac
	done
}

start_volt load || { fail "volt --api-sock did not serve $SOCK"; show load; finish; }
expect PUT /metrics "{\"metrics_path\": \"$TMP/metrics\"}" 204 "" "PUT /metrics"
expect PUT /boot-source "$(boot_source "$IDLE")" 204 "" "PUT /boot-source"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "InstanceStart"
PID=$(volt_pid)
api GET /
fds_before=$(fd_count "$PID")

curl_config 1000 1 >"$TMP/seq.cfg"
curl_config 1000 0 >"$TMP/keep.cfg"
expected_codes 1000 >"$TMP/want"
curl -s -K "$TMP/seq.cfg" >"$TMP/seq.codes"
if cmp -s "$TMP/seq.codes" "$TMP/want"; then
	pass "1000 sequential requests, a connection each: all answered as expected"
else
	fail "sequential: $(diff "$TMP/want" "$TMP/seq.codes" | grep -c '^>') unexpected answers"
fi
curl -s -K "$TMP/keep.cfg" >"$TMP/keep.codes"
if cmp -s "$TMP/keep.codes" "$TMP/want"; then
	pass "1000 sequential requests on one connection: all answered as expected"
else
	fail "keep-alive: $(diff "$TMP/want" "$TMP/keep.codes" | grep -c '^>') unexpected answers"
fi

curl_config 50 1 >"$TMP/par.cfg"
expected_codes 50 | sort >"$TMP/par.want"
for round in 1 2 3; do
	curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 50 -K "$TMP/par.cfg" | sort >"$TMP/par.codes"
	if cmp -s "$TMP/par.codes" "$TMP/par.want"; then
		pass "50 concurrent requests (round $round): all answered as expected"
	else
		fail "50 concurrent (round $round): $(tr '\n' ' ' <"$TMP/par.codes")"
	fi
done

# Connections close on the client's side first; give volt a moment to see it.
for _ in $(seq 100); do
	[ "$(fd_count "$PID")" -le "$fds_before" ] && break
	sleep 0.02
done
fds_after=$(fd_count "$PID")
if [ "$fds_after" = "$fds_before" ]; then
	pass "open fds stable: $fds_before before, $fds_after after"
else
	fail "open fds: $fds_before before, $fds_after after"
	ls -l "/proc/$PID/fd"
fi
flushes=$(wc -l <"$TMP/metrics")
[ "$flushes" = 430 ] && pass "430 FlushMetrics, 430 lines" || fail "$flushes metrics lines, want 430"

stop_volt
check_status load 0 "SIGTERM: exit 0"
finish
