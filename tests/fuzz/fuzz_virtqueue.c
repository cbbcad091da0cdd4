/* libFuzzer target: the split-virtqueue walker over a guest memory image
 * and rings the fuzzer controls. Guest RAM is two regions (as below and
 * above the MMIO hole), each its own heap block of exactly its size, so
 * AddressSanitizer catches any access outside RAM. Beyond "no crash": every
 * element popped must lie inside RAM, readable before writable, with the
 * lengths it reports; every refusal must carry a one-line reason.
 *
 * Input: 4 bytes of settings (queue size, features, pops, ring start
 * index), then the low region's contents (driver ring at 0, descriptor
 * table at 0x210, tables and buffers anywhere); the high region is zeros. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "virtio/virtqueue.h"

#include "fuzz_util.h"

#define LOW_SIZE  0x8000ULL
#define HIGH_GPA  0x100000000ULL
#define HIGH_SIZE 0x2000ULL
/* The driver's parts first, so short inputs reach them: the driver ring
 * (at most 518 bytes), then the descriptor table (at most 4 KiB); the
 * device ring, which only the device writes, out of the input's way. */
#define AVAIL_GPA 0x0000ULL
#define DESC_GPA  0x0210ULL
#define USED_GPA  0x6000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	uint8_t *low = calloc(1, LOW_SIZE), *high = calloc(1, HIGH_SIZE);
	struct volt_err err = { 0 };
	struct virtqueue vq;
	uint16_t qsize;
	uint64_t features = 0;
	unsigned pops;

	if (size < 4 || !elem || !low || !high)
		goto out;
	qsize = (uint16_t)(1u << (data[0] % 9)); /* 1 .. 256 */
	if (data[1] & 1)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (data[1] & 2)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	pops = 1 + data[2] % 16;
	memcpy(low, data + 4, size - 4 < LOW_SIZE ? size - 4 : LOW_SIZE);
	mem.regions[0] = (struct guest_mem_region){ 0, LOW_SIZE, low };
	mem.regions[1] = (struct guest_mem_region){ HIGH_GPA, HIGH_SIZE, high };
	mem.base = low;
	mem.ram_size = LOW_SIZE + HIGH_SIZE;

	vq_init(&vq, &mem);
	if (vq_setup(&vq, qsize, DESC_GPA, AVAIL_GPA, USED_GPA, features, &err) < 0)
		abort(); /* fixed, valid ring addresses */
	vq.last_avail = data[3]; /* the driver's ring may start anywhere */
	vq.used_idx = data[3];
	if (data[1] & 4)
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
	free(high);
	return 0;
}
