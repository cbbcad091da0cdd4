# L1 script of the rig benchmark (bench/rig/run-bench.sh; run by run-rig.sh with
# busybox sh in /payload): volt, as configured by default and with other memory
# settings (KINDS), and QEMU's microvm machine boot the same vmlinux and root
# file system on L1's KVM, one warm-up each, then RUNS runs each, taking turns
# in an order that rotates every round. Each run is framed by VOLT-BENCH-BEGIN
# name=NAME and vmrun's VOLT-E2E-RESULT line (exec->marker time, exec->exit,
# peak RSS, RSS outside guest RAM).
RUNS=${RUNS:-5}
# The VMMs, taking turns (run_kind below); the first is volt as configured by default.
KINDS="volt voltshared voltauto voltloaded voltnever qemu"
# ROOT=disk: guest/rootfs.ext4 on virtio-blk, read-only, root=/dev/vda (volt's
# virtio-blk plugin, QEMU's virtio-blk-device); ROOT=initramfs: guest/initramfs.gz.
ROOT=${ROOT:-disk}
# fresh_pages: write and free 400 MiB (L1's /tmp is RAM) before each run, untimed.
# A VMM's RAM comes from the pages the run before it freed; under QEMU TCG the
# first write to a page some VM ran code from costs far more than to a page dd
# wrote (TCG invalidates its translations of that page), so without this each
# run's time depends on which VMM ran before it (docs/benchmarks.md).
fresh_pages() {
	dd if=/dev/zero of=/tmp/fresh-pages bs=1M count=400 2>/dev/null
	rm -f /tmp/fresh-pages
}
# Both VMMs: 1 vCPU, 128 MiB, the same kernel arguments. quiet: the console costs a
# VM exit per byte. The i8042 options skip the keyboard controller's slow probes
# (docs/benchmarks.md); reboot=k resets through the i8042 (QEMU: -device i8042).
ARGS="console=ttyS0 reboot=k panic=-1 quiet i8042.noaux=1 i8042.nomux=1 i8042.nopnp=1 i8042.dumbkbd=1"
if [ "$ROOT" = disk ]; then
	ARGS="$ARGS root=/dev/vda"
	# An INI file's relative paths are its directory's: name the image in full.
	printf '[drive "rootfs"]\npath = %s/guest/rootfs.ext4\nread_only = true\n' "$PWD" >/tmp/disk.ini
	VOLT_ROOT="--config /tmp/disk.ini"
	QEMU_ROOT="-drive id=rootfs,file=guest/rootfs.ext4,format=raw,if=none,readonly=on -device virtio-blk-device,drive=rootfs"
else
	VOLT_ROOT="--initrd guest/initramfs.gz"
	QEMU_ROOT="-initrd guest/initramfs.gz"
fi

# run_vm NAME ROUND VMM-COMMAND...: one timed run, on fresh pages, under vmrun.
run_vm() {
	name=$1-$2
	shift 2
	fresh_pages
	echo "VOLT-BENCH-BEGIN name=$name"
	bin/vmrun --name "$name" --timeout 60 --ram-mib 128 -- "$@"
}

# run_volt_as KIND ROUND [VOLT-FLAG...]: volt with the benchmark's VM and these flags.
run_volt_as() {
	kind=$1 round=$2
	shift 2
	# shellcheck disable=SC2086 # VOLT_ROOT is a list of arguments
	run_vm "$kind" "$round" bin/volt --kernel guest/vmlinux $VOLT_ROOT \
		--memory 128 --vcpus 1 "$@" --cmdline "$ARGS"
}

# run_kind KIND ROUND: one run of one of KINDS.
run_kind() {
	case $1 in
	volt) run_volt_as volt "$2" ;;
	# [vm] kernel_pages = shared: the kernel's pages mapped from its file.
	voltshared) run_volt_as voltshared "$2" --kernel-pages shared ;;
	# [vm] huge_pages: huge pages for all guest RAM (as L1's THP "always" says),
	# for the kernel and initrd volt loads only, or for none of it.
	voltauto) run_volt_as voltauto "$2" --huge-pages auto ;;
	voltloaded) run_volt_as voltloaded "$2" --huge-pages loaded ;;
	voltnever) run_volt_as voltnever "$2" --huge-pages never ;;
	qemu) run_qemu "$2" ;;
	esac
}

# acpi=off: the guest kernel has no ACPI; with it on (microvm's default) QEMU
# builds tables nobody reads and lists its virtio-mmio devices only there, not on
# the kernel command line.
run_qemu() {
	# shellcheck disable=SC2086 # QEMU_ROOT is a list of arguments
	run_vm qemu "$1" qemu/qemu-system-x86_64 -L qemu/data -M microvm,acpi=off -accel kvm -cpu host \
		-m 128 -smp 1 -nodefaults -no-user-config -nographic -serial stdio -no-reboot \
		-kernel guest/vmlinux $QEMU_ROOT -append "$ARGS" -device i8042
}

echo "VOLT-BENCH qemu=$(qemu/qemu-system-x86_64 --version | head -n1 | tr ' ' _) volt=$(bin/volt --version | head -n1 | tr ' ' _)"
echo "VOLT-BENCH l1-cpus=$(grep -c '^processor' /proc/cpuinfo) root=$ROOT args=$(echo "$ARGS" | tr ' ' ,)"
for kind in $KINDS; do run_kind "$kind" warmup; done
i=1
while [ "$i" -le "$RUNS" ]; do
	# The order rotates every round: round i starts at the (i mod n)th kind.
	# shellcheck disable=SC2086 # KINDS is a list
	set -- $KINDS
	skip=$((i % $#)) n=0
	for kind in $KINDS; do
		[ "$n" -ge "$skip" ] && run_kind "$kind" "$i"
		n=$((n + 1))
	done
	n=0
	for kind in $KINDS; do
		[ "$n" -lt "$skip" ] && run_kind "$kind" "$i"
		n=$((n + 1))
	done
	i=$((i + 1))
done
echo "VOLT-BENCH done"
