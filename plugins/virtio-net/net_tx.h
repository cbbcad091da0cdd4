/* The transmit path for one chain: the chain's device-readable part is a
 * struct virtio_net_hdr_v1 followed by an Ethernet frame, and it goes to
 * the backend as it is, iovecs pointing into guest memory (no copy, and
 * header and frame in one segment stay one: a single write()).
 *
 * The header is checked first, on a copy of its 12 bytes, against what was
 * negotiated. The guest could change its header after that check; the
 * kernel (tun, macvtap) checks the header it reads itself, as it does for
 * any unprivileged tap user, so the check here is policy and accounting
 * (what the guest may ask for, what is counted as lost), not what keeps
 * the host safe. Copying the header into a separate segment instead costs
 * an extra iovec per frame, up to a third of the small-frame rate. Only a
 * header with flag bits other than NEEDS_CSUM, which the device ignores
 * (virtio 1.2 5.1.6.2.2), goes as a host copy with those bits cleared.
 *
 * A chain that is not a frame we may send is lost (the caller counts it and
 * returns the chain): nothing device-readable, a short header, a runt, a
 * frame beyond the MTU (beyond 64 KiB for a TSO frame), a segmentation or
 * checksum offload the guest did not negotiate (or whose checksum position
 * lies outside the frame). */
#ifndef VOLT_PLUGIN_NET_TX_H
#define VOLT_PLUGIN_NET_TX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_net.h>
#include <volt/host.h>
#include <volt/net.h>
#include <volt/virtqueue.h>

#include "net_stats.h"

#define NET_VNET_HDR_LEN  sizeof(struct virtio_net_hdr_v1) /* 12 */
#define NET_ETH_HLEN      14
#define NET_VLAN_HLEN     4
/* The largest frame (without the vnet header) with a segmentation offload:
 * a 64 KiB packet plus its link-layer header. */
#define NET_GSO_MAX_FRAME (65536 + NET_ETH_HLEN + NET_VLAN_HLEN)

/* The largest frame (without the vnet header) without segmentation, either
 * way: the MTU plus the Ethernet header and a VLAN tag. */
static inline uint32_t net_plain_frame_max(uint16_t mtu)
{
	return (uint32_t)mtu + NET_ETH_HLEN + NET_VLAN_HLEN;
}

/* What a transmitted frame may be. */
struct net_tx_limits {
	uint64_t features;   /* negotiated VIRTIO_NET_F_* */
	uint32_t max_frame;  /* without segmentation: MTU + Ethernet + VLAN headers */
};

/* The limits for the negotiated features and the device's MTU. */
void net_tx_limits_init(struct net_tx_limits *lim, uint64_t features, uint16_t mtu);

/* Check a (copied, little-endian) header for a frame of frame_len bytes. */
enum net_event net_tx_check(const struct virtio_net_hdr_v1 *hdr, size_t frame_len,
			    const struct net_tx_limits *lim);

/* One chain made ready to send: the header as checked, and the chain's
 * readable segments (header first) in guest memory; or, for a header with
 * unknown flag bits, hdr with them cleared and then the segments after the
 * header, in own_iov (here, not on a stack: up to 257 iovecs). */
struct net_tx_frame {
	struct virtio_net_hdr_v1 hdr;
	size_t chain_len;    /* readable bytes, header included */
	size_t frame_len;
	int iovcnt;
	const struct iovec *iov;
	struct iovec own_iov[VOLT_VQ_MAX_SIZE + 1];
};

/* Check elem and fill f; NET_OK or why the chain is not sent. */
enum net_event net_tx_prepare(const struct volt_vq_elem *elem, const struct net_tx_limits *lim,
			      struct net_tx_frame *f);

/* Prepare and hand to the backend. NET_OK when sent; on
 * NET_TX_BACKEND_ERROR, *err is the backend's -errno. */
enum net_event net_tx_send(const struct volt_vq_elem *elem, const struct net_tx_limits *lim,
			   const struct volt_net_port *port, struct net_tx_frame *f, int *err);

#endif
