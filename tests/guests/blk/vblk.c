#include "vblk.h"

#include "guest.h"
#include "io.h"
#include "serial.h"

#define TSC_PER_MS 3000000ULL /* assume ~3 GHz; only bounds waits */

/* Rings and request buffers, one page each per device. */
static uint8_t vblk_pages[VBLK_MAX][5][4096] __attribute__((aligned(4096)));

uint64_t vblk_tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

bool vblk_elapsed(uint64_t start, unsigned ms)
{
	return vblk_tsc() - start > ms * TSC_PER_MS;
}

uint32_t vblk_rd(const struct vblk *d, uint32_t off)
{
	return mmio_read32(d->base + off);
}

void vblk_wr(const struct vblk *d, uint32_t off, uint32_t v)
{
	mmio_write32(d->base + off, v);
}

bool vblk_needs_reset(const struct vblk *d)
{
	return vblk_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

int vblk_probe(struct vblk *devs, int max)
{
	int n = 0;

	for (unsigned i = 0; i < VBLK_SLOTS && n < max; i++) {
		struct vblk *d = &devs[n];

		memset(d, 0, sizeof(*d));
		d->base = VBLK_WINDOW + i * VBLK_SLOT_SIZE;
		if (vblk_rd(d, VIRTIO_MMIO_MAGIC_VALUE) != 0x74726976 ||
		    vblk_rd(d, VIRTIO_MMIO_VERSION) != 2 || vblk_rd(d, VIRTIO_MMIO_DEVICE_ID) != 2)
			continue;
		d->slot = i;
		d->irq = VBLK_IRQ_FIRST + i;
		d->desc = (void *)vblk_pages[n][0];
		d->avail = (void *)vblk_pages[n][1];
		d->used = (void *)vblk_pages[n][2];
		d->hdr = (void *)vblk_pages[n][3];
		d->status = vblk_pages[n][3] + 64;
		d->itable = (void *)vblk_pages[n][4];
		n++;
	}
	return n;
}

static void vblk_set_status(struct vblk *d, uint32_t bits)
{
	vblk_wr(d, VIRTIO_MMIO_STATUS, vblk_rd(d, VIRTIO_MMIO_STATUS) | bits);
}

static void vblk_write_features(struct vblk *d, uint64_t f)
{
	vblk_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vblk_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	vblk_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vblk_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

static void vblk_queue_addr(struct vblk *d, uint32_t lo, const void *p)
{
	uint64_t a = (uint64_t)(uintptr_t)p;

	vblk_wr(d, lo, (uint32_t)a);
	vblk_wr(d, lo + 4, (uint32_t)(a >> 32));
}

int vblk_init(struct vblk *d, uint64_t want, uint16_t qsize, bool driver_ok)
{
	uint32_t max;

	vblk_wr(d, VIRTIO_MMIO_STATUS, 0);
	if (vblk_rd(d, VIRTIO_MMIO_STATUS) != 0) {
		serial_puts("vblk: status did not reset\n");
		return -1;
	}
	vblk_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vblk_set_status(d, VIRTIO_CONFIG_S_DRIVER);
	vblk_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	d->offered = vblk_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	vblk_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	d->offered |= (uint64_t)vblk_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vblk_write_features(d, (want & d->offered) | (1ULL << VIRTIO_F_VERSION_1));
	vblk_set_status(d, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vblk_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		serial_puts("vblk: FEATURES_OK not accepted\n");
		return -1;
	}
	vblk_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	max = vblk_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max < qsize || vblk_rd(d, VIRTIO_MMIO_QUEUE_READY)) {
		serial_puts("vblk: queue 0 unusable\n");
		return -1;
	}
	memset(d->avail, 0, 4096);
	memset(d->used, 0, 4096);
	d->qsize = qsize;
	d->avail_idx = d->used_seen = 0;
	vblk_wr(d, VIRTIO_MMIO_QUEUE_NUM, qsize);
	vblk_queue_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, d->desc);
	vblk_queue_addr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, d->avail);
	vblk_queue_addr(d, VIRTIO_MMIO_QUEUE_USED_LOW, d->used);
	vblk_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	if (vblk_rd(d, VIRTIO_MMIO_QUEUE_READY) != 1) {
		serial_puts("vblk: queue 0 not ready\n");
		return -1;
	}
	if (driver_ok)
		vblk_set_status(d, VIRTIO_CONFIG_S_DRIVER_OK);
	return vblk_needs_reset(d) ? -1 : 0;
}

void vblk_kick(struct vblk *d, uint16_t head)
{
	d->avail->ring[d->avail_idx % d->qsize] = head;
	d->avail_idx++;
	/* Descriptors and the ring entry before the index the device reads. */
	__atomic_store_n(&d->avail->idx, d->avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vblk_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

int vblk_wait(struct vblk *d, unsigned ms, uint32_t *len)
{
	uint64_t start = vblk_tsc();
	unsigned n = 0;

	for (;;) {
		if (__atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE) != d->used_seen) {
			if (len)
				*len = d->used->ring[d->used_seen % d->qsize].len;
			d->used_seen++;
			return 1;
		}
		/* A register read is an exit: check now and then only. */
		if (++n % 64 == 0 && vblk_needs_reset(d))
			return -1;
		if (vblk_elapsed(start, ms))
			return vblk_needs_reset(d) ? -1 : 0;
		__asm__ volatile("pause" ::: "memory");
	}
}

static void vblk_set_desc(struct vring_desc *t, unsigned i, const void *p, uint32_t len,
			  uint16_t flags, uint16_t next)
{
	t[i].addr = (uint64_t)(uintptr_t)p;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = next;
}

uint8_t vblk_rw(struct vblk *d, uint32_t type, uint64_t sector, void *buf, uint32_t len,
		bool indirect)
{
	bool to_guest = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct vring_desc *t = indirect ? d->itable : d->desc;
	uint16_t dflag = to_guest ? VRING_DESC_F_WRITE : 0;
	unsigned n = 0;

	d->hdr->type = type;
	d->hdr->ioprio = 0;
	d->hdr->sector = sector;
	*d->status = 0xee;
	vblk_set_desc(t, n, d->hdr, sizeof(*d->hdr), VRING_DESC_F_NEXT, n + 1);
	n++;
	if (len) {
		vblk_set_desc(t, n, buf, len, VRING_DESC_F_NEXT | dflag, n + 1);
		n++;
	}
	vblk_set_desc(t, n, d->status, 1, VRING_DESC_F_WRITE, 0);
	if (indirect)
		vblk_set_desc(d->desc, 0, t, (n + 1) * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	vblk_kick(d, 0);
	if (vblk_wait(d, 5000, NULL) != 1)
		return VBLK_TIMEOUT;
	return *(volatile uint8_t *)d->status;
}
