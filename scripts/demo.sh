#!/usr/bin/env bash
# The main job: build Volt and boot a Linux guest to a shell.
#
#   scripts/demo.sh [--direct | --rig]        (or VOLT_DEMO=direct|rig)
#
# The guest: the project's kernel (scripts/build-kernel.sh guest, cached in
# ~/.cache/volt; about 10 min the first time), 2 vCPUs, 256 MiB, an ext4 root on
# virtio-blk (scripts/build-rootfs.sh) whose init starts a shell on the console.
#
# Where it runs, decided by a probe unless forced: volt boots the guest kernel once
# on this machine's /dev/kvm with a small initramfs and a 60 s limit. If the guest's
# init marker appears and volt exits 0, /dev/kvm runs Linux: the demo boots the guest
# directly, with the shell on this terminal (type `exit` to stop; without a terminal,
# the scripted session below). Otherwise (no /dev/kvm, or a software KVM that stops
# Linux with an emulation failure, as on this project's build machines) it boots it
# in the nested rig (docs/rig.md): QEMU TCG -> an L1 Linux with a real KVM -> volt
# -> the guest. L1's console is not a terminal, so there a scripted session
# (uname -a, /proc/cpuinfo, ...) is typed into the guest's shell through a
# pseudo-terminal on volt's stdin. The probe's output: build/demo/probe.log.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
export PAYLOAD_LOG_NAME=demo
# shellcheck source=../tests/rig/e2e/payload.sh
. tests/rig/e2e/payload.sh

mode=${VOLT_DEMO:-auto}
case ${1:-} in
--direct) mode=direct ;;
--rig) mode=rig ;;
"") ;;
*) sed -n '4p' "$0" | sed 's/^#/usage:/' >&2; exit 2 ;;
esac
say() { echo "demo: $*"; }
demo=build/demo
mkdir -p "$demo"

scripts/build.sh
say "guest kernel: scripts/build-kernel.sh guest (cached; ~10 min on 2 cores the first time)"
kernel_dir=$(payload_guest_kernel)

# The guest's /init: mounts, the init marker, then a shell on the console; when
# the shell exits the guest reboots (reboot=k), which ends volt.
cat >"$demo/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root PS1='volt-guest:\w# '
mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q '^[^ ]* /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
hostname volt-guest
read -r up _ </proc/uptime
echo
echo "VOLT-INIT uptime=$up"
echo "Volt demo guest: $(uname -sr), $(grep -c '^processor' /proc/cpuinfo) CPUs, root on /dev/vda (virtio-blk)."
echo "Type 'exit' to stop the VM."
echo "VOLT-DEMO shell"
cd /root
setsid cttyhack sh
sync
reboot -f
while :; do sleep 3600; done
INIT
scripts/build-rootfs.sh --size 32M --init "$demo/init" "$demo/rootfs.ext4" >/dev/null

cat >"$demo/session.txt" <<'SESSION'
uname -a
cat /proc/cpuinfo
grep -c ^processor /proc/cpuinfo
free
df -h /
echo "hello from $(hostname), written at uptime $(cut -d' ' -f1 /proc/uptime) s" > /root/hello.txt; cat /root/hello.txt
exit
SESSION

# probe: set $probe_reason and return 0 if volt boots Linux on this /dev/kvm.
probe() {
	local rc=0
	if [[ ! -e /dev/kvm ]] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
		probe_reason="no usable /dev/kvm"
		return 1
	fi
	scripts/build-rootfs.sh --initramfs "$demo/probe.cpio.gz" >/dev/null 2>&1
	say "probe: booting the guest kernel once on /dev/kvm (60 s limit) to see whether it runs Linux"
	SECONDS=0
	timeout -k 5 60 build/core/volt --kernel "$kernel_dir/vmlinux" --initrd "$demo/probe.cpio.gz" \
		--memory 128 --cmdline "console=ttyS0 reboot=k panic=-1 quiet" \
		</dev/null >"$demo/probe.log" 2>&1 || rc=$?
	if ((rc == 0)) && tr -d '\r' <"$demo/probe.log" | grep -q '^VOLT-INIT uptime='; then
		probe_reason="the guest reached its init in ${SECONDS} s"
		return 0
	fi
	if ((rc == 124 || rc == 137)); then
		probe_reason="the guest did not reach its init within 60 s"
	else
		probe_reason="volt exited $rc after ${SECONDS} s: $(grep -m1 '^volt: error' "$demo/probe.log" | cut -c1-110)"
	fi
	return 1
}

if [[ $mode == auto ]]; then
	if probe; then
		mode=direct
		say "/dev/kvm runs Linux ($probe_reason)"
	else
		mode=rig
		say "/dev/kvm here cannot run Linux ($probe_reason)"
	fi
fi

cat >"$demo/demo.ini" <<INI
; scripts/demo.sh's guest (written by it)
[vm]
kernel = $kernel_dir/vmlinux
memory_mib = 256
vcpus = 2
cmdline = console=ttyS0 reboot=k panic=-1 root=/dev/vda rw

[drive "rootfs"]
path = rootfs.ext4
INI

if [[ $mode == direct ]]; then
	if [[ -t 0 ]]; then
		say "booting the Linux guest DIRECTLY on this machine's /dev/kvm: build/core/volt --config $demo/demo.ini"
		say "the guest's console is this terminal; type 'exit' in its shell to stop the VM"
		exec build/core/volt --config "$demo/demo.ini"
	fi
	say "booting the Linux guest DIRECTLY on this machine's /dev/kvm (no terminal on stdin: a scripted session)"
	payload_build_vmrun "$demo/vmrun"
	exec "$demo/vmrun" --name demo --timeout 180 --pty --type "VOLT-DEMO shell:$demo/session.txt" \
		--type-quiet 500 -- build/core/volt --config "$demo/demo.ini"
fi

say "booting the Linux guest THROUGH THE NESTED RIG: QEMU TCG (emulated AMD CPU with SVM) -> L1 Linux with KVM -> volt -> the guest (docs/rig.md)"
say "L1's console is not interactive: a scripted session is typed into the guest's shell ($demo/session.txt)"
say "first time: the L1 kernel is built too (scripts/build-kernel.sh host, ~10 min); then about a minute"
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
payload_add_volt build "$payload"
payload_build_vmrun "$payload/bin/vmrun"
mkdir -p "$payload/guest"
cp "$kernel_dir/vmlinux" "$payload/guest/"
cp "$demo/rootfs.ext4" "$payload/guest/"
cp "$demo/session.txt" "$payload/"
rc=0
# L1 on one CPU, as the e2e and soak run it: with two, the rig's emulated
# SVM now and then loses L1's state on the way back from a guest
# (docs/rig.md). The guest keeps its two vCPUs.
tests/rig/run-rig.sh --payload "$payload" --l1-script tests/rig/e2e/l1-demo.sh \
	--log "$demo/rig-demo.log" --timeout 600 --cpus 1 --verbose >/dev/null || rc=$?
say "rig finished: status $rc (the L1 script's: volt's exit status); serial log: $demo/rig-demo.log"
exit "$rc"
