/* libFuzzer target: the split-virtqueue walker over a guest memory image
 * and rings the fuzzer controls. Guest RAM is two regions (as below and
 * above the MMIO hole), each its own heap block of exactly its size, so
 * AddressSanitizer catches any access outside RAM. Beyond "no crash": every
 * element popped must lie inside RAM, readable before writable, with the
 * lengths it reports; every refusal must carry a one-line reason.
 *
 * The high region is 4 GiB (read-only zeros, reserved but never backed,
 * between guard pages), so one buffer may be up to UINT32_MAX bytes and a
 * few of them pass 4 GiB in all, as in a big guest. The input can also
 * stamp a run of up to 2048 descriptors into the low region, which raw
 * bytes within libFuzzer's usual 4 KiB could never describe: chains of
 * 256 and 257 buffers (the core's limit), indirect tables longer than the
 * queue, loops at the end of a long run, readable after writable, every
 * buffer empty or of an edge length (0, 1, 12, 4095, 4096, 1 GiB, 2 GiB,
 * UINT32_MAX) in the low, the high or past the end of RAM.
 *
 * Input: 4 bytes of settings (queue size, features, pops, ring start
 * index; features bit 3: a stamp), then with a stamp its 8 bytes (see
 * stamp()), then the low region's contents (driver ring at 0, descriptor
 * table at 0x210, tables and buffers anywhere), the stamp written over
 * them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/virtio_ring.h>

#include "virtio/virtqueue.h"

#include "fuzz_util.h"

#define LOW_SIZE  0x8000ULL
#define HIGH_GPA  0x100000000ULL
#define HIGH_SIZE 0x100000000ULL /* 4 GiB, never backed */
#define GUARD     0x1000ULL
/* The driver's parts first, so short inputs reach them: the driver ring
 * (at most 518 bytes), then the descriptor table (at most 4 KiB); the
 * device ring, which only the device writes, out of the input's way. */
#define AVAIL_GPA 0x0000ULL
#define DESC_GPA  0x0210ULL
#define USED_GPA  0x6000ULL

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *high;

/* The high region: zeros nothing may write, a guard page either side. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t *m = mmap(NULL, HIGH_SIZE + 2 * GUARD, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED || mprotect(m + GUARD, HIGH_SIZE, PROT_READ))
		abort();
	high = m + GUARD;
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* A stamp: n descriptors in a row at a 16-byte slot of the low region.
 *   2 bytes  n - 1 (mod 2048, cut to what fits)
 *   2 bytes  the slot (mod 2048)
 *   1 byte   flags of every descriptor (NEXT is set on all but the last)
 *   1 byte   bits 0-1: the last one ends the chain, loops to the first,
 *            points just past the run, or at itself; bits 2-3: none, the
 *            second half, the first half (then readable after writable)
 *            or every other one writable as well; bit 4: next indices
 *            count from the descriptor table (a direct chain), else from
 *            the run's start (an indirect table); bit 5: descriptor 0
 *            points at the run as an indirect table and is made
 *            available; bit 6: the run's first is made available
 *   1 byte   length: an edge (below)
 *   1 byte   address: bit 7 the high region (4 KiB steps), else the low
 *            one (128-byte steps); 0x7f in the high region: just past RAM */
static void stamp(uint8_t *low, const uint8_t *p, uint16_t qsize, uint16_t start)
{
	static const uint32_t edge[] = { 0, 1, 12, 4095, 4096, 0x40000000, 0x80000000, UINT32_MAX };
	unsigned n = 1 + (p[0] | p[1] << 8) % 2048, slot = (p[2] | p[3] << 8) % 2048;
	uint16_t flags = p[4] & (uint16_t)~VRING_DESC_F_NEXT, mode = p[5], base = 0;
	uint32_t len = edge[p[6] % 8];
	uint64_t addr = p[7] & 0x80 ? HIGH_GPA + (p[7] == 0xff ? HIGH_SIZE : (uint64_t)(p[7] & 0x7f) << 12)
				    : (uint64_t)p[7] << 7;
	uint16_t avail_idx;

	if (n > LOW_SIZE / 16 - slot)
		n = LOW_SIZE / 16 - slot;
	if (mode & 16)
		base = (uint16_t)((slot * 16 - DESC_GPA) / 16); /* wraps below the table: refused */
	for (unsigned i = 0; i < n; i++) {
		uint8_t *d = low + (slot + i) * 16;
		uint16_t f = flags, next = (uint16_t)(base + i + 1);
		bool writable = ((mode >> 2) & 3) == 1 ? i >= n / 2 :
				((mode >> 2) & 3) == 2 ? i < n / 2 :
				((mode >> 2) & 3) == 3 && i % 2;

		if (writable)
			f |= VRING_DESC_F_WRITE;
		if (i + 1 < n)
			f |= VRING_DESC_F_NEXT;
		else if (mode & 3) {
			f |= VRING_DESC_F_NEXT;
			next = (mode & 3) == 1 ? base : (mode & 3) == 2 ? (uint16_t)(base + n) :
			       (uint16_t)(base + i);
		}
		for (unsigned b = 0; b < 8; b++)
			d[b] = (uint8_t)(addr >> (8 * b));
		for (unsigned b = 0; b < 4; b++)
			d[8 + b] = (uint8_t)(len >> (8 * b));
		put16(d + 12, f);
		put16(d + 14, next);
	}
	if (!(mode & 0x60))
		return;
	avail_idx = (uint16_t)(low[AVAIL_GPA + 2] | low[AVAIL_GPA + 3] << 8);
	if ((uint16_t)(avail_idx - start) >= qsize)
		avail_idx = start; /* entries from start on are ours */
	if (mode & 32) {
		uint8_t *d = low + DESC_GPA;
		uint64_t table = (uint64_t)slot * 16;
		uint32_t bytes = n * 16;

		for (unsigned b = 0; b < 8; b++)
			d[b] = (uint8_t)(table >> (8 * b));
		for (unsigned b = 0; b < 4; b++)
			d[8 + b] = (uint8_t)(bytes >> (8 * b));
		put16(d + 12, VRING_DESC_F_INDIRECT);
		put16(d + 14, 0);
		if ((uint16_t)(avail_idx - start) < qsize) {
			put16(low + AVAIL_GPA + 4 + 2 * (avail_idx & (qsize - 1)), 0);
			avail_idx++;
		}
	}
	if (mode & 64 && (uint16_t)(avail_idx - start) < qsize) {
		put16(low + AVAIL_GPA + 4 + 2 * (avail_idx & (qsize - 1)), base);
		avail_idx++;
	}
	put16(low + AVAIL_GPA + 2, avail_idx);
}

static const uint8_t *fuzz_ram_at(const struct guest_mem *mem, const void *p, size_t len)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		if ((const uint8_t *)p >= r->hva && len <= r->size &&
		    (size_t)((const uint8_t *)p - r->hva) <= r->size - len)
			return p;
	}
	return NULL;
}

static bool fuzz_in_ram(const void *mem, const void *p, size_t len)
{
	return fuzz_ram_at(mem, p, len) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem mem = { .nregions = 2 };
	struct volt_vq_elem *elem = malloc(sizeof(*elem));
	uint8_t *low = calloc(1, LOW_SIZE);
	const uint8_t *set = data, *stamp_at = NULL;
	struct volt_err err = { 0 };
	struct virtqueue vq;
	uint16_t qsize;
	uint64_t features = 0;
	unsigned pops;

	if (size < 4 || !elem || !low)
		goto out;
	qsize = (uint16_t)(1u << (set[0] % 9)); /* 1 .. 256 */
	if (set[1] & 1)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (set[1] & 2)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	pops = 1 + set[2] % 16;
	data += 4;
	size -= 4;
	if (set[1] & 8) {
		if (size < 8)
			goto out;
		stamp_at = data;
		data += 8;
		size -= 8;
	}
	memcpy(low, data, size < LOW_SIZE ? size : LOW_SIZE);
	if (stamp_at)
		stamp(low, stamp_at, qsize, set[3]);
	mem.regions[0] = (struct guest_mem_region){ 0, LOW_SIZE, low };
	mem.regions[1] = (struct guest_mem_region){ HIGH_GPA, HIGH_SIZE, high };
	mem.base = low;
	mem.ram_size = LOW_SIZE + HIGH_SIZE;

	vq_init(&vq, &mem);
	if (vq_setup(&vq, qsize, DESC_GPA, AVAIL_GPA, USED_GPA, features, &err) < 0)
		abort(); /* fixed, valid ring addresses */
	vq.last_avail = set[3]; /* the driver's ring may start anywhere */
	vq.used_idx = set[3];
	if (set[1] & 4)
		vq_poll_begin(&vq); /* as the I/O thread's poller: notifications off */
	for (unsigned i = 0; i < pops; i++) {
		int r;

		if (vq.polling)
			(void)vq_poll_new(&vq);
		r = vq_pop(&vq, elem, &err);

		if (r < 0) {
			if (!err.code || !err.msg[0] || strchr(err.msg, '\n'))
				abort();
			break;
		}
		if (r == 0)
			break;
		fuzz_check_elem(elem, fuzz_in_ram, &mem);
		if (vq_push(&vq, elem, elem->in_len) < 0)
			abort();
		vq_should_notify(&vq);
	}
	if (vq_poll_end(&vq) && vq_pop(&vq, elem, &err) == 1) /* the last look */
		fuzz_check_elem(elem, fuzz_in_ram, &mem);
	vq_reset(&vq);
	if (vq.mem != &mem)
		abort();
out:
	free(elem);
	free(low);
	return 0;
}
