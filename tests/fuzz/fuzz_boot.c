/* libFuzzer target: the boot path machine.c runs for a loaded kernel, on a
 * guest of any RAM size (1 MiB up to the configuration's 256 GiB: small,
 * odd, around the 3 GiB MMIO hole, far above 4 GiB): kernel from a file,
 * an initrd of any size, the zero page with any command line, e820, the MP
 * table for any vCPU count, the boot page tables. Each step's result is
 * checked against boot_model.h, which reads the structures back from guest
 * memory: every step is accepted exactly when the model says so, a refusal
 * has an error code and a message and wrote nothing, and what was written
 * is what the boot protocol promises. fuzz_kernel.c is the loaders' own
 * target (buffer, file and shared pages alike); this one is the whole
 * chain.
 *
 * Input: a 15-byte header (fuzz_case_take), the first bytes of the command
 * line, then the kernel image (tests/fuzz/boot_seeds.py writes seeds). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/kernel.h"
#include "config/config.h"
#include "vm/guest_mem.h"
#include "vm/layout.h"

#include "boot_model.h"
#include "fuzz_util.h"

/* Inputs whose load would write more than this are skipped, so a run
 * stays fast and small whatever RAM size it has; their refusals (which
 * write nothing) are still fuzzed, and so are their placements, in RAM of
 * any size. */
#define FUZZ_LOAD_BUDGET LAYOUT_MIB(16)
#define FUZZ_CMDLINE_MAX (LAYOUT_CMDLINE_MAX + 2048)  /* a little past the room */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_case {
	uint64_t ram_size;
	enum guest_mem_huge huge;
	enum kernel_pages pages;
	unsigned ncpus;        /* 0..CONFIG_VCPUS_MAX + 1: both ends refused */
	uint64_t initrd_size;  /* 0: none */
	char *cmdline;
	const uint8_t *image;
	size_t image_len;
};

/* RAM sizes in four shapes: small and odd, around the 3 GiB where the hole
 * starts, any 4 KiB multiple up to 64 GiB, and what the configuration
 * allows (whole MiB, 16 MiB to 256 GiB). */
static uint64_t fuzz_ram_size(unsigned shape, uint64_t v)
{
	switch (shape) {
	case 0:
		return LAYOUT_MIB(1) + v % LAYOUT_MIB(255) / MODEL_PAGE * MODEL_PAGE;
	case 1:
		return LAYOUT_GIB(3) - LAYOUT_MIB(64) + v % LAYOUT_MIB(128) / MODEL_PAGE * MODEL_PAGE;
	case 2:
		return LAYOUT_MIB(1) + v * MODEL_PAGE % LAYOUT_GIB(64);
	default:
		return LAYOUT_MIB(CONFIG_MEMORY_MIB_MIN +
				  v % (CONFIG_MEMORY_MIB_MAX - CONFIG_MEMORY_MIB_MIN + 1));
	}
}

/* None, small, a byte either side of whole pages up to 8 MiB (where an
 * off-by-one in the placement shows), or whole pages up to 16 TiB with an
 * odd tail: the large ones find the edges of the room, and are refused. */
static uint64_t fuzz_initrd_size(unsigned shape, uint64_t v)
{
	switch (shape % 4) {
	case 0:
		return 0;
	case 1:
		return 1 + v % LAYOUT_KIB(64);
	case 2:
		return (1 + v % 2048) * MODEL_PAGE + (shape >> 2) % 3 - 1;
	default:
		return v * MODEL_PAGE + (shape >> 2);
	}
}

/* Lengths around the kernels' limits (255, 2047, a bzImage's own) or
 * around the 64 KiB of room; the first bytes from the input (a NUL there
 * ends it early, as it would in the configuration), the rest filler. */
static char *fuzz_cmdline(struct fuzz_in *in, uint64_t v)
{
	static char s[FUZZ_CMDLINE_MAX];  /* not malloc: ASan's quarantine would keep every one */
	size_t len = v & 0x800000 ? (v & 0x7fffff) % FUZZ_CMDLINE_MAX : v % 4096;
	size_t text = fuzz_take(in, 1);

	for (size_t i = 0; i < len; i++)
		s[i] = i < text && in->n ? (char)fuzz_take(in, 1) : (char)('a' + i % 26);
	s[len] = '\0';
	return s;
}

/* Half of the counts at the edges: 0, 1, CONFIG_VCPUS_MAX and one more. */
static unsigned fuzz_ncpus(unsigned v)
{
	static const unsigned edge[] = { 0, 1, CONFIG_VCPUS_MAX, CONFIG_VCPUS_MAX + 1 };

	return v & 0x80 ? edge[v & 3] : 1 + v % CONFIG_VCPUS_MAX;
}

static struct fuzz_case fuzz_case_take(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_case c;
	unsigned flags = (unsigned)fuzz_take(&in, 1), initrd_shape;
	uint64_t ram = fuzz_take(&in, 4), initrd, cmdline;

	c.ram_size = fuzz_ram_size(flags & 3, ram);
	c.pages = (flags >> 2) & 1 ? KERNEL_PAGES_SHARED : KERNEL_PAGES_PRIVATE;
	c.huge = (enum guest_mem_huge)((flags >> 3) % 3);
	c.ncpus = fuzz_ncpus((unsigned)fuzz_take(&in, 1));
	initrd_shape = (unsigned)fuzz_take(&in, 1);
	initrd = fuzz_take(&in, 4);
	c.initrd_size = fuzz_initrd_size(initrd_shape, initrd);
	cmdline = fuzz_take(&in, 3);
	c.cmdline = fuzz_cmdline(&in, cmdline);
	c.image = in.p;
	c.image_len = in.n;
	return c;
}

/* An empty memfd, one per use, reused for every input. */
static int fuzz_memfd(int *fd, const char *name)
{
	if (*fd < 0)
		*fd = memfd_create(name, MFD_CLOEXEC);
	fuzz_require(*fd >= 0 && ftruncate(*fd, 0) == 0, "a memfd");
	return *fd;
}

/* The initrd file: sparse, with its size written at both ends. */
static int fuzz_initrd_file(uint64_t size)
{
	static int fd = -1;
	uint64_t tag = size;

	fuzz_memfd(&fd, "fuzz-initrd");
	fuzz_require(ftruncate(fd, (off_t)size) == 0, "a sparse initrd");
	fuzz_require(pwrite(fd, &tag, size < sizeof(tag) ? size : sizeof(tag), 0) >= 0 &&
		     (size < 2 * sizeof(tag) ||
		      pwrite(fd, &tag, sizeof(tag), (off_t)(size - sizeof(tag))) == sizeof(tag)),
		     "the initrd's tags");
	return fd;
}

static void fuzz_require_refusal(int ret, const struct volt_err *err, const char *what)
{
	fuzz_require(ret < 0 && err->code == -ret && err->msg[0] != '\0', what);
}

/* Everything one input's boot left in guest memory, for the overlap check. */
struct fuzz_area {
	const char *what;
	uint64_t start, end;
};

struct fuzz_boot {
	struct fuzz_case c;
	struct guest_mem mem;
	struct model_ram ram;
	struct model_kernel m;
	struct boot_kernel k;
	uint64_t initrd_gpa, initrd_size;
	struct fuzz_area area[32];
	unsigned narea;
};

static void fuzz_area_add(struct fuzz_boot *b, const char *what, uint64_t start, uint64_t len)
{
	fuzz_require(model_ptr(&b->ram, start, len) != NULL, what);
	fuzz_require(b->narea < sizeof(b->area) / sizeof(b->area[0]), "room for the boot areas");
	b->area[b->narea++] = (struct fuzz_area){ what, start, start + len };
}

/* A loaded ELF holds its segments' file bytes and zeros after them; a
 * bzImage its protected-mode part at 1 MiB. */
static void fuzz_check_kernel_bytes(const struct fuzz_boot *b)
{
	const struct model_kernel *m = &b->m;

	if (m->bzimage) {
		const uint8_t *p = model_ptr(&b->ram, LAYOUT_HIMEM_START, m->pm_size);

		fuzz_require(p && memcmp(p, b->c.image + m->setup_size, m->pm_size) == 0,
			     "bzImage: its protected-mode kernel at 1 MiB");
		return;
	}
	for (unsigned i = 0; i < m->nsegs; i++) {
		const struct model_seg *s = &m->segs[i];
		const uint8_t *p = model_ptr(&b->ram, s->paddr, s->memsz);

		fuzz_require(p && memcmp(p, b->c.image + s->offset, s->filesz) == 0 &&
			     model_zero(p + s->filesz, s->memsz - s->filesz),
			     "ELF: each segment's file bytes, then zeros");
	}
}

static bool fuzz_load_kernel(struct fuzz_boot *b)
{
	static int fd = -1;
	struct volt_err err = { 0 };
	int ret;

	fuzz_memfd(&fd, "fuzz-boot-kernel");
	fuzz_require(pwrite(fd, b->c.image, b->c.image_len, 0) == (ssize_t)b->c.image_len,
		     "the kernel file");
	ret = kernel_load_fd(&b->mem, fd, b->c.image_len, b->c.pages, &b->k, &err);
	if (!b->m.ok) {
		fuzz_require_refusal(ret, &err, "kernel: refused when the model refuses, with a reason");
		return false;
	}
	fuzz_require(ret == 0, "kernel: accepted when the model accepts");
	fuzz_require(b->k.bzimage == b->m.bzimage && b->k.load_start == b->m.load_start &&
		     b->k.load_end == b->m.load_end, "kernel: the extent the model expects");
	if (b->m.bzimage)
		fuzz_require(b->k.entry == LAYOUT_HIMEM_START + 0x200 &&
			     memcmp(&b->k.setup, &b->m.hdr, sizeof(b->m.hdr)) == 0,
			     "bzImage: 64-bit entry, the declared setup header");
	else
		fuzz_require(model_elf_entry_ok(&b->m, b->k.entry), "ELF: entry inside a loaded segment");
	fuzz_check_kernel_bytes(b);
	fuzz_area_add(b, "kernel inside guest RAM", b->k.load_start, b->k.load_end - b->k.load_start);
	return true;
}

static bool fuzz_load_initrd(struct fuzz_boot *b)
{
	struct volt_err err = { 0 };
	uint64_t want = 0, size = b->c.initrd_size, tag;
	bool fits = model_initrd(&b->m, &b->ram, size, &want);
	const uint8_t *p;
	int ret;

	if (!size)
		return true;
	ret = initrd_load_fd(&b->mem, fuzz_initrd_file(size), size, &b->k, &b->initrd_gpa,
			     &b->initrd_size, &err);
	if (!fits) {
		fuzz_require_refusal(ret, &err, "initrd: refused when it fits nowhere, with a reason");
		return false;
	}
	fuzz_require(ret == 0 && b->initrd_gpa == want && b->initrd_size == size,
		     "initrd: at the highest page-aligned place the model finds");
	p = model_ptr(&b->ram, want, size);
	memcpy(&tag, p, size < sizeof(tag) ? size : sizeof(tag));
	fuzz_require(memcmp(&tag, &size, size < sizeof(tag) ? size : sizeof(tag)) == 0,
		     "initrd: its first bytes");
	if (size >= 2 * sizeof(tag)) {
		memcpy(&tag, p + size - sizeof(tag), sizeof(tag));
		fuzz_require(tag == size, "initrd: its last bytes");
	}
	fuzz_area_add(b, "initrd inside guest RAM", want, size);
	return true;
}

/* boot.rst's "write" fields of the setup header: the loader's, not the
 * image's. */
static void fuzz_clear_loader_fields(struct setup_header *h)
{
	h->ramdisk_image = h->ramdisk_size = 0;
	h->heap_end_ptr = 0;
	h->ext_loader_ver = h->ext_loader_type = 0;
	h->hardware_subarch = 0;
	h->hardware_subarch_data = 0;
	h->setup_data = 0;
}

/* The zero page the boot protocol asks for: the image's setup header (a
 * vmlinux has none: zeros and the default alignment) less its loader
 * fields, with what the loader fills in, the command line and initrd (zero
 * for none), nothing else but e820. */
static void fuzz_check_zero_page(const struct fuzz_boot *b, const struct boot_params *got)
{
	struct boot_params want = { 0 };

	if (b->m.bzimage) {
		want.hdr = b->m.hdr;
		fuzz_clear_loader_fields(&want.hdr);
	} else {
		want.hdr.kernel_alignment = 0x01000000;  /* x86_64's CONFIG_PHYSICAL_ALIGN */
	}
	want.hdr.type_of_loader = 0xff;
	want.hdr.boot_flag = 0xaa55;
	want.hdr.header = 0x53726448;  /* "HdrS" */
	want.hdr.loadflags |= LOADED_HIGH;
	want.hdr.cmd_line_ptr = got->hdr.cmd_line_ptr;
	want.ext_cmd_line_ptr = got->ext_cmd_line_ptr;
	want.hdr.cmdline_size = got->hdr.cmdline_size;  /* the kernel does not read it */
	want.hdr.ramdisk_image = (uint32_t)b->initrd_gpa;
	want.ext_ramdisk_image = (uint32_t)(b->initrd_gpa >> 32);
	want.hdr.ramdisk_size = (uint32_t)b->initrd_size;
	want.ext_ramdisk_size = (uint32_t)(b->initrd_size >> 32);
	want.e820_entries = got->e820_entries;
	memcpy(want.e820_table, got->e820_table, sizeof(want.e820_table));
	fuzz_require(memcmp(&want, got, sizeof(want)) == 0,
		     "zero page: the setup header, command line and initrd fields as asked");
}

static bool fuzz_write_bootparams(struct fuzz_boot *b)
{
	struct volt_err err = { 0 };
	uint64_t len = strlen(b->c.cmdline), at;
	struct boot_params bp;
	const uint8_t *zp = model_ptr(&b->ram, LAYOUT_ZERO_PAGE_ADDR, sizeof(bp));
	int ret = bootparams_write(&b->mem, &b->k, b->c.cmdline, b->initrd_gpa, b->initrd_size,
				   &err);

	if (len > model_cmdline_max(&b->m)) {
		fuzz_require_refusal(ret, &err, "command line: too long is refused, with a reason");
		fuzz_require(err.code == E2BIG, "command line: too long is E2BIG");
		fuzz_require(model_zero(zp, sizeof(bp)) &&
			     model_zero(model_ptr(&b->ram, LAYOUT_CMDLINE_ADDR, 1), 1),
			     "command line: a refusal writes neither it nor the zero page");
		return false;
	}
	fuzz_require(ret == 0, "command line: one that fits is taken");
	memcpy(&bp, zp, sizeof(bp));
	fuzz_check_zero_page(b, &bp);
	at = bp.hdr.cmd_line_ptr | (uint64_t)bp.ext_cmd_line_ptr << 32;
	fuzz_area_add(b, "command line inside guest RAM", at, len + 1);
	fuzz_require(memcmp(model_ptr(&b->ram, at, len + 1), b->c.cmdline, len + 1) == 0,
		     "command line: whole, NUL-terminated, as asked");
	fuzz_area_add(b, "zero page inside guest RAM", LAYOUT_ZERO_PAGE_ADDR, sizeof(bp));
	model_check_e820(&bp, &b->ram);
	return true;
}

static bool fuzz_write_mptable(struct fuzz_boot *b)
{
	struct volt_err err = { 0 };
	int ret = mptable_write(&b->mem, b->c.ncpus, &err);

	if (b->c.ncpus == 0 || b->c.ncpus > CONFIG_VCPUS_MAX) {
		fuzz_require_refusal(ret, &err, "MP table: 0 or too many vCPUs refused, with a reason");
		fuzz_require(err.code == EINVAL, "MP table: a vCPU count out of range is EINVAL");
		fuzz_require(model_zero(model_ptr(&b->ram, LAYOUT_EBDA_START, LAYOUT_KIB(1)),
					LAYOUT_KIB(1)),
			     "MP table: a refusal writes nothing");
		return false;
	}
	fuzz_require(ret == 0, "MP table: 1..CONFIG_VCPUS_MAX vCPUs taken");
	fuzz_area_add(b, "MP table inside guest RAM", LAYOUT_EBDA_START,
		      model_check_mptable(&b->ram, b->c.ncpus) - LAYOUT_EBDA_START);
	return true;
}

/* The 64-bit entry state vCPU 0 gets: what it reaches through its page
 * tables at once (code, boot_params, command line, GDT, IDT, stack) is
 * identity-mapped; the tables themselves are areas of their own. */
static void fuzz_check_entry_state(struct fuzz_boot *b)
{
	struct volt_err err = { 0 };
	struct model_tables t = { 0 };
	struct kvm_sregs sregs = { 0 };
	struct kvm_regs regs;
	uint64_t cr3;

	fuzz_require(boot_pagetables_write(&b->mem, &err) == 0, "page tables: written");
	boot_regs_init(&regs, b->k.entry);
	boot_sregs_init(&sregs);
	cr3 = sregs.cr3;
	fuzz_require(regs.rip == b->k.entry && regs.rsi == LAYOUT_ZERO_PAGE_ADDR,
		     "entry registers: RIP the entry, RSI the zero page");
	model_check_identity(&b->ram, cr3, b->k.load_start, b->k.load_end, &t,
			     "page tables: the whole kernel identity-mapped");
	model_check_identity(&b->ram, cr3, b->k.entry, b->k.entry + 1, &t,
			     "page tables: the entry identity-mapped");
	for (unsigned i = 0; i < b->narea; i++)
		if (b->area[i].start < LAYOUT_HIMEM_START)
			model_check_identity(&b->ram, cr3, b->area[i].start, b->area[i].end, &t,
					     "page tables: the boot structures identity-mapped");
	model_check_identity(&b->ram, cr3, regs.rsp - 64, regs.rsp, &t,
			     "page tables: the stack identity-mapped");
	fuzz_area_add(b, "GDT inside guest RAM", sregs.gdt.base, sregs.gdt.limit + 1u);
	fuzz_area_add(b, "IDT inside guest RAM", sregs.idt.base, sregs.idt.limit + 1u);
	model_check_identity(&b->ram, cr3, sregs.gdt.base, sregs.gdt.base + sregs.gdt.limit + 1u, &t,
			     "page tables: the GDT identity-mapped");
	model_check_identity(&b->ram, cr3, sregs.idt.base, sregs.idt.base + sregs.idt.limit + 1u, &t,
			     "page tables: the IDT identity-mapped");
	for (unsigned i = 0; i < t.n; i++)
		fuzz_area_add(b, "page tables inside guest RAM", t.page[i], MODEL_PAGE);
}

/* Nothing the boot wrote overlaps anything else it wrote. */
static void fuzz_check_disjoint(const struct fuzz_boot *b)
{
	for (unsigned i = 0; i < b->narea; i++)
		for (unsigned j = i + 1; j < b->narea; j++)
			fuzz_require(b->area[i].end <= b->area[j].start ||
				     b->area[j].end <= b->area[i].start,
				     "boot areas (kernel, initrd, zero page, command line, MP table, page tables, GDT, IDT) are disjoint");
}

/* The model's cost of an input: skip those that write more than the budget. */
static bool fuzz_affordable(const struct fuzz_boot *b)
{
	uint64_t at;

	if (b->m.ok && b->m.cost > FUZZ_LOAD_BUDGET)
		return false;
	return !(b->m.ok && b->c.initrd_size > FUZZ_LOAD_BUDGET &&
		 model_initrd(&b->m, &b->ram, b->c.initrd_size, &at));
}

static void fuzz_boot_run(struct fuzz_boot *b)
{
	struct volt_err err = { 0 };

	fuzz_require(guest_mem_init(&b->mem, b->c.ram_size, &err) == 0 &&
		     b->mem.ram_size == b->c.ram_size, "guest RAM of the size asked");
	fuzz_require(guest_mem_set_huge(&b->mem, b->c.huge, &err) == 0, "huge-page policy");
	b->ram = model_ram(b->mem.base, b->c.ram_size);
	fuzz_require(guest_mem_end(&b->mem) == (b->ram.high_size ? LAYOUT_MMIO_HOLE_END + b->ram.high_size
								 : b->ram.low_end),
		     "guest RAM ends where the memory map says");
	b->m = model_kernel(b->c.image, b->c.image_len, &b->ram);
	if (!fuzz_affordable(b))
		return;
	if (fuzz_load_kernel(b) && fuzz_load_initrd(b) && fuzz_write_bootparams(b) &&
	    fuzz_write_mptable(b)) {
		fuzz_check_entry_state(b);
		fuzz_check_disjoint(b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_boot b;

	memset(&b, 0, sizeof(b));
	b.c = fuzz_case_take(data, size);
	fuzz_boot_run(&b);
	guest_mem_fini(&b.mem);
	free(b.m.segs);
	return 0;
}
