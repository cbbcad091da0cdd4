#!/usr/bin/env python3
"""Control API benchmark: two times, N runs each (after two warm-up runs).

  socket ready: from just before this script spawns `volt --api-sock` to the
      first connect() that succeeds (the socket is bound and listening), to
      the first answer (GET /: libmicrohttpd loaded and serving), volt's own
      count from main() to serving (its log line), and
      the CPU time volt's threads had used by then (from
      /proc/PID/task/*/schedstat, nanoseconds; Firecracker publishes its
      start-up as CPU time, ~8 ms).
  InstanceStart to the guest: PUT /machine-config and /boot-source, then
      from just before PUT /actions InstanceStart is sent to the guest's
      first boot-timer write (volt logs its CLOCK_MONOTONIC, as this script
      reads it), and to the 204 arriving.

The guest is bench-boot (the hello guest padded to a 17 MiB image, the size
of a real vmlinux), 128 MiB, 1 vCPU; it resets at once. The client is raw
HTTP/1.1 on the Unix socket, so no process spawn is timed. Prints medians
(min, max); docs/benchmarks.md records results.
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BOOT_RE = re.compile(rb"boot-timer: guest wrote 0x1 at \d+ us after volt started "
                     rb"\(monotonic (\d+) ns\)")
SERVING_RE = re.compile(rb"api: serving on .* \(([0-9.]+) ms after volt started\)")


def cpu_ns(pid):
    """CPU time all of pid's threads have used, in ns."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def request(sock_path, method, path, body=b""):
    """One request on its own connection; returns the status code."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(b"%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
              % (method.encode(), path.encode(), len(body), body))
    out = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
    s.close()
    return int(out.split(b" ", 2)[1])


def wait_ready(sock_path, proc, deadline=5.0):
    """Connect until it works; returns the monotonic ns of success. Polls
    every 50 us, sleeping in between, so the client does not take a CPU
    from volt."""
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(sock_path)
            t = time.monotonic_ns()
            s.close()
            return t
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if proc.poll() is not None:
                sys.exit(f"api_bench.py: volt exited with {proc.returncode}")
            time.sleep(50e-6)
    sys.exit("api_bench.py: the socket never accepted")


def run_once(volt, guest, workdir):
    sock = os.path.join(workdir, "api.sock")
    err = open(os.path.join(workdir, "volt.err"), "w+b")
    t0 = time.monotonic_ns()
    proc = subprocess.Popen([volt, "--api-sock", sock, "--serial-output", "none"],
                            stdout=subprocess.DEVNULL, stderr=err)
    ready = wait_ready(sock, proc)
    cpu = cpu_ns(proc.pid)
    assert request(sock, "GET", "/") == 200
    answered = time.monotonic_ns()
    answered_cpu = cpu_ns(proc.pid)
    assert request(sock, "PUT", "/machine-config", b'{"vcpu_count": 1, "mem_size_mib": 128}') == 204
    assert request(sock, "PUT", "/boot-source",
                   b'{"kernel_image_path": "%s", "boot_args": "console=ttyS0"}'
                   % guest.encode()) == 204
    t_start = time.monotonic_ns()
    status = request(sock, "PUT", "/actions", b'{"action_type": "InstanceStart"}')
    t_reply = time.monotonic_ns()
    proc.wait(timeout=60)
    err.seek(0)
    log = err.read()
    m = BOOT_RE.search(log)
    serving = SERVING_RE.search(log)
    if status != 204 or proc.returncode != 0 or not m or not serving:
        sys.exit(f"api_bench.py: run failed (InstanceStart {status}, exit {proc.returncode}):\n"
                 + log.decode(errors="replace"))
    return {
        "ready_ms": (ready - t0) / 1e6,
        "answered_ms": (answered - t0) / 1e6,
        "serving_ms": float(serving.group(1)),
        "ready_cpu_ms": cpu / 1e6,
        "answered_cpu_ms": answered_cpu / 1e6,
        "start_to_guest_ms": (int(m.group(1)) - t_start) / 1e6,
        "start_to_reply_ms": (t_reply - t_start) / 1e6,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    volt = f"{args.build}/core/volt"
    guest = os.path.abspath(f"{args.build}/tests/guests/bench-boot")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: /dev/kvm is not usable")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="volt-api-bench.") as workdir:
        for i in range(args.runs + 2):
            r = run_once(volt, guest, workdir)
            if i >= 2:
                results.append(r)
    print(f"API benchmark: {args.runs} runs, bench-boot ({os.path.getsize(guest) / 2**20:.1f} MiB), "
          "128 MiB, 1 vCPU")
    labels = {
        "ready_ms": "spawn -> socket accepting (wall)",
        "answered_ms": "spawn -> first GET / answered (wall)",
        "serving_ms": "main() -> API thread serving (volt's own log)",
        "ready_cpu_ms": "CPU used when the socket accepted (all threads)",
        "answered_cpu_ms": "CPU used when GET / was answered",
        "start_to_guest_ms": "InstanceStart sent -> guest's first boot-timer write",
        "start_to_reply_ms": "InstanceStart sent -> 204 received",
    }
    for key, label in labels.items():
        xs = [r[key] for r in results]
        print(f"  {label:55s} median {statistics.median(xs):7.2f} ms "
              f"(min {min(xs):.2f}, max {max(xs):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
