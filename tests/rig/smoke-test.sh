#!/usr/bin/env bash
# End-to-end check of the nested rig without Volt: builds (or reuses) both kernels and
# a guest rootfs, runs run-rig.sh with tests/rig/l1-smoke.sh and checks the markers:
# L1 has /dev/kvm and 2 CPUs, and (unless --no-l2) QEMU/KVM in L1 boots the guest
# kernel to its VOLT-INIT marker.
#
#   tests/rig/smoke-test.sh [--no-l2] [--log FILE] [--timeout S]
set -euo pipefail

SELF_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(cd "$SELF_DIR/../.." && pwd)
l2=1 log_file=${VOLT_CACHE:-$HOME/.cache/volt}/rig-smoke.log timeout=600

while (($#)); do
	case $1 in
	--no-l2) l2=0; shift ;;
	--log) log_file=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	*) echo "usage: $0 [--no-l2] [--log FILE] [--timeout S]" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
payload=$work/payload
mkdir -p "$payload/guest"

if ((l2)); then
	guest=$("$REPO/scripts/build-kernel.sh" guest | tail -n1)
	cp "$guest/vmlinux" "$payload/guest/vmlinux"
	cat >"$work/hello.sh" <<'HELLO'
#!/bin/sh
echo "VOLT-HELLO processors=$(grep -c ^processor /proc/cpuinfo)"
HELLO
	"$REPO/scripts/build-rootfs.sh" --size 16M "$payload/guest/rootfs.ext4" "$work/hello.sh" >/dev/null
	mkdir -p "$payload/qemu/data"
	cp "$(command -v qemu-system-x86_64)" "$payload/qemu/"
	for rom in bios-microvm.bin qboot.rom pvh.bin linuxboot_dma.bin kvmvapic.bin; do
		cp "/usr/share/qemu/$rom" "$payload/qemu/data/"
	done
fi

rc=0
"$SELF_DIR/run-rig.sh" --payload "$payload" --l1-script "$SELF_DIR/l1-smoke.sh" \
	--log "$log_file" --timeout "$timeout" >/dev/null || rc=$?

fail=0
expect() {
	if grep -qE "$1" "$log_file"; then
		echo "ok:   $1"
	else
		echo "FAIL: $1"
		fail=1
	fi
}
expect '^RIG-L1 init .*clocksource=tsc'
expect '^RIG-L1 kvm=yes'
expect '^RIG-SMOKE kvm=yes processors=2$'
if ((l2)); then
	expect '^VOLT-INIT uptime='
	expect '^VOLT-HELLO processors=1'
	expect '^RIG-SMOKE l2-end rc=0 '
fi
expect '^RIG-L1 script-end rc=0$'
grep -E '^RIG-L1 init|^RIG-SMOKE l2-end' "$log_file" || true
echo "log: $log_file (run-rig exit $rc)"
exit $((fail || rc))
