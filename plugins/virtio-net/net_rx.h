/* The receive path: frames from the backend into the guest's receive
 * buffers, read straight into guest memory (no copy).
 *
 * Chains taken from the receive queue wait in a stash until a frame fills
 * them. Without VIRTIO_NET_F_MRG_RXBUF one chain holds one frame; with it,
 * a frame may span several chains (num_buffers in its header says how many),
 * so chains are gathered until they can hold the largest frame that may
 * arrive (MTU-sized, or 64 KiB when the guest accepts TSO) and one readv()
 * covers them all. A frame that turns out shorter uses the first chains; the
 * rest stay stashed for the next one (a chain cannot be given back
 * unused). One host byte after the guest's buffers tells a frame too large
 * for them (a tap returns what it copied, so a frame that fits exactly and
 * one that was cut would look alike without it); such a frame is dropped
 * and counted, its chains kept. So is an unsegmented frame longer than the
 * MTU the guest negotiated (the device must not pass one, virtio 1.2
 * 5.1.6.3.2), whatever room its buffers have.
 *
 * The frame's virtio-net header is read into host memory (hdr) and written
 * to the guest once fixed: the device never reads back what it wrote into
 * a device-writable buffer, which the guest may change meanwhile.
 *
 * When the guest has too little buffer space for the largest frame, the
 * device waits for more (the guest's notification) rather than reading a
 * frame it may have to drop, unless the stash already holds every buffer
 * the queue can have. Touched only by the device's I/O thread. */
#ifndef VOLT_PLUGIN_NET_RX_H
#define VOLT_PLUGIN_NET_RX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <volt/host.h>
#include <volt/net.h>
#include <volt/virtqueue.h>

#include <linux/virtio_net.h>

#include "net_stats.h"

#define NET_RX_MAX_IOV 1024 /* what one readv() takes (UIO_MAXIOV) */

struct net_rx_limits {
	uint64_t features;  /* negotiated VIRTIO_NET_F_* */
	bool mrg;           /* MRG_RXBUF: a frame may span chains */
	uint32_t want;      /* capacity that holds the largest frame, header included */
	uint32_t max_plain; /* with VIRTIO_NET_F_MTU: the longest unsegmented frame
			     * (MTU + Ethernet + VLAN headers); 0: no such limit */
};

void net_rx_limits_init(struct net_rx_limits *lim, uint64_t features, uint16_t mtu);

struct net_rx_chain {
	uint16_t head;
	uint16_t generation;   /* as vq_pop stamped it: pushed back unchanged */
	uint16_t ndesc;     /* its descriptors */
	uint32_t cap;       /* device-writable bytes */
};

struct net_rx {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	unsigned queue;
	unsigned ring_size;              /* 0 = not known yet */
	struct net_rx_chain chain[VOLT_VQ_MAX_SIZE];
	unsigned nchain;
	/* iov[0 .. niov): the chains' buffers in order, a buffer that starts
	 * where the one before it ends merged into it (a Linux guest carves
	 * its receive buffers one after another from page fragments), so a
	 * readv gets a few iovecs, not one per buffer. */
	unsigned niov;
	unsigned ndesc;                  /* descriptors in the stash */
	uint64_t cap;
	struct iovec *iov;               /* = iovs + 1 */
	struct iovec iovs[NET_RX_MAX_IOV]; /* iovs[0]: hdr, for the readv */
	struct virtio_net_hdr_v1 hdr;    /* the frame's header as the backend gave it */
	uint8_t sentinel;                /* the byte after the guest's buffers */
	unsigned pushes;                 /* chains returned, ever (the caller flushes them) */
	struct volt_vq_elem elem;        /* pop and push scratch */
};

/* Set up: 0 (or -errno). */
int net_rx_init(struct net_rx *rx, const struct volt_host_api *host, struct volt_instance *inst,
		unsigned queue);
void net_rx_fini(struct net_rx *rx);

/* Forget the stash without returning it: after a device reset its chains
 * are no longer in flight. */
void net_rx_forget(struct net_rx *rx);

/* Chains one fill takes from the queue at most, returned unusable ones
 * included: a guest that keeps posting chains no frame fits cannot hold
 * the I/O thread. */
#define NET_RX_FILL_MAX_POPS VOLT_VQ_MAX_SIZE
#define NET_RX_FILL_MORE 1

/* Take chains until the stash holds lim->want bytes (one chain without
 * MRG_RXBUF) or the queue is empty; a chain that cannot take a frame is
 * returned at once with 0 bytes (counted). -errno if the driver broke the
 * ring, NET_RX_FILL_MORE if NET_RX_FILL_MAX_POPS chains were taken and
 * more may wait, else 0. */
int net_rx_fill(struct net_rx *rx, const struct net_rx_limits *lim, struct net_stats *st);

/* May a frame be read now? (the stash holds lim->want, or every buffer the
 * queue can have). */
bool net_rx_ready(struct net_rx *rx, const struct net_rx_limits *lim);

/* Read one frame from the backend into the stash and give it to the guest.
 * 1: a frame was delivered (rx->pushes counts its chains) or dropped;
 * 0: the backend had nothing; -errno: the backend failed. */
int net_rx_one(struct net_rx *rx, const struct net_rx_limits *lim,
	       const struct volt_net_port *port, struct net_stats *st);

#endif
