/* e820_build against real guest_mem layouts: below, at and above the MMIO
 * hole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <asm/e820.h>
#include <string.h>

#include "boot/boot.h"
#include "vm/layout.h"

#define EBDA_RESERVED (LAYOUT_EBDA_END - LAYOUT_EBDA_START)

static unsigned build(uint64_t ram, struct guest_mem *mem, struct boot_e820_entry *t)
{
	struct volt_err err = { 0 };

	assert_int_equal(guest_mem_init(mem, ram, &err), 0);
	return e820_build(mem, t, E820_MAX_ENTRIES_ZEROPAGE);
}

/* Sorted, non-overlapping, and RAM adds up to everything but the EBDA. */
static void check_invariants(const struct boot_e820_entry *t, unsigned n, uint64_t ram)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < n; i++) {
		assert_true(t[i].size > 0);
		if (i > 0)
			assert_true(t[i - 1].addr + t[i - 1].size <= t[i].addr);
		if (t[i].type == E820_RAM)
			total += t[i].size;
	}
	assert_int_equal(total, ram - EBDA_RESERVED);
}

static void check_entry(const struct boot_e820_entry *e, uint64_t addr, uint64_t size,
			uint32_t type)
{
	assert_int_equal(e->addr, addr);
	assert_int_equal(e->size, size);
	assert_int_equal(e->type, type);
}

static void check_low(const struct boot_e820_entry *t, uint64_t low_end)
{
	check_entry(&t[0], 0, LAYOUT_EBDA_START, E820_RAM);
	check_entry(&t[1], LAYOUT_EBDA_START, EBDA_RESERVED, E820_RESERVED);
	check_entry(&t[2], LAYOUT_HIMEM_START, low_end - LAYOUT_HIMEM_START, E820_RAM);
}

static void test_128m(void **state)
{
	struct boot_e820_entry t[E820_MAX_ENTRIES_ZEROPAGE];
	struct guest_mem mem;
	unsigned n = build(LAYOUT_MIB(128), &mem, t);

	assert_int_equal(n, 3);
	check_low(t, LAYOUT_MIB(128));
	check_invariants(t, n, LAYOUT_MIB(128));
	guest_mem_fini(&mem);
}

static void test_exactly_hole(void **state)
{
	struct boot_e820_entry t[E820_MAX_ENTRIES_ZEROPAGE];
	struct guest_mem mem;
	unsigned n = build(LAYOUT_GIB(3), &mem, t);

	assert_int_equal(n, 3);
	check_low(t, LAYOUT_MMIO_HOLE_START);
	check_invariants(t, n, LAYOUT_GIB(3));
	guest_mem_fini(&mem);
}

static void test_4g(void **state)
{
	struct boot_e820_entry t[E820_MAX_ENTRIES_ZEROPAGE];
	struct guest_mem mem;
	unsigned n = build(LAYOUT_GIB(4), &mem, t);

	assert_int_equal(n, 4);
	check_low(t, LAYOUT_MMIO_HOLE_START);
	check_entry(&t[3], LAYOUT_MMIO_HOLE_END, LAYOUT_GIB(1), E820_RAM);
	check_invariants(t, n, LAYOUT_GIB(4));
	guest_mem_fini(&mem);
}

/* The smallest guest has no RAM above 1 MiB: no empty entry for it. */
static void test_1m(void **state)
{
	struct boot_e820_entry t[E820_MAX_ENTRIES_ZEROPAGE];
	struct guest_mem mem;
	unsigned n = build(LAYOUT_MIB(1), &mem, t);

	assert_int_equal(n, 2);
	check_invariants(t, n, LAYOUT_MIB(1));
	guest_mem_fini(&mem);
}

/* A table with less room than entries gets what fits, nothing past it. */
static void test_table_full(void **state)
{
	struct boot_e820_entry t[4];
	struct guest_mem mem;
	struct volt_err err = { 0 };

	memset(t, 0xee, sizeof(t));
	assert_int_equal(guest_mem_init(&mem, LAYOUT_MMIO_HOLE_START + LAYOUT_MIB(16), &err), 0);
	assert_int_equal(e820_build(&mem, t, 2), 2);
	check_entry(&t[0], 0, LAYOUT_EBDA_START, E820_RAM);
	check_entry(&t[1], LAYOUT_EBDA_START, EBDA_RESERVED, E820_RESERVED);
	assert_int_equal(t[2].type, 0xeeeeeeeeu);
	assert_int_equal(e820_build(&mem, t, 0), 0);
	guest_mem_fini(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_128m),
		cmocka_unit_test(test_exactly_hole),
		cmocka_unit_test(test_4g),
		cmocka_unit_test(test_1m),
		cmocka_unit_test(test_table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
