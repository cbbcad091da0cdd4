#!/bin/bash
# The irq guest takes an external interrupt from the UART through the IOAPIC
# and its local APIC (sti; hlt), and PIT and LAPIC timer interrupts.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
GUEST=$GUESTS/irq
require_file "$GUEST"

run_volt irq --kernel "$GUEST"
check_status irq 0 "irq guest"
check_grep irq out "^IRQ: received vector 0x24 from the UART \(IRQ 4\)" "irq guest: UART interrupt"
# Relay the guest's own checks.
while read -r line; do
	case $line in
	PASS:*) pass "irq guest: ${line#PASS: }" ;;
	FAIL:*) fail "irq guest: ${line#FAIL: }" ;;
	esac
done <"$TMP/irq.out"
if grep -Eq '^IRQ DONE pass=[0-9]+ fail=0' "$TMP/irq.out"; then
	pass "irq guest: $(grep '^IRQ DONE' "$TMP/irq.out")"
else
	fail "irq guest: no 'IRQ DONE ... fail=0' line"
	show irq
fi

finish
