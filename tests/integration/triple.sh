#!/bin/bash
# A guest that triple-faults (ud2 with no IDT): volt stops the VM with status 0,
# as for a reset, and its log line says where the vCPU was: rip is the address
# of the ud2, which the guest printed first.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
TRIPLE=$GUESTS/triple
require_file "$TRIPLE"

run_volt triple --kernel "$TRIPLE"
check_status triple 0 "triple fault"
at=$(sed -n 's/^TRIPLE ud2 at 0x0*\([0-9a-f]*\)$/\1/p' "$TMP/triple.out")
if [ -z "$at" ]; then
	fail "triple fault: the guest did not print its ud2 address"
	show triple
else
	check_grep triple err "vCPU 0: guest triple fault \(shutdown\), stopping the VM: rip=0x$at rsp=0x[0-9a-f]+ .* cr3=0x[0-9a-f]+ " \
		"triple fault: the log names the faulting rip (0x$at) and the registers"
fi

finish
