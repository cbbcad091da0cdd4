/* The 64-bit entry state: identity page tables and GDT read back from a real
 * guest_mem, and the register structs KVM will be given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot/boot.h"
#include "vm/layout.h"

#define PTE_P_RW    0x3ULL
#define PDE_2M      0x83ULL  /* present | rw | PS */

static uint64_t entry_at(const struct guest_mem *mem, uint64_t gpa)
{
	uint64_t v;

	assert_int_equal(guest_mem_read(mem, gpa, &v, sizeof(v)), 0);
	return v;
}

static void write_tables(struct guest_mem *mem)
{
	struct volt_err err = { 0 };

	assert_int_equal(guest_mem_init(mem, LAYOUT_MIB(128), &err), 0);
	/* Stale bytes must not survive in the tables or the IDT. */
	memset(guest_mem_ptr(mem, 0, LAYOUT_MIB(1)), 0xff, LAYOUT_MIB(1));
	assert_int_equal(boot_pagetables_write(mem, &err), 0);
}

static void test_page_tables(void **state)
{
	struct guest_mem mem;

	write_tables(&mem);
	assert_int_equal(entry_at(&mem, LAYOUT_PML4_ADDR), LAYOUT_PDPT_ADDR | PTE_P_RW);
	for (unsigned i = 1; i < 512; i++)
		assert_int_equal(entry_at(&mem, LAYOUT_PML4_ADDR + 8 * i), 0);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t want = i < LAYOUT_PD_COUNT ? (LAYOUT_PD_ADDR + 4096 * i) | PTE_P_RW : 0;

		assert_int_equal(entry_at(&mem, LAYOUT_PDPT_ADDR + 8 * i), want);
	}
	for (unsigned i = 0; i < LAYOUT_PD_COUNT * 512; i++)
		assert_int_equal(entry_at(&mem, LAYOUT_PD_ADDR + 8 * i), LAYOUT_MIB(2) * i | PDE_2M);
	/* Nothing is written past the last PD (write_tables filled it with 0xff). */
	assert_int_equal(entry_at(&mem, LAYOUT_PD_ADDR + LAYOUT_PD_COUNT * 4096), UINT64_MAX);
	guest_mem_fini(&mem);
}

static void test_gdt_idt(void **state)
{
	struct guest_mem mem;

	write_tables(&mem);
	assert_int_equal(entry_at(&mem, LAYOUT_GDT_ADDR + 0), 0);
	assert_int_equal(entry_at(&mem, LAYOUT_GDT_ADDR + 8), 0x00af9b000000ffffULL);
	assert_int_equal(entry_at(&mem, LAYOUT_GDT_ADDR + 16), 0x00cf93000000ffffULL);
	assert_int_equal(entry_at(&mem, LAYOUT_GDT_ADDR + 24), 0x008f8b000000ffffULL);
	assert_int_equal(entry_at(&mem, LAYOUT_IDT_ADDR), 0);
	guest_mem_fini(&mem);
}

static void check_flat(const struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	assert_int_equal(s->base, 0);
	assert_int_equal(s->limit, 0xffffffff);
	assert_int_equal(s->selector, sel);
	assert_int_equal(s->type, type);
	assert_int_equal(s->present, 1);
	assert_int_equal(s->dpl, 0);
	assert_int_equal(s->g, 1);
	assert_int_equal(s->avl, 0);
	assert_int_equal(s->unusable, 0);
}

static void check_data(const struct kvm_segment *s)
{
	check_flat(s, 0x10, 3);
	assert_int_equal(s->s, 1);
	assert_int_equal(s->db, 1);
	assert_int_equal(s->l, 0);
}

static void test_sregs(void **state)
{
	struct kvm_sregs sregs;

	memset(&sregs, 0, sizeof(sregs));
	sregs.apic_base = 0xfee00900;  /* KVM's value: must be left alone */
	sregs.cr0 = 0x60000010;        /* KVM's reset CR0 (CD | NW | ET) */
	boot_sregs_init(&sregs);

	check_flat(&sregs.cs, 0x08, 0xb);
	assert_int_equal(sregs.cs.s, 1);
	assert_int_equal(sregs.cs.l, 1);
	assert_int_equal(sregs.cs.db, 0);
	check_data(&sregs.ds);
	check_data(&sregs.es);
	check_data(&sregs.fs);
	check_data(&sregs.gs);
	check_data(&sregs.ss);
	check_flat(&sregs.tr, 0x18, 0xb);
	assert_int_equal(sregs.tr.s, 0);

	assert_int_equal(sregs.gdt.base, LAYOUT_GDT_ADDR);
	assert_int_equal(sregs.gdt.limit, 4 * 8 - 1);
	assert_int_equal(sregs.idt.base, LAYOUT_IDT_ADDR);
	assert_int_equal(sregs.idt.limit, 7);
	assert_int_equal(sregs.cr0, 0x80000011);  /* PG | ET | PE */
	assert_int_equal(sregs.cr3, LAYOUT_PML4_ADDR);
	assert_int_equal(sregs.cr4, 0x20);        /* PAE */
	assert_int_equal(sregs.efer, 0x500);      /* LMA | LME */
	assert_int_equal(sregs.apic_base, 0xfee00900);
}

static void test_regs(void **state)
{
	struct kvm_regs regs;

	memset(&regs, 0xff, sizeof(regs));
	boot_regs_init(&regs, 0x1000200);
	assert_int_equal(regs.rip, 0x1000200);
	assert_int_equal(regs.rsi, LAYOUT_ZERO_PAGE_ADDR);
	assert_int_equal(regs.rsp, LAYOUT_BOOT_STACK);
	assert_int_equal(regs.rbp, LAYOUT_BOOT_STACK);
	assert_int_equal(regs.rflags, 2);
	assert_int_equal(regs.rax, 0);
	assert_int_equal(regs.rdi, 0);
	assert_int_equal(regs.r15, 0);
}

static void test_fpu(void **state)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0xff, sizeof(fpu));
	boot_fpu_init(&fpu);
	assert_int_equal(fpu.fcw, 0x37f);
	assert_int_equal(fpu.mxcsr, 0x1f80);
	assert_int_equal(fpu.fsw, 0);
	assert_int_equal(fpu.ftwx, 0);
	assert_int_equal(fpu.last_ip, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_tables),
		cmocka_unit_test(test_gdt_idt),
		cmocka_unit_test(test_sregs),
		cmocka_unit_test(test_regs),
		cmocka_unit_test(test_fpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
