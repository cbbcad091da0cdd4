#!/usr/bin/env python3
"""Boot-time benchmark: process start to the guest's first boot-timer write.

Runs volt on the bench-boot guest (17 MiB ELF, 128 MiB RAM, 1 vCPU) and the
kvm-floor program alternately, N times each, in one run. For each run it
records two times:
  internal: from the process's main() to the guest's write (volt logs it);
  external: from just before this script spawns the process to the write
            (both read CLOCK_MONOTONIC, so the difference is exact and
            includes exec and dynamic linking).
With --also DIR the volt of another build (a static one, say) runs in the
same rounds, on the same guest, as a third contender.
Prints medians and writes nothing else; docs/benchmarks.md records results.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

VOLT_RE = re.compile(r"boot-timer: guest wrote 0x1 at (\d+) us after volt started \(monotonic (\d+) ns\)")
FLOOR_RE = re.compile(r"first guest instruction at (\d+) us after start \(monotonic (\d+) ns\)")


def run_once(cmd, pattern):
    t0 = time.monotonic_ns()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    m = pattern.search(p.stdout)
    if p.returncode != 0 or not m:
        sys.exit(f"boot.py: {cmd[0]} failed (status {p.returncode}):\n{p.stdout}")
    return int(m.group(1)), (int(m.group(2)) - t0) // 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--also", metavar="DIR", help="another build whose volt runs in the same rounds")
    args = ap.parse_args()
    volt = [f"{args.build}/core/volt", "--kernel", f"{args.build}/tests/guests/bench-boot",
            "--memory", "128", "--vcpus", "1", "--serial-output", "none"]
    floor = [f"{args.build}/bench/kvm-floor"]
    contenders = [("volt", volt, VOLT_RE), ("kvm-floor", floor, FLOOR_RE)]
    if args.also:
        contenders.insert(1, (f"volt ({args.also})", [f"{args.also}/core/volt"] + volt[1:], VOLT_RE))
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: /dev/kvm is not usable")
        return 0
    size = os.path.getsize(volt[2])
    results = {name: [] for name, _, _ in contenders}
    for i in range(args.runs + 2):
        # With --also, whichever volt runs second in a round came out
        # 1.3-1.7 ms slower here, whichever build it was: compare two builds
        # in both orders (--build A --also B, then --build B --also A).
        for name, cmd, pat in contenders:
            r = run_once(cmd, pat)
            if i >= 2:  # two warm-up rounds
                results[name].append(r)
    print(f"boot benchmark: {args.runs} alternating runs each, kernel image {size / 2**20:.1f} MiB, 128 MiB, 1 vCPU")
    for name, rs in results.items():
        internal = statistics.median(r[0] for r in rs)
        external = statistics.median(r[1] for r in rs)
        lo = min(r[1] for r in rs)
        hi = max(r[1] for r in rs)
        print(f"  {name:22s} median main->first write {internal / 1000:6.2f} ms, "
              f"spawn->first write {external / 1000:6.2f} ms (min {lo / 1000:.2f}, max {hi / 1000:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
