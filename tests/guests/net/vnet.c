#include "vnet.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "guest.h"
#include "io.h"
#include "serial.h"

#define MAGIC_VIRT 0x74726976u
#define WAIT_TX_TSC (10ULL << 30) /* a few seconds of host time */

struct vnet_queue {
	struct vring_desc desc[VNET_QSIZE] __attribute__((aligned(16)));
	struct {
		uint16_t flags;
		uint16_t idx;
		uint16_t ring[VNET_QSIZE];
		uint16_t used_event;
	} avail __attribute__((aligned(4096)));
	struct {
		uint16_t flags;
		uint16_t idx;
		struct vring_used_elem ring[VNET_QSIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4096)));
};

static struct vnet_queue rxq __attribute__((aligned(4096)));
static struct vnet_queue txq __attribute__((aligned(4096)));
static uint8_t rx_bufs[VNET_QSIZE][VNET_RXBUF] __attribute__((aligned(64)));
static uint8_t tx_hdr[VNET_HDR_LEN] __attribute__((aligned(16)));
static uint8_t tx_buf[VNET_RXBUF] __attribute__((aligned(64)));
static int rx_pending = -1; /* buffer handed out by vnet_recv, to give back */

uint64_t vnet_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint32_t rd(struct vnet *v, uint32_t off)
{
	return mmio_read32(v->base + off);
}

static void wr(struct vnet *v, uint32_t off, uint32_t val)
{
	mmio_write32(v->base + off, val);
}

static void barrier(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

int vnet_probe(struct vnet *v)
{
	for (unsigned i = 0; i < VNET_MMIO_SLOTS; i++) {
		v->base = VNET_MMIO_BASE + i * 0x1000ULL;
		if (rd(v, VIRTIO_MMIO_MAGIC_VALUE) == MAGIC_VIRT && rd(v, VIRTIO_MMIO_VERSION) == 2 &&
		    rd(v, VIRTIO_MMIO_DEVICE_ID) == 1)
			return 0;
	}
	return -1;
}

static int vnet_queue(struct vnet *v, unsigned idx, struct vnet_queue *q)
{
	uint64_t d = (uint64_t)(uintptr_t)q->desc, a = (uint64_t)(uintptr_t)&q->avail;
	uint64_t u = (uint64_t)(uintptr_t)&q->used;

	wr(v, VIRTIO_MMIO_QUEUE_SEL, idx);
	if (rd(v, VIRTIO_MMIO_QUEUE_READY) || rd(v, VIRTIO_MMIO_QUEUE_NUM_MAX) < VNET_QSIZE)
		return -1;
	memset(q, 0, sizeof(*q));
	q->avail.flags = VRING_AVAIL_F_NO_INTERRUPT; /* we poll */
	wr(v, VIRTIO_MMIO_QUEUE_NUM, VNET_QSIZE);
	wr(v, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
	wr(v, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
	wr(v, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)a);
	wr(v, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(a >> 32));
	wr(v, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)u);
	wr(v, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(u >> 32));
	wr(v, VIRTIO_MMIO_QUEUE_READY, 1);
	return rd(v, VIRTIO_MMIO_QUEUE_READY) == 1 ? 0 : -1;
}

/* Make receive buffer i available again. */
static void vnet_rx_post(struct vnet *v, unsigned i)
{
	rxq.desc[i].addr = (uint64_t)(uintptr_t)rx_bufs[i];
	rxq.desc[i].len = VNET_RXBUF;
	rxq.desc[i].flags = VRING_DESC_F_WRITE;
	rxq.avail.ring[v->rx_avail % VNET_QSIZE] = (uint16_t)i;
	barrier();
	v->rx_avail++;
	rxq.avail.idx = v->rx_avail;
	barrier();
}

static uint64_t vnet_device_features(struct vnet *v)
{
	uint64_t f;

	wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(v, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)rd(v, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static int vnet_fail(const char *step, int code)
{
	serial_puts("INFO: virtio-net set-up failed at: ");
	serial_puts(step);
	serial_putc('\n');
	return code;
}

int vnet_init(struct vnet *v, unsigned options)
{
	uint64_t want = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC);
	uint64_t have;

	wr(v, VIRTIO_MMIO_STATUS, 0);
	if (rd(v, VIRTIO_MMIO_STATUS) != 0)
		return vnet_fail("reset", -1);
	wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	have = vnet_device_features(v);
	if (options & VNET_MRG_RXBUF)
		want |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	if (options & VNET_CSUM)
		want |= (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM);
	if ((have & want) != want)
		return vnet_fail("features (VERSION_1, MAC and those asked for) not offered", -2);
	v->features = want;
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
	wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(rd(v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return vnet_fail("FEATURES_OK refused", -3);
	for (int i = 0; i < 6; i++)
		v->mac[i] = *(volatile uint8_t *)(uintptr_t)(v->base + VIRTIO_MMIO_CONFIG + i);
	if (vnet_queue(v, 0, &rxq) || vnet_queue(v, 1, &txq))
		return vnet_fail("queue set-up", -4);
	v->rx_used_seen = v->tx_used_seen = v->rx_avail = v->tx_avail = 0;
	rx_pending = -1;
	for (unsigned i = 0; i < VNET_QSIZE; i++)
		vnet_rx_post(v, i);
	wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	if (rd(v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return vnet_fail("DRIVER_OK (the device needs a reset)", -5);
	wr(v, VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* receive buffers are there */
	return 0;
}

int vnet_send(struct vnet *v, const void *frame, uint32_t len)
{
	static const uint8_t zero[VNET_HDR_LEN];

	return vnet_send_hdr(v, zero, VNET_HDR_LEN, frame, len);
}

int vnet_send_hdr(struct vnet *v, const void *hdr, uint32_t hdr_len, const void *frame,
		  uint32_t len)
{
	uint16_t slot = v->tx_avail % VNET_QSIZE;
	uint64_t t0;

	if (len > sizeof(tx_buf) || hdr_len > sizeof(tx_hdr))
		return -1;
	memcpy(tx_hdr, hdr, hdr_len);
	memcpy(tx_buf, frame, len);
	/* Two descriptors, header then frame: a chain, as Linux sends it. */
	txq.desc[0].addr = (uint64_t)(uintptr_t)tx_hdr;
	txq.desc[0].len = hdr_len;
	txq.desc[0].flags = VRING_DESC_F_NEXT;
	txq.desc[0].next = 1;
	txq.desc[1].addr = (uint64_t)(uintptr_t)tx_buf;
	txq.desc[1].len = len;
	txq.desc[1].flags = 0;
	txq.avail.ring[slot] = 0;
	barrier();
	v->tx_avail++;
	txq.avail.idx = v->tx_avail;
	barrier();
	wr(v, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	t0 = vnet_rdtsc();
	while (*(volatile uint16_t *)&txq.used.idx == v->tx_used_seen) {
		if (vnet_rdtsc() - t0 > WAIT_TX_TSC)
			return -1;
		__asm__ volatile("pause");
	}
	v->tx_used_seen++;
	return 0;
}

int vnet_recv(struct vnet *v, const uint8_t **frame, uint64_t tsc_budget)
{
	uint64_t t0 = vnet_rdtsc();
	struct vring_used_elem e;

	if (rx_pending >= 0) {
		vnet_rx_post(v, (unsigned)rx_pending);
		rx_pending = -1;
		wr(v, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
	while (*(volatile uint16_t *)&rxq.used.idx == v->rx_used_seen) {
		if (vnet_rdtsc() - t0 > tsc_budget)
			return -1;
		__asm__ volatile("pause");
	}
	barrier();
	e = rxq.used.ring[v->rx_used_seen % VNET_QSIZE];
	v->rx_used_seen++;
	if (e.id >= VNET_QSIZE || e.len < VNET_HDR_LEN || e.len > VNET_RXBUF)
		return -1;
	rx_pending = (int)e.id;
	*frame = rx_bufs[e.id] + VNET_HDR_LEN;
	return (int)(e.len - VNET_HDR_LEN);
}

void vnet_reset(struct vnet *v)
{
	wr(v, VIRTIO_MMIO_STATUS, 0);
}
