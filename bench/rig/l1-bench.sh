# L1 script of the rig benchmark (bench/rig/run-bench.sh; run by run-rig.sh with
# busybox sh in /payload): volt (as configured by default, with
# kernel_pages = shared, and with huge_pages = never) and QEMU's microvm machine boot the same vmlinux and
# initramfs on L1's KVM, one warm-up each, then 5 runs each, taking turns in an
# order that rotates every round. Each run is framed by VOLT-BENCH-BEGIN
# name=NAME and vmrun's VOLT-E2E-RESULT line (exec->marker time, exec->exit,
# peak RSS, RSS outside guest RAM).
RUNS=${RUNS:-5}
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
	run_vm "$kind" "$round" bin/volt --kernel guest/vmlinux --initrd guest/initramfs.gz \
		--memory 128 --vcpus 1 "$@" --cmdline "$ARGS"
}

run_volt() { run_volt_as volt "$1"; }
# The same with [vm] kernel_pages = shared (the kernel's pages mapped from its file).
run_voltshared() { run_volt_as voltshared "$1" --kernel-pages shared; }
# The same with [vm] huge_pages = never (guest RAM on 4 KiB pages only).
run_voltnohuge() { run_volt_as voltnohuge "$1" --huge-pages never; }

run_qemu() {
	run_vm qemu "$1" qemu/qemu-system-x86_64 -L qemu/data -M microvm -accel kvm -cpu host \
		-m 128 -smp 1 -nodefaults -no-user-config -nographic -serial stdio -no-reboot \
		-kernel guest/vmlinux -initrd guest/initramfs.gz -append "$ARGS" -device i8042
}

echo "VOLT-BENCH qemu=$(qemu/qemu-system-x86_64 --version | head -n1 | tr ' ' _) volt=$(bin/volt --version | head -n1 | tr ' ' _)"
echo "VOLT-BENCH l1-cpus=$(grep -c '^processor' /proc/cpuinfo) args=$(echo "$ARGS" | tr ' ' ,)"
run_volt warmup
run_voltshared warmup
run_voltnohuge warmup
run_qemu warmup
i=1
while [ "$i" -le "$RUNS" ]; do
	# The order rotates every round.
	case $((i % 4)) in
	1) run_volt "$i"; run_voltshared "$i"; run_voltnohuge "$i"; run_qemu "$i" ;;
	2) run_qemu "$i"; run_volt "$i"; run_voltshared "$i"; run_voltnohuge "$i" ;;
	3) run_voltnohuge "$i"; run_qemu "$i"; run_volt "$i"; run_voltshared "$i" ;;
	0) run_voltshared "$i"; run_voltnohuge "$i"; run_qemu "$i"; run_volt "$i" ;;
	esac
	i=$((i + 1))
done
echo "VOLT-BENCH done"
