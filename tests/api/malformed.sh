#!/bin/bash
# Malformed HTTP, sent raw over the socket: truncated requests, oversized
# headers, garbage, bad and lying Content-Lengths, chunked bodies over the
# limit, bytes that are not text in the path, pipelining, a connection left
# idle. Each is answered or dropped, volt keeps serving, and its open fds
# come back to where they were. (Before boot: nothing here needs a VM.)
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
command -v python3 >/dev/null || skip "python3 is missing (the raw HTTP client)"

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# raw NAME WANT [keep]: send stdin's bytes (a Python bytes expression,
# where body(b) is b with a correct Content-Length header before it) on a
# fresh connection, half-close it (unless keep), read until the server
# closes or 2 s pass in silence. WANT is a regular expression for the
# status lines seen, or "dropped" (no answer at all is fine too), or "any".
raw() {
	local got
	got=$(python3 - "$SOCK" "$(cat)" "${3:-}" <<'PY'
import re, socket, sys
def body(b):
    return b"Content-Length: %d\r\n\r\n" % len(b) + b
data = eval(sys.argv[2], {"__builtins__": {"range": range, "len": len}, "body": body})
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(sys.argv[1])
try:
    s.sendall(data)
    if sys.argv[3] != "keep":
        s.shutdown(socket.SHUT_WR)
except OSError:
    pass
out = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
except OSError:
    pass
lines = re.findall(rb"HTTP/1\.[01] [0-9]{3}[^\r\n]*", out)
print(" | ".join(l.decode("latin-1") for l in lines) if lines else "(no answer)")
PY
)
	case $2 in
	any) pass "$1: $got" ;;
	dropped) [ "$got" = "(no answer)" ] && pass "$1: dropped" ||
		pass "$1: answered instead ($got)" ;;
	*) grep -Eq -- "$2" <<<"$got" && pass "$1: $got" || fail "$1: got '$got', want /$2/" ;;
	esac
	api GET /
	[ "$code" = 200 ] || fail "$1: volt stopped serving (GET / answered '$code')"
}

start_volt raw || { fail "volt --api-sock did not serve $SOCK"; show raw; finish; }
PID=$(volt_pid)
api GET /
fds_before=$(fd_count "$PID")

raw "truncated request line" dropped <<<"b'GET / HT'"
raw "truncated headers" dropped <<<"b'GET / HTTP/1.1\\r\\nHost: x\\r\\nAccept: '"
raw "truncated body" any <<<"b'PUT /machine-config HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\n{\"vcpu'"
raw "garbage" "^HTTP/1.1 400|no answer" <<<"b'\\x00\\x01\\x02\\xff garbage\\r\\n\\r\\n'"
raw "oversized header (64 KiB)" "^HTTP/1.1 (400|413|414|431)|no answer" \
	<<<"b'GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Big: ' + b'a' * 65536 + b'\\r\\n\\r\\n'"
raw "a thousand headers" "^HTTP/1.1 (400|413|431)|no answer" \
	<<<"b'GET / HTTP/1.1\\r\\nHost: x\\r\\n' + b''.join(b'X-H%d: v\\r\\n' % i for i in range(1000)) + b'\\r\\n'"
raw "oversized path" "^HTTP/1.1 (400|414)|no answer" \
	<<<"b'GET /' + b'a' * 40000 + b' HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'"
raw "Content-Length not a number" "^HTTP/1.1 400|no answer" \
	<<<"b'PUT /actions HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: abc\\r\\n\\r\\n{}'"
raw "Content-Length shorter than the body" "^HTTP/1.1 400.*HTTP/1.1 400|^HTTP/1.1 400" \
	<<<"b'PUT /machine-config HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\n\\r\\n{\"vcpu_count\": 1, \"mem_size_mib\": 64}'"
raw "Content-Length longer than the body" any \
	<<<"b'PUT /machine-config HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 9999\\r\\n\\r\\n{}'"
raw "Content-Length over the limit" "^HTTP/1.1 400" \
	<<<"b'PUT /machine-config HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 99999999999\\r\\n\\r\\n{}'"
raw "chunked body over the limit" "^HTTP/1.1 400" \
	<<<"b'PUT /machine-config HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n' + b'1000\\r\\n' + b' ' * 4096 + b'\\r\\n' + (b'1000\\r\\n' + b' ' * 4096 + b'\\r\\n') * 13 + b'0\\r\\n\\r\\n'"
raw "chunked body under the limit" "^HTTP/1.1 204" \
	<<<"b'PUT /machine-config HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n26\\r\\n{\"vcpu_count\": 1, \"mem_size_mib\": 128}\\r\\n0\\r\\n\\r\\n'"
raw "bad chunk size" "^HTTP/1.1 400|no answer" \
	<<<"b'PUT /machine-config HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n{}\\r\\n0\\r\\n\\r\\n'"
raw "bytes that are not text in the path" "^HTTP/1.1 400" \
	<<<"b'GET /\\xff\\xfe\\x01 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'"
raw "body that is not UTF-8" "^HTTP/1.1 400" \
	<<<"b'PUT /boot-source HTTP/1.1\\r\\nHost: x\\r\\n' + body(b'{\"kernel_image_path\":\"\\xff\"}')"
raw "a NUL inside a JSON string" "^HTTP/1.1 400" \
	<<<"b'PUT /boot-source HTTP/1.1\\r\\nHost: x\\r\\n' + body(b'{\"kernel_image_path\":\"a\\\\u0000b\"}')"
raw "HTTP/1.0 without Host" "^HTTP/1.[01] 200" <<<"b'GET / HTTP/1.0\\r\\n\\r\\n'"
raw "HTTP/2 preface" "^HTTP/1.1 (400|505)|no answer" \
	<<<"b'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n'"
raw "three pipelined requests" "^HTTP/1.1 200 .*\\| HTTP/1.1 400 .*\\| HTTP/1.1 200" keep \
	<<<"b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /nothing HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /version HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'"

# A connection left open and silent does not hold the others up.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"PUT /actions HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
time.sleep(3)
' "$SOCK" &
idle=$!
sleep 0.5
expect GET /version - 200 "firecracker_version" "answered while another connection stalls"
wait "$idle"

for _ in $(seq 100); do
	[ "$(fd_count "$PID")" -le "$fds_before" ] && break
	sleep 0.02
done
fds_after=$(fd_count "$PID")
[ "$fds_after" = "$fds_before" ] && pass "open fds stable: $fds_before before, $fds_after after" ||
	fail "open fds: $fds_before before, $fds_after after"
stop_volt
check_status raw 0 "SIGTERM: exit 0"
finish
