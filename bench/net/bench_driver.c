#include "bench_driver.h"

#include <endian.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ring.h>

#define BD_TX_RING  0x10000ULL
#define BD_RX_RING  0x20000ULL
#define BD_ITABLES  0x40000ULL   /* indirect tables: one per chain, 1 KiB each */
#define BD_SEGS     64           /* indirect table entries at most */

#define BD_WMEM_DEFAULT 212992u  /* net.core.wmem_default */
#define BD_TCP_LIMIT    1048576u /* net.ipv4.tcp_limit_output_bytes (6.1) */
#define BD_SKB_STRUCT   256u     /* struct sk_buff, as truesize counts it */
#define BD_PAGE_FRAG    32768u   /* SKB_FRAG_PAGE_ORDER pages */
#define BD_TSO_SLOT     65536u
#define BD_GOOD_PACKET  1518u    /* GOOD_PACKET_LEN */
#define BD_PAGE         4096u

void bench_model_for(struct bench_model *m, uint32_t frame_len, int tso)
{
	uint32_t pkt = frame_len < BD_GOOD_PACKET ? BD_GOOD_PACKET : frame_len;

	memset(m, 0, sizeof(*m));
	if (tso) {
		m->tx_stride = BD_TSO_SLOT + BD_PAGE; /* the frame and its linear part */
		m->tx_slots = BD_TCP_LIMIT / BD_TSO_SLOT;
		m->tx_limit = m->tx_slots;
		m->tx_frag = BD_PAGE_FRAG;
	} else {
		/* The skb head: headroom, frame, skb_shared_info; kmalloc sizes. */
		uint32_t head = 512;

		while (head < 12 + frame_len + 64 + 320)
			head *= 2;
		m->tx_stride = head;
		m->tx_slots = BD_WMEM_DEFAULT / (head + BD_SKB_STRUCT);
		if (m->tx_slots > BD_QSIZE)
			m->tx_slots = BD_QSIZE;
		m->tx_limit = m->tx_slots;
	}
	/* get_mergeable_buf_len(): header + EWMA clamped, 64-aligned. */
	if (pkt > BD_PAGE - 12)
		pkt = BD_PAGE - 12;
	m->rx_buf = (12 + pkt + 63) & ~63u;
}

unsigned bench_model_tx_segs(const struct bench_model *m, uint32_t frame_len, int tso,
			     uint32_t off[], uint32_t len[], unsigned cap)
{
	uint32_t head = frame_len < 54 ? frame_len : 54; /* Ethernet + IPv4 + TCP */
	unsigned n = 0;

	if (!tso) {
		off[0] = 0;
		len[0] = 12 + frame_len;
		return 1;
	}
	off[n] = 0;
	len[n++] = 12 + head;
	for (uint32_t o = 12 + head; o < 12 + frame_len && n < cap; n++) {
		uint32_t l = 12 + frame_len - o < m->tx_frag ? 12 + frame_len - o : m->tx_frag;

		off[n] = o;
		len[n] = l;
		o += l;
	}
	return n;
}

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

void bench_driver_init(struct bench_driver *d, struct bench_host *bh, const struct bench_model *m)
{
	memset(d, 0, sizeof(*d));
	d->bh = bh;
	d->m = *m;
	bd_ring(d, 1, BD_TX_RING, &d->tx);
	bd_ring(d, 0, BD_RX_RING, &d->rx);
}

void bench_driver_tx_frame(struct bench_driver *d, const void *hdr, const void *frame,
			   uint32_t frame_len, int tso)
{
	d->frame_len = frame_len;
	d->tso = tso;
	for (unsigned i = 0; i < d->m.tx_slots; i++) {
		uint8_t *p = bd_ptr(d, bench_model_tx_gpa(&d->m, i), 12 + frame_len);

		memcpy(p, hdr, 12);
		memcpy(p + 12, frame, frame_len);
	}
}

/* ---- notifications (EVENT_IDX), as virtqueue_kick_prepare and
 * virtqueue_enable_cb do them ------------------------------------------- */

static void bd_publish(struct vring *vr, uint16_t idx)
{
	__atomic_store_n(&vr->avail->idx, htole16(idx), __ATOMIC_RELEASE);
}

static void bd_kick_check(struct bench_driver *d, unsigned q, struct vring *vr, uint16_t now,
			  uint16_t *old)
{
	uint64_t one = 1;
	uint16_t event;

	/* avail->idx before avail_event: the device's side of the handshake
	 * stores avail_event, fences, then reads avail->idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	event = le16toh(__atomic_load_n(&vring_avail_event(vr), __ATOMIC_RELAXED));
	if (vring_need_event(event, now, *old)) {
		d->kicks++;
		if (write(d->bh->kick_efd[q], &one, sizeof(one)) < 0) {
			/* a full counter still wakes the device */
		}
	}
	*old = now;
}

static uint16_t bd_used_idx(struct vring *vr)
{
	return le16toh(__atomic_load_n(&vr->used->idx, __ATOMIC_ACQUIRE));
}

void bench_driver_wait(struct bench_driver *d, unsigned q)
{
	struct vring *vr = q == 1 ? &d->tx : &d->rx;
	uint16_t last = q == 1 ? d->tx_used : d->rx_used;
	/* Transmit: virtio-net's start_xmit asks with
	 * virtqueue_enable_cb_delayed(), an interrupt once 3/4 of what is
	 * outstanding is used; receive: NAPI's virtqueue_enable_cb_prepare(),
	 * at the next used buffer. */
	uint16_t event = q == 1 ? (uint16_t)(last + d->tx_inflight * 3 / 4) : last;
	int efd = d->bh->irq_efd[q];
	unsigned idle = 0;
	uint64_t v;

	d->waits++;
	for (;;) {
		struct pollfd p = { .fd = efd, .events = POLLIN };

		__atomic_store_n(&vring_used_event(vr), htole16(event), __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (bd_used_idx(vr) != last)
			return;
		if (poll(&p, 1, 100) == 0) {
			d->wait_timeouts++; /* a lost interrupt: counted, then looked again */
			/* Nothing used for 10 s: the device is stuck, not slow.
			 * Say where, rather than hang the run. */
			if (++idle == 100) {
				fprintf(stderr, "bench-net: queue %u: nothing used for 10 s (avail %u, "
					"used %u, used->idx %u, device kicked %llu times)\n", q,
					q == 1 ? d->tx_avail : d->rx_avail, last, bd_used_idx(vr),
					(unsigned long long)d->kicks);
				exit(1);
			}
		}
		if (read(efd, &v, sizeof(v)) < 0) {
			/* spurious or already read */
		}
	}
}

/* ---- transmit ---------------------------------------------------------- */

int bench_driver_tx_post(struct bench_driver *d)
{
	uint32_t off[BD_SEGS], len[BD_SEGS];
	uint16_t head = d->tx_avail % BD_QSIZE; /* chains complete in order */
	uint64_t slot = bench_model_tx_gpa(&d->m, d->tx_seq);
	unsigned n;

	if (d->tx_inflight >= d->m.tx_limit || d->tx_inflight >= BD_QSIZE)
		return 0;
	n = bench_model_tx_segs(&d->m, d->frame_len, d->tso, off, len, BD_SEGS);
	if (n == 1) {
		d->tx.desc[head] = (struct vring_desc){ htole64(slot), htole32(len[0]), 0, 0 };
	} else {
		uint64_t table = BD_ITABLES + head * 1024ULL;
		struct vring_desc *t = bd_ptr(d, table, 1024);

		for (unsigned s = 0; s < n; s++)
			t[s] = (struct vring_desc){ htole64(slot + off[s]), htole32(len[s]),
						    htole16(s + 1 < n ? VRING_DESC_F_NEXT : 0),
						    htole16(s + 1) };
		d->tx.desc[head] = (struct vring_desc){ htole64(table), htole32(16 * n),
							htole16(VRING_DESC_F_INDIRECT), 0 };
	}
	d->tx.avail->ring[d->tx_avail % BD_QSIZE] = htole16(head);
	d->tx_avail++;
	d->tx_seq++;
	d->tx_inflight++;
	bd_publish(&d->tx, d->tx_avail);
	bd_kick_check(d, 1, &d->tx, d->tx_avail, &d->tx_kicked);
	return 1;
}

unsigned bench_driver_tx_reap(struct bench_driver *d)
{
	uint16_t idx = bd_used_idx(&d->tx);
	unsigned n = (uint16_t)(idx - d->tx_used);

	d->tx_used = idx;
	d->tx_inflight -= n;
	return n;
}

/* ---- receive ----------------------------------------------------------- */

unsigned bench_driver_rx_fill(struct bench_driver *d)
{
	return bench_driver_rx_fill_max(d, BD_QSIZE);
}

unsigned bench_driver_rx_fill_max(struct bench_driver *d, unsigned max)
{
	unsigned n = 0;

	while (n < max && (uint16_t)(d->rx_avail - d->rx_used) < BD_QSIZE) {
		uint16_t id = d->rx_avail % BD_QSIZE;

		d->rx.desc[id] = (struct vring_desc){ htole64(bench_model_rx_gpa(&d->m, id)),
						      htole32(d->m.rx_buf),
						      htole16(VRING_DESC_F_WRITE), 0 };
		d->rx.avail->ring[id] = htole16(id);
		d->rx_avail++;
		n++;
	}
	if (n) {
		bd_publish(&d->rx, d->rx_avail);
		bd_kick_check(d, 0, &d->rx, d->rx_avail, &d->rx_kicked);
	}
	return n;
}

unsigned bench_driver_rx_reap(struct bench_driver *d, uint64_t *bytes)
{
	uint16_t idx = bd_used_idx(&d->rx);
	unsigned frames = 0;

	while (d->rx_used != idx) {
		struct vring_used_elem *u = &d->rx.used->ring[d->rx_used % BD_QSIZE];
		const uint8_t *hdr = bd_ptr(d, bench_model_rx_gpa(&d->m, le32toh(u->id)), 12);
		unsigned nb = hdr[10] | hdr[11] << 8;
		uint64_t len = 0;

		/* A frame's buffers are used in a row (one device, one queue),
		 * and published together: all of them are below idx. */
		for (unsigned k = 0; k < (nb ? nb : 1) && d->rx_used != idx; k++) {
			len += le32toh(d->rx.used->ring[d->rx_used % BD_QSIZE].len);
			d->rx_used++;
		}
		*bytes += len - 12;
		frames++;
	}
	return frames;
}
