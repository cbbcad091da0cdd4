/* ELF64 vmlinux loading, format detection and kernel_load on real files.
 * Images are built in memory: an ELF header, the program header table, and
 * each segment's file data at its own page. Each is loaded from the buffer
 * and from a file (kernel_file.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/kernel.h"
#include "vm/layout.h"
#include "kernel_file.h"
#include "mem_fixture.h"
#include "vmflags.h"

#define DATA_OFF  0x1000ULL  /* first segment's file data */
#define KBASE     0x1000000ULL
#define KVIRT     0xffffffff81000000ULL

struct seg {
	uint32_t type;
	uint64_t paddr, vaddr, filesz, memsz;
};

struct elf_img {
	uint8_t *buf;
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
};

static uint8_t seg_byte(unsigned seg, uint64_t off)
{
	return (uint8_t)(seg * 31 + off * 7 + 1);
}

/* Segment i's file data sits at DATA_OFF + i * 0x1000 ... packed one after
 * the other, page-aligned, filled with seg_byte(i, offset). */
static struct elf_img elf_build(const struct seg *segs, unsigned n, uint64_t entry)
{
	struct elf_img im;
	uint64_t off = DATA_OFF;

	im.len = DATA_OFF;
	for (unsigned i = 0; i < n; i++)
		im.len += (segs[i].filesz + 0xfff) & ~0xfffULL;
	im.buf = calloc(1, im.len);
	assert_non_null(im.buf);
	im.eh = (Elf64_Ehdr *)im.buf;
	im.ph = (Elf64_Phdr *)(im.buf + sizeof(Elf64_Ehdr));
	memcpy(im.eh->e_ident, ELFMAG, SELFMAG);
	im.eh->e_ident[EI_CLASS] = ELFCLASS64;
	im.eh->e_ident[EI_DATA] = ELFDATA2LSB;
	im.eh->e_ident[EI_VERSION] = EV_CURRENT;
	im.eh->e_type = ET_EXEC;
	im.eh->e_machine = EM_X86_64;
	im.eh->e_version = EV_CURRENT;
	im.eh->e_entry = entry;
	im.eh->e_phoff = sizeof(Elf64_Ehdr);
	im.eh->e_ehsize = sizeof(Elf64_Ehdr);
	im.eh->e_phentsize = sizeof(Elf64_Phdr);
	im.eh->e_phnum = (uint16_t)n;
	for (unsigned i = 0; i < n; i++) {
		im.ph[i] = (Elf64_Phdr){ .p_type = segs[i].type, .p_flags = PF_R | PF_X,
			.p_offset = off, .p_vaddr = segs[i].vaddr, .p_paddr = segs[i].paddr,
			.p_filesz = segs[i].filesz, .p_memsz = segs[i].memsz, .p_align = 0x1000 };
		for (uint64_t j = 0; j < segs[i].filesz; j++)
			im.buf[off + j] = seg_byte(i, j);
		off += (segs[i].filesz + 0xfff) & ~0xfffULL;
	}
	return im;
}

/* A vmlinux-like image: text at 16 MiB (virtual 0xffffffff81000000), data
 * with bss above it, physical entry. */
static struct elf_img elf_build_default(void)
{
	static const struct seg segs[] = {
		{ PT_LOAD, KBASE, KVIRT, 0x3000, 0x3000 },
		{ PT_NOTE, 0, 0, 0x10, 0x10 },
		{ PT_LOAD, KBASE + 0x400000, KVIRT + 0x400000, 0x800, 0x2000 },
	};

	return elf_build(segs, 3, KBASE);
}

/* Load and expect failure with a message containing phrase. */
static void expect_refused(struct guest_mem *mem, struct elf_img im, const char *phrase)
{
	struct volt_err err = { 0 };
	struct boot_kernel k;
	int ret = load_both(mem, im.buf, im.len, &k, &err);

	if (ret == 0 || !strstr(err.msg, phrase))
		fail_msg("expected an error containing \"%s\", got %d \"%s\"", phrase, ret, err.msg);
	assert_true(ret < 0 && err.code == -ret);
	free(im.buf);
}

static void test_valid(void **state)
{
	struct guest_mem *mem = *state;
	struct elf_img im = elf_build_default();
	struct volt_err err = { 0 };
	struct boot_kernel k;
	uint8_t *p;

	/* Dirty the bss first so the test sees the loader zero it. */
	memset(guest_mem_ptr(mem, KBASE + 0x400000, 0x2000), 0xaa, 0x2000);
	assert_int_equal(load_both(mem, im.buf, im.len, &k, &err), 0);
	assert_int_equal(k.entry, KBASE);
	assert_int_equal(k.load_start, KBASE);
	assert_int_equal(k.load_end, KBASE + 0x402000);
	assert_false(k.bzimage);
	p = guest_mem_ptr(mem, KBASE, 0x3000);
	for (uint64_t j = 0; j < 0x3000; j++)
		assert_int_equal(p[j], seg_byte(0, j));
	p = guest_mem_ptr(mem, KBASE + 0x400000, 0x2000);
	for (uint64_t j = 0; j < 0x800; j++)
		assert_int_equal(p[j], seg_byte(2, j));
	for (uint64_t j = 0x800; j < 0x2000; j++)
		assert_int_equal(p[j], 0);
	free(im.buf);
}

static void test_virtual_entry_translated(void **state)
{
	struct elf_img im = elf_build_default();
	struct volt_err err = { 0 };
	struct boot_kernel k;

	im.eh->e_entry = KVIRT + 0x400100;
	assert_int_equal(kernel_load_elf(*state, im.buf, im.len, &k, &err), 0);
	assert_int_equal(k.entry, KBASE + 0x400100);
	free(im.buf);
}

static void test_truncated_header(void **state)
{
	struct elf_img im = elf_build_default();

	im.len = 40;
	expect_refused(*state, im, "smaller than an ELF64 header");
}

static void test_truncated_phdrs(void **state)
{
	struct elf_img im = elf_build_default();

	im.len = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
	expect_refused(*state, im, "program header table");
}

static void test_phoff_huge(void **state)
{
	struct elf_img im = elf_build_default();

	im.eh->e_phoff = UINT64_MAX - 8;
	expect_refused(*state, im, "program header table");
}

static void test_truncated_segment(void **state)
{
	struct elf_img im = elf_build_default();

	im.len = im.ph[2].p_offset + 0x400;  /* half of its 0x800 bytes */
	expect_refused(*state, im, "truncated: ELF segment 2 file data");
}

static void test_segment_offset_wraps(void **state)
{
	struct elf_img im = elf_build_default();

	im.ph[0].p_offset = UINT64_MAX - 0x10;
	expect_refused(*state, im, "past end of file");
}

static void test_overlap(void **state)
{
	static const struct seg segs[] = {
		{ PT_LOAD, KBASE + 0x10000, 0, 0x1000, 0x1000 },
		{ PT_LOAD, KBASE, 0, 0x1000, 0x20000 },  /* covers segment 0 */
	};
	struct elf_img im = elf_build(segs, 2, KBASE);

	expect_refused(*state, im, "ELF program headers 0 and 1 overlap");
}

static void test_same_address(void **state)
{
	static const struct seg segs[] = {
		{ PT_LOAD, KBASE, 0, 0x1000, 0x1000 },
		{ PT_LOAD, KBASE, 0, 0x1000, 0x1000 },
	};

	expect_refused(*state, elf_build(segs, 2, KBASE), "overlap");
}

static void test_adjacent_ok(void **state)
{
	static const struct seg segs[] = {
		{ PT_LOAD, KBASE + 0x1000, 0, 0x1000, 0x1000 },
		{ PT_LOAD, KBASE, 0, 0x1000, 0x1000 },
	};
	struct elf_img im = elf_build(segs, 2, KBASE);
	struct volt_err err = { 0 };
	struct boot_kernel k;

	assert_int_equal(load_both(*state, im.buf, im.len, &k, &err), 0);
	assert_int_equal(k.load_start, KBASE);
	assert_int_equal(k.load_end, KBASE + 0x2000);
	free(im.buf);
}

static void test_segment_out_of_ram(void **state)
{
	static const struct seg segs[] = { { PT_LOAD, LAYOUT_MIB(256), 0, 0x1000, 0x1000 } };

	expect_refused(*state, elf_build(segs, 1, LAYOUT_MIB(256)),
		       "ELF program header 0: segment at 0x10000000 size 0x1000 extends past the end of guest RAM (128 MiB)");
}

static void test_segment_crosses_ram_end(void **state)
{
	static const struct seg segs[] = { { PT_LOAD, RAM_SIZE - 0x1000, 0, 0x1000, 0x2000 } };

	expect_refused(*state, elf_build(segs, 1, RAM_SIZE - 0x1000), "extends past the end of guest RAM");
}

static void test_segment_wraps(void **state)
{
	static const struct seg segs[] = { { PT_LOAD, UINT64_MAX - 0xfff, 0, 0x1000, 0x2000 } };

	expect_refused(*state, elf_build(segs, 1, UINT64_MAX - 0xfff), "wraps around");
}

/* RAM above 4 GiB exists, but the boot page tables do not map it: such a
 * kernel triple-faulted at its first instruction (exit status 0). */
static void test_segment_above_boot_map(void **state)
{
	static const struct seg segs[] = { { PT_LOAD, LAYOUT_GIB(4), 0, 0x1000, 0x1000 } };
	struct guest_mem big;

	assert_int_equal(guest_mem_init(&big, LAYOUT_GIB(3) + LAYOUT_GIB(1) + LAYOUT_MIB(16), NULL), 0);
	expect_refused(&big, elf_build(segs, 1, LAYOUT_GIB(4)),
		       "segment at 0x100000000 size 0x1000 lies above 4 GiB");
	guest_mem_fini(&big);
}

static void test_segment_in_boot_area(void **state)
{
	static const struct seg segs[] = { { PT_LOAD, 0x80000, 0, 0x1000, 0x1000 } };

	expect_refused(*state, elf_build(segs, 1, 0x80000), "boot area below 1 MiB");
}

static void test_segment_straddles_1mib(void **state)
{
	static const struct seg segs[] = { { PT_LOAD, 0xff000, 0, 0x1000, 0x2000 } };

	expect_refused(*state, elf_build(segs, 1, 0x100000), "boot area below 1 MiB");
}

static void test_wrong_class(void **state)
{
	struct elf_img im = elf_build_default();

	im.eh->e_ident[EI_CLASS] = ELFCLASS32;
	expect_refused(*state, im, "wrong class");
}

static void test_big_endian(void **state)
{
	struct elf_img im = elf_build_default();

	im.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_refused(*state, im, "little-endian");
}

static void test_wrong_machine(void **state)
{
	struct elf_img im = elf_build_default();

	im.eh->e_machine = EM_AARCH64;
	expect_refused(*state, im, "is not x86_64");
}

static void test_wrong_phentsize(void **state)
{
	struct elf_img im = elf_build_default();

	im.eh->e_phentsize = 32;
	expect_refused(*state, im, "program header entry size 32");
}

static void test_zero_length_segment(void **state)
{
	struct elf_img im = elf_build_default();
	struct volt_err err = { 0 };
	struct boot_kernel k;

	/* Empty, and pointing nowhere sane: skipped, not checked against RAM. */
	im.ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = UINT64_MAX, .p_paddr = UINT64_MAX,
				 .p_vaddr = 0, .p_filesz = 0, .p_memsz = 0 };
	assert_int_equal(load_both(*state, im.buf, im.len, &k, &err), 0);
	assert_int_equal(k.entry, KBASE);
	assert_int_equal(k.load_end, KBASE + 0x402000);
	free(im.buf);
}

static void test_filesz_above_memsz(void **state)
{
	struct elf_img im = elf_build_default();

	im.ph[2].p_memsz = 0x400;
	expect_refused(*state, im, "file size 0x800 is larger than memory size 0x400");
}

static void test_no_pt_load(void **state)
{
	static const struct seg segs[] = { { PT_NOTE, KBASE, 0, 0x100, 0x100 } };

	expect_refused(*state, elf_build(segs, 1, KBASE), "no PT_LOAD");
}

static void test_only_empty_pt_load(void **state)
{
	static const struct seg segs[] = { { PT_LOAD, KBASE, 0, 0, 0 } };

	expect_refused(*state, elf_build(segs, 1, KBASE), "no PT_LOAD");
}

static void test_entry_outside(void **state)
{
	struct elf_img im = elf_build_default();

	im.eh->e_entry = KBASE + 0x100000;  /* the gap between the segments */
	expect_refused(*state, im, "entry point 0x1100000 is not inside any loaded segment");
}

/* Each check at its edge: one byte is enough to refuse. */
static void test_edges(void **state)
{
	static const struct seg one[] = { { PT_LOAD, KBASE, KBASE, 0x1000, 0x1000 } };
	static const struct seg overlap_by_one[] = {
		{ PT_LOAD, KBASE, 0, 0x1000, 0x1001 },
		{ PT_LOAD, KBASE + 0x1000, 0, 0x1000, 0x1000 },
	};
	struct elf_img im;

	/* The entry one past the end of its segment, physical or virtual. */
	expect_refused(*state, elf_build(one, 1, KBASE + 0x1000), "not inside any loaded segment");
	im = elf_build(one, 1, KBASE);
	im.ph[0].p_vaddr = KVIRT;
	im.eh->e_entry = KVIRT + 0x1000;
	expect_refused(*state, im, "not inside any loaded segment");
	/* A virtual entry just past its segment is not moved into the segment
	 * that follows it physically. */
	{
		static const struct seg two[] = {
			{ PT_LOAD, KBASE, KVIRT, 0x1000, 0x1000 },
			{ PT_LOAD, KBASE + 0x1000, KVIRT + 0x100000, 0x1000, 0x1000 },
		};

		expect_refused(*state, elf_build(two, 2, KVIRT + 0x1000),
			       "not inside any loaded segment");
	}
	/* One byte of file data past the end of the file. */
	im = elf_build(one, 1, KBASE);
	im.ph[0].p_filesz = im.len - im.ph[0].p_offset + 1;
	im.ph[0].p_memsz = im.ph[0].p_filesz;
	expect_refused(*state, im, "truncated: ELF segment 0 file data");
	/* Two segments that share one byte. */
	expect_refused(*state, elf_build(overlap_by_one, 2, KBASE), "overlap");
	/* Extended numbering is refused for what it is. */
	im = elf_build(one, 1, KBASE);
	im.eh->e_phnum = PN_XNUM;
	expect_refused(*state, im, "extended program header numbering (PN_XNUM)");
}

/* Guest RAM past 3 GiB continues at 4 GiB: a segment must not run into the
 * MMIO hole between, though the end of RAM is further up. */
static void test_segment_into_mmio_hole(void **state)
{
	static const struct seg segs[] = {
		{ PT_LOAD, LAYOUT_MMIO_HOLE_START - 0x1000, 0, 0x1000, 0x2000 },
	};
	struct guest_mem big;

	assert_int_equal(guest_mem_init(&big, LAYOUT_MMIO_HOLE_START + LAYOUT_MIB(64), NULL), 0);
	expect_refused(&big, elf_build(segs, 1, LAYOUT_MMIO_HOLE_START - 0x1000),
		       "touches the MMIO hole");
	guest_mem_fini(&big);
}

static void test_refused_image_writes_nothing(void **state)
{
	struct guest_mem *mem = *state;
	struct elf_img im = elf_build_default();
	uint8_t *p = guest_mem_ptr(mem, KBASE, 0x3000);

	memset(p, 0x5a, 0x3000);
	im.eh->e_entry = 0x12345;
	expect_refused(mem, im, "entry point");
	for (unsigned j = 0; j < 0x3000; j++)
		assert_int_equal(p[j], 0x5a);
}

/* Each way to be cut short inside the ELF identification and header has
 * its own message, also when the ELF loader is called directly (kernel.c
 * dispatches on the magic; kernel_load_elf does not rely on that). */
static void test_ident_boundaries(void **state)
{
	struct elf_img im = elf_build_default();
	struct volt_err err = { 0 };
	struct boot_kernel k;

	memcpy(im.buf, "MZ", 2);
	assert_true(kernel_load_elf(*state, im.buf, im.len, &k, &err) < 0);
	assert_non_null(strstr(err.msg, "no ELF magic"));
	free(im.buf);
	/* The magic and nothing else. */
	im = elf_build_default();
	im.len = SELFMAG;
	expect_refused(*state, im, "ends inside the ELF identification");
	/* Magic, class and data encoding, cut inside the identification. */
	im = elf_build_default();
	im.len = EI_DATA + 1;
	expect_refused(*state, im, "ends inside the ELF identification");
	/* The whole identification, no more. */
	im = elf_build_default();
	im.len = EI_NIDENT;
	expect_refused(*state, im, "smaller than an ELF64 header");
}

/* An image that is an ELF header alone, no program headers, its table
 * (empty) at the file's end: read as far as it goes, refused for what it
 * lacks, not as truncated. */
static void test_header_only(void **state)
{
	struct elf_img im = elf_build(NULL, 0, KBASE);

	im.len = sizeof(Elf64_Ehdr);
	im.eh->e_phoff = sizeof(Elf64_Ehdr);
	expect_refused(*state, im, "no PT_LOAD segment");
}

/* The boundaries a real vmlinux sits on: a bss-only segment whose file
 * offset is the file's end (NOBITS data last in the file), the last
 * segment ending exactly at the end of guest RAM, and a virtual entry
 * exactly at its segment's first byte (startup_64 at the start of text). */
static void test_vmlinux_boundaries(void **state)
{
	struct guest_mem *mem = *state;
	static const struct seg segs[] = {
		{ PT_LOAD, KBASE, KVIRT, 0x1000, 0x1000 },
		{ PT_LOAD, RAM_SIZE - 0x3000, KVIRT + 0x100000, 0x1000, 0x3000 },
		{ PT_LOAD, KBASE + 0x200000, KVIRT + 0x200000, 0, 0x2000 },
	};
	struct elf_img im = elf_build(segs, 3, KVIRT);
	struct volt_err err = { 0 };
	struct boot_kernel k;

	im.ph[2].p_offset = im.len;
	memset(guest_mem_ptr(mem, RAM_SIZE - 0x3000, 0x3000), 0xaa, 0x3000);
	assert_int_equal(load_both(mem, im.buf, im.len, &k, &err), 0);
	assert_int_equal(k.entry, KBASE);
	assert_int_equal(k.load_end, RAM_SIZE);
	assert_int_equal(k.file_bytes, 0x2000);
	for (uint64_t j = 0x1000; j < 0x3000; j++)
		assert_int_equal(*(uint8_t *)guest_mem_ptr(mem, RAM_SIZE - 0x3000 + j, 1), 0);
	free(im.buf);
}

/* The bss is zeroed up to the segment's end and not a byte further. */
static void test_bss_stays_inside(void **state)
{
	struct guest_mem *mem = *state;
	struct elf_img im = elf_build_default();
	struct volt_err err = { 0 };
	struct boot_kernel k;
	uint8_t *after = guest_mem_ptr(mem, KBASE + 0x402000, 0x1000);

	memset(after, 0x77, 0x1000);
	assert_int_equal(kernel_load_image(mem, im.buf, im.len, &k, &err), 0);
	for (unsigned j = 0; j < 0x1000; j++)
		assert_int_equal(after[j], 0x77);
	free(im.buf);
}

/* [vm] huge_pages = loaded: the image's whole huge pages are advised for as
 * one range, so the one where two segments meet is too; past the image's
 * end, where the guest's free memory begins, 4 KiB pages stay. */
static void test_huge_pages_span_segments(void **state)
{
	static const struct seg segs[] = {
		{ PT_LOAD, KBASE, KVIRT, 0x180000, 0x180000 },              /* 16-17.5 MiB */
		{ PT_LOAD, KBASE + 0x180000, KVIRT + 0x180000, 0x1000, 0x300000 }, /* -20.5 */
	};
	struct elf_img im = elf_build(segs, 2, KBASE);
	struct volt_err err = { 0 };
	struct boot_kernel k;
	struct guest_mem *mem = NULL;
	uint8_t *base;

	(void)state; /* RAM of its own: the policy below is for one VM's life */
	skip_without_thp();
	assert_int_equal(setup_mem((void **)&mem), 0);
	base = guest_mem_ptr(mem, KBASE, LAYOUT_MIB(6));
	assert_int_equal(guest_mem_set_huge(mem, GUEST_MEM_HUGE_LOADED, NULL), 0);
	assert_int_equal(kernel_load_image(mem, im.buf, im.len, &k, &err), 0);
	assert_true(vmflag(base, "hg"));                 /* 16-18: both segments */
	assert_true(vmflag(base + LAYOUT_MIB(2), "hg")); /* 18-20: the second */
	assert_true(vmflag(base + LAYOUT_MIB(4), "nh")); /* 20-20.5 and after */
	assert_true(vmflag(base - 1, "nh"));
	free(im.buf);
	teardown_mem((void **)&mem);
}

/* kernel_load_elf called on its own fills all of *out, whatever it held. */
static void test_elf_out_cleared(void **state)
{
	struct elf_img im = elf_build_default();
	struct volt_err err = { 0 };
	struct boot_kernel k;

	memset(&k, 0xff, sizeof(k));
	assert_int_equal(kernel_load_elf(*state, im.buf, im.len, &k, &err), 0);
	assert_false(k.bzimage);
	assert_int_equal(k.shared, 0);
	assert_int_equal(k.file_bytes, 0x3000 + 0x800);
	assert_int_equal(k.load_end, KBASE + 0x402000);
	free(im.buf);
}

static void test_neither_format(void **state)
{
	struct elf_img im = { calloc(1, 4096), 4096, NULL, NULL };

	memcpy(im.buf, "MZ", 2);
	expect_refused(*state, im, "not an ELF64 or bzImage kernel");
}

static void test_tiny_image(void **state)
{
	struct elf_img im = { calloc(1, 3), 3, NULL, NULL };

	memcpy(im.buf, ELFMAG, 3);
	expect_refused(*state, im, "not an ELF64 or bzImage kernel");
}

static char *tmp_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/volt-test-kernel-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_load_file(void **state)
{
	struct elf_img im = elf_build_default();
	char *path = tmp_file(im.buf, im.len);
	struct volt_err err = { 0 };
	struct boot_kernel k;
	int ret = kernel_load(*state, path, &k, &err);

	unlink(path);
	free(path);
	assert_int_equal(ret, 0);
	assert_int_equal(k.entry, KBASE);
	assert_memory_equal(guest_mem_ptr(*state, KBASE, 0x3000), im.buf + DATA_OFF, 0x3000);
	free(im.buf);
}

/* The file the kernel was opened as is cut short before it is read. A
 * mapping load must notice too: it would map pages past the file's end. */
static void expect_shrunk_as(struct guest_mem *mem, const struct elf_img *im, off_t to,
			     enum kernel_pages pages, const char *phrase)
{
	char *path = tmp_file(im->buf, im->len);
	struct volt_err err = { 0 };
	struct boot_kernel k;
	size_t len;
	int fd = kernel_image_open(path, "kernel", &len, &err), ret;

	assert_true(fd >= 0);
	assert_int_equal(truncate(path, to), 0);
	ret = kernel_load_fd(mem, fd, len, pages, &k, &err);
	close(fd);
	unlink(path);
	free(path);
	if (ret == 0 || !strstr(err.msg, phrase))
		fail_msg("expected an error containing \"%s\", got %d \"%s\"", phrase, ret, err.msg);
	assert_int_equal(ret, -EIO);
}

static void expect_shrunk(struct guest_mem *mem, struct elf_img im, off_t to, const char *phrase)
{
	expect_shrunk_as(mem, &im, to, KERNEL_PAGES_PRIVATE, phrase);
	expect_shrunk_as(mem, &im, to, KERNEL_PAGES_SHARED, phrase);
	free(im.buf);
}

static void test_file_shrank_inside_segment(void **state)
{
	expect_shrunk(*state, elf_build_default(), DATA_OFF + 0x1000,
		      "file shrank to 8192 bytes while being read (expected 24576)");
}

static void test_file_shrank_inside_headers(void **state)
{
	expect_shrunk(*state, elf_build_default(), 16,
		      "file shrank to 16 bytes while being read (expected 24576)");
}

static void test_file_read_error(void **state)
{
	struct volt_err err = { 0 };
	struct boot_kernel k;
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(kernel_load_fd(*state, fd, 4096, KERNEL_PAGES_PRIVATE, &k, &err), -EISDIR);
	close(fd);
	assert_string_equal(err.msg, "read failed at offset 0: Is a directory");
}

static void test_file_never_mapped(void **state)
{
	struct elf_img im = elf_build_default();

	load_fd_unmapped(*state, im.buf, im.len, KERNEL_PAGES_PRIVATE);
	free(im.buf);
}

/* Load im from a memfd as `pages` asks; returns the kernel. */
static struct boot_kernel load_memfd(struct guest_mem *mem, const struct elf_img *im,
				     enum kernel_pages pages)
{
	struct volt_err err = { 0 };
	struct boot_kernel k;
	int fd = image_memfd(im->buf, im->len);

	if (kernel_load_fd(mem, fd, im->len, pages, &k, &err))
		fail_msg("load failed: %s", err.msg);
	close(fd);
	return k;
}

/* True if the mapping that holds p is the test's image memfd. */
static bool mapped_from_image(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)p >= lo &&
		    (uintptr_t)p < hi)
			found = strstr(line, "volt-test-kernel") != NULL;
	}
	fclose(f);
	return found;
}

/* Shared: the whole pages of each segment come from the file (the 0x800
 * bytes of the second segment are less than a page and are read); private:
 * nothing does. The bytes are checked against the buffer load by load_both
 * in test_valid. */
static void test_shared_maps_whole_pages(void **state)
{
	struct guest_mem mem;
	struct elf_img im = elf_build_default();
	struct boot_kernel k;
	uint8_t *p;

	(void)state;  /* fresh RAM: earlier tests' loads mapped the group's */
	assert_int_equal(guest_mem_init(&mem, RAM_SIZE, NULL), 0);
	p = guest_mem_ptr(&mem, KBASE, 0x3000);
	k = load_memfd(&mem, &im, KERNEL_PAGES_PRIVATE);
	assert_int_equal(k.shared, 0);
	assert_false(mapped_from_image(p));
	assert_memory_equal(p, im.buf + DATA_OFF, 0x3000);

	k = load_memfd(&mem, &im, KERNEL_PAGES_SHARED);
	assert_int_equal(k.shared, 0x3000);
	assert_true(mapped_from_image(p));
	assert_true(mapped_from_image(p + 0x2fff));
	assert_false(mapped_from_image(p + 0x3000));
	assert_false(mapped_from_image(guest_mem_ptr(&mem, KBASE + 0x400000, 1)));
	assert_memory_equal(p, im.buf + DATA_OFF, 0x3000);
	guest_mem_fini(&mem);
	free(im.buf);
}

/* The guest writing its kernel (Linux patches its own text) changes its
 * copy only: not the file, which other VMs map too. */
static void test_shared_writes_stay_private(void **state)
{
	struct guest_mem *mem = *state;
	struct elf_img im = elf_build_default();
	int fd = image_memfd(im.buf, im.len);
	struct volt_err err = { 0 };
	struct boot_kernel k;
	uint8_t *p = guest_mem_ptr(mem, KBASE, 0x3000), byte = 0;

	assert_int_equal(kernel_load_fd(mem, fd, im.len, KERNEL_PAGES_SHARED, &k, &err), 0);
	assert_int_equal(k.shared, 0x3000);
	assert_true(mapped_from_image(p + 0x1234));
	p[0x1234] = (uint8_t)~seg_byte(0, 0x1234);
	assert_int_equal(pread(fd, &byte, 1, (off_t)(DATA_OFF + 0x1234)), 1);
	assert_int_equal(byte, seg_byte(0, 0x1234));
	assert_int_equal(p[0x1235], seg_byte(0, 0x1235));
	close(fd);
	free(im.buf);
}

/* A segment whose file offset and address are aligned differently cannot
 * be mapped: it is read, with the same bytes. */
static void test_shared_misaligned_segment_is_read(void **state)
{
	struct guest_mem *mem = *state;
	struct elf_img im = elf_build_default();
	struct volt_err err = { 0 };
	struct boot_kernel k;

	im.ph[0].p_paddr += 0x800;
	im.ph[0].p_vaddr += 0x800;
	im.eh->e_entry += 0x800;
	assert_int_equal(load_both(mem, im.buf, im.len, &k, &err), 0);
	k = load_memfd(mem, &im, KERNEL_PAGES_SHARED);
	assert_int_equal(k.shared, 0);
	assert_memory_equal(guest_mem_ptr(mem, KBASE + 0x800, 0x3000), im.buf + DATA_OFF, 0x3000);
	free(im.buf);
}

/* Equally aligned but starting mid-page: the partial pages at both ends are
 * read, the whole pages between them mapped. */
static void test_shared_partial_ends_are_read(void **state)
{
	struct guest_mem fresh, *mem = &fresh;
	struct elf_img im = elf_build_default();
	struct volt_err err = { 0 };
	struct boot_kernel k;

	(void)state;  /* fresh RAM: earlier tests' loads mapped the group's */
	assert_int_equal(guest_mem_init(mem, RAM_SIZE, NULL), 0);
	im.ph[0].p_offset += 0x800;
	im.ph[0].p_paddr += 0x800;
	im.ph[0].p_vaddr += 0x800;
	im.ph[0].p_filesz = im.ph[0].p_memsz = 0x2000;
	im.eh->e_entry += 0x800;
	assert_int_equal(load_both(mem, im.buf, im.len, &k, &err), 0);
	k = load_memfd(mem, &im, KERNEL_PAGES_SHARED);
	assert_int_equal(k.shared, 0x1000);
	assert_true(mapped_from_image(guest_mem_ptr(mem, KBASE + 0x1000, 1)));
	assert_false(mapped_from_image(guest_mem_ptr(mem, KBASE + 0x800, 1)));
	assert_false(mapped_from_image(guest_mem_ptr(mem, KBASE + 0x2000, 1)));
	assert_memory_equal(guest_mem_ptr(mem, KBASE + 0x800, 0x2000), im.buf + DATA_OFF + 0x800,
			    0x2000);
	guest_mem_fini(mem);
	free(im.buf);
}

/* A mapping the kernel refuses (here: seccomp refuses mmap of the fd) is
 * copied instead, with the same bytes. */
static void test_shared_mapping_refused_is_read(void **state)
{
	struct elf_img im = elf_build_default();

	load_fd_unmapped(*state, im.buf, im.len, KERNEL_PAGES_SHARED);
	free(im.buf);
}

/* Layouts where mapped and read bytes meet: the bss right after a mapped
 * page, and two segments that meet mid-page (one ends, the next begins in
 * the same page, so neither maps it). load_both compares all three loads
 * over the scribble. */
static void test_shared_mixed_layouts(void **state)
{
	static const struct seg bss_after[] = {
		{ PT_LOAD, KBASE, KVIRT, 0x1800, 0x3000 },
	};
	static const struct seg meet[] = {
		{ PT_LOAD, KBASE, KVIRT, 0x2800, 0x2800 },
		{ PT_LOAD, KBASE + 0x2800, KVIRT + 0x2800, 0x1800, 0x1800 },
	};
	struct volt_err err = { 0 };
	struct boot_kernel k;
	struct elf_img a = elf_build(bss_after, 1, KBASE);
	struct elf_img b = elf_build(meet, 2, KBASE);

	assert_int_equal(load_both(*state, a.buf, a.len, &k, &err), 0);
	for (uint64_t j = 0x1800; j < 0x3000; j++)
		assert_int_equal(((uint8_t *)guest_mem_ptr(*state, KBASE, 0x3000))[j], 0);
	/* elf_build starts each segment's data on a page of its own; a linker
	 * packs them, so the second begins where the first ends (0x3800),
	 * aligned like its address: the page at KBASE + 0x2000 holds the end
	 * of one and the start of the other, and only whole pages map. */
	memmove(b.buf + 0x3800, b.buf + b.ph[1].p_offset, 0x1800);
	b.ph[1].p_offset = 0x3800;
	assert_int_equal(load_both(*state, b.buf, b.len, &k, &err), 0);
	assert_memory_equal(guest_mem_ptr(*state, KBASE, 0x4000), b.buf + DATA_OFF, 0x4000);
	free(a.buf);
	free(b.buf);
}

/* An image of many page-sized segments maps at most KERNEL_SRC_MAX_MAPS of
 * them (each splits guest RAM's mapping) and reads the rest. */
static void test_shared_mapping_budget(void **state)
{
	struct seg segs[24];
	struct guest_mem mem;
	struct boot_kernel k;
	struct elf_img im;

	(void)state;
	for (unsigned i = 0; i < 24; i++)
		segs[i] = (struct seg){ PT_LOAD, KBASE + i * 0x2000, KVIRT + i * 0x2000, 0x1000,
					0x1000 };
	im = elf_build(segs, 24, KBASE);
	assert_int_equal(guest_mem_init(&mem, RAM_SIZE, NULL), 0);
	k = load_memfd(&mem, &im, KERNEL_PAGES_SHARED);
	assert_int_equal(k.shared, 16 * 0x1000);
	assert_int_equal(k.file_bytes, 24 * 0x1000);
	assert_true(mapped_from_image(guest_mem_ptr(&mem, KBASE + 15 * 0x2000, 1)));
	assert_false(mapped_from_image(guest_mem_ptr(&mem, KBASE + 16 * 0x2000, 1)));
	for (unsigned i = 0; i < 24; i++)
		assert_memory_equal(guest_mem_ptr(&mem, KBASE + i * 0x2000, 0x1000),
				    im.buf + DATA_OFF + i * 0x1000, 0x1000);
	guest_mem_fini(&mem);
	free(im.buf);
}

static void test_load_empty_file(void **state)
{
	char *path = tmp_file("", 0);
	struct volt_err err = { 0 };
	struct boot_kernel k;
	int ret = kernel_load(*state, path, &k, &err);

	unlink(path);
	free(path);
	assert_true(ret < 0);
	assert_non_null(strstr(err.msg, "kernel file is empty"));
}

static void test_load_missing_file(void **state)
{
	struct volt_err err = { 0 };
	struct boot_kernel k;

	assert_true(kernel_load(*state, "/nonexistent/volt-kernel", &k, &err) < 0);
	assert_non_null(strstr(err.msg, "cannot open kernel"));
	assert_null(strstr(err.msg, "/nonexistent"));
}

static void test_load_directory(void **state)
{
	struct volt_err err = { 0 };
	struct boot_kernel k;

	assert_true(kernel_load(*state, "/tmp", &k, &err) < 0);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_virtual_entry_translated),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_truncated_phdrs),
		cmocka_unit_test(test_phoff_huge),
		cmocka_unit_test(test_truncated_segment),
		cmocka_unit_test(test_segment_offset_wraps),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_same_address),
		cmocka_unit_test(test_adjacent_ok),
		cmocka_unit_test(test_segment_out_of_ram),
		cmocka_unit_test(test_segment_crosses_ram_end),
		cmocka_unit_test(test_segment_wraps),
		cmocka_unit_test(test_segment_above_boot_map),
		cmocka_unit_test(test_segment_in_boot_area),
		cmocka_unit_test(test_segment_straddles_1mib),
		cmocka_unit_test(test_wrong_class),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_wrong_machine),
		cmocka_unit_test(test_wrong_phentsize),
		cmocka_unit_test(test_zero_length_segment),
		cmocka_unit_test(test_filesz_above_memsz),
		cmocka_unit_test(test_no_pt_load),
		cmocka_unit_test(test_only_empty_pt_load),
		cmocka_unit_test(test_entry_outside),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_segment_into_mmio_hole),
		cmocka_unit_test(test_refused_image_writes_nothing),
		cmocka_unit_test(test_ident_boundaries),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_vmlinux_boundaries),
		cmocka_unit_test(test_bss_stays_inside),
		cmocka_unit_test(test_huge_pages_span_segments),
		cmocka_unit_test(test_elf_out_cleared),
		cmocka_unit_test(test_neither_format),
		cmocka_unit_test(test_tiny_image),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_file_shrank_inside_segment),
		cmocka_unit_test(test_file_shrank_inside_headers),
		cmocka_unit_test(test_file_read_error),
		cmocka_unit_test(test_file_never_mapped),
		cmocka_unit_test(test_shared_maps_whole_pages),
		cmocka_unit_test(test_shared_writes_stay_private),
		cmocka_unit_test(test_shared_misaligned_segment_is_read),
		cmocka_unit_test(test_shared_partial_ends_are_read),
		cmocka_unit_test(test_shared_mapping_refused_is_read),
		cmocka_unit_test(test_shared_mixed_layouts),
		cmocka_unit_test(test_shared_mapping_budget),
		cmocka_unit_test(test_load_empty_file),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_directory),
	};

	return cmocka_run_group_tests(tests, setup_mem, teardown_mem);
}
