# shellcheck shell=bash disable=SC2034 # variables here are for the sourcing scripts
# Shared by the API tests (sourced). Each is called as
#   TEST.sh VOLT GUEST_DIR SOURCE_DIR
# like the integration tests, whose helpers (pass, fail, skip, require_kvm,
# $TMP, finish) it reuses. The client is curl --unix-socket throughout.
# shellcheck source=../integration/common.sh
. "$(dirname "$0")/../integration/common.sh"

command -v curl >/dev/null || skip "curl is missing"
SOCK=$TMP/api.sock
VOLT_PID=

# The sandbox must let the API thread serve after lockdown (accept4 and
# the socket calls, docs/api.md). Until its policy has those, the tests run
# volt without seccomp and say so, rather than fail on every request.
SANDBOX_ARGS=()
if policy=$("$VOLT" --kernel "$GUESTS/hello" --api-sock "$SOCK" --print-sandbox-policy 2>/dev/null) &&
   ! grep -q accept4 <<<"$policy"; then
	echo "note: the sandbox policy has no API thread rules yet: running with --no-seccomp"
	SANDBOX_ARGS=(--no-seccomp)
fi

# start_volt NAME ARGS...: volt --api-sock $SOCK ARGS in the background
# (stdout in $TMP/NAME.out, stderr in $TMP/NAME.err), bounded by
# $RUN_TIMEOUT; returns once the socket accepts requests. $VOLT_PID is the
# timeout(1) wrapper's (signals reach volt through it), volt_pid volt's.
start_volt() {
	local name=$1 i
	shift
	timeout -k 5 "$RUN_TIMEOUT" "$VOLT" --api-sock "$SOCK" "${SANDBOX_ARGS[@]}" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	VOLT_PID=$!
	for i in $(seq 500); do
		curl -s -o /dev/null --unix-socket "$SOCK" http://localhost/ && return 0
		kill -0 "$VOLT_PID" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# wait_for_output NAME PATTERN: until PATTERN is in $TMP/NAME.out, up to 10 s.
wait_for_output() {
	for _ in $(seq 1000); do
		grep -q -- "$2" "$TMP/$1.out" 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}

volt_pid() {
	pgrep -P "$VOLT_PID" | head -n 1
}

# wait_volt: wait for the background volt; its exit status in $status.
wait_volt() {
	{ wait "$VOLT_PID"; } 2>/dev/null   # no "Killed" note for a volt a test killed
	status=$?
	VOLT_PID=
}

# stop_volt: SIGTERM to volt itself, then wait_volt. (Through timeout(1)
# volt would get it twice, once from timeout and once to its process group;
# the second stays pending, and LeakSanitizer's exit check in an ASan build
# then sometimes never finishes.)
stop_volt() {
	local pid

	pid=$(volt_pid)
	kill -TERM "${pid:-$VOLT_PID}" 2>/dev/null
	wait_volt
}

# api METHOD PATH [BODY]: one request; status code in $code, body in $body.
api() {
	local args=(-s -o "$TMP/resp" -w '%{http_code}' --unix-socket "$SOCK" -X "$1"
		    "http://localhost$2")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	code=$(curl "${args[@]}")
	body=$(cat "$TMP/resp" 2>/dev/null)
}

# expect METHOD PATH BODY CODE PATTERN WHAT: the request answers CODE with a
# body matching PATTERN (grep -E; "" matches anything). BODY "-" sends none.
expect() {
	if [ "$3" = "-" ]; then api "$1" "$2"; else api "$1" "$2" "$3"; fi
	if [ "$code" != "$4" ]; then
		fail "$6: $1 $2 answered $code, want $4 (body: $body)"
	elif [ -n "$5" ] && ! grep -Eq -- "$5" <<<"$body"; then
		fail "$6: body '$body' does not match /$5/"
	else
		pass "$6"
	fi
}

# Where the hello guest lives, and a body for PUT /boot-source.
boot_source() {
	printf '{"kernel_image_path": "%s", "boot_args": "console=ttyS0"}' "$1"
}

cleanup_volt() {
	local pid

	if [ -n "$VOLT_PID" ]; then
		pid=$(volt_pid)
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
		kill -KILL "$VOLT_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup_volt EXIT
