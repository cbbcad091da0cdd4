#!/bin/bash
# The irq guest takes an external interrupt from the UART through the IOAPIC
# and its local APIC (sti; hlt), and PIT and LAPIC timer interrupts. Then
# the interrupt lines virtio-mmio devices get: 19 (IRQs 5-23), all usable
# at once; a 20th device is refused before the VM runs, saying why.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
GUEST=$GUESTS/irq
require_file "$GUEST"

run_volt irq --kernel "$GUEST"
check_status irq 0 "irq guest"
check_grep irq out "^IRQ: received vector 0x24 from the UART \(IRQ 4\)" "irq guest: UART interrupt"
relay_guest irq "irq guest"
if grep -Eq '^IRQ DONE pass=[0-9]+ fail=0' "$TMP/irq.out"; then
	pass "irq guest: $(grep '^IRQ DONE' "$TMP/irq.out")"
else
	fail "irq guest: no 'IRQ DONE ... fail=0' line"
	show irq
fi

# drives_ini FILE N: the hello guest with N small virtio-blk drives.
drives_ini() {
	{
		printf '[vm]\nkernel = %s\n' "$GUESTS/hello"
		for i in $(seq "$2"); do
			truncate -s 64K "$TMP/d$i.img"
			printf '\n[drive "d%d"]\nplugin = virtio-blk\npath = %s\n' "$i" "$TMP/d$i.img"
		done
	} >"$1"
}
drives_ini "$TMP/19.ini" 19
run_volt slots19 --config "$TMP/19.ini"
check_status slots19 0 "19 virtio-mmio devices: the VM runs"
check_grep slots19 err "drive d19: .*d19.img: 128 sectors" "19 virtio-mmio devices: the 19th is set up"
drives_ini "$TMP/20.ini" 20
run_volt slots20 --config "$TMP/20.ini"
check_status slots20 1 "20 virtio-mmio devices: refused"
check_grep slots20 err "drive d20 \(virtio-blk\): .*all 19 virtio-mmio slots \(IRQs 5-23\) are taken" \
	"20 virtio-mmio devices: the message names the device and the limit"

finish
