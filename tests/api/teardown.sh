#!/bin/bash
# Teardown under load: two clients keep pausing, resuming, flushing metrics
# and sending Ctrl-Alt-Del while SIGTERM stops a running 2-vCPU VM, at a
# different moment each round. Every round must end with exit status 0 and
# within the test's timeout: no request may hang the teardown or crash it
# (the API thread acts on vCPUs and devices that are being stopped).
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
ROUNDS=5
TICKER=$GUESTS/api-ticker
require_file "$TICKER"

hammer() {
	while :; do
		for b in '{"state": "Paused"}' '{"state": "Resumed"}'; do
			curl -s -o /dev/null --max-time 20 --unix-socket "$SOCK" -X PATCH \
				-H 'Content-Type: application/json' --data-binary "$b" http://localhost/vm
		done
		for a in FlushMetrics SendCtrlAltDel; do
			curl -s -o /dev/null --max-time 20 --unix-socket "$SOCK" -X PUT \
				-H 'Content-Type: application/json' \
				--data-binary "{\"action_type\": \"$a\"}" http://localhost/actions
		done
	done
}

for round in $(seq "$ROUNDS"); do
	start_volt "r$round" --serial-output "$TMP/serial-$round.log" ||
		{ fail "round $round: volt --api-sock did not serve"; show "r$round"; continue; }
	api PUT /metrics "{\"metrics_path\": \"$TMP/metrics-$round.json\"}"
	api PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 32}'
	api PUT /boot-source "$(boot_source "$TICKER")"
	hammer & h1=$!
	hammer & h2=$!
	api PUT /actions '{"action_type": "InstanceStart"}'
	[ "$code" = 204 ] || fail "round $round: InstanceStart answered $code: $(cat "$TMP/resp")"
	# 0.0 to 0.4 s into the run: the stop meets the clients at other points.
	sleep "0.$(( (round - 1) * 2 ))$((RANDOM % 10))"
	stop_volt
	kill "$h1" "$h2" 2>/dev/null
	wait "$h1" "$h2" 2>/dev/null
	if [ "$status" = 0 ]; then
		pass "round $round: SIGTERM under load: exit status 0"
	else
		fail "round $round: SIGTERM under load: exit status $status"
		show "r$round"
	fi
done
finish
