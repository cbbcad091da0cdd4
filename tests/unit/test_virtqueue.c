/* Split virtqueues driven by a simulated driver: the test builds rings and
 * chains in a guest RAM image, as a guest would, and checks what vq_pop,
 * vq_push and vq_should_notify make of them. Guest RAM here is two regions
 * (below and above a hole, like the real layout), each fenced by PROT_NONE
 * guard pages: a read or write outside RAM kills the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "virtio/virtqueue.h"

#define PAGE         4096ULL
#define LOW_SIZE     (1ULL << 20)          /* region 0: [0, 1 MiB) */
#define HIGH_GPA     0x100000000ULL        /* region 1: [4 GiB, 4 GiB + 1 MiB) */
#define HIGH_SIZE    (1ULL << 20)
#define QSIZE        16

#define DESC_GPA     0x1000ULL
#define AVAIL_GPA    0x2000ULL
#define USED_GPA     0x3000ULL
#define BUF_GPA      0x10000ULL            /* data buffers */
#define ITABLE_GPA   0x20000ULL            /* indirect tables */

#define FEAT_EVENT_IDX (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define FEAT_INDIRECT  (1ULL << VIRTIO_RING_F_INDIRECT_DESC)

struct sim {
	struct guest_mem mem;
	uint8_t *maps[2];          /* each: guard page, region, guard page */
	size_t map_sizes[2];
	struct virtqueue vq;
	struct volt_vq_elem elem;
	struct volt_err err;
	uint16_t avail_idx;        /* the driver's next avail->idx */
};

static uint8_t *sim_map_region(struct sim *s, unsigned i, uint64_t gpa, uint64_t size)
{
	size_t total = size + 2 * PAGE;
	uint8_t *p = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(mprotect(p + PAGE, size, PROT_READ | PROT_WRITE), 0);
	s->maps[i] = p;
	s->map_sizes[i] = total;
	s->mem.regions[i] = (struct guest_mem_region){ gpa, size, p + PAGE };
	return p + PAGE;
}

static int sim_setup(void **state)
{
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->mem.base = sim_map_region(s, 0, 0, LOW_SIZE);
	sim_map_region(s, 1, HIGH_GPA, HIGH_SIZE);
	s->mem.nregions = 2;
	s->mem.ram_size = LOW_SIZE + HIGH_SIZE;
	vq_init(&s->vq, &s->mem);
	*state = s;
	return 0;
}

static int sim_teardown(void **state)
{
	struct sim *s = *state;

	for (unsigned i = 0; i < 2; i++)
		munmap(s->maps[i], s->map_sizes[i]);
	free(s);
	return 0;
}

static void *gpa(struct sim *s, uint64_t addr, uint64_t len)
{
	void *p = guest_mem_ptr(&s->mem, addr, len);

	assert_non_null(p);
	return p;
}

static struct vring_desc *desc_at(struct sim *s, uint64_t table, unsigned i)
{
	return gpa(s, table + i * sizeof(struct vring_desc), sizeof(struct vring_desc));
}

static void set_desc(struct sim *s, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	*desc_at(s, table, i) = (struct vring_desc){ addr, len, flags, next };
}

static struct vring_avail *avail(struct sim *s)
{
	return gpa(s, AVAIL_GPA, sizeof(struct vring_avail) + 2 * (QSIZE + 1));
}

static struct vring_used *used(struct sim *s)
{
	return gpa(s, USED_GPA, sizeof(struct vring_used) + 8 * QSIZE + 2);
}

/* The driver makes chain `head` available. */
static void publish(struct sim *s, uint16_t head)
{
	avail(s)->ring[s->avail_idx % QSIZE] = head;
	s->avail_idx++;
	__atomic_store_n(&avail(s)->idx, s->avail_idx, __ATOMIC_RELEASE);
}

static void setup_queue(struct sim *s, uint64_t features)
{
	assert_int_equal(vq_setup(&s->vq, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, features, &s->err), 0);
}

/* Start a queue over again, rings empty, as a driver does after a reset. */
static void fresh_queue(struct sim *s, uint64_t features)
{
	s->avail_idx = 0;
	avail(s)->idx = 0;
	avail(s)->flags = 0;
	setup_queue(s, features);
}

static int pop(struct sim *s)
{
	memset(&s->err, 0, sizeof(s->err));
	return vq_pop(&s->vq, &s->elem, &s->err);
}

/* A hostile chain: vq_pop fails with want and a reason containing `why`. */
static void expect_pop_error(struct sim *s, int want, const char *why)
{
	assert_int_equal(pop(s), want);
	assert_int_equal(s->err.code, -want);
	if (!strstr(s->err.msg, why))
		fail_msg("reason \"%s\" lacks \"%s\"", s->err.msg, why);
	assert_null(strchr(s->err.msg, '\n'));
}

/* ---- normal operation -------------------------------------------------- */

static void test_chain_read_write(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	assert_int_equal(pop(s), 0);
	/* A block-style request: header, data (readable), status (writable). */
	set_desc(s, DESC_GPA, 3, BUF_GPA, 16, VRING_DESC_F_NEXT, 7);
	set_desc(s, DESC_GPA, 7, BUF_GPA + 0x100, 512, VRING_DESC_F_NEXT, 1);
	set_desc(s, DESC_GPA, 1, BUF_GPA + 0x400, 1, VRING_DESC_F_WRITE, 0);
	publish(s, 3);
	assert_int_equal(pop(s), 1);
	assert_int_equal(s->elem.head, 3);
	assert_int_equal(s->elem.nout, 2);
	assert_int_equal(s->elem.nin, 1);
	assert_int_equal(s->elem.out_len, 528);
	assert_int_equal(s->elem.in_len, 1);
	assert_ptr_equal(s->elem.iov[0].iov_base, gpa(s, BUF_GPA, 16));
	assert_int_equal(s->elem.iov[1].iov_len, 512);
	assert_ptr_equal(s->elem.iov[2].iov_base, gpa(s, BUF_GPA + 0x400, 1));
	assert_int_equal(pop(s), 0);

	assert_int_equal(vq_push(&s->vq, &s->elem, 1), 0);
	assert_int_equal(used(s)->ring[0].id, 3);
	assert_int_equal(used(s)->ring[0].len, 1);
	/* The driver sees the batch when it is flushed, not before. */
	assert_int_equal(used(s)->idx, 0);
	assert_true(vq_should_notify(&s->vq));
	assert_int_equal(used(s)->idx, 1);
	/* Nothing new since: no second interrupt. */
	assert_false(vq_should_notify(&s->vq));
	/* Pushed twice: the second is refused, the ring untouched. */
	assert_int_equal(vq_push(&s->vq, &s->elem, 1), -ESTALE);
	assert_int_equal(used(s)->idx, 1);
}

/* A receive frame in three merged buffers: the driver sees all three at
 * once or none (Linux drops a frame whose later buffers are missing). */
static void test_batch_published_whole(void **state)
{
	struct sim *s = *state;
	struct volt_vq_elem held[3];

	setup_queue(s, 0);
	for (uint16_t i = 0; i < 3; i++) {
		set_desc(s, DESC_GPA, i, BUF_GPA + i * 0x100u, 0x100, VRING_DESC_F_WRITE, 0);
		publish(s, i);
	}
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(pop(s), 1);
		held[i] = s->elem;
	}
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(vq_push(&s->vq, &held[i], 0x100), 0);
		assert_int_equal(used(s)->idx, 0);
	}
	/* The ring found empty ends the batch: one store of used->idx. */
	assert_int_equal(pop(s), 0);
	assert_int_equal(used(s)->idx, 3);
	assert_int_equal(used(s)->ring[2].id, 2);
	/* Flushing again with nothing new changes nothing. */
	vq_flush(&s->vq);
	assert_int_equal(used(s)->idx, 3);
}

static void test_written_capped_and_high_region(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, HIGH_GPA + HIGH_SIZE - 64, 64, VRING_DESC_F_WRITE, 0);
	publish(s, 0);
	assert_int_equal(pop(s), 1);
	assert_ptr_equal(s->elem.iov[0].iov_base, gpa(s, HIGH_GPA + HIGH_SIZE - 64, 64));
	assert_int_equal(vq_push(&s->vq, &s->elem, 1000), 0);
	assert_int_equal(used(s)->ring[0].len, 64);
}

static void test_wrap_around(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 5, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	/* Many rounds through the rings, past the 16-bit index wrap. */
	for (unsigned i = 0; i < 70000; i++) {
		publish(s, 5);
		assert_int_equal(pop(s), 1);
		assert_int_equal(vq_push(&s->vq, &s->elem, 8), 0);
	}
	assert_int_equal(pop(s), 0);
	assert_int_equal(used(s)->idx, (uint16_t)70000);
}

static void test_indirect(void **state)
{
	struct sim *s = *state;

	setup_queue(s, FEAT_INDIRECT);
	set_desc(s, ITABLE_GPA, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 2);
	set_desc(s, ITABLE_GPA, 2, BUF_GPA + 0x100, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(s, ITABLE_GPA, 1, BUF_GPA + 0x2000, 1, VRING_DESC_F_WRITE, 0);
	/* The WRITE flag on the table's own descriptor is ignored. */
	set_desc(s, DESC_GPA, 4, ITABLE_GPA, 3 * 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	publish(s, 4);
	assert_int_equal(pop(s), 1);
	assert_int_equal(s->elem.head, 4);
	assert_int_equal(s->elem.nout, 1);
	assert_int_equal(s->elem.nin, 2);
	assert_int_equal(s->elem.in_len, 4097);

	/* Direct descriptors followed by one indirect table. */
	set_desc(s, DESC_GPA, 8, BUF_GPA + 0x3000, 16, VRING_DESC_F_NEXT, 9);
	set_desc(s, DESC_GPA, 9, ITABLE_GPA + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(s, ITABLE_GPA + 0x100, 0, BUF_GPA + 0x4000, 2, VRING_DESC_F_WRITE, 0);
	publish(s, 8);
	assert_int_equal(pop(s), 1);
	assert_int_equal(s->elem.nout, 1);
	assert_int_equal(s->elem.nin, 1);
	assert_ptr_equal(s->elem.iov[1].iov_base, gpa(s, BUF_GPA + 0x4000, 2));
}

/* Without EVENT_IDX: VRING_USED_F_NO_NOTIFY while busy, clear when idle;
 * VRING_AVAIL_F_NO_INTERRUPT honoured. */
static void test_notify_flags(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	assert_int_equal(used(s)->flags, 0);
	set_desc(s, DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	set_desc(s, DESC_GPA, 1, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	publish(s, 0);
	publish(s, 1);
	assert_int_equal(pop(s), 1);
	assert_int_equal(used(s)->flags, VRING_USED_F_NO_NOTIFY);
	assert_int_equal(pop(s), 1);
	assert_int_equal(pop(s), 0);
	assert_int_equal(used(s)->flags, 0);

	avail(s)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	assert_int_equal(vq_push(&s->vq, &s->elem, 0), 0);
	assert_false(vq_should_notify(&s->vq));
}

static void test_event_idx(void **state)
{
	struct sim *s = *state;
	struct volt_vq_elem held[3];

	setup_queue(s, FEAT_EVENT_IDX);
	for (unsigned i = 0; i < 3; i++)
		set_desc(s, DESC_GPA, i, BUF_GPA + i * 64, 64, VRING_DESC_F_WRITE, 0);
	publish(s, 0);
	publish(s, 1);
	publish(s, 2);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(pop(s), 1);
		held[i] = s->elem;
	}
	/* Idle: avail_event asks for a notification at the next entry. */
	assert_int_equal(pop(s), 0);
	assert_int_equal(vring_avail_event(&s->vq.vr), 3);
	assert_int_equal(used(s)->flags, 0); /* flags unused with EVENT_IDX */

	/* The driver wants an interrupt only once used->idx passes 2. */
	vring_used_event(&s->vq.vr) = 2;
	assert_int_equal(vq_push(&s->vq, &held[0], 64), 0);
	assert_false(vq_should_notify(&s->vq));
	assert_int_equal(vq_push(&s->vq, &held[1], 64), 0);
	assert_false(vq_should_notify(&s->vq));
	assert_int_equal(vq_push(&s->vq, &held[2], 64), 0);
	assert_true(vq_should_notify(&s->vq));
	/* A batch that jumps over used_event still notifies. */
	for (unsigned i = 0; i < 2; i++)
		publish(s, i);
	vring_used_event(&s->vq.vr) = 3;
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(pop(s), 1);
		assert_int_equal(vq_push(&s->vq, &s->elem, 0), 0);
	}
	assert_true(vq_should_notify(&s->vq));
}

/* ---- polling: notifications suppressed, and no lost kick ---------------- */

/* The driver's side of virtio 1.2 section 2.7.10: after publishing
 * avail->idx (and a full fence), must it notify the device? */
static bool driver_must_kick(struct sim *s, uint16_t old_idx, bool event_idx)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (event_idx)
		return vring_need_event(vring_avail_event(&s->vq.vr), s->avail_idx, old_idx);
	return !(used(s)->flags & VRING_USED_F_NO_NOTIFY);
}

/* The driver adds a chain and reports whether it kicked. */
static bool driver_add(struct sim *s, uint16_t head, bool event_idx)
{
	uint16_t old = s->avail_idx;

	set_desc(s, DESC_GPA, head, BUF_GPA + head * 64u, 64, VRING_DESC_F_WRITE, 0);
	publish(s, head);
	return driver_must_kick(s, old, event_idx);
}

static void poll_no_lost_kick(struct sim *s, uint64_t features)
{
	bool event_idx = features & FEAT_EVENT_IDX;

	setup_queue(s, features);
	assert_int_equal(pop(s), 0);     /* idle: notifications wanted */
	assert_false(vq_poll_new(&s->vq));
	vq_poll_begin(&s->vq);
	if (!event_idx)
		assert_int_equal(used(s)->flags, VRING_USED_F_NO_NOTIFY);
	/* First chain: with EVENT_IDX the driver may still kick once (it has
	 * not passed avail_event yet); a poll finds the chain either way. */
	if (!event_idx)
		assert_false(driver_add(s, 0, event_idx));
	else
		(void)driver_add(s, 0, event_idx);
	assert_true(vq_poll_new(&s->vq));
	assert_false(vq_poll_new(&s->vq));  /* reported once */
	assert_int_equal(pop(s), 1);
	assert_int_equal(vq_push(&s->vq, &s->elem, 64), 0);
	/* Empty while polling: notifications stay off. */
	assert_int_equal(pop(s), 0);
	if (!event_idx)
		assert_int_equal(used(s)->flags, VRING_USED_F_NO_NOTIFY);
	else
		assert_int_equal(vring_avail_event(&s->vq.vr), 0); /* not advanced */
	assert_int_equal(used(s)->idx, 1); /* but the used chain is published */
	/* The race: a chain made available just before notifications come
	 * back. The driver sees them off and does not kick... */
	assert_false(driver_add(s, 1, event_idx));
	/* ...and ending the poll (notifications on, fence, one more look)
	 * finds it. */
	assert_true(vq_poll_end(&s->vq));
	if (!event_idx)
		assert_int_equal(used(s)->flags, 0);
	else
		assert_int_equal(vring_avail_event(&s->vq.vr), 1);
	assert_int_equal(pop(s), 1);
	assert_int_equal(s->elem.head, 1);
	assert_int_equal(vq_push(&s->vq, &s->elem, 64), 0);
	assert_int_equal(pop(s), 0);
	/* Not polling any more: the next chain is kicked for again. */
	assert_true(driver_add(s, 2, event_idx));
	assert_true(vq_poll_new(&s->vq));
	assert_int_equal(pop(s), 1);
	/* Ending a poll with nothing new: false, and a second end is a no-op. */
	vq_poll_begin(&s->vq);
	assert_false(vq_poll_end(&s->vq));
	assert_false(vq_poll_end(&s->vq));
}

static void test_poll_no_lost_kick(void **state)
{
	poll_no_lost_kick(*state, 0);
}

static void test_poll_no_lost_kick_event_idx(void **state)
{
	poll_no_lost_kick(*state, FEAT_EVENT_IDX);
}

/* A plugin that stopped popping with chains left (it is busy and will
 * come back) keeps notifications off after the poll: ending it does not
 * turn them on behind the plugin's back. */
static void test_poll_keeps_busy_queue_quiet(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	driver_add(s, 0, false);
	driver_add(s, 1, false);
	assert_int_equal(pop(s), 1);     /* busy: notifications off */
	vq_poll_begin(&s->vq);
	assert_true(vq_poll_end(&s->vq)); /* news since the last look: run it */
	assert_int_equal(used(s)->flags, VRING_USED_F_NO_NOTIFY);
	/* A reset forgets polling. */
	vq_poll_begin(&s->vq);
	vq_reset(&s->vq);
	assert_false(vq_poll_end(&s->vq));
	assert_false(vq_poll_new(&s->vq));
}

/* A queue disabled and enabled again (QueueReady 0, 1; no device reset)
 * pops the same head for a new chain while a device may still hold the
 * old element: its push is of an older generation and is dropped, and the
 * new chain's own push is the one used. An element with generation 0 (a
 * plugin built before ABI 1.1 that rebuilt it) is not checked. */
static void test_stale_generation_dropped(void **state)
{
	struct sim *s = *state;
	struct volt_vq_elem old;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 2, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	publish(s, 2);
	assert_int_equal(pop(s), 1);
	assert_int_not_equal(s->elem.generation, 0);
	old = s->elem;
	vq_reset(&s->vq);
	fresh_queue(s, 0);
	publish(s, 2);
	assert_int_equal(pop(s), 1);
	assert_int_equal(s->elem.head, old.head);
	assert_int_not_equal(s->elem.generation, old.generation);
	assert_int_equal(vq_push(&s->vq, &old, 8), -ESTALE);
	assert_int_equal(vq_push(&s->vq, &s->elem, 5), 0);
	vq_flush(&s->vq);
	assert_int_equal(used(s)->idx, 1);
	assert_int_equal(used(s)->ring[0].len, 5);
	/* Unknown generation: as before, only the in-flight check applies. */
	publish(s, 2);
	assert_int_equal(pop(s), 1);
	s->elem.generation = 0;
	assert_int_equal(vq_push(&s->vq, &s->elem, 3), 0);
}

static void test_reset_keeps_memory(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 2, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	publish(s, 2);
	assert_int_equal(pop(s), 1);
	vq_reset(&s->vq);
	assert_ptr_equal(s->vq.mem, &s->mem);
	assert_false(s->vq.ready);
	assert_int_equal(pop(s), 0);
	/* An element taken before the reset is not pushed after it. */
	assert_int_equal(vq_push(&s->vq, &s->elem, 8), -ESTALE);
	/* The queue comes back on the same memory. */
	fresh_queue(s, 0);
	assert_int_equal(vq_push(&s->vq, &s->elem, 8), -ESTALE);
	publish(s, 2);
	assert_int_equal(pop(s), 1);
	assert_int_equal(vq_push(&s->vq, &s->elem, 8), 0);
	vq_flush(&s->vq);
	assert_int_equal(used(s)->idx, 1);
}

/* ---- set-up checks ----------------------------------------------------- */

static void expect_setup_error(struct sim *s, uint16_t size, uint64_t d, uint64_t a, uint64_t u,
			       int want, const char *why)
{
	memset(&s->err, 0, sizeof(s->err));
	assert_int_equal(vq_setup(&s->vq, size, d, a, u, 0, &s->err), want);
	if (!strstr(s->err.msg, why))
		fail_msg("reason \"%s\" lacks \"%s\"", s->err.msg, why);
	assert_false(s->vq.ready);
	assert_int_equal(pop(s), 0);
}

static void test_setup_checks(void **state)
{
	struct sim *s = *state;
	uint64_t end = LOW_SIZE;

	expect_setup_error(s, 0, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL, "power of two");
	expect_setup_error(s, 12, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL, "power of two");
	expect_setup_error(s, 512, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL, "power of two");
	expect_setup_error(s, QSIZE, DESC_GPA + 8, AVAIL_GPA, USED_GPA, -EINVAL, "16-byte aligned");
	expect_setup_error(s, QSIZE, DESC_GPA, AVAIL_GPA + 1, USED_GPA, -EINVAL, "2-byte aligned");
	expect_setup_error(s, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA + 2, -EINVAL, "4-byte aligned");
	/* Rings that leave RAM, straddle the hole, or wrap. */
	expect_setup_error(s, QSIZE, end - 128, AVAIL_GPA, USED_GPA, -EFAULT, "descriptor table");
	expect_setup_error(s, QSIZE, DESC_GPA, end - 36, USED_GPA, -EFAULT, "driver ring");
	/* 4 + 8 * 16 + 2 = 134 bytes: one short of fitting. */
	expect_setup_error(s, QSIZE, DESC_GPA, AVAIL_GPA, end - 132, -EFAULT, "device ring");
	expect_setup_error(s, QSIZE, 0xfffffffffffffff0ULL, AVAIL_GPA, USED_GPA, -EFAULT,
			   "descriptor table");
	expect_setup_error(s, QSIZE, HIGH_GPA - 16, AVAIL_GPA, USED_GPA, -EFAULT, "descriptor table");
	/* Exactly at the end is fine. */
	assert_int_equal(vq_setup(&s->vq, QSIZE, DESC_GPA, AVAIL_GPA, end - 136, 0, &s->err), 0);
}

/* ---- hostile chains ---------------------------------------------------- */

static void test_outside_ram(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, LOW_SIZE, 16, 0, 0);
	publish(s, 0);
	expect_pop_error(s, -EFAULT, "not inside guest RAM");
}

static void test_crossing_ram_end(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, HIGH_GPA + HIGH_SIZE - 8, 16, VRING_DESC_F_WRITE, 0);
	publish(s, 0);
	expect_pop_error(s, -EFAULT, "not inside guest RAM");
}

static void test_crossing_hole(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, LOW_SIZE - 8, 16, 0, 0);
	publish(s, 0);
	expect_pop_error(s, -EFAULT, "not inside guest RAM");
}

static void test_length_max(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, BUF_GPA, 0xffffffffu, VRING_DESC_F_WRITE, 0);
	publish(s, 0);
	expect_pop_error(s, -EFAULT, "4294967295 bytes");
}

static void test_address_wraps(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, 0xfffffffffffffff0ULL, 0x20, 0, 0);
	publish(s, 0);
	expect_pop_error(s, -EFAULT, "not inside guest RAM");
}

static void test_looping_chain(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(s, DESC_GPA, 1, BUF_GPA, 8, VRING_DESC_F_NEXT, 0);
	publish(s, 0);
	expect_pop_error(s, -ELOOP, "longer than the queue");
}

static void test_self_loop_in_indirect(void **state)
{
	struct sim *s = *state;

	setup_queue(s, FEAT_INDIRECT);
	set_desc(s, ITABLE_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 0);
	set_desc(s, DESC_GPA, 0, ITABLE_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	publish(s, 0);
	expect_pop_error(s, -ELOOP, "longer than the indirect table");
}

static void test_next_outside_table(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, QSIZE);
	publish(s, 0);
	expect_pop_error(s, -EINVAL, "next index 16 is outside the queue");
}

static void test_nested_indirect(void **state)
{
	struct sim *s = *state;

	setup_queue(s, FEAT_INDIRECT);
	set_desc(s, ITABLE_GPA, 0, ITABLE_GPA + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(s, ITABLE_GPA + 0x100, 0, BUF_GPA, 8, 0, 0);
	set_desc(s, DESC_GPA, 0, ITABLE_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	publish(s, 0);
	expect_pop_error(s, -EINVAL, "indirect table inside an indirect table");
}

static void test_indirect_bad_tables(void **state)
{
	struct sim *s = *state;

	fresh_queue(s, FEAT_INDIRECT);
	set_desc(s, DESC_GPA, 0, ITABLE_GPA, 24, VRING_DESC_F_INDIRECT, 0);
	publish(s, 0);
	expect_pop_error(s, -EINVAL, "indirect table of 24 bytes");

	fresh_queue(s, FEAT_INDIRECT);
	set_desc(s, DESC_GPA, 0, ITABLE_GPA, 0, VRING_DESC_F_INDIRECT, 0);
	publish(s, 0);
	expect_pop_error(s, -EINVAL, "indirect table of 0 bytes");

	fresh_queue(s, FEAT_INDIRECT);
	set_desc(s, DESC_GPA, 0, LOW_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	publish(s, 0);
	expect_pop_error(s, -EFAULT, "indirect table 0xffff0 (32 bytes) is not inside guest RAM");

	fresh_queue(s, FEAT_INDIRECT);
	set_desc(s, DESC_GPA, 0, ITABLE_GPA, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	publish(s, 0);
	expect_pop_error(s, -EINVAL, "both INDIRECT and NEXT");
}

static void test_indirect_not_negotiated(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, ITABLE_GPA, 0, BUF_GPA, 8, 0, 0);
	set_desc(s, DESC_GPA, 0, ITABLE_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	publish(s, 0);
	expect_pop_error(s, -EINVAL, "without VIRTIO_RING_F_INDIRECT_DESC");
}

static void test_readable_after_writable(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	set_desc(s, DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(s, DESC_GPA, 1, BUF_GPA, 8, 0, 0);
	publish(s, 0);
	expect_pop_error(s, -EINVAL, "device-readable buffer follows a device-writable");
}

static void test_head_out_of_range(void **state)
{
	struct sim *s = *state;

	fresh_queue(s, 0);
	publish(s, QSIZE);
	expect_pop_error(s, -EINVAL, "names head 16");
	/* And 0xffff, the largest a 16-bit entry holds. */
	fresh_queue(s, 0);
	publish(s, 0xffff);
	expect_pop_error(s, -EINVAL, "names head 65535");
}

static void test_avail_idx_too_far_ahead(void **state)
{
	struct sim *s = *state;

	setup_queue(s, 0);
	avail(s)->idx = QSIZE + 1;
	expect_pop_error(s, -EINVAL, "17 entries ahead of 0");
	/* Exactly a full ring is fine. */
	set_desc(s, DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	for (unsigned i = 0; i < QSIZE; i++)
		avail(s)->ring[i] = 0;
	avail(s)->idx = QSIZE;
	assert_int_equal(pop(s), 1);
	/* Head 0 again while it is still in flight: the driver reused it. */
	expect_pop_error(s, -EINVAL, "made available again before it was used");
}

static void test_too_many_segments(void **state)
{
	struct sim *s = *state;
	unsigned n = VOLT_VQ_MAX_SIZE + 1;

	setup_queue(s, FEAT_INDIRECT);
	for (unsigned i = 0; i < n; i++)
		set_desc(s, ITABLE_GPA, i, BUF_GPA, 1, i + 1 < n ? VRING_DESC_F_NEXT : 0, i + 1);
	set_desc(s, DESC_GPA, 0, ITABLE_GPA, n * 16, VRING_DESC_F_INDIRECT, 0);
	publish(s, 0);
	expect_pop_error(s, -E2BIG, "more than 256 buffers");
	/* 256 exactly is the most an element holds, and fine. */
	set_desc(s, ITABLE_GPA, VOLT_VQ_MAX_SIZE - 1, BUF_GPA, 1, 0, 0);
	set_desc(s, DESC_GPA, 0, ITABLE_GPA, VOLT_VQ_MAX_SIZE * 16, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(pop(s), 1);
	assert_int_equal(s->elem.nout, VOLT_VQ_MAX_SIZE);
}

/* A queue that was never set up: empty, nothing to push, no interrupt. */
static void test_not_ready_queue(void **state)
{
	struct sim *s = *state;

	assert_int_equal(pop(s), 0);
	assert_false(vq_should_notify(&s->vq));
	assert_int_equal(vq_push(&s->vq, &s->elem, 0), -ESTALE);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, sim_setup, sim_teardown)
	const struct CMUnitTest tests[] = {
		T(test_chain_read_write),
		T(test_batch_published_whole),
		T(test_written_capped_and_high_region),
		T(test_wrap_around),
		T(test_indirect),
		T(test_notify_flags),
		T(test_event_idx),
		T(test_poll_no_lost_kick),
		T(test_poll_no_lost_kick_event_idx),
		T(test_poll_keeps_busy_queue_quiet),
		T(test_reset_keeps_memory),
		T(test_stale_generation_dropped),
		T(test_setup_checks),
		T(test_outside_ram),
		T(test_crossing_ram_end),
		T(test_crossing_hole),
		T(test_length_max),
		T(test_address_wraps),
		T(test_looping_chain),
		T(test_self_loop_in_indirect),
		T(test_next_outside_table),
		T(test_nested_indirect),
		T(test_indirect_bad_tables),
		T(test_indirect_not_negotiated),
		T(test_readable_after_writable),
		T(test_head_out_of_range),
		T(test_avail_idx_too_far_ahead),
		T(test_too_many_segments),
		T(test_not_ready_queue),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
