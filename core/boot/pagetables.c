/* The CPU state for entering a 64-bit kernel directly: identity page tables
 * for the first 4 GiB, a flat GDT, an empty IDT, and the registers that the
 * 64-bit boot protocol specifies (boot_params in RSI, paging and long mode
 * on, flat segments). */
#include "boot/boot.h"

#include <errno.h>
#include <string.h>

#include <asm/processor-flags.h>

#include "vm/layout.h"

/* Page-table entry bits (Intel SDM vol. 3, 4.5); no UAPI header has them. */
#define PTE_PRESENT  (1ULL << 0)
#define PTE_RW       (1ULL << 1)
#define PTE_PS       (1ULL << 7)  /* in a PD entry: a 2 MiB page */
#define PT_ENTRIES   512
#define PT_SIZE      4096ULL
#define PAGE_2M      LAYOUT_MIB(2)

/* EFER bits (SDM vol. 3, 2.2.1); the kernel's msr-index.h is not UAPI. */
#define EFER_LME     (1ULL << 8)
#define EFER_LMA     (1ULL << 10)

/* Boot GDT: null, 64-bit code, data, TSS. The selectors are index * 8. */
enum { GDT_NULL, GDT_CODE, GDT_DATA, GDT_TSS, GDT_ENTRIES };
#define GDT_SEL(i)   ((uint16_t)((i) * 8))

/* A flat descriptor (base 0, limit 0xfffff) with flags = the access byte
 * in bits 0-7 and the G/DB/L/AVL nibble in bits 12-15, placed as the SDM's
 * segment-descriptor figure places them (vol. 3, 3.4.5). */
static uint64_t gdt_flat_entry(uint16_t flags)
{
	return ((uint64_t)(flags & 0xf0ff) << 40) | (0xfULL << 48) | 0xffff;
}

static void boot_gdt_entries(uint64_t gdt[GDT_ENTRIES])
{
	gdt[GDT_NULL] = 0;
	gdt[GDT_CODE] = gdt_flat_entry(0xa09b);  /* G, L; present, code exec/read accessed */
	gdt[GDT_DATA] = gdt_flat_entry(0xc093);  /* G, DB; present, data read/write accessed */
	gdt[GDT_TSS] = gdt_flat_entry(0x808b);  /* G; present, busy 64-bit TSS */
}

/* The kvm_segment that loading selector GDT_SEL(index) would produce, so
 * the GDT in memory and the hidden segment state cannot disagree. */
static struct kvm_segment boot_segment(uint64_t desc, unsigned index)
{
	struct kvm_segment s = {
		.base = ((desc >> 16) & 0xffffff) | (((desc >> 56) & 0xff) << 24),
		.limit = (uint32_t)((desc & 0xffff) | ((desc >> 32) & 0xf0000)),
		.selector = GDT_SEL(index),
		.type = (desc >> 40) & 0xf,
		.s = (desc >> 44) & 1,
		.dpl = (desc >> 45) & 3,
		.present = (desc >> 47) & 1,
		.avl = (desc >> 52) & 1,
		.l = (desc >> 53) & 1,
		.db = (desc >> 54) & 1,
		.g = (desc >> 55) & 1,
	};

	if (s.g)  /* the limit counts 4 KiB pages */
		s.limit = (s.limit << 12) | 0xfff;
	s.unusable = !s.present;
	return s;
}

static int boot_tables_write_gdt_idt(struct guest_mem *mem, struct volt_err *err)
{
	uint64_t gdt[GDT_ENTRIES];
	uint64_t idt = 0;

	boot_gdt_entries(gdt);
	if (guest_mem_write(mem, LAYOUT_GDT_ADDR, gdt, sizeof(gdt)) ||
	    guest_mem_write(mem, LAYOUT_IDT_ADDR, &idt, sizeof(idt)))
		return verr_set(err, EFAULT, "cannot write the boot GDT/IDT at %#llx", LAYOUT_GDT_ADDR);
	return 0;
}

/* PML4[0] -> PDPT, PDPT[0..3] -> 4 PDs of 2 MiB pages: 0..4 GiB identity. */
static int boot_tables_write_paging(struct guest_mem *mem, struct volt_err *err)
{
	uint64_t *pml4 = guest_mem_ptr(mem, LAYOUT_PML4_ADDR, PT_SIZE);
	uint64_t *pdpt = guest_mem_ptr(mem, LAYOUT_PDPT_ADDR, PT_SIZE);
	uint64_t *pd = guest_mem_ptr(mem, LAYOUT_PD_ADDR, LAYOUT_PD_COUNT * PT_SIZE);

	if (!pml4 || !pdpt || !pd)
		return verr_set(err, EFAULT, "cannot write the boot page tables at %#llx",
				LAYOUT_PML4_ADDR);
	memset(pml4, 0, PT_SIZE);
	memset(pdpt, 0, PT_SIZE);
	pml4[0] = LAYOUT_PDPT_ADDR | PTE_PRESENT | PTE_RW;
	for (unsigned i = 0; i < LAYOUT_PD_COUNT; i++)
		pdpt[i] = (LAYOUT_PD_ADDR + i * PT_SIZE) | PTE_PRESENT | PTE_RW;
	for (unsigned i = 0; i < LAYOUT_PD_COUNT * PT_ENTRIES; i++)
		pd[i] = (uint64_t)i * PAGE_2M | PTE_PRESENT | PTE_RW | PTE_PS;
	return 0;
}

int boot_pagetables_write(struct guest_mem *mem, struct volt_err *err)
{
	int rc = boot_tables_write_paging(mem, err);

	if (rc)
		return rc;
	return boot_tables_write_gdt_idt(mem, err);
}

void boot_regs_init(struct kvm_regs *regs, uint64_t entry)
{
	memset(regs, 0, sizeof(*regs));
	regs->rflags = X86_EFLAGS_FIXED;
	regs->rip = entry;
	regs->rsp = LAYOUT_BOOT_STACK;
	regs->rbp = LAYOUT_BOOT_STACK;
	regs->rsi = LAYOUT_ZERO_PAGE_ADDR;
}

void boot_sregs_init(struct kvm_sregs *sregs)
{
	uint64_t gdt[GDT_ENTRIES];
	struct kvm_segment data;

	boot_gdt_entries(gdt);
	data = boot_segment(gdt[GDT_DATA], GDT_DATA);
	sregs->cs = boot_segment(gdt[GDT_CODE], GDT_CODE);
	sregs->ds = data;
	sregs->es = data;
	sregs->fs = data;
	sregs->gs = data;
	sregs->ss = data;
	sregs->tr = boot_segment(gdt[GDT_TSS], GDT_TSS);
	sregs->gdt.base = LAYOUT_GDT_ADDR;
	sregs->gdt.limit = sizeof(gdt) - 1;
	sregs->idt.base = LAYOUT_IDT_ADDR;
	sregs->idt.limit = sizeof(uint64_t) - 1;
	/* Set whole, not OR-ed into KVM's reset value, whose CD/NW bits
	 * would leave the guest running with caches disabled. */
	sregs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	sregs->cr3 = LAYOUT_PML4_ADDR;
	sregs->cr4 = X86_CR4_PAE;
	sregs->efer = EFER_LME | EFER_LMA;
}

void boot_fpu_init(struct kvm_fpu *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	fpu->fcw = 0x37f;     /* FNINIT's value: all x87 exceptions masked */
	fpu->mxcsr = 0x1f80;  /* the reset value: all SSE exceptions masked */
}
