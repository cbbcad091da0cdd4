/* mptable_write, checked the way a guest reads it: find "_MP_" by scanning
 * the last KiB of base memory, then walk the configuration table with the
 * byte offsets of the MP spec 1.4 (deliberately not mptable_defs.h, so a
 * wrong struct layout shows up here). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot/boot.h"
#include "vm/layout.h"

struct mp_seen {
	unsigned cpus, buses, ioapics, ioints, lints;
	uint32_t apic_id_mask;
	unsigned bsp_count;
	uint8_t ioapic_id;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += p[i];
	return s;
}

static const uint8_t *find_floating_pointer(const struct guest_mem *mem)
{
	for (uint64_t a = 0x9fc00; a < 0xa0000; a += 16) {
		const uint8_t *p = guest_mem_ptr(mem, a, 16);

		if (memcmp(p, "_MP_", 4) == 0)
			return p;
	}
	return NULL;
}

static void check_cpu(const uint8_t *e, struct mp_seen *seen)
{
	assert_true(e[1] < 32);
	assert_int_equal(e[2], 0x14);
	assert_true(e[3] & 1);  /* enabled */
	if (e[3] & 2) {
		assert_int_equal(e[1], 0);  /* BSP is APIC ID 0 */
		seen->bsp_count++;
	}
	assert_false(seen->apic_id_mask & (1u << e[1]));
	seen->apic_id_mask |= 1u << e[1];
	seen->cpus++;
}

static void check_ioapic(const uint8_t *e, struct mp_seen *seen)
{
	assert_int_equal(e[2], 0x11);
	assert_true(e[3] & 1);
	assert_int_equal(rd32(e + 4), LAYOUT_IOAPIC_ADDR);
	seen->ioapic_id = e[1];
	seen->ioapics++;
}

/* I/O interrupt: IRQ n -> IOAPIC pin n, in order. */
static void check_ioint(const uint8_t *e, struct mp_seen *seen)
{
	assert_int_equal(e[1], 0);  /* INT */
	assert_int_equal(rd16(e + 2), 0);
	assert_int_equal(e[4], 0);  /* ISA bus */
	assert_int_equal(e[5], seen->ioints);
	assert_int_equal(e[6], seen->ioapic_id);
	assert_int_equal(e[7], seen->ioints);
	seen->ioints++;
}

/* Local interrupts: ExtINT on LINT0, NMI on LINT1, all local APICs. */
static void check_lint(const uint8_t *e, struct mp_seen *seen)
{
	assert_int_equal(e[1], seen->lints == 0 ? 3 : 1);
	assert_int_equal(e[6], 0xff);
	assert_int_equal(e[7], seen->lints);
	seen->lints++;
}

/* Walk the entries; returns the offset just past the last one. */
static size_t walk_entries(const uint8_t *t, unsigned count, struct mp_seen *seen)
{
	size_t off = 44;
	int last_type = 0;

	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = t + off;

		assert_true(e[0] >= last_type);  /* sorted by type (Table 4-3) */
		last_type = e[0];
		switch (e[0]) {
		case 0:
			check_cpu(e, seen);
			break;
		case 1:
			assert_memory_equal(e + 2, "ISA   ", 6);
			seen->buses++;
			break;
		case 2:
			check_ioapic(e, seen);
			break;
		case 3:
			check_ioint(e, seen);
			break;
		case 4:
			check_lint(e, seen);
			break;
		default:
			fail_msg("unknown MP entry type %u", e[0]);
		}
		off += e[0] == 0 ? 20 : 8;  /* entry lengths, Table 4-3 */
	}
	return off;
}

static void check_table(unsigned ncpus)
{
	struct guest_mem mem;
	struct volt_err err = { 0 };
	struct mp_seen seen = { 0 };
	const uint8_t *fp, *t;

	assert_int_equal(guest_mem_init(&mem, LAYOUT_MIB(128), &err), 0);
	assert_int_equal(mptable_write(&mem, ncpus, &err), 0);

	fp = find_floating_pointer(&mem);
	assert_non_null(fp);
	assert_int_equal(fp[8], 1);   /* length in paragraphs */
	assert_int_equal(fp[9], 4);   /* spec 1.4 */
	assert_int_equal(sum(fp, 16), 0);
	assert_int_equal(fp[11], 0);  /* a configuration table exists */

	t = guest_mem_ptr(&mem, rd32(fp + 4), 44);
	assert_non_null(t);
	assert_memory_equal(t, "PCMP", 4);
	assert_int_equal(t[6], 4);
	assert_memory_equal(t + 8, "VOLT    ", 8);
	assert_int_equal(rd32(t + 36), LAYOUT_LAPIC_ADDR);
	assert_non_null(guest_mem_ptr(&mem, rd32(fp + 4), rd16(t + 4)));
	assert_int_equal(sum(t, rd16(t + 4)), 0);
	assert_true(rd32(fp + 4) + rd16(t + 4) <= LAYOUT_EBDA_END);

	assert_int_equal(rd16(t + 34), ncpus + 1 + 1 + 24 + 2);
	assert_int_equal(walk_entries(t, rd16(t + 34), &seen), rd16(t + 4));
	assert_int_equal(seen.cpus, ncpus);
	assert_int_equal(seen.apic_id_mask, ncpus == 32 ? 0xffffffffu : (1u << ncpus) - 1);
	assert_int_equal(seen.bsp_count, 1);
	assert_int_equal(seen.buses, 1);
	assert_int_equal(seen.ioapics, 1);
	assert_int_equal(seen.ioapic_id, ncpus);
	/* Every IOAPIC pin, so every device IRQ: Linux allocates no IRQ
	 * number for a pin without an entry (in the rig, virtio-blk at IRQ 16
	 * and 17 failed their probe with -EINVAL). */
	assert_int_equal(seen.ioints, 24);
	assert_true(seen.ioints > LAYOUT_VIRTIO_IRQ_LAST);
	assert_int_equal(seen.lints, 2);
	guest_mem_fini(&mem);
}

static void test_1_cpu(void **state)
{
	check_table(1);
}

static void test_4_cpus(void **state)
{
	check_table(4);
}

static void test_32_cpus(void **state)
{
	check_table(32);
}

static void test_refused(void **state)
{
	struct guest_mem mem;
	struct volt_err err = { 0 };

	assert_int_equal(guest_mem_init(&mem, LAYOUT_MIB(128), &err), 0);
	assert_int_equal(mptable_write(&mem, 0, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "0 vCPUs"));
	err = (struct volt_err){ 0 };
	assert_int_equal(mptable_write(&mem, 33, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "33 vCPUs"));
	assert_null(find_floating_pointer(&mem));
	guest_mem_fini(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_1_cpu),
		cmocka_unit_test(test_4_cpus),
		cmocka_unit_test(test_32_cpus),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
