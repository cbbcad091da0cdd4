#!/bin/bash
# What the other API tests' set-up hides: each of them asks GET / before
# anything else, so an answer always went out before the sandbox's lockdown.
# Here the first request is the InstanceStart of a VM the flags configured
# (its answer is the first libmicrohttpd dates after lockdown); a relative
# path_on_host is PATCHed after boot (it is resolved against volt's working
# directory, read before lockdown); and the API still answers after every
# one of its connection slots was taken and given back.
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
IDLE=$GUESTS/bench-idle
require_file "$IDLE"

# start_quiet NAME ARGS...: volt --api-sock in the background, waiting for
# the socket file only (no request).
start_quiet() {
	local name=$1
	shift
	timeout -k 5 "$RUN_TIMEOUT" "$VOLT" --api-sock "$SOCK" "${SANDBOX_ARGS[@]}" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	VOLT_PID=$!
	for _ in $(seq 500); do
		[ -S "$SOCK" ] && return 0
		sleep 0.01
	done
	return 1
}

# stop_and_check NAME WHAT: SIGTERM, then exit status 0 and no sandbox line.
stop_and_check() {
	stop_volt
	if [ "$status" -eq 0 ] && ! grep -q "sandbox: blocked" "$TMP/$1.err"; then
		pass "$2: volt stops with exit status 0, no sandbox violation"
	else
		fail "$2: exit status $status"
		show "$1"
	fi
}

# 1. InstanceStart as the very first request.
start_quiet first --kernel "$IDLE" --serial-output stdout ||
	{ fail "volt --api-sock did not create $SOCK"; show first; finish; }
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" \
	"InstanceStart as the first request is answered"
if wait_for_output first IDLE; then pass "first request: the guest runs"; else
	fail "first request: no IDLE from the guest"; fi
expect GET / - 200 '"state":"Running"' "first request: GET / after it"
stop_and_check first "first request"

# 2. A drive given by a relative path, PATCHed after boot.
printf 'disk' >"$TMP/disk.img"
printf 'other' >"$TMP/other.img"
cd "$TMP" || exit 1
start_volt rel || { fail "volt --api-sock did not serve $SOCK"; show rel; finish; }
expect PUT /boot-source "$(boot_source "$IDLE")" 204 "" "relative path: PUT /boot-source"
expect PUT /drives/d1 '{"drive_id": "d1", "is_root_device": false, "path_on_host": "disk.img"}' \
	204 "" "relative path: PUT /drives"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "relative path: InstanceStart"
wait_for_output rel IDLE || fail "relative path: no IDLE from the guest"
expect PATCH /drives/d1 '{"drive_id": "d1", "path_on_host": "disk.img"}' 204 "" \
	"relative path: a PATCH with the same file after boot"
expect PATCH /drives/d1 '{"drive_id": "d1", "path_on_host": "other.img"}' 400 \
	"cannot change its backing file" "relative path: a PATCH with another file after boot"
stop_and_check rel "relative path"
cd - >/dev/null || exit 1

# 3. Every connection slot taken, then given back: the next client is
# answered. (libmicrohttpd stops watching the socket at its limit.)
start_volt slots || { fail "volt --api-sock did not serve $SOCK"; show slots; finish; }
python3 - "$SOCK" <<'PY' >"$TMP/slots.py.out" 2>&1
import socket, sys, time
held = []
for _ in range(130):
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(2)
    try:
        c.connect(sys.argv[1])
    except OSError:
        break
    held.append(c)
# One more client asks while every slot is taken: it waits in the backlog.
extra = socket.socket(socket.AF_UNIX)
extra.settimeout(2)
extra.connect(sys.argv[1])
extra.sendall(b"GET / HTTP/1.1\r\nHost: l\r\n\r\n")
time.sleep(0.5)
for c in held + [extra]:
    c.close()
print("held", len(held))
PY
sleep 0.5
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://localhost/)
if [ "$code" = 200 ]; then
	pass "after all connection slots were taken and freed: GET / answered ($(cat "$TMP/slots.py.out"))"
else
	fail "after all connection slots were taken and freed: GET / got '$code'"
	cat "$TMP/slots.py.out"
fi
stop_and_check slots "connection slots"

finish
