#!/bin/bash
# The bootcheck guest checks the boot environment from inside (zero page,
# e820, command line, initrd, CPUID, MP table) for 1 and 4 vCPUs with
# 128 MiB and 4 GiB (the latter has RAM above the MMIO hole), and once
# without an initrd.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
GUEST=$GUESTS/bootcheck
require_file "$GUEST"

# The pattern bootcheck.c looks for: a head, filler, a tail; a size that is
# not a multiple of the page size.
{
	printf 'VOLT-INITRD-HEAD'
	head -c 5000 /dev/zero | tr '\0' 'x'
	printf 'VOLT-INITRD-TAIL'
} >"$TMP/initrd"

# bootcheck_run CPUS MEM_MIB INITRD(0|1)
bootcheck_run() {
	local cpus=$1 mem=$2 initrd=$3 name="bootcheck-$1cpu-$2mib-initrd$3"
	local what="bootcheck $cpus vCPU(s) $mem MiB"
	local cmdline="console=ttyS0 bootcheck.mem_mib=$mem bootcheck.cpus=$cpus"
	local args=(--kernel "$GUEST" --memory "$mem" --vcpus "$cpus")

	if [ "$initrd" = 1 ]; then
		what="$what with initrd"
		args+=(--initrd "$TMP/initrd")
		cmdline="$cmdline bootcheck.initrd=1"
	fi
	run_volt "$name" "${args[@]}" --cmdline "$cmdline"
	check_status "$name" 0 "$what"
	local done_line nfail
	done_line=$(grep -E '^BOOTCHECK DONE pass=[0-9]+ fail=[0-9]+' "$TMP/$name.out")
	nfail=$(grep -c '^FAIL:' "$TMP/$name.out")
	if [ -n "$done_line" ] && [ "$nfail" -eq 0 ] && [[ "$done_line" == *" fail=0" ]]; then
		pass "$what: guest checks (${done_line#BOOTCHECK DONE })"
	else
		fail "$what: guest checks failed (${done_line:-no BOOTCHECK DONE line})"
		grep '^FAIL:' "$TMP/$name.out" | sed 's/^/  guest /'
		show "$name"
	fi
}

bootcheck_run 1 128 1
bootcheck_run 4 128 1
bootcheck_run 1 4096 1
bootcheck_run 4 4096 1
bootcheck_run 2 256 0

finish
