#!/usr/bin/env bash
# The virtio-net benchmark (bench/net, bench-net) run inside the nested rig's L1,
# whose kernel has vhost-net, so that net-vhost is measured next to net-tap and
# raw tap I/O (docs/benchmarks.md). L0 here has no /dev/vhost-net.
#
#   bench/rig/run-net.sh [--build-dir DIR] [--log FILE] [--seconds S] [--rounds N] [--case NAME]
#
#   --build-dir DIR   release build of bench-net (default build-bench-rig)
#   --log FILE        the rig's serial log (default DIR/rig-net.log)
#   --seconds S       timed seconds per measurement (default 0.3)
#   --rounds N        rounds, each variant first in some round (default 3)
#   --case NAME       only the cases whose name contains NAME
#
# L1 runs on QEMU TCG: every rate is tens of times below L0's, so only the
# ratios within one table mean anything, and the net-tap rows, which L0 also
# measures, show how far the rig's ratios can be trusted.
set -euo pipefail

SELF_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(cd "$SELF_DIR/../.." && pwd)
export PAYLOAD_LOG_NAME=run-net
# shellcheck source=../../tests/rig/e2e/payload.sh
. "$REPO/tests/rig/e2e/payload.sh"

build_dir=build-bench-rig log_file='' seconds=0.3 rounds=3 only=''
while (($#)); do
	case $1 in
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--log) log_file=${2:?}; shift 2 ;;
	--seconds) seconds=${2:?}; shift 2 ;;
	--rounds) rounds=${2:?}; shift 2 ;;
	--case) only=${2:?}; shift 2 ;;
	*) sed -n '5,13p' "${BASH_SOURCE[0]}" | sed 's/^#/ /' >&2; exit 2 ;;
	esac
done
cd "$REPO"
log_file=${log_file:-$build_dir/rig-net.log}
command -v qemu-system-x86_64 >/dev/null || { echo "run-net: qemu-system-x86_64 is missing" >&2; exit 77; }

payload_log "building bench-net in $build_dir"
[[ -f $build_dir/build.ninja ]] ||
	cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build_dir" bench-net >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/payload/bin"
strip -o "$work/payload/bin/bench-net" "$build_dir/bench/net/bench-net"
# busybox sh in /payload; the markers frame bench-net's table in the serial log.
cat >"$work/l1-net.sh" <<EOF
echo "VOLT-NETBENCH begin l1-cpus=\$(grep -c '^processor' /proc/cpuinfo)"
BENCH_NET_TRACE=1 bin/bench-net $seconds $rounds "$only" 2>&1
echo "VOLT-NETBENCH end rc=\$?"
EOF

mkdir -p "$(dirname "$log_file")"
t0=$SECONDS
rc=0
"$REPO/tests/rig/run-rig.sh" --payload "$work/payload" --l1-script "$work/l1-net.sh" \
	--log "$log_file" --timeout 900 >/dev/null || rc=$?
echo "rig: $((SECONDS - t0)) s wall (run-rig exit $rc); log: $log_file"
tr -d '\r' <"$log_file" >"$work/log"
# The trace lines (one per measurement) are for a run that stops early.
sed -n '/^VOLT-NETBENCH begin/,/^VOLT-NETBENCH end/p' "$work/log" | grep -v '^bench-net: .*, round [0-9]*: '
if ((rc != 0)) || ! grep -q '^VOLT-NETBENCH end rc=0$' "$work/log"; then
	echo "run-net: bench-net did not finish; its last measurement and message:" >&2
	grep '^bench-net: ' "$work/log" | tail -n 2 >&2
	exit 1
fi
