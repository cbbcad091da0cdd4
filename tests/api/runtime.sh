#!/bin/bash
# A running VM (the idle guest: it marks the boot timer, says IDLE and
# halts): pre-boot resources answer 400, PATCH /vm pauses and resumes,
# FlushMetrics writes one JSON line, SendCtrlAltDel and the PATCHes that
# Volt can answer do, SIGTERM stops it with exit 0 and the socket goes.
# Also the socket's ownership: a second volt on a live socket refuses to
# start, a killed volt's socket is removed by its remover, a stale socket
# file is replaced, a file that is no socket is left.
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
IDLE=$GUESTS/bench-idle
require_file "$IDLE"
METRICS=$TMP/metrics.json
printf 'disk' >"$TMP/disk.img"

start_volt run || { fail "volt --api-sock did not serve $SOCK"; show run; finish; }
expect PUT /metrics "{\"metrics_path\": \"$METRICS\"}" 204 "" "PUT /metrics"
expect PUT /metrics "{\"metrics_path\": \"$METRICS\"}" 400 "Reinitialization of metrics" \
	"PUT /metrics twice"
expect PUT /boot-source "$(boot_source "$IDLE")" 204 "" "PUT /boot-source (idle guest)"
expect PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 64}' 204 "" "2 vCPUs, 64 MiB"
expect PUT /actions '{"action_type": "FlushMetrics"}' 204 "" "FlushMetrics before boot"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "InstanceStart"
if wait_for_output run IDLE; then pass "the guest runs"; else fail "no IDLE from the guest"; fi
expect GET / - 200 '"state":"Running"' "GET /: Running"

# Pre-boot only.
expect PUT /actions '{"action_type": "InstanceStart"}' 400 \
	"not supported after starting the microVM" "InstanceStart twice"
expect PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 64}' 400 \
	"not supported after starting" "PUT /machine-config after boot"
expect PATCH /machine-config '{"vcpu_count": 1}' 400 "not supported after starting" \
	"PATCH /machine-config after boot"
expect PUT /boot-source "$(boot_source "$IDLE")" 400 "not supported after starting" \
	"PUT /boot-source after boot"
expect PUT /drives/d "{\"drive_id\": \"d\", \"is_root_device\": false, \"path_on_host\": \"$TMP/disk.img\"}" \
	400 "not supported after starting" "PUT /drives after boot"
expect PUT /network-interfaces/n '{"iface_id": "n", "host_dev_name": "tap9"}' 400 \
	"not supported after starting" "PUT /network-interfaces after boot"
expect PUT /logger '{"level": "Info"}' 400 "not supported after starting" "PUT /logger after boot"
expect PUT /metrics "{\"metrics_path\": \"$METRICS.2\"}" 400 "not supported after starting" \
	"PUT /metrics after boot"
# Still answered while running.
expect GET /machine-config - 200 '"vcpu_count":2,"mem_size_mib":64' "GET /machine-config"
expect GET /vm/config - 200 '"boot-source":' "GET /vm/config"
expect PATCH /drives/d '{"drive_id": "d"}' 400 "Invalid block device ID" "PATCH an unknown drive"
expect PATCH /network-interfaces/n '{"iface_id": "n"}' 400 "Invalid network interface ID" \
	"PATCH an unknown interface"

# Pause and resume.
expect PATCH /vm '{"state": "Stopped"}' 400 'unknown variant `Stopped`' "PATCH /vm: bad state"
expect PATCH /vm '{"state": "Paused"}' 204 "" "PATCH /vm Paused"
expect GET / - 200 '"state":"Paused"' "GET /: Paused"
expect PATCH /vm '{"state": "Paused"}' 204 "" "PATCH /vm Paused again"
expect PATCH /vm '{"state": "Resumed"}' 204 "" "PATCH /vm Resumed"
expect GET / - 200 '"state":"Running"' "GET /: Running again"
expect PUT /actions '{"action_type": "SendCtrlAltDel"}' 204 "" "SendCtrlAltDel"

# Metrics: a line before boot, one now.
expect PUT /actions '{"action_type": "FlushMetrics"}' 204 "" "FlushMetrics"
if [ "$(wc -l <"$METRICS")" = 2 ] &&
   python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$METRICS"; then
	pass "metrics: two lines of JSON"
else
	fail "metrics: $(cat "$METRICS")"
fi
line=$(tail -n 1 "$METRICS")
grep -q '"vcpus":\[{"id":0,"exits":{[^}]*"io":[1-9]' <<<"$line" && pass "metrics: vCPU 0's exits by reason" ||
	fail "metrics: no exits for vCPU 0 in $line"
grep -q '"id":1,' <<<"$line" && pass "metrics: vCPU 1 listed" || fail "metrics: no vCPU 1 in $line"
grep -q '"name":"serial (COM1)","bus":"pio","base":1016,"reads":[0-9]*,"writes":[1-9]' <<<"$line" &&
	pass "metrics: the serial port's writes" || fail "metrics: no serial counts in $line"
grep -q '"name":"boot timer","bus":"pio","base":1088,"reads":0,"writes":1' <<<"$line" &&
	pass "metrics: the boot timer's one write" || fail "metrics: no boot timer count in $line"

# A second volt on the live socket refuses; the first keeps serving.
timeout 10 "$VOLT" --api-sock "$SOCK" >"$TMP/second.out" 2>"$TMP/second.err"
status=$?
check_status second 2 "second volt on a live socket"
check_grep second err "another process .* serves it; refusing to take it over" \
	"second volt: says why"
expect GET / - 200 '"state":"Running"' "the first volt still serves"

stop_volt
check_status run 0 "SIGTERM while running: exit 0"
[ -e "$SOCK" ] && fail "socket left behind" || pass "socket removed at exit"

# A killed volt's socket goes too: its remover outlives it.
start_volt killed || fail "volt did not start"
kill -KILL "$(volt_pid)"
wait_volt
for _ in $(seq 200); do
	[ -e "$SOCK" ] || break
	sleep 0.01
done
[ -e "$SOCK" ] && fail "SIGKILL: socket left behind" || pass "SIGKILL: the socket's remover removed it"

# A stale socket (a process bound it, then ended without removing it) is
# replaced.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] || fail "no stale socket to test with"
start_volt stale && pass "a stale socket is replaced" || { fail "stale socket not replaced"; show stale; }
check_grep stale err "replacing a stale socket" "stale socket: said so"
stop_volt

# A path that is not a socket is never removed.
printf 'keep me' >"$SOCK"
timeout 10 "$VOLT" --api-sock "$SOCK" >"$TMP/file.out" 2>"$TMP/file.err"
status=$?
check_status file 2 "a regular file at the socket path"
check_grep file err "exists and is not a socket" "regular file: says why"
[ "$(cat "$SOCK")" = "keep me" ] && pass "the file is left as it was" || fail "the file changed"
finish
