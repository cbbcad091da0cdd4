# L1 script of the rig's density benchmark (bench/rig/run-bench.sh --density N;
# run by run-rig.sh with busybox sh in /payload): N VMs of one kind at a time
# (volt as by default, volt with kernel_pages = shared, volt with that and
# huge_pages = never, QEMU microvm), all
# booting the same vmlinux and root (l1-vm.sh) at once; vmrun stops each VMM
# (SIGSTOP) when its guest prints "VOLT-INIT done", and once all N are
# stopped the script reads each one's Rss and Pss (/proc/PID/smaps_rollup:
# Pss divides every shared page among the processes that map it, so the
# sum over N processes is what the N cost together). Then it lets them
# finish. One line per kind:
#   VOLT-DENSITY kind=K n=N rss_kib_per_vm=R pss_kib_per_vm=P
N=${N:-4}
# The guest's root: disk or initramfs (l1-vm.sh).
ROOT=${ROOT:-disk}
# ARGS, VOLT_VM and QEMU_VM: the VM both VMMs boot, as in l1-bench.sh.
# shellcheck source=l1-vm.sh
. ./l1-vm.sh

# stopped_count NAME: how many processes called NAME are stopped (State T).
stopped_count() {
	c=0
	for p in $(pidof "$1"); do
		grep -q '^State:.*T' "/proc/$p/status" 2>/dev/null && c=$((c + 1))
	done
	echo "$c"
}

# rollup_sum NAME FIELD: the sum of FIELD (kB) over the processes called NAME.
rollup_sum() {
	s=0
	for p in $(pidof "$1"); do
		v=$(sed -n "s/^$2: *\\([0-9]*\\) kB/\\1/p" "/proc/$p/smaps_rollup")
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

# density KIND PROCESS-NAME VMM-COMMAND...: N VMs at once, measured stopped.
density() {
	kind=$1 proc=$2
	shift 2
	i=1
	while [ "$i" -le "$N" ]; do
		bin/vmrun --name "$kind-$i" --on "VOLT-INIT done:19" --timeout 180 --ram-mib 128 -- \
			"$@" >"/tmp/density-$kind-$i.out" 2>&1 &
		i=$((i + 1))
	done
	t=0
	while [ "$(stopped_count "$proc")" -lt "$N" ] && [ "$t" -lt 170 ]; do
		sleep 1
		t=$((t + 1))
	done
	if [ "$(stopped_count "$proc")" -lt "$N" ]; then
		echo "VOLT-DENSITY kind=$kind n=$N error=only-$(stopped_count "$proc")-reached-init"
	else
		echo "VOLT-DENSITY kind=$kind n=$N rss_kib_per_vm=$(($(rollup_sum "$proc" Rss) / N))" \
			"pss_kib_per_vm=$(($(rollup_sum "$proc" Pss) / N))"
	fi
	for p in $(pidof "$proc"); do kill -CONT "$p"; done
	wait
	grep -h '^VOLT-E2E-RESULT' /tmp/density-"$kind"-*.out
}

echo "VOLT-BENCH density n=$N root=$ROOT"
# shellcheck disable=SC2086 # VOLT_VM and QEMU_VM are lists of arguments
{
density volt volt bin/volt $VOLT_VM --cmdline "$ARGS"
density voltshared volt bin/volt $VOLT_VM --kernel-pages shared --cmdline "$ARGS"
density voltsharednever volt bin/volt $VOLT_VM --kernel-pages shared --huge-pages never --cmdline "$ARGS"
density qemu qemu-system-x86_64 qemu/qemu-system-x86_64 $QEMU_VM -append "$ARGS"
}
echo "VOLT-BENCH done"
