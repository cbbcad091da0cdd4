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
# The guest's root: disk or initramfs (l1-vm.sh).
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
# ARGS, VOLT_VM and QEMU_VM: the VM both VMMs boot.
# shellcheck source=l1-vm.sh
. ./l1-vm.sh

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
	# shellcheck disable=SC2086 # VOLT_VM is a list of arguments
	run_vm "$kind" "$round" bin/volt $VOLT_VM "$@" --cmdline "$ARGS"
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

run_qemu() {
	# shellcheck disable=SC2086 # QEMU_VM is a list of arguments
	run_vm qemu "$1" qemu/qemu-system-x86_64 $QEMU_VM -append "$ARGS"
}

echo "VOLT-BENCH qemu=$(qemu/qemu-system-x86_64 --version | head -n1 | tr ' ' _) volt=$(bin/volt --version | head -n1 | tr ' ' _)"
echo "VOLT-BENCH l1-cpus=$(grep -c '^processor' /proc/cpuinfo) root=$ROOT args=$(echo "$ARGS" | tr ' ' ,)"
for kind in $KINDS; do run_kind "$kind" warmup; done
order=$KINDS i=1
while [ "$i" -le "$RUNS" ]; do
	# The order rotates every round: the kind that went first goes last.
	# shellcheck disable=SC2086 # order is a list
	set -- $order
	first=$1
	shift
	order="$* $first"
	for kind in $order; do run_kind "$kind" "$i"; done
	i=$((i + 1))
done
echo "VOLT-BENCH done"
