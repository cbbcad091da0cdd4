#!/usr/bin/env python3
"""Memory benchmark: volt's RSS outside guest RAM, 1 vCPU, 128 MiB, guest idle.

Starts volt on the bench-idle guest, waits for its IDLE line, then sums Rss
over /proc/PID/smaps, separating the guest-RAM host range from everything else (the
VMM's own overhead: binary, libraries, heap, stacks, kvm_run pages). Stops
volt with SIGTERM and checks it exits 0. Repeats N times; prints medians.

With --together K it also starts K volts at once and gives each one's Pss
outside guest RAM (shared pages divided among the processes that map them):
what one more VM costs a host that already runs a few from the same binary.
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
    """Rss (KiB) inside the guest-RAM host range and outside it, and outside
    it the private part and the Pss. The range may be split into several
    mappings (huge-page advice), so go by address."""
    guest = other = private = pss = 0
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
            elif parts[0] == "Pss:" and not is_guest:
                pss += int(parts[1])
    return guest, other, private, pss


def start(volt):
    """A volt whose guest said IDLE, and its guest-RAM host range."""
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
    return p, ram


def stop(p):
    p.send_signal(signal.SIGTERM)
    if p.wait(timeout=10) != 0:
        sys.exit(f"rss.py: volt exited {p.returncode} after SIGTERM")


def run_once(volt):
    p, ram = start(volt)
    time.sleep(0.3)
    r = smaps_rss(p.pid, *ram)
    stop(p)
    return r


def run_together(volt, k):
    """Each of k volts' Pss outside guest RAM (KiB), all running at once."""
    vms = [start(volt) for _ in range(k)]
    time.sleep(0.3)
    pss = [smaps_rss(p.pid, *ram)[3] for p, ram in vms]
    for p, _ in vms:
        stop(p)
    return pss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--together", type=int, default=0, metavar="K",
                    help="also run K volts at once and report each one's Pss")
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
    if args.together > 0:
        pss = run_together(volt, args.together)
        print(f"  {args.together} volts at once, each one's Pss outside guest RAM: median "
              f"{statistics.median(pss) / 1024:.2f} MiB (min {min(pss) / 1024:.2f}, "
              f"max {max(pss) / 1024:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
