#!/usr/bin/env bash
# Console output never stalls volt, and is not lost while its reader keeps
# up. The flood guest writes numbered lines for ever; volt's stdout is a
# pipe of one page (the test holds its read end).
# 1. The reader takes nothing: volt still stops on SIGTERM (status 0),
#    within a few seconds, and says how much output it dropped.
# 2. The reader stalls until the pipe is full, then reads on: every line
#    arrives, in order, none missing, and volt reports nothing dropped.
# 3. stderr is the same stalled pipe, full to the last byte: log lines
#    cannot block either, SIGTERM still stops volt.
# 4. stderr is the same pipe, read as it comes (2>&1): every log line
#    starts a line of its own, although the guest's output is written in
#    chunks that end mid-line.
# Usage: serial_output.sh VOLT GUEST_DIR SOURCE_DIR
set -u
. "$(dirname "$0")/common.sh"

require_kvm
guest="$GUESTS/flood"
require_file "$guest"

out=$(python3 - "$VOLT" "$guest" <<'PY'
import fcntl, os, re, select, signal, subprocess, sys, termios, time
volt, guest = sys.argv[1], sys.argv[2]

def start(shared=False):
    """volt writing into a one-page pipe; the test keeps both ends."""
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
    p = subprocess.Popen([volt, "--kernel", guest], stdout=w,
                         stderr=w if shared else subprocess.PIPE)
    return p, r, w

def brim(r, w):
    """Fill the pipe's last page to the last byte, as 4 KiB chunks of a
    flood would: a blocking write of a log line would wait for ever now."""
    n = int.from_bytes(fcntl.ioctl(r, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)
    if n < 4096:
        os.write(w, b"x" * (4096 - n))  # fits in the page: does not block
    return int.from_bytes(fcntl.ioctl(r, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)

def wait_full(w, limit=60, r=None):
    """Until the pipe takes no more (the test's own write end does not poll
    writable), then a second more: a blocking writer would be stuck by now.
    Then the test's write end is closed, so that the reader sees end of file
    once volt is gone."""
    end = time.time() + limit
    full = False
    while time.time() < end and not full:
        full = not select.select([], [w], [], 0.05)[1]
    if r is not None:
        full = full and brim(r, w) == 4096
    time.sleep(1)
    os.close(w)
    return full

def stop(p, limit=10):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(limit)
        return p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return "hung"

# 1. A reader that takes nothing.
p, r, w = start()
full = wait_full(w)
t = time.time()
status = stop(p)
err = p.stderr.read().decode(errors="replace")
print(f"STALLED full={full} status={status} secs={time.time() - t:.1f}")
m = re.search(r"serial: (\d+) bytes of guest output were dropped", err)
print(f"STALLED dropped={m.group(1) if m else 'none'}")
os.close(r)

# 2. A reader that stalls, then keeps up.
p, r, w = start()
full = wait_full(w)
buf = b""
t0 = time.time()
# Two seconds of reading, longer on a loaded host until 300 lines came (the
# check wants more than 200 to tell order from luck), 15 s at most.
while time.time() - t0 < 15 and (time.time() - t0 < 2 or buf.count(b"\n") <= 300):
    if select.select([r], [], [], 0.2)[0]:
        buf += os.read(r, 65536)
status = "reading"
p.send_signal(signal.SIGTERM)
while True:  # to end of file: volt flushes what it buffered, then exits
    chunk = os.read(r, 65536)
    if not chunk:
        break
    buf += chunk
p.wait(30)
err = p.stderr.read().decode(errors="replace")
nums = [int(x) for x in re.findall(rb"^FLOOD (\d+) \.+$", buf, re.M)]
gaps = sum(1 for a, b in zip(nums, nums[1:]) if b != a + 1)
print(f"RESUMED full={full} status={p.returncode} lines={len(nums)} "
      f"first={nums[0] if nums else -1} gaps={gaps} dropped={'dropped' in err}")
os.close(r)

# 3. stdout and stderr on one pipe that takes nothing, full to the brim.
p, r, w = start(shared=True)
full = wait_full(w, r=r)
t = time.time()
status = stop(p)
print(f"SHARED full={full} status={status} secs={time.time() - t:.1f}")

# 4. stdout and stderr on one pipe that a reader keeps up with (2>&1 into
# a log collector): the guest's lines come in 4 KiB chunks that end
# mid-line, and volt's log lines (SIGTERM's, the exit's) must each start a
# line of their own.
r, w = os.pipe()
p = subprocess.Popen([volt, "--kernel", guest], stdout=w, stderr=w)
os.close(w)
buf = b""
t0 = time.time()
while time.time() - t0 < 1.5:
    if select.select([r], [], [], 0.2)[0]:
        buf += os.read(r, 65536)
p.send_signal(signal.SIGTERM)
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    buf += chunk
p.wait(30)
os.close(r)
logs = re.findall(rb"volt: [a-z]+: ", buf)
inline = re.findall(rb"[^\n]volt: [a-z]+: ", buf)
print(f"INTERLEAVED status={p.returncode} log_lines={len(logs)} mid_line={len(inline)}")
PY
)
stalled=$(grep '^STALLED full' <<<"$out")
case "$stalled" in
*"full=True status=0 "*) pass "a reader that takes nothing: SIGTERM still stops volt, status 0 ($stalled)" ;;
*) fail "a reader that takes nothing: $stalled" ;;
esac
dropped=$(grep -o '^STALLED dropped=.*' <<<"$out" | sed 's/^STALLED dropped=//')
if [ -n "$dropped" ] && [ "$dropped" != none ] && [ "$dropped" -gt 0 ]; then
	pass "a reader that takes nothing: volt says it dropped $dropped bytes"
else
	fail "a reader that takes nothing: no dropped-bytes line"
fi
resumed=$(grep '^RESUMED' <<<"$out")
lines=$(sed -n 's/.* lines=\([0-9]*\) .*/\1/p' <<<"$resumed")
case "$resumed" in
*"full=True status=0 "*"first=0 gaps=0 dropped=False"*)
	if [ "${lines:-0}" -gt 200 ]; then
		pass "a reader that stalls, then reads: every line, in order ($resumed)"
	else
		fail "a reader that stalls, then reads: too few lines to tell ($resumed)"
	fi ;;
*) fail "a reader that stalls, then reads: $resumed" ;;
esac
inter=$(grep '^INTERLEAVED' <<<"$out")
case "$inter" in
*"status=0 "*"mid_line=0"*)
	if [[ $inter =~ log_lines=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 1 ]; then
		pass "console and log on one pipe: every log line starts a line ($inter)"
	else
		fail "console and log on one pipe: no log line to judge ($inter)"
	fi ;;
*) fail "console and log on one pipe: $inter" ;;
esac
shared=$(grep '^SHARED' <<<"$out")
case "$shared" in
*"full=True status=0 "*) pass "stderr on the same full pipe: SIGTERM still stops volt ($shared)" ;;
*) fail "stderr on the same full pipe: $shared" ;;
esac
finish
