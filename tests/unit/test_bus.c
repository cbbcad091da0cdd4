/* PIO/MMIO bus: dispatch by range, overlap refusal, unclaimed accesses,
 * accesses past a range's end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bus/bus.h"
#include "util/log.h"

struct probe {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	uint8_t last_write;
	unsigned calls;
};

static void probe_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct probe *p = opaque;

	p->offset = offset;
	p->len = len;
	p->is_write = is_write;
	p->calls++;
	if (is_write)
		p->last_write = data[0];
	else
		memset(data, 0x5a, len);
}

static void test_dispatch_by_range(void **state)
{
	struct probe a = { 0 }, b = { 0 };
	uint8_t data[4] = { 0x11 };
	struct bus bus;

	bus_init(&bus, "PIO");
	assert_int_equal(bus_register(&bus, 0x3f8, 8, probe_access, &a, "a", NULL), 0);
	assert_int_equal(bus_register(&bus, 0x60, 1, probe_access, &b, "b", NULL), 0);
	assert_true(bus_access(&bus, 0x3fd, data, 1, false));
	assert_int_equal(a.offset, 5);
	assert_int_equal(data[0], 0x5a);
	data[0] = 0x42;
	assert_true(bus_access(&bus, 0x60, data, 1, true));
	assert_int_equal(b.last_write, 0x42);
	assert_int_equal(b.offset, 0);
	assert_int_equal(a.calls, 1);
	bus_fini(&bus);
}

static void test_overlap_refused(void **state)
{
	struct volt_err err = { 0 };
	struct probe a = { 0 };
	struct bus bus;

	bus_init(&bus, "MMIO");
	assert_int_equal(bus_register(&bus, 0x1000, 0x100, probe_access, &a, "first", NULL), 0);
	assert_int_equal(bus_register(&bus, 0x10ff, 2, probe_access, &a, "second", &err), -EEXIST);
	assert_non_null(strstr(err.msg, "second"));
	assert_non_null(strstr(err.msg, "overlaps first"));
	/* Adjacent ranges are fine, on both sides. */
	assert_int_equal(bus_register(&bus, 0x1100, 0x10, probe_access, &a, "after", NULL), 0);
	assert_int_equal(bus_register(&bus, 0xf00, 0x100, probe_access, &a, "before", NULL), 0);
	assert_int_equal(bus_register(&bus, 0, 0, probe_access, &a, "empty", NULL), -EINVAL);
	assert_int_equal(bus_register(&bus, UINT64_MAX - 1, 4, probe_access, &a, "wraps", NULL), -EINVAL);
	assert_string_equal(bus_find(&bus, 0xf00)->name, "before");
	assert_string_equal(bus_find(&bus, 0x1050)->name, "first");
	assert_string_equal(bus_find(&bus, 0x110f)->name, "after");
	assert_null(bus_find(&bus, 0x1110));
	bus_fini(&bus);
}

static void test_unclaimed_reads_all_ones(void **state)
{
	uint8_t data[8] = { 0 };
	struct bus bus;

	bus_init(&bus, "MMIO");
	log_set_level(LOG_ERROR); /* the unclaimed line is info */
	assert_false(bus_access(&bus, 0xdead0000, data, 8, false));
	for (int i = 0; i < 8; i++)
		assert_int_equal(data[i], 0xff);
	/* Logged once per address, and only up to the bound. */
	assert_false(bus_access(&bus, 0xdead0000, data, 4, true));
	assert_int_equal(bus.nunclaimed, 1);
	for (uint64_t a = 0; a < 100; a++)
		bus_access(&bus, a, data, 1, false);
	assert_int_equal(bus.nunclaimed, BUS_UNCLAIMED_LOG_MAX);
	bus_fini(&bus);
}

/* A handler never sees an access that runs past its range's end: a 4-byte
 * read at the last port of a range is unclaimed, all ones, and a write
 * there is dropped; the same access one byte earlier fits and is passed. */
static void test_access_past_the_end_unclaimed(void **state)
{
	struct probe a = { 0 };
	uint8_t data[4] = { 0 };
	struct bus bus;

	bus_init(&bus, "PIO");
	assert_int_equal(bus_register(&bus, 0x3f8, 8, probe_access, &a, "a", NULL), 0);
	assert_false(bus_access(&bus, 0x3ff, data, 4, false));
	assert_int_equal(a.calls, 0);
	assert_int_equal(data[0] & data[1] & data[2] & data[3], 0xff);
	assert_false(bus_access(&bus, 0x3fe, data, 4, true));
	assert_int_equal(a.calls, 0);
	assert_true(bus_access(&bus, 0x3fc, data, 4, false));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.offset + a.len, 8);
	assert_true(bus_access(&bus, 0x3ff, data, 1, false));
	assert_int_equal(a.calls, 2);
	bus_fini(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_by_range),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_unclaimed_reads_all_ones),
		cmocka_unit_test(test_access_past_the_end_unclaimed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
