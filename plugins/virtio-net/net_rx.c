#include "net_rx.h"

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_net.h>

#include <volt/iov.h>

#include "net_config.h"
#include "net_tx.h"

/* One more chain must always fit, with the header's iovec before them all
 * and the sentinel byte after. */
#define NET_RX_GATHER_IOV (NET_RX_MAX_IOV - 2 - VOLT_VQ_MAX_SIZE)

void net_rx_limits_init(struct net_rx_limits *lim, uint64_t features, uint16_t mtu)
{
	bool tso = features & (NET_F(VIRTIO_NET_F_GUEST_TSO4) | NET_F(VIRTIO_NET_F_GUEST_TSO6));

	lim->features = features;
	lim->mrg = features & NET_F(VIRTIO_NET_F_MRG_RXBUF);
	lim->want = (uint32_t)NET_VNET_HDR_LEN + (tso ? NET_GSO_MAX_FRAME : net_plain_frame_max(mtu));
	/* A VLAN tag is allowed on top of the Ethernet header, tagged or not:
	 * telling would mean reading the frame back from the guest's buffer. */
	lim->max_plain = features & NET_F(VIRTIO_NET_F_MTU) ? net_plain_frame_max(mtu) : 0;
}

int net_rx_init(struct net_rx *rx, const struct volt_host_api *host, struct volt_instance *inst,
		unsigned queue)
{
	rx->host = host;
	rx->inst = inst;
	rx->queue = queue;
	rx->iov = rx->iovs + 1;
	net_rx_forget(rx);
	return 0;
}

void net_rx_fini(struct net_rx *rx)
{
}

void net_rx_forget(struct net_rx *rx)
{
	rx->nchain = rx->niov = rx->ndesc = 0;
	rx->cap = 0;
	rx->ring_size = 0;
}

/* Return a chain to the guest with `written` bytes. */
static void net_rx_push(struct net_rx *rx, uint16_t head, uint16_t generation, uint32_t cap,
			uint32_t written)
{
	rx->elem.head = head;
	rx->elem.generation = generation;
	rx->elem.nout = 0;
	rx->elem.nin = 0;
	rx->elem.out_len = 0;
	rx->elem.in_len = cap;
	rx->host->vq_push(rx->inst, rx->queue, &rx->elem, written);
	rx->pushes++;
}

static void net_rx_event(struct net_rx *rx, struct net_stats *st, enum net_event ev,
			 const char *detail)
{
	if (net_stats_count(st, ev))
		rx->host->log(rx->inst, VOLT_LOG_WARN, "receive: %s (%s); further ones are counted, "
			      "not logged", net_event_text(ev), detail);
}

/* Append a buffer, into the last iovec if it continues it. An empty one
 * holds nothing and is left out: every stashed iovec then holds at least
 * a byte, which net_rx_split_header counts on. */
static void net_rx_add_iov(struct net_rx *rx, const struct iovec *v)
{
	struct iovec *last = rx->niov ? &rx->iov[rx->niov - 1] : NULL;

	if (!v->iov_len)
		return;
	if (last && (uint8_t *)last->iov_base + last->iov_len == v->iov_base &&
	    last->iov_len <= SIZE_MAX - v->iov_len) {
		last->iov_len += v->iov_len;
		return;
	}
	rx->iov[rx->niov++] = *v;
}

/* Keep the chain just popped into rx->elem, or return it if unusable. */
static void net_rx_keep(struct net_rx *rx, struct net_stats *st)
{
	const struct volt_vq_elem *e = &rx->elem;
	struct net_rx_chain *c = &rx->chain[rx->nchain];

	if (e->nout || e->in_len < NET_VNET_HDR_LEN) {
		net_rx_event(rx, st, NET_RX_BAD_CHAIN, e->nout ? "device-readable segments" :
			     "fewer than 12 bytes");
		net_rx_push(rx, e->head, e->generation, e->in_len, 0);
		return;
	}
	c->head = e->head;
	c->generation = e->generation;
	c->ndesc = e->nin;
	c->cap = e->in_len;
	for (unsigned i = 0; i < e->nin; i++)
		net_rx_add_iov(rx, &e->iov[e->nout + i]);
	rx->ndesc += e->nin;
	rx->cap += e->in_len;
	rx->nchain++;
}

int net_rx_fill(struct net_rx *rx, const struct net_rx_limits *lim, struct net_stats *st)
{
	unsigned pops = 0;

	while (rx->nchain < VOLT_VQ_MAX_SIZE && rx->niov <= NET_RX_GATHER_IOV &&
	       (lim->mrg ? rx->cap < lim->want : rx->nchain == 0)) {
		int r;

		if (pops++ == NET_RX_FILL_MAX_POPS)
			return NET_RX_FILL_MORE;
		r = rx->host->vq_pop(rx->inst, rx->queue, &rx->elem);
		if (r <= 0)
			return r;
		net_rx_keep(rx, st);
	}
	return 0;
}

/* The queue's size, once per device activation (0 if it cannot be had).
 * vq_size, not vq_info: that one hands the queue to a kernel data plane. */
static unsigned net_rx_ring_size(struct net_rx *rx)
{
	int size;

	if (!rx->ring_size && rx->host->vq_size &&
	    (size = rx->host->vq_size(rx->inst, rx->queue)) > 0)
		rx->ring_size = (unsigned)size;
	return rx->ring_size;
}

bool net_rx_ready(struct net_rx *rx, const struct net_rx_limits *lim)
{
	unsigned size;

	if (!rx->nchain)
		return false;
	if (!lim->mrg || rx->cap >= lim->want)
		return true;
	/* Short of the largest frame: wait for more buffers, unless the guest
	 * has none left to give (every descriptor is in the stash). */
	size = net_rx_ring_size(rx);
	return rx->niov > NET_RX_GATHER_IOV || rx->nchain >= VOLT_VQ_MAX_SIZE ||
	       (size && (rx->nchain >= size || rx->ndesc >= size));
}

/* Drop the first `bytes` of the stash's iovecs (whole chains' worth). */
static void net_rx_advance(struct net_rx *rx, uint64_t bytes)
{
	unsigned drop = 0;

	while (drop < rx->niov && bytes >= rx->iov[drop].iov_len)
		bytes -= rx->iov[drop++].iov_len;
	if (drop < rx->niov && bytes) {
		rx->iov[drop].iov_base = (uint8_t *)rx->iov[drop].iov_base + bytes;
		rx->iov[drop].iov_len -= bytes;
	}
	rx->niov -= drop;
	memmove(rx->iov, rx->iov + drop, rx->niov * sizeof(rx->iov[0]));
}

/* The first k chains, holding n bytes, go to the guest. */
static void net_rx_deliver(struct net_rx *rx, unsigned k, uint32_t n)
{
	uint64_t bytes = 0;

	for (unsigned i = 0; i < k; i++) {
		uint32_t w = n < rx->chain[i].cap ? n : rx->chain[i].cap;

		net_rx_push(rx, rx->chain[i].head, rx->chain[i].generation, rx->chain[i].cap, w);
		n -= w;
		bytes += rx->chain[i].cap;
		rx->ndesc -= rx->chain[i].ndesc;
	}
	rx->cap -= bytes;
	rx->nchain -= k;
	memmove(rx->chain, rx->chain + k, rx->nchain * sizeof(rx->chain[0]));
	net_rx_advance(rx, bytes);
}

/* Chains the first n bytes span. */
static unsigned net_rx_chains_for(const struct net_rx *rx, uint64_t n)
{
	unsigned k = 0;

	while (k < rx->nchain && n > 0) {
		n -= n < rx->chain[k].cap ? n : rx->chain[k].cap;
		k++;
	}
	return k ? k : 1;
}

/* Make rx->hdr what the guest negotiated: the event that drops the frame
 * (a segmentation offload it did not accept, or longer than its MTU), or
 * NET_OK. frame_len: the bytes after the header. */
static enum net_event net_rx_fix_header(struct net_rx *rx, const struct net_rx_limits *lim,
					unsigned k, uint64_t frame_len)
{
	struct virtio_net_hdr_v1 *h = &rx->hdr;
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && !(lim->features & NET_F(VIRTIO_NET_F_GUEST_TSO4))) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !(lim->features & NET_F(VIRTIO_NET_F_GUEST_TSO6))) ||
	    (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 &&
	     gso != VIRTIO_NET_HDR_GSO_TCPV6))
		return NET_RX_BACKEND_ERROR;
	if (gso == VIRTIO_NET_HDR_GSO_NONE && lim->max_plain && frame_len > lim->max_plain)
		return NET_RX_OVER_MTU;
	/* Without GUEST_CSUM the flags must be 0 (virtio 1.2 5.1.6.4.1);
	 * the kernel marks even complete checksums DATA_VALID. */
	if (!(lim->features & NET_F(VIRTIO_NET_F_GUEST_CSUM)))
		h->flags = 0;
	h->num_buffers = htole16((uint16_t)k);
	return NET_OK;
}

/* Where the header lands: the stash's first NET_VNET_HDR_LEN bytes are cut
 * from the front of iov (saved, up to one iovec per byte: none is empty)
 * so that the readv puts the header in rx->hdr (iovs[0]) and the frame
 * after it in the guest's buffers. Returns the iovecs saved. */
static unsigned net_rx_split_header(struct net_rx *rx, struct iovec saved[NET_VNET_HDR_LEN])
{
	size_t skip = NET_VNET_HDR_LEN;
	unsigned i = 0;

	rx->iovs[0] = (struct iovec){ &rx->hdr, NET_VNET_HDR_LEN };
	while (skip && i < rx->niov && i < NET_VNET_HDR_LEN) {
		size_t cut = rx->iov[i].iov_len < skip ? rx->iov[i].iov_len : skip;

		saved[i] = rx->iov[i];
		rx->iov[i].iov_base = (uint8_t *)rx->iov[i].iov_base + cut;
		rx->iov[i].iov_len -= cut;
		skip -= cut;
		i++;
	}
	return i;
}

static ssize_t net_rx_read(struct net_rx *rx, const struct volt_net_port *port)
{
	struct iovec saved[NET_VNET_HDR_LEN];
	unsigned nsaved = net_rx_split_header(rx, saved);
	ssize_t n;

	rx->iov[rx->niov].iov_base = &rx->sentinel;
	rx->iov[rx->niov].iov_len = 1;
	n = port->ops->recv(port->state, rx->iovs, (int)rx->niov + 2);
	memcpy(rx->iov, saved, nsaved * sizeof(saved[0]));
	return n;
}

int net_rx_one(struct net_rx *rx, const struct net_rx_limits *lim,
	       const struct volt_net_port *port, struct net_stats *st)
{
	enum net_event ev;
	ssize_t n;
	unsigned k;

	n = net_rx_read(rx, port);
	if (n == -EAGAIN || n == 0)
		return 0;
	if (n < 0)
		return (int)n;
	if ((uint64_t)n > rx->cap || (!lim->mrg && (uint64_t)n > rx->chain[0].cap)) {
		net_rx_event(rx, st, NET_RX_TOO_BIG, "a frame did not fit");
		return 1;
	}
	if ((size_t)n < NET_VNET_HDR_LEN) {
		net_rx_event(rx, st, NET_RX_BACKEND_ERROR, "a frame shorter than its header");
		return 1;
	}
	k = lim->mrg ? net_rx_chains_for(rx, (uint64_t)n) : 1;
	ev = net_rx_fix_header(rx, lim, k, (uint64_t)n - NET_VNET_HDR_LEN);
	if (ev != NET_OK) {
		net_rx_event(rx, st, ev, ev == NET_RX_OVER_MTU ? "a frame too long and not "
			     "segmented" : "a segmentation offload the guest did not accept");
		return 1;
	}
	volt_iov_write(rx->iov, rx->niov, 0, &rx->hdr, NET_VNET_HDR_LEN);
	net_rx_deliver(rx, k, (uint32_t)n);
	st->rx_frames++;
	st->rx_bytes += (uint64_t)n - NET_VNET_HDR_LEN;
	return 1;
}
