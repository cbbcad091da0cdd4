/* bzImage loading. Images are built in memory: setup sectors (filled with
 * junk so a header copied too far would show) holding a setup header, then
 * the protected-mode kernel. Each is loaded from the buffer and from a file
 * (kernel_file.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/kernel.h"
#include "vm/layout.h"
#include "kernel_file.h"
#include "mem_fixture.h"

#define HDR_OFF    offsetof(struct boot_params, hdr)
#define HDR_END    (HDR_OFF + sizeof(struct setup_header))
#define PM_SIZE    0x3000
#define PREF_ADDR  0x1000000ULL
#define INIT_SIZE  0x100000U
#define HIMEM      LAYOUT_HIMEM_START

struct bz_img {
	uint8_t *buf;
	size_t len;
	size_t setup_size;
	struct setup_header *hdr;  /* inside buf (packed, so any alignment) */
};

static uint8_t pm_byte(size_t off)
{
	return (uint8_t)(off * 13 + 5);
}

/* The jump at 0x200 lands on the header's end: 0x202 + its displacement. */
static void bz_set_header_end(struct bz_img *im, size_t end)
{
	im->hdr->jump = (uint16_t)(0xeb | (end - 0x202) << 8);
}

static struct bz_img bz_build(uint8_t setup_sects, size_t pm_size)
{
	struct bz_img im;
	unsigned sects = setup_sects ? setup_sects : 4;

	im.setup_size = (sects + 1) * 512;
	im.len = im.setup_size + pm_size;
	im.buf = malloc(im.len);
	assert_non_null(im.buf);
	memset(im.buf, 0xcc, im.setup_size);
	for (size_t i = 0; i < pm_size; i++)
		im.buf[im.setup_size + i] = pm_byte(i);
	im.hdr = (struct setup_header *)(im.buf + HDR_OFF);
	memset(im.hdr, 0, sizeof(*im.hdr));
	im.hdr->setup_sects = setup_sects;
	im.hdr->syssize = (uint32_t)((pm_size + 15) / 16);
	im.hdr->boot_flag = 0xaa55;
	bz_set_header_end(&im, HDR_END);
	im.hdr->header = 0x53726448;  /* "HdrS" */
	im.hdr->version = 0x020f;
	im.hdr->loadflags = LOADED_HIGH | CAN_USE_HEAP;
	im.hdr->initrd_addr_max = 0x7fffffff;
	im.hdr->kernel_alignment = 0x200000;
	im.hdr->relocatable_kernel = 1;
	im.hdr->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	im.hdr->cmdline_size = 0x7ff;
	im.hdr->pref_address = PREF_ADDR;
	im.hdr->init_size = INIT_SIZE;
	im.hdr->handover_offset = 0x190;
	im.hdr->kernel_info_offset = 0x12345;
	return im;
}

static void expect_refused(struct guest_mem *mem, struct bz_img im, const char *phrase)
{
	struct volt_err err = { 0 };
	struct boot_kernel k;
	int ret = load_both(mem, im.buf, im.len, &k, &err);

	if (ret == 0 || !strstr(err.msg, phrase))
		fail_msg("expected an error containing \"%s\", got %d \"%s\"", phrase, ret, err.msg);
	assert_true(ret < 0 && err.code == -ret);
	free(im.buf);
}

static struct boot_kernel expect_loaded(struct guest_mem *mem, struct bz_img im)
{
	struct volt_err err = { 0 };
	struct boot_kernel k;

	if (load_both(mem, im.buf, im.len, &k, &err))
		fail_msg("load failed: %s", err.msg);
	assert_true(k.bzimage);
	assert_int_equal(k.entry, HIMEM + 0x200);
	assert_int_equal(k.load_start, HIMEM);
	assert_memory_equal(guest_mem_ptr(mem, HIMEM, im.len - im.setup_size),
			    im.buf + im.setup_size, im.len - im.setup_size);
	free(im.buf);
	return k;
}

static void test_valid(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);
	struct setup_header want = *im.hdr;
	struct boot_kernel k = expect_loaded(*state, im);

	/* Relocatable, loaded below pref_address: it decompresses there. */
	assert_int_equal(k.load_end, PREF_ADDR + INIT_SIZE);
	assert_memory_equal(&k.setup, &want, sizeof(want));
	assert_int_equal(k.setup.version, 0x020f);
	assert_int_equal(k.setup.initrd_addr_max, 0x7fffffff);
}

static void test_setup_sects_zero_means_four(void **state)
{
	struct bz_img im = bz_build(0, PM_SIZE);

	assert_int_equal(im.setup_size, 5 * 512);
	expect_loaded(*state, im);
}

static void test_small_setup(void **state)
{
	expect_loaded(*state, bz_build(1, PM_SIZE + 7));
}

static void test_header_copied_only_to_its_end(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);
	struct boot_kernel k;

	/* A 2.10 header: ends after init_size, so the later fields are setup
	 * code and must not reach the zero page. */
	bz_set_header_end(&im, HDR_OFF + offsetof(struct setup_header, handover_offset));
	k = expect_loaded(*state, im);
	assert_int_equal(k.setup.init_size, INIT_SIZE);
	assert_int_equal(k.setup.handover_offset, 0);
	assert_int_equal(k.setup.kernel_info_offset, 0);
}

/* A header that claims to run past the struct the core knows (a later
 * protocol, or a lie): the copy stops at the struct's end. Without that
 * stop it overruns the boot_kernel (a sanitizer build sees it). */
static void test_header_longer_than_known(void **state)
{
	struct {
		struct boot_kernel k;
		uint8_t after[256];
	} out;
	struct bz_img im = bz_build(4, PM_SIZE);
	struct volt_err err = { 0 };

	im.hdr->jump = 0xffeb;  /* the header ends 0xff bytes after 0x202 */
	memset(out.after, 0x5a, sizeof(out.after));
	assert_int_equal(kernel_load_bzimage(*state, im.buf, im.len, &out.k, &err), 0);
	assert_int_equal(out.k.setup.kernel_info_offset, 0x12345);
	for (size_t i = 0; i < sizeof(out.after); i++)
		assert_int_equal(out.after[i], 0x5a);
	free(im.buf);
}

static void test_header_too_short(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	bz_set_header_end(&im, 0x230);
	expect_refused(*state, im, "before the boot protocol 2.10 fields");
}

static void test_old_protocol(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->version = 0x0206;
	expect_refused(*state, im, "bzImage boot protocol 2.06 is too old (need 2.10 or later)");
	im = bz_build(4, PM_SIZE);
	im.hdr->version = 0x0209;  /* the last one before 2.10 */
	expect_refused(*state, im, "bzImage boot protocol 2.09 is too old");
}

static void test_no_kernel_64(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
	expect_refused(*state, im, "XLF_KERNEL_64");
}

static void test_not_loaded_high(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->loadflags = CAN_USE_HEAP;
	expect_refused(*state, im, "LOADED_HIGH");
}

static void test_init_size_exact_fit(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->init_size = (uint32_t)(RAM_SIZE - PREF_ADDR);
	assert_int_equal(expect_loaded(*state, im).load_end, RAM_SIZE);
}

static void test_init_size_too_big(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->init_size = (uint32_t)(RAM_SIZE - PREF_ADDR + 0x1000);
	expect_refused(*state, im, "(init_size) at 0x1000000 to decompress, past the end of low guest RAM");
}

static void test_pref_address_huge(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->pref_address = UINT64_MAX - 0x1000;
	expect_refused(*state, im, "init_size");
}

static void test_kernel_too_big_for_ram(void **state)
{
	struct guest_mem small;
	struct bz_img im = bz_build(4, LAYOUT_MIB(1) + 0x1000);

	(void)state;
	assert_int_equal(guest_mem_init(&small, LAYOUT_MIB(2), NULL), 0);
	im.hdr->pref_address = 0;
	im.hdr->init_size = 0x1000;
	expect_refused(&small, im, "does not fit in guest RAM at 1 MiB");
	guest_mem_fini(&small);
}

static void test_relocatable_aligned_up(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	/* No preference: it rounds 1 MiB up to its 2 MiB alignment. */
	im.hdr->pref_address = 0;
	assert_int_equal(expect_loaded(*state, im).load_end, LAYOUT_MIB(2) + INIT_SIZE);
}

static void test_not_relocatable(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->relocatable_kernel = 0;
	im.hdr->pref_address = 0x500000;  /* not 2 MiB aligned: used as is */
	assert_int_equal(expect_loaded(*state, im).load_end, 0x500000 + INIT_SIZE);
}

static void test_load_end_covers_file(void **state)
{
	struct bz_img im = bz_build(4, 0x200000);

	im.hdr->pref_address = 0;
	im.hdr->init_size = 0x1000;
	assert_int_equal(expect_loaded(*state, im).load_end, HIMEM + 0x200000);
}

static void test_truncated_setup(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->setup_sects = 60;
	expect_refused(*state, im, "truncated: bzImage setup code is 31232 bytes");
}

static void test_truncated_syssize(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.hdr->syssize += 2;
	expect_refused(*state, im, "(syssize)");
	/* One paragraph more than the file has (syssize rounds up, by less). */
	im = bz_build(4, PM_SIZE);
	im.hdr->syssize += 1;
	expect_refused(*state, im, "(syssize)");
}

static void test_syssize_rounded_up(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE + 1);

	assert_int_equal(im.hdr->syssize, PM_SIZE / 16 + 1);
	expect_loaded(*state, im);
}

static void test_no_entry_point(void **state)
{
	struct bz_img im = bz_build(4, 0x100);

	im.hdr->syssize = 0;
	expect_refused(*state, im, "ends before its 64-bit entry point");
	/* Exactly 0x200 bytes: the entry point would be the first byte past it. */
	im = bz_build(4, 0x200);
	expect_refused(*state, im, "ends before its 64-bit entry point");
}

static void test_no_signature(void **state)
{
	struct volt_err err = { 0 };
	struct boot_kernel k;
	uint8_t buf[0x100] = { 0 };

	assert_true(kernel_load_bzimage(*state, buf, sizeof(buf), &k, &err) < 0);
	assert_non_null(strstr(err.msg, "no HdrS signature"));
}

/* Protocol 2.10, the oldest with pref_address and init_size, loads. */
static void test_protocol_2_10(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);
	struct boot_kernel k;

	im.hdr->version = 0x020a;
	k = expect_loaded(*state, im);
	assert_int_equal(k.setup.version, 0x020a);
}

/* Cut right after the signature: a bzImage, truncated, not "no HdrS". */
static void test_cut_after_signature(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.len = offsetof(struct boot_params, hdr.header) + 4;
	expect_refused(*state, im, "ends inside the bzImage setup header");
}

/* A real bzImage's protected-mode part is megabytes long: load_end is still
 * where its decompression ends (pref_address + init_size) when that lies
 * above the copied file, so nothing (the initrd) is put there. */
static void test_big_kernel_load_end(void **state)
{
	struct bz_img im = bz_build(4, LAYOUT_MIB(2));
	struct boot_kernel k = expect_loaded(*state, im);

	assert_int_equal(k.load_end, PREF_ADDR + INIT_SIZE);
}

/* kernel_load_bzimage called on its own fills all of *out. */
static void test_bz_out_cleared(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);
	struct volt_err err = { 0 };
	struct boot_kernel k;

	memset(&k, 0xff, sizeof(k));
	assert_int_equal(kernel_load_bzimage(*state, im.buf, im.len, &k, &err), 0);
	assert_true(k.bzimage);
	assert_int_equal(k.shared, 0);
	free(im.buf);
}

static void test_cut_inside_header(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	im.len = 0x230;
	expect_refused(*state, im, "ends inside the bzImage setup header");
}

static void test_file_shrank_inside_kernel(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);
	int fd = image_memfd(im.buf, im.len);
	struct volt_err err = { 0 };
	struct boot_kernel k;

	/* Opened at full size, cut inside the protected-mode kernel. */
	assert_int_equal(ftruncate(fd, (off_t)im.setup_size + 0x1000), 0);
	assert_int_equal(kernel_load_fd(*state, fd, im.len, KERNEL_PAGES_PRIVATE, &k, &err), -EIO);
	close(fd);
	assert_non_null(strstr(err.msg, "file shrank to 6656 bytes while being read (expected 14848)"));
	free(im.buf);
}

static void test_file_never_mapped(void **state)
{
	struct bz_img im = bz_build(4, PM_SIZE);

	load_fd_unmapped(*state, im.buf, im.len, KERNEL_PAGES_PRIVATE);
	free(im.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_setup_sects_zero_means_four),
		cmocka_unit_test(test_small_setup),
		cmocka_unit_test(test_header_copied_only_to_its_end),
		cmocka_unit_test(test_header_longer_than_known),
		cmocka_unit_test(test_header_too_short),
		cmocka_unit_test(test_old_protocol),
		cmocka_unit_test(test_no_kernel_64),
		cmocka_unit_test(test_not_loaded_high),
		cmocka_unit_test(test_init_size_exact_fit),
		cmocka_unit_test(test_init_size_too_big),
		cmocka_unit_test(test_pref_address_huge),
		cmocka_unit_test(test_kernel_too_big_for_ram),
		cmocka_unit_test(test_relocatable_aligned_up),
		cmocka_unit_test(test_not_relocatable),
		cmocka_unit_test(test_load_end_covers_file),
		cmocka_unit_test(test_truncated_setup),
		cmocka_unit_test(test_truncated_syssize),
		cmocka_unit_test(test_syssize_rounded_up),
		cmocka_unit_test(test_no_entry_point),
		cmocka_unit_test(test_no_signature),
		cmocka_unit_test(test_protocol_2_10),
		cmocka_unit_test(test_cut_after_signature),
		cmocka_unit_test(test_big_kernel_load_end),
		cmocka_unit_test(test_bz_out_cleared),
		cmocka_unit_test(test_cut_inside_header),
		cmocka_unit_test(test_file_shrank_inside_kernel),
		cmocka_unit_test(test_file_never_mapped),
	};

	return cmocka_run_group_tests(tests, setup_mem, teardown_mem);
}
