#!/usr/bin/env bash
# Console input is never dropped: 1000 bytes typed at once on a terminal
# (a pty) reach the guest in full, although the UART's FIFO holds 64; volt
# reads stdin only as fast as the guest drains it.
# Usage: serial_input.sh VOLT GUEST_DIR SOURCE_DIR
set -u
. "$(dirname "$0")/common.sh"

require_kvm
guest="$GUESTS/serial-in"
require_file "$guest"

out=$(python3 - "$VOLT" "$guest" <<'PY'
import os, pty, select, sys, time
volt, guest = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    # Only the guest on the terminal: volt's info lines share it and could
    # land in the middle of the line this test parses.
    os.execv(volt, [volt, "--log-level", "warn", "--kernel", guest])
buf = b""
def pump(until, limit):
    """Read the terminal until `until` is seen (a function of the output)."""
    global buf
    end = time.time() + limit
    while not until(buf) and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
pump(lambda b: b"READY" in b, 20)
data = bytes(0x21 + (i % 90) for i in range(1000))
os.write(fd, data + b"\n")
pump(lambda b: b"GOT" in b and b"\n" in b[b.index(b"GOT"):], 60)
if b"GOT" not in buf:
    os.kill(pid, 15)  # the guest is still waiting for its newline
try:
    _, status = os.waitpid(pid, 0)
except ChildProcessError:
    status = -1
sys.stdout.write(buf.decode(errors="replace"))
print(f"\nEXPECT count={len(data)} sum={sum(data)} status={os.waitstatus_to_exitcode(status)}")
PY
)
expect=$(grep -o 'EXPECT count=[0-9]* sum=[0-9]*' <<<"$out" | sed 's/EXPECT //')
got=$(grep -o 'GOT count=[0-9]* sum=[0-9]*' <<<"$out" | sed 's/GOT //')
status=$(grep -o 'status=-\?[0-9]*' <<<"$out" | tail -1 | sed 's/status=//')
if [ -n "$got" ] && [ "$got" = "$expect" ]; then
	pass "the guest received all 1000 bytes typed at once ($got)"
else
	fail "the guest received '$got', expected '$expect'"
	sed "s/^/  | /" <<<"$out" | tail -n 40
fi
if [ "$status" = 0 ]; then
	pass "volt exits 0 after the guest resets"
else
	fail "volt exited with status '$status'"
fi
finish
