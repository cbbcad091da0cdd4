/* fuzz_boot.c's model of what the boot path promises, written from the
 * specifications (ELF64, the x86 boot protocol in boot.rst, the MP
 * specification 1.4, the SDM's 4-level paging) and vm/layout.h's map, not
 * from the loaders: nothing here calls the code under test. It says where
 * guest RAM is, whether a kernel image must be accepted and what it loads,
 * where the initrd must go, how long a command line may be, and reads the
 * e820 map, the MP table and the boot page tables back from guest memory
 * to check them. */
#ifndef VOLT_TESTS_FUZZ_BOOT_MODEL_H
#define VOLT_TESTS_FUZZ_BOOT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <asm/bootparam.h>

#include "fuzz_util.h"
#include "vm/layout.h"

#define MODEL_PAGE 4096ULL

/* Guest RAM as the memory map lays it out: [0, low_end) below the MMIO
 * hole, the rest from 4 GiB; one host mapping, the high part after the low. */
struct model_ram {
	uint8_t *base;
	uint64_t low_end;
	uint64_t high_size;
};

static struct model_ram model_ram(uint8_t *base, uint64_t ram_size)
{
	uint64_t low = ram_size < LAYOUT_MMIO_HOLE_START ? ram_size : LAYOUT_MMIO_HOLE_START;

	return (struct model_ram){ base, low, ram_size - low };
}

/* The host bytes of guest RAM [gpa, gpa+len), or NULL if any is not RAM. */
static uint8_t *model_ptr(const struct model_ram *r, uint64_t gpa, uint64_t len)
{
	if (gpa <= r->low_end && len <= r->low_end - gpa)
		return r->base + gpa;
	if (gpa >= LAYOUT_MMIO_HOLE_END && gpa - LAYOUT_MMIO_HOLE_END <= r->high_size &&
	    len <= r->high_size - (gpa - LAYOUT_MMIO_HOLE_END))
		return r->base + r->low_end + (gpa - LAYOUT_MMIO_HOLE_END);
	return NULL;
}

static bool model_zero(const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static uint64_t model_rd(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Host memory that filling [gpa, gpa+len) of guest RAM may cost, at most:
 * the 2 MiB-aligned span around it (the fill touches every 4 KiB page of it,
 * and guest_mem_advise_fill asks for huge pages only inside it). */
static uint64_t model_fill_cost(uint64_t gpa, uint64_t len)
{
	uint64_t huge = LAYOUT_MIB(2), lo = gpa / huge * huge;
	uint64_t hi = gpa + len > UINT64_MAX - huge ? UINT64_MAX : (gpa + len + huge - 1) / huge * huge;

	return hi - lo;
}

/* One PT_LOAD segment that loads something. */
struct model_seg {
	uint64_t paddr, vaddr, memsz, offset, filesz;
};

/* What loading a kernel image must do. */
struct model_kernel {
	bool ok;                 /* it must be accepted */
	bool bzimage;
	uint64_t load_start, load_end;
	uint64_t cost;           /* bytes of guest RAM a load writes */
	/* ELF */
	uint64_t e_entry;
	struct model_seg *segs;  /* sorted by paddr */
	unsigned nsegs;
	/* bzImage */
	struct setup_header hdr; /* the header the image declares, zeros past its end */
	uint64_t setup_size, pm_size;
};

static int model_seg_cmp(const void *a, const void *b)
{
	const struct model_seg *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* A segment may load only into RAM from 1 MiB (below it lie the boot
 * structures) to the end of low RAM: above that is the hole, and above the
 * hole RAM the boot page tables do not map. */
static bool model_elf_seg(const uint8_t *ph, size_t len, const struct model_ram *ram,
			  struct model_seg *s, bool *loads)
{
	*s = (struct model_seg){ .offset = model_rd(ph + 8, 8), .vaddr = model_rd(ph + 16, 8),
				 .paddr = model_rd(ph + 24, 8), .filesz = model_rd(ph + 32, 8),
				 .memsz = model_rd(ph + 40, 8) };
	*loads = s->memsz != 0;
	if (s->filesz > s->memsz)
		return false;
	if (!*loads)
		return true;
	if (s->offset > len || s->filesz > len - s->offset)
		return false;
	return s->paddr >= LAYOUT_HIMEM_START && s->paddr <= ram->low_end &&
	       s->memsz <= ram->low_end - s->paddr;
}

/* The entry is e_entry moved by the offset of a segment whose virtual range
 * holds it, or e_entry itself inside a segment's physical range. */
static bool model_elf_entry_ok(const struct model_kernel *m, uint64_t entry)
{
	bool in = false, named = entry == m->e_entry;

	for (unsigned i = 0; i < m->nsegs; i++) {
		const struct model_seg *s = &m->segs[i];

		in |= entry >= s->paddr && entry - s->paddr < s->memsz;
		named |= m->e_entry >= s->vaddr && m->e_entry - s->vaddr < s->memsz &&
			 entry == m->e_entry - s->vaddr + s->paddr;
	}
	return in && named;
}

static bool model_elf_has_entry(const struct model_kernel *m)
{
	for (unsigned i = 0; i < m->nsegs; i++) {
		const struct model_seg *s = &m->segs[i];

		if (m->e_entry - s->vaddr < s->memsz && m->e_entry >= s->vaddr)
			return true;
		if (m->e_entry >= s->paddr && m->e_entry - s->paddr < s->memsz)
			return true;
	}
	return false;
}

static bool model_elf(const uint8_t *img, size_t len, const struct model_ram *ram,
		      struct model_kernel *m)
{
	uint64_t phoff, phnum;

	if (len < 64 || img[4] != 2 /* ELFCLASS64 */ || img[5] != 1 /* little-endian */ ||
	    model_rd(img + 18, 2) != 62 /* x86_64 */ || model_rd(img + 54, 2) != 56)
		return false;
	m->e_entry = model_rd(img + 24, 8);
	phoff = model_rd(img + 32, 8);
	phnum = model_rd(img + 56, 2);
	if (phnum == 0xffff || phoff > len || phnum * 56 > len - phoff)
		return false;
	m->segs = calloc(phnum ? phnum : 1, sizeof(*m->segs));
	fuzz_require(m->segs != NULL, "memory for the model");
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * 56;
		bool loads;

		if (model_rd(ph, 4) != 1 /* PT_LOAD */)
			continue;
		if (!model_elf_seg(ph, len, ram, &m->segs[m->nsegs], &loads))
			return false;
		m->nsegs += loads;
	}
	if (m->nsegs == 0)
		return false;
	qsort(m->segs, m->nsegs, sizeof(*m->segs), model_seg_cmp);
	for (unsigned i = 0; i < m->nsegs; i++) {
		const struct model_seg *s = &m->segs[i];

		if (i && m->segs[i - 1].paddr + m->segs[i - 1].memsz > s->paddr)
			return false;  /* overlaps its neighbour */
		m->cost += model_fill_cost(s->paddr, s->memsz);
	}
	m->load_start = m->segs[0].paddr;
	m->load_end = m->segs[m->nsegs - 1].paddr + m->segs[m->nsegs - 1].memsz;
	return model_elf_has_entry(m);
}

#define MODEL_BZ_HDR     offsetof(struct boot_params, hdr)
#define MODEL_BZ_HDR_END (MODEL_BZ_HDR + sizeof(struct setup_header))
#define MODEL_BZ_FIELD(f) (MODEL_BZ_HDR + offsetof(struct setup_header, f))

/* boot.rst: a relocatable kernel runs at pref_address (at least where it
 * is loaded, 1 MiB) rounded up to kernel_alignment; any other at
 * pref_address. It needs init_size bytes there. */
static uint64_t model_bz_run_start(const struct setup_header *h)
{
	uint64_t start = h->pref_address > LAYOUT_HIMEM_START ? h->pref_address : LAYOUT_HIMEM_START;

	if (h->relocatable_kernel && h->kernel_alignment > 1 &&
	    start <= UINT64_MAX - h->kernel_alignment)
		start = (start + h->kernel_alignment - 1) / h->kernel_alignment * h->kernel_alignment;
	return start;
}

/* A bzImage of boot protocol 2.10+ whose 64-bit kernel is loaded at
 * 1 MiB: the setup sectors stay out, the rest goes to 1 MiB, and the
 * kernel's init_size must fit where it will run, in low RAM. */
static bool model_bzimage(const uint8_t *img, size_t len, const struct model_ram *ram,
			  struct model_kernel *m)
{
	size_t hdr_end;
	uint64_t run;

	m->bzimage = true;
	if (len < MODEL_BZ_HDR_END)
		return false;
	hdr_end = MODEL_BZ_FIELD(jump) + 2 + img[MODEL_BZ_FIELD(jump) + 1];
	if (hdr_end > MODEL_BZ_HDR_END)
		hdr_end = MODEL_BZ_HDR_END;
	memcpy(&m->hdr, img + MODEL_BZ_HDR, hdr_end - MODEL_BZ_HDR);
	if (m->hdr.version < 0x020a || hdr_end < MODEL_BZ_FIELD(init_size) + 4 ||
	    !(m->hdr.loadflags & LOADED_HIGH) || !(m->hdr.xloadflags & XLF_KERNEL_64))
		return false;
	m->setup_size = ((uint64_t)(m->hdr.setup_sects ? m->hdr.setup_sects : 4) + 1) * 512;
	if (m->setup_size >= len)
		return false;
	m->pm_size = len - m->setup_size;
	m->cost = model_fill_cost(LAYOUT_HIMEM_START, m->pm_size);
	if (m->pm_size <= 0x200 /* the 64-bit entry */ ||
	    (uint64_t)m->hdr.syssize * 16 > m->pm_size + 15 ||
	    LAYOUT_HIMEM_START + m->pm_size > ram->low_end)
		return false;
	run = model_bz_run_start(&m->hdr);
	if (run > ram->low_end || m->hdr.init_size > ram->low_end - run)
		return false;
	m->load_start = LAYOUT_HIMEM_START;
	m->load_end = LAYOUT_HIMEM_START + m->pm_size;
	if (run + m->hdr.init_size > m->load_end)
		m->load_end = run + m->hdr.init_size;
	return true;
}

static struct model_kernel model_kernel(const uint8_t *img, size_t len,
					const struct model_ram *ram)
{
	struct model_kernel m = { 0 };

	if (len >= 4 && memcmp(img, "\x7f" "ELF", 4) == 0)
		m.ok = model_elf(img, len, ram, &m);
	else if (len >= MODEL_BZ_FIELD(header) + 4 && memcmp(img + MODEL_BZ_FIELD(header), "HdrS", 4) == 0)
		m.ok = model_bzimage(img, len, ram, &m);
	return m;
}

/* The initrd goes as high as it can: page-aligned, ending at or below the
 * kernel's limit (initrd_addr_max + 1; 4 GiB for a vmlinux, which says
 * none) and the end of low RAM, starting at or above the kernel's end and
 * 1 MiB. false if there is no such place. */
static bool model_initrd(const struct model_kernel *m, const struct model_ram *ram,
			 uint64_t size, uint64_t *gpa)
{
	uint64_t limit = m->bzimage ? (uint64_t)m->hdr.initrd_addr_max + 1 : LAYOUT_GIB(4);
	uint64_t floor = m->load_end > LAYOUT_HIMEM_START ? m->load_end : LAYOUT_HIMEM_START;

	if (limit > ram->low_end)
		limit = ram->low_end;
	if (size > limit || (limit - size) / MODEL_PAGE * MODEL_PAGE < floor)
		return false;
	*gpa = (limit - size) / MODEL_PAGE * MODEL_PAGE;
	return true;
}

/* The longest command line (without its NUL) the kernel keeps whole: what
 * a bzImage says (255 before protocol 2.06), COMMAND_LINE_SIZE - 1 for a
 * vmlinux, and never more than the room at its guest address. */
static uint64_t model_cmdline_max(const struct model_kernel *m)
{
	uint64_t k = !m->bzimage ? 2047 : m->hdr.version < 0x0206 ? 255 : m->hdr.cmdline_size;

	return k < LAYOUT_CMDLINE_MAX - 1 ? k : LAYOUT_CMDLINE_MAX - 1;
}

/* e820 (type 1 usable, 2 reserved): sorted, non-overlapping entries whose
 * usable ones cover exactly guest RAM less the EBDA/BIOS area from
 * LAYOUT_EBDA_START to 1 MiB, which one reserved entry covers. */
static void model_check_e820(const struct boot_params *bp, const struct model_ram *ram)
{
	uint64_t want[3][2] = { { 0, LAYOUT_EBDA_START } }, got[3][2];
	unsigned nwant = 1, ngot = 0;
	uint64_t prev_end = 0;
	bool ebda = false;

	if (ram->low_end > LAYOUT_HIMEM_START)
		want[nwant][0] = LAYOUT_HIMEM_START, want[nwant++][1] = ram->low_end;
	if (ram->high_size)
		want[nwant][0] = LAYOUT_MMIO_HOLE_END,
		want[nwant++][1] = LAYOUT_MMIO_HOLE_END + ram->high_size;
	fuzz_require(bp->e820_entries <= E820_MAX_ENTRIES_ZEROPAGE, "e820: entry count fits the zero page");
	for (unsigned i = 0; i < bp->e820_entries; i++) {
		const struct boot_e820_entry *e = &bp->e820_table[i];
		uint64_t end = e->addr + e->size;

		fuzz_require(e->size && end > e->addr, "e820: entries are non-empty and do not wrap");
		fuzz_require(i == 0 || e->addr >= prev_end, "e820: sorted and non-overlapping");
		prev_end = end;
		fuzz_require(e->type == 1 || e->type == 2, "e820: only usable and reserved entries");
		ebda |= e->type == 2 && e->addr <= LAYOUT_EBDA_START && end >= LAYOUT_EBDA_END;
		if (e->type != 1)
			continue;
		fuzz_require(model_ptr(ram, e->addr, e->size) != NULL, "e820: usable means guest RAM");
		if (ngot && got[ngot - 1][1] == e->addr) {
			got[ngot - 1][1] = end;  /* adjacent: one range */
			continue;
		}
		fuzz_require(ngot < 3, "e820: usable ranges are guest RAM's");
		got[ngot][0] = e->addr, got[ngot++][1] = end;
	}
	fuzz_require(ebda, "e820: the EBDA and BIOS area are reserved");
	fuzz_require(ngot == nwant && memcmp(got, want, ngot * sizeof(got[0])) == 0,
		     "e820: usable RAM is exactly guest RAM less the EBDA/BIOS area");
}

static uint8_t model_sum(const uint8_t *p, uint64_t len)
{
	uint8_t s = 0;

	for (uint64_t i = 0; i < len; i++)
		s += p[i];
	return s;
}

/* What the MP table's entries say, gathered while walking them. */
struct model_mp {
	bool cpu[256];
	unsigned ncpus, nbsp, nioapic;
	int isa, ioapic;         /* bus and IOAPIC IDs, -1 until seen */
	uint32_t pins;           /* IOAPIC pins wired, bit per pin */
	bool lint0, lint1;
};

static void model_mp_entry(struct model_mp *mp, const uint8_t *e)
{
	switch (e[0]) {
	case 0:  /* processor */
		fuzz_require(!mp->cpu[e[1]] && (e[3] & 1), "MP: each CPU once, enabled");
		mp->cpu[e[1]] = true;
		mp->ncpus++;
		if (e[3] & 2) {
			fuzz_require(e[1] == 0, "MP: the BSP is APIC ID 0 (vCPU 0)");
			mp->nbsp++;
		}
		break;
	case 1:  /* bus */
		if (memcmp(e + 2, "ISA   ", 6) == 0)
			mp->isa = e[1];
		break;
	case 2:  /* I/O APIC */
		fuzz_require((e[3] & 1) && model_rd(e + 4, 4) == LAYOUT_IOAPIC_ADDR,
			     "MP: the IOAPIC is enabled, at its address");
		mp->ioapic = e[1];
		mp->nioapic++;
		break;
	case 3:  /* I/O interrupt: ISA IRQ n on pin n */
		fuzz_require(e[1] == 0 && e[4] == mp->isa && e[6] == mp->ioapic && e[7] < 24 &&
			     e[5] == e[7] && !(mp->pins & (1u << e[7])),
			     "MP: IOAPIC pin n wired once, to ISA IRQ n");
		mp->pins |= 1u << e[7];
		break;
	case 4:  /* local interrupt */
		mp->lint0 |= e[1] == 3 && e[6] == 0xff && e[7] == 0;
		mp->lint1 |= e[1] == 1 && e[6] == 0xff && e[7] == 1;
		break;
	}
}

/* The MP floating pointer at the EBDA's start and the configuration table
 * it points to, inside the EBDA: checksums, and exactly ncpus CPUs with
 * APIC IDs 0..ncpus-1, one IOAPIC with all 24 pins wired, LINT0/1. Returns
 * the end of the table. */
static uint64_t model_check_mptable(const struct model_ram *ram, unsigned ncpus)
{
	const uint8_t *fp = model_ptr(ram, LAYOUT_EBDA_START, 16), *h, *e;
	struct model_mp mp = { .isa = -1, .ioapic = -1 };
	uint64_t cfg, len, off = 44;
	unsigned count, last = 0;

	fuzz_require(fp && memcmp(fp, "_MP_", 4) == 0 && model_sum(fp, 16) == 0 && fp[8] == 1 &&
		     fp[11] == 0, "MP: floating pointer signature, length, checksum");
	cfg = model_rd(fp + 4, 4);
	fuzz_require(cfg >= LAYOUT_EBDA_START + 16 && cfg + 44 <= LAYOUT_EBDA_END,
		     "MP: configuration table in the EBDA, after the pointer");
	h = model_ptr(ram, cfg, 44);
	len = model_rd(h + 4, 2);
	fuzz_require(memcmp(h, "PCMP", 4) == 0 && len >= 44 && cfg + len <= LAYOUT_EBDA_END,
		     "MP: configuration table signature and length");
	h = model_ptr(ram, cfg, len);
	fuzz_require(model_sum(h, len) == 0, "MP: configuration table checksum");
	fuzz_require(model_rd(h + 36, 4) == LAYOUT_LAPIC_ADDR && model_rd(h + 40, 2) == 0,
		     "MP: local APIC address, no extended entries");
	count = (unsigned)model_rd(h + 34, 2);
	for (unsigned i = 0; i < count; i++) {
		e = h + off;
		fuzz_require(off + 8 <= len && e[0] <= 4 && e[0] >= last &&
			     off + (e[0] == 0 ? 20 : 8) <= len,
			     "MP: entries of known types, in type order, inside the table");
		last = e[0];
		model_mp_entry(&mp, e);
		off += e[0] == 0 ? 20 : 8;
	}
	fuzz_require(off == len, "MP: the entries fill the table");
	fuzz_require(mp.ncpus == ncpus && mp.nbsp == 1, "MP: exactly one entry per vCPU, one BSP");
	for (unsigned id = 0; id < ncpus; id++)
		fuzz_require(mp.cpu[id], "MP: APIC IDs are 0..N-1");
	fuzz_require(mp.nioapic == 1 && !mp.cpu[mp.ioapic], "MP: one IOAPIC, its ID no CPU's");
	fuzz_require(mp.pins == 0xffffff && mp.lint0 && mp.lint1,
		     "MP: all 24 IOAPIC pins wired, LINT0 ExtINT, LINT1 NMI");
	return cfg + len;
}

/* The table pages a walk read (for the overlap check). */
struct model_tables {
	uint64_t page[16];
	unsigned n;
};

static void model_tables_add(struct model_tables *t, uint64_t page)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->page[i] == page)
			return;
	fuzz_require(t->n < 16, "page tables: a handful of table pages");
	t->page[t->n++] = page;
}

#define MODEL_PTE_P    1ULL
#define MODEL_PTE_RW   2ULL
#define MODEL_PTE_PS   0x80ULL
#define MODEL_PTE_ADDR 0x000ffffffffff000ULL

/* 4-level paging from cr3: the physical address va maps to, present and
 * writable at every level, or UINT64_MAX; *page_end is where the page
 * that maps it ends. */
static uint64_t model_walk(const struct model_ram *ram, uint64_t cr3, uint64_t va,
			   struct model_tables *t, uint64_t *page_end)
{
	uint64_t table = cr3 & MODEL_PTE_ADDR;

	for (unsigned shift = 39;; shift -= 9) {
		const uint8_t *p = model_ptr(ram, table, MODEL_PAGE);
		uint64_t e, size = 1ULL << shift;

		if (!p)
			return UINT64_MAX;
		model_tables_add(t, table);
		e = model_rd(p + ((va >> shift) & 511) * 8, 8);
		if ((e & (MODEL_PTE_P | MODEL_PTE_RW)) != (MODEL_PTE_P | MODEL_PTE_RW))
			return UINT64_MAX;
		if (shift == 12 || ((e & MODEL_PTE_PS) && (shift == 21 || shift == 30))) {
			*page_end = (va & ~(size - 1)) + size;
			return (e & MODEL_PTE_ADDR & ~(size - 1)) | (va & (size - 1));
		}
		if (e & MODEL_PTE_PS)
			return UINT64_MAX;
		table = e & MODEL_PTE_ADDR;
	}
}

/* Every byte of [start, end) is mapped to itself. */
static void model_check_identity(const struct model_ram *ram, uint64_t cr3, uint64_t start,
				 uint64_t end, struct model_tables *t, const char *what)
{
	for (uint64_t va = start, page_end = 0; va < end; va = page_end)
		fuzz_require(model_walk(ram, cr3, va, t, &page_end) == va, what);
}

#endif
