/* initrd placement and loading, from temp files. The kernel is described by
 * a hand-filled boot_kernel: placement only depends on load_end, the format,
 * and (bzImage) initrd_addr_max. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/kernel.h"
#include "vm/layout.h"
#include "mem_fixture.h"


struct tmp {
	char path[64];
	uint8_t *data;   /* what was written, NULL for sparse files */
	size_t size;
};

static uint8_t initrd_byte(size_t off)
{
	return (uint8_t)(off * 11 + 3);
}

/* Write size bytes of a pattern, or make a sparse file of that size. */
static struct tmp tmp_make(size_t size, bool sparse)
{
	struct tmp t = { .size = size };
	int fd;

	strcpy(t.path, "/tmp/volt-test-initrd-XXXXXX");
	fd = mkstemp(t.path);
	assert_true(fd >= 0);
	if (sparse) {
		assert_int_equal(ftruncate(fd, (off_t)size), 0);
	} else {
		t.data = malloc(size ? size : 1);
		for (size_t i = 0; i < size; i++)
			t.data[i] = initrd_byte(i);
		assert_int_equal(write(fd, t.data, size), (ssize_t)size);
	}
	close(fd);
	return t;
}

static void tmp_drop(struct tmp *t)
{
	unlink(t->path);
	free(t->data);
}

static struct boot_kernel elf_kernel(uint64_t load_end)
{
	return (struct boot_kernel){ .entry = LAYOUT_MIB(16), .load_start = LAYOUT_MIB(16),
				     .load_end = load_end };
}

static struct boot_kernel bz_kernel(uint64_t load_end, uint32_t initrd_addr_max)
{
	struct boot_kernel k = { .entry = LAYOUT_HIMEM_START + 0x200,
				 .load_start = LAYOUT_HIMEM_START, .load_end = load_end,
				 .bzimage = true };

	k.setup.initrd_addr_max = initrd_addr_max;
	return k;
}

/* Load t for k and check it landed, page-aligned, at or below limit. */
static uint64_t expect_loaded(struct guest_mem *mem, struct tmp *t, const struct boot_kernel *k,
			      uint64_t limit)
{
	struct volt_err err = { 0 };
	uint64_t gpa = 0, size = 0;

	if (initrd_load(mem, t->path, k, &gpa, &size, &err))
		fail_msg("initrd_load failed: %s", err.msg);
	assert_int_equal(size, t->size);
	assert_int_equal(gpa % 4096, 0);
	assert_true(gpa >= k->load_end);
	assert_true(gpa + size <= limit);
	/* Highest fit: one more page up would cross the limit. */
	assert_true(gpa + 4096 + size > limit);
	if (t->data)
		assert_memory_equal(guest_mem_ptr(mem, gpa, size), t->data, size);
	return gpa;
}

static void expect_refused(struct guest_mem *mem, struct tmp *t, const struct boot_kernel *k,
			   const char *phrase)
{
	struct volt_err err = { 0 };
	uint64_t gpa = 0x1234, size = 0x5678;
	int ret = initrd_load(mem, t->path, k, &gpa, &size, &err);

	if (ret == 0 || !strstr(err.msg, phrase))
		fail_msg("expected an error containing \"%s\", got %d \"%s\"", phrase, ret, err.msg);
	assert_int_equal(gpa, 0x1234);
	assert_int_equal(size, 0x5678);
}

static void test_elf_below_ram_end(void **state)
{
	struct tmp t = tmp_make(10000, false);
	struct boot_kernel k = elf_kernel(LAYOUT_MIB(20));

	assert_int_equal(expect_loaded(*state, &t, &k, RAM_SIZE), (RAM_SIZE - 10000) & ~0xfffULL);
	tmp_drop(&t);
}

static void test_bz_below_initrd_addr_max(void **state)
{
	struct tmp t = tmp_make(3 * 4096 + 1, false);
	struct boot_kernel k = bz_kernel(LAYOUT_MIB(17), LAYOUT_MIB(64) - 1);

	expect_loaded(*state, &t, &k, LAYOUT_MIB(64));
	tmp_drop(&t);
}

static void test_bz_addr_max_above_ram(void **state)
{
	struct tmp t = tmp_make(4096, false);
	struct boot_kernel k = bz_kernel(LAYOUT_MIB(17), 0x7fffffff);

	assert_int_equal(expect_loaded(*state, &t, &k, RAM_SIZE), RAM_SIZE - 4096);
	tmp_drop(&t);
}

static void test_just_above_kernel(void **state)
{
	struct tmp t = tmp_make(LAYOUT_MIB(8), true);
	struct boot_kernel k = elf_kernel(RAM_SIZE - LAYOUT_MIB(8));

	assert_int_equal(expect_loaded(*state, &t, &k, RAM_SIZE), RAM_SIZE - LAYOUT_MIB(8));
	tmp_drop(&t);
}

static void test_below_mmio_hole(void **state)
{
	struct guest_mem big;
	struct tmp t = tmp_make(LAYOUT_MIB(1) + 17, true);
	struct boot_kernel k = elf_kernel(LAYOUT_MIB(20));

	(void)state;
	/* 4 GiB of RAM: the low region ends at the hole, RAM goes on above 4 GiB. */
	assert_int_equal(guest_mem_init(&big, LAYOUT_GIB(4), NULL), 0);
	assert_int_equal(big.nregions, 2);
	expect_loaded(&big, &t, &k, LAYOUT_MMIO_HOLE_START);
	guest_mem_fini(&big);
	tmp_drop(&t);
}

static void test_too_large(void **state)
{
	struct tmp t = tmp_make(LAYOUT_MIB(8) + 1, true);
	struct boot_kernel k = elf_kernel(RAM_SIZE - LAYOUT_MIB(8));

	expect_refused(*state, &t, &k, "initrd of 8388609 bytes does not fit");
	tmp_drop(&t);
}

static void test_larger_than_limit(void **state)
{
	struct tmp t = tmp_make(LAYOUT_MIB(200), true);
	struct boot_kernel k = bz_kernel(LAYOUT_MIB(17), LAYOUT_MIB(64) - 1);

	expect_refused(*state, &t, &k, "initrd limit (0x4000000)");
	tmp_drop(&t);
}

static void test_kernel_above_limit(void **state)
{
	struct tmp t = tmp_make(4096, false);
	struct boot_kernel k = bz_kernel(LAYOUT_MIB(70), LAYOUT_MIB(64) - 1);

	expect_refused(*state, &t, &k, "0 bytes free");
	tmp_drop(&t);
}

static void test_empty(void **state)
{
	struct tmp t = tmp_make(0, false);
	struct boot_kernel k = elf_kernel(LAYOUT_MIB(20));

	expect_refused(*state, &t, &k, "initrd file is empty");
	tmp_drop(&t);
}

static void test_missing(void **state)
{
	struct tmp t = { .path = "/nonexistent/volt-initrd" };
	struct boot_kernel k = elf_kernel(LAYOUT_MIB(20));

	expect_refused(*state, &t, &k, "cannot open initrd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_below_ram_end),
		cmocka_unit_test(test_bz_below_initrd_addr_max),
		cmocka_unit_test(test_bz_addr_max_above_ram),
		cmocka_unit_test(test_just_above_kernel),
		cmocka_unit_test(test_below_mmio_hole),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_larger_than_limit),
		cmocka_unit_test(test_kernel_above_limit),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests(tests, setup_mem, teardown_mem);
}
