#include "bench_driver.h"

#include <endian.h>
#include <string.h>

#include <linux/virtio_ring.h>

#define BD_TX_RING  0x10000ULL
#define BD_RX_RING  0x20000ULL
#define BD_ITABLES  0x40000ULL   /* indirect tables: one per chain, 1 KiB each */

static void *bd_ptr(struct bench_driver *d, uint64_t gpa, uint64_t len)
{
	return bench_host_ptr(d->bh, gpa, len);
}

static void bd_ring(struct bench_driver *d, unsigned q, uint64_t base, struct vring *vr)
{
	d->desc[q] = base;
	d->avail[q] = base + 0x1000;
	d->used[q] = base + 0x2000;
	vr->num = BD_QSIZE;
	vr->desc = bd_ptr(d, d->desc[q], 16 * BD_QSIZE);
	vr->avail = bd_ptr(d, d->avail[q], 6 + 2 * BD_QSIZE);
	vr->used = bd_ptr(d, d->used[q], 6 + 8 * BD_QSIZE);
	memset(vr->desc, 0, 16 * BD_QSIZE);
	memset(vr->avail, 0, 6 + 2 * BD_QSIZE);
	memset(vr->used, 0, 6 + 8 * BD_QSIZE);
}

void bench_driver_init(struct bench_driver *d, struct bench_host *bh)
{
	memset(d, 0, sizeof(*d));
	d->bh = bh;
	bd_ring(d, 1, BD_TX_RING, &d->tx);
	bd_ring(d, 0, BD_RX_RING, &d->rx);
}

void bench_driver_tx_frame(struct bench_driver *d, const void *hdr, const void *frame,
			   uint32_t frame_len, int indirect)
{
	uint32_t head = frame_len < 54 ? frame_len : 54; /* Ethernet + IPv4 + TCP */

	d->frame_len = frame_len;
	d->tx_segs = indirect ? 1 + (frame_len - head + 4095) / 4096 : 1;
	for (unsigned i = 0; i < BD_QSIZE; i++) {
		uint64_t slot = BD_TX_GPA + (uint64_t)i * BD_TX_SLOT;
		uint8_t *p = bd_ptr(d, slot, 12 + frame_len);
		struct vring_desc *t = bd_ptr(d, BD_ITABLES + i * 1024ULL, 1024);

		memcpy(p, hdr, 12);
		memcpy(p + 12, frame, frame_len);
		if (!indirect) {
			d->tx.desc[i] = (struct vring_desc){ htole64(slot), htole32(12 + frame_len), 0, 0 };
			continue;
		}
		/* Header and protocol headers, then the payload in pages. */
		t[0] = (struct vring_desc){ htole64(slot), htole32(12 + head),
					    htole16(VRING_DESC_F_NEXT), htole16(1) };
		for (unsigned s = 1; s < d->tx_segs; s++) {
			uint32_t off = head + (s - 1) * 4096;
			uint32_t len = frame_len - off < 4096 ? frame_len - off : 4096;

			t[s] = (struct vring_desc){ htole64(slot + 12 + off), htole32(len),
						    htole16(s + 1 < d->tx_segs ? VRING_DESC_F_NEXT : 0),
						    htole16(s + 1) };
		}
		d->tx.desc[i] = (struct vring_desc){ htole64(BD_ITABLES + i * 1024ULL),
						     htole32(16 * d->tx_segs),
						     htole16(VRING_DESC_F_INDIRECT), 0 };
	}
}

unsigned bench_driver_tx_post(struct bench_driver *d, unsigned n)
{
	unsigned done = 0;

	while (done < n && d->tx_inflight < BD_QSIZE) {
		uint16_t head = d->tx_avail % BD_QSIZE; /* chains go round in order */

		d->tx.avail->ring[d->tx_avail % BD_QSIZE] = htole16(head);
		d->tx_avail++;
		d->tx_inflight++;
		done++;
	}
	d->tx.avail->idx = htole16(d->tx_avail);
	return done;
}

unsigned bench_driver_tx_reap(struct bench_driver *d)
{
	uint16_t idx = le16toh(d->tx.used->idx);
	unsigned n = (uint16_t)(idx - d->tx_used);

	d->tx_used = idx;
	d->tx_inflight -= n;
	return n;
}

unsigned bench_driver_rx_fill(struct bench_driver *d)
{
	unsigned n = 0;

	while ((uint16_t)(d->rx_avail - d->rx_used) < BD_QSIZE) {
		uint16_t id = d->rx_avail % BD_QSIZE;

		d->rx.desc[id] = (struct vring_desc){ htole64(BD_RX_GPA + (uint64_t)id * BD_RXBUF),
						      htole32(BD_RXBUF),
						      htole16(VRING_DESC_F_WRITE), 0 };
		d->rx.avail->ring[id] = htole16(id);
		d->rx_avail++;
		n++;
	}
	d->rx.avail->idx = htole16(d->rx_avail);
	return n;
}

unsigned bench_driver_rx_reap(struct bench_driver *d, uint64_t *bytes)
{
	uint16_t idx = le16toh(d->rx.used->idx);
	unsigned frames = 0;

	while (d->rx_used != idx) {
		struct vring_used_elem *u = &d->rx.used->ring[d->rx_used % BD_QSIZE];
		const uint8_t *hdr = bd_ptr(d, BD_RX_GPA + (uint64_t)le32toh(u->id) * BD_RXBUF, 12);
		unsigned nb = hdr[10] | hdr[11] << 8;
		uint64_t len = 0;

		/* A frame's buffers are used in a row (one device, one queue). */
		for (unsigned k = 0; k < (nb ? nb : 1) && d->rx_used != idx; k++) {
			len += le32toh(d->rx.used->ring[d->rx_used % BD_QSIZE].len);
			d->rx_used++;
		}
		*bytes += len - 12;
		frames++;
	}
	return frames;
}
