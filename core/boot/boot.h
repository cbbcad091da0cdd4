/* Boot structures written into guest memory before the first vCPU runs:
 * the zero page (struct boot_params with its e820 map and command line), the
 * MP table, and the identity page tables and GDT for a 64-bit entry. All
 * layouts come from <asm/bootparam.h> and the MP specification; addresses
 * from vm/layout.h. */
#ifndef VOLT_BOOT_BOOT_H
#define VOLT_BOOT_BOOT_H

#include <stdint.h>

#include <asm/bootparam.h>
#include <linux/kvm.h>

#include "boot/kernel.h"
#include "util/err.h"
#include "vm/guest_mem.h"

/* Fill table with the guest's e820 map (usable RAM below the EBDA, the
 * reserved EBDA-to-1 MiB range, RAM from 1 MiB to the hole, RAM above 4 GiB)
 * and return the number of entries. cap must be >= 4. */
unsigned e820_build(const struct guest_mem *mem, struct boot_e820_entry *table, unsigned cap);

/* Write the zero page at LAYOUT_ZERO_PAGE_ADDR and the command line at
 * LAYOUT_CMDLINE_ADDR. initrd_size == 0 means no initrd. */
int bootparams_write(struct guest_mem *mem, const struct boot_kernel *k, const char *cmdline,
		     uint64_t initrd_gpa, uint64_t initrd_size, struct volt_err *err);

/* Write the MP floating pointer and configuration table (ncpus processors
 * with APIC IDs 0..ncpus-1, an ISA bus, the IOAPIC, and all 24 of its
 * pins wired to IRQs 0-23) into the EBDA. */
int mptable_write(struct guest_mem *mem, unsigned ncpus, struct volt_err *err);

/* Write the boot GDT, an empty IDT and 4 GiB of identity page tables. */
int boot_pagetables_write(struct guest_mem *mem, struct volt_err *err);

/* Fill the register state for a 64-bit entry at entry with boot_params in
 * RSI (sregs must hold KVM's current values; only the fields that matter are
 * changed). */
void boot_regs_init(struct kvm_regs *regs, uint64_t entry);
void boot_sregs_init(struct kvm_sregs *sregs);
void boot_fpu_init(struct kvm_fpu *fpu);

#endif
