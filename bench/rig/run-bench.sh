#!/usr/bin/env bash
# Linux boot in the nested rig: volt against QEMU's microvm machine (docs/benchmarks.md).
# One rig run (bench/rig/l1-bench.sh): the same vmlinux (PVH note) and root file
# system, 1 vCPU, 128 MiB, the same kernel arguments; volt by default ("volt"),
# with --kernel-pages shared ("voltshared") and with each --huge-pages mode
# ("voltauto", "voltloaded", "voltnever"), and QEMU; a warm-up each, then 5 runs
# each, taking turns.
# Prints the raw per-run lines, the medians and the ratios to QEMU.
#
#   bench/rig/run-bench.sh [--build-dir DIR] [--log FILE] [--runs N] [--root KIND] [--density N]
#
# --root KIND: the guest's root: disk (the default: the ext4 rootfs of
# scripts/build-rootfs.sh on virtio-blk, read-only, for both VMMs: volt's
# virtio-blk plugin and QEMU's virtio-blk-device, as the e2e tests and most
# microVMs boot) or initramfs (guest/initramfs.gz).
# --density N: instead, N VMs of each kind at once (bench/rig/l1-density.sh),
# stopped when their guests reach init; prints each kind's Rss and Pss per VM
# (Pss shares every page among the processes that map it).
#
# Measured inside L1 by tests/rig/e2e/vmrun.c around each VMM process:
#   init_ms   exec -> the guest's "VOLT-INIT uptime=" line on the VMM's stdout
#   exit_ms   exec -> the VMM's exit (after the guest's reboot -f)
#   uptime    the guest kernel's /proc/uptime when its init printed the marker
#   peak RSS  max(wait4's ru_maxrss, VmHWM at the guest's "VOLT-INIT done")
#   overhead  VmRSS minus the RSS of the guest-RAM mapping (/proc/PID/smaps), at
#             "VOLT-INIT done": the VMM's own memory
# Targets (issue 7): volt init_ms <= 0.7 x QEMU's, peak RSS <= 0.25 x QEMU's.
set -euo pipefail

SELF_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(cd "$SELF_DIR/../.." && pwd)
export PAYLOAD_LOG_NAME=run-bench
# shellcheck source=../../tests/rig/e2e/payload.sh
. "$REPO/tests/rig/e2e/payload.sh"

build_dir=build-e2e log_file='' runs=5 density=0 root=
while (($#)); do
	case $1 in
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--log) log_file=${2:?}; shift 2 ;;
	--runs) runs=${2:?}; shift 2 ;;
	--density) density=${2:?}; shift 2 ;;
	--root) root=${2:?}; shift 2 ;;
	*) sed -n '10,18p' "${BASH_SOURCE[0]}" | sed 's/^#/ /' >&2; exit 2 ;;
	esac
done
root=${root:-disk}
case $root in
initramfs | disk) ;;
*) echo "run-bench: --root takes initramfs or disk, not '$root'" >&2; exit 2 ;;
esac
cd "$REPO"
log_file=${log_file:-$build_dir/rig-bench.log}
command -v qemu-system-x86_64 >/dev/null || { echo "run-bench: qemu-system-x86_64 is missing" >&2; exit 77; }

guest_dir=$(payload_guest_kernel)
payload_build_volt "$build_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
payload=$work/payload
mkdir -p "$payload/bin" "$payload/guest" "$payload/qemu/data"
payload_build_vmrun "$payload/bin/vmrun"
cp "$guest_dir/vmlinux" "$payload/guest/"
if [[ $root == disk ]]; then
	payload_add_volt "$build_dir" "$payload"
	"$REPO/scripts/build-rootfs.sh" "$payload/guest/rootfs.ext4" >/dev/null
else
	# volt without plugins: the VM has no devices beyond the built-in ones.
	strip -o "$payload/bin/volt" "$build_dir/core/volt"
	"$REPO/scripts/build-rootfs.sh" --initramfs "$payload/guest/initramfs.gz" >/dev/null
fi
cp "$(command -v qemu-system-x86_64)" "$payload/qemu/"
cp -L /usr/share/qemu/qboot.rom /usr/share/qemu/bios-microvm.bin "$payload/qemu/data/"
cp "$SELF_DIR/l1-vm.sh" "$payload/"
if ((density > 0)); then
	sed "s/^N=.*/N=$density/; s/^ROOT=.*/ROOT=$root/" "$SELF_DIR/l1-density.sh" >"$work/l1-bench.sh"
else
	sed "s/^RUNS=.*/RUNS=$runs/; s/^ROOT=.*/ROOT=$root/" "$SELF_DIR/l1-bench.sh" >"$work/l1-bench.sh"
fi

mkdir -p "$(dirname "$log_file")"
t0=$SECONDS
rc=0
"$REPO/tests/rig/run-rig.sh" --payload "$payload" --l1-script "$work/l1-bench.sh" \
	--log "$log_file" --timeout 900 >/dev/null || rc=$?
echo "rig: $((SECONDS - t0)) s wall (run-rig exit $rc); log: $log_file"
tr -d '\r' <"$log_file" >"$work/log"

grep '^VOLT-BENCH ' "$work/log" || true
if ((density > 0)); then
	grep -E '^VOLT-(DENSITY|E2E-RESULT) ' "$work/log" || true
	# Pss per VM of each volt kind against QEMU's.
	awk '/^VOLT-DENSITY / && /pss_kib_per_vm=/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		pss[f["kind"]] = f["pss_kib_per_vm"]
	} END {
		for (k in pss) if (k != "qemu" && pss["qemu"] > 0)
			printf "Pss per VM, %s / qemu: %.3f\n", k, pss[k] / pss["qemu"]
	}' "$work/log"
	((rc == 0)) || exit "$rc"
	grep -q '^VOLT-DENSITY .*error=' "$work/log" && exit 1
	exit 0
fi
# One row per run: name init_ms exit_ms uptime peak_kib overhead_kib status.
awk '
	/^VOLT-BENCH-BEGIN name=/ { name = substr($2, 6); up = "-" }
	/^VOLT-INIT uptime=/ && name != "" && up == "-" { up = substr($2, 8) }
	/^VOLT-E2E-RESULT / {
		delete f
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		peak = f["maxrss_kib"] + 0
		if (f["hwm_kib"] != "-" && f["hwm_kib"] + 0 > peak) peak = f["hwm_kib"] + 0
		print f["name"], f["init_ms"], f["exit_ms"], up, peak, f["overhead_kib"], f["status"]
		name = ""
	}' "$work/log" >"$work/rows"
echo
echo "run          init_ms exit_ms uptime_s peak_rss_kib overhead_kib status"
awk '{ printf "%-12s %7s %7s %8s %12s %12s %s\n", $1, $2, $3, $4, $5, $6, $7 }' "$work/rows"

# median VMM COLUMN (warm-ups excluded)
median() {
	awk -v vmm="$1" -v col="$2" 'index($1, vmm "-") == 1 && $1 !~ /warmup/ && $col != "-" { print $col }' \
		"$work/rows" | sort -n | awk '{ v[NR] = $1 } END {
			if (!NR) { print "-"; exit }
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.3f\n", a / b }'; }

# The volt kinds, in the order they first ran (l1-bench.sh's KINDS), then QEMU.
mapfile -t kinds < <(awk '{ k = $1; sub(/-[^-]*$/, "", k) } k != "qemu" && !seen[k]++ { print k }' "$work/rows")
echo
printf '%-14s' "median of $runs"
for k in "${kinds[@]}" qemu; do printf ' %11s' "$k"; done
for k in "${kinds[@]}"; do printf ' %11s' "$k/qemu"; done
echo
fail=0
for col in 2:init_ms 3:exit_ms 4:uptime_s 5:peak_rss_kib 6:overhead_kib; do
	printf '%-14s' "${col#*:}"
	for k in "${kinds[@]}" qemu; do printf ' %11s' "$(median "$k" "${col%%:*}")"; done
	for k in "${kinds[@]}"; do printf ' %11s' "$(ratio "$(median "$k" "${col%%:*}")" "$(median qemu "${col%%:*}")")"; done
	echo
done
echo
# target KIND WHAT RATIO LIMIT: one target for one volt configuration. The exit
# status is volt's as configured by default; the other kinds are for comparison.
target() {
	if awk -v r="$3" -v max="$4" 'BEGIN { exit !(r != "-" && r <= max) }'; then
		echo "$1: target $2 <= $4 x QEMU: met ($3)"
	else
		echo "$1: target $2 <= $4 x QEMU: MISSED ($3)"
		[[ $1 != volt ]] || fail=1
	fi
}
# verdict KIND: the two targets for one volt configuration.
verdict() {
	target "$1" "time to init" "$(ratio "$(median "$1" 2)" "$(median qemu 2)")" 0.7
	target "$1" "peak RSS" "$(ratio "$(median "$1" 5)" "$(median qemu 5)")" 0.25
}
for k in "${kinds[@]}"; do verdict "$k"; done
((rc == 0)) || exit "$rc"
exit "$fail"
