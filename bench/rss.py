#!/usr/bin/env python3
"""Memory benchmark: volt's RSS outside guest RAM, 1 vCPU, 128 MiB, guest idle.

Starts volt on the bench-idle guest, waits for its IDLE line, then sums Rss
over /proc/PID/smaps, separating the guest-RAM host range from everything else (the
VMM's own overhead: binary, libraries, heap, stacks, kvm_run pages). Stops
volt with SIGTERM and checks it exits 0. Repeats N times; prints medians.
"""
import argparse
import re
import os
import signal
import statistics
import subprocess
import sys
import time

RAM_MIB = 128


RAM_RE = re.compile(r"guest RAM: \d+ MiB at host 0x([0-9a-f]+)-0x([0-9a-f]+)")


def smaps_rss(pid, ram_lo, ram_hi):
    """Rss (KiB) inside the guest-RAM host range and outside it. The range may
    be split into several mappings (huge-page advice), so go by address."""
    guest = other = private = 0
    is_guest = False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5:
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                is_guest = lo >= ram_lo and hi <= ram_hi
            elif parts[0] == "Rss:":
                kib = int(parts[1])
                if is_guest:
                    guest += kib
                else:
                    other += kib
            elif parts[0] in ("Private_Clean:", "Private_Dirty:") and not is_guest:
                private += int(parts[1])
    return guest, other, private


def run_once(volt):
    p = subprocess.Popen(volt, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ram = None
    for line in p.stdout:
        m = RAM_RE.search(line)
        if m:
            ram = (int(m.group(1), 16), int(m.group(2), 16))
        if "IDLE" in line:
            break
    else:
        sys.exit("rss.py: the guest did not say IDLE")
    if not ram:
        p.kill()
        sys.exit("rss.py: volt did not log its guest RAM range")
    time.sleep(0.3)
    guest, other, private = smaps_rss(p.pid, *ram)
    p.send_signal(signal.SIGTERM)
    if p.wait(timeout=10) != 0:
        sys.exit(f"rss.py: volt exited {p.returncode} after SIGTERM")
    return guest, other, private


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: /dev/kvm is not usable")
        return 0
    volt = [f"{args.build}/core/volt", "--kernel", f"{args.build}/tests/guests/bench-idle",
            "--memory", str(RAM_MIB), "--vcpus", "1", "--log-level", "debug"]
    rs = [run_once(volt) for _ in range(args.runs)]
    print(f"rss benchmark: {args.runs} runs, 1 vCPU, {RAM_MIB} MiB, guest idle")
    print(f"  VMM overhead (RSS outside guest RAM): median {statistics.median(r[1] for r in rs) / 1024:.2f} MiB "
          f"(min {min(r[1] for r in rs) / 1024:.2f}, max {max(r[1] for r in rs) / 1024:.2f})")
    print(f"  of which private to this process (not shared page cache): median "
          f"{statistics.median(r[2] for r in rs) / 1024:.2f} MiB")
    print(f"  guest RAM touched: median {statistics.median(r[0] for r in rs) / 1024:.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
