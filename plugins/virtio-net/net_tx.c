#include "net_tx.h"

#include <endian.h>
#include <errno.h>

#include <volt/iov.h>

#include "net_config.h"

void net_tx_limits_init(struct net_tx_limits *lim, uint64_t features, uint16_t mtu)
{
	lim->features = features;
	lim->max_frame = net_plain_frame_max(mtu);
}

static bool net_has(const struct net_tx_limits *lim, unsigned bit)
{
	return lim->features & NET_F(bit);
}

static enum net_event net_tx_check_gso(const struct virtio_net_hdr_v1 *hdr, size_t frame_len,
				       const struct net_tx_limits *lim)
{
	uint8_t type = hdr->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool ecn = hdr->gso_type & VIRTIO_NET_HDR_GSO_ECN;

	if (type == VIRTIO_NET_HDR_GSO_NONE) {
		if (ecn)
			return NET_TX_BAD_GSO;
		return frame_len > lim->max_frame ? NET_TX_TOO_BIG : NET_OK;
	}
	if (type == VIRTIO_NET_HDR_GSO_TCPV4 && !net_has(lim, VIRTIO_NET_F_HOST_TSO4))
		return NET_TX_BAD_GSO;
	if (type == VIRTIO_NET_HDR_GSO_TCPV6 && !net_has(lim, VIRTIO_NET_F_HOST_TSO6))
		return NET_TX_BAD_GSO;
	if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6)
		return NET_TX_BAD_GSO; /* UDP (UFO), UDP_L4: never offered */
	if ((ecn && !net_has(lim, VIRTIO_NET_F_HOST_ECN)) || le16toh(hdr->gso_size) == 0)
		return NET_TX_BAD_GSO;
	return frame_len > NET_GSO_MAX_FRAME ? NET_TX_TOO_BIG : NET_OK;
}

enum net_event net_tx_check(const struct virtio_net_hdr_v1 *hdr, size_t frame_len,
			    const struct net_tx_limits *lim)
{
	enum net_event ev;

	if (frame_len < NET_ETH_HLEN)
		return NET_TX_RUNT;
	ev = net_tx_check_gso(hdr, frame_len, lim);
	if (ev != NET_OK)
		return ev;
	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		size_t end = (size_t)le16toh(hdr->csum_start) + le16toh(hdr->csum_offset) + 2;

		if (!net_has(lim, VIRTIO_NET_F_CSUM) || end > frame_len)
			return NET_TX_BAD_CSUM;
	}
	return NET_OK;
}

/* A header with flag bits other than NEEDS_CSUM, which the device must
 * ignore (virtio 1.2 5.1.6.2.2): the backend gets the host copy with only
 * NEEDS_CSUM kept, then the chain after its first 12 bytes (the header may
 * share a segment with the frame: that one is cut). Only such frames pay
 * for the extra iovec; guests do not set these bits. */
static void net_tx_own_header(const struct volt_vq_elem *elem, unsigned nout,
			      struct net_tx_frame *f)
{
	f->hdr.flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	f->own_iov[0] = (struct iovec){ &f->hdr, NET_VNET_HDR_LEN };
	f->iov = f->own_iov;
	f->iovcnt = 1 + (int)volt_iov_slice(elem->iov, nout, NET_VNET_HDR_LEN, f->frame_len,
					    f->own_iov + 1);
}

enum net_event net_tx_prepare(const struct volt_vq_elem *elem, const struct net_tx_limits *lim,
			      struct net_tx_frame *f)
{
	enum net_event ev;
	unsigned nout = elem->nout <= VOLT_VQ_MAX_SIZE ? elem->nout : VOLT_VQ_MAX_SIZE;
	size_t total = 0;

	f->iovcnt = 0;
	f->iov = NULL;
	f->frame_len = 0;
	f->chain_len = 0;
	/* The length from the segments themselves, not from a separate field. */
	for (unsigned i = 0; i < nout; i++)
		total += elem->iov[i].iov_len;
	f->chain_len = total;
	if (total == 0)
		return NET_TX_NO_READABLE;
	if (volt_iov_read(elem->iov, nout, 0, &f->hdr, NET_VNET_HDR_LEN) < NET_VNET_HDR_LEN)
		return NET_TX_SHORT_HDR;
	f->frame_len = total - NET_VNET_HDR_LEN;
	ev = net_tx_check(&f->hdr, f->frame_len, lim);
	if (ev != NET_OK)
		return ev;
	if (f->hdr.flags & (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		net_tx_own_header(elem, nout, f);
		return NET_OK;
	}
	f->iov = elem->iov;
	f->iovcnt = (int)nout;
	return NET_OK;
}

enum net_event net_tx_send(const struct volt_vq_elem *elem, const struct net_tx_limits *lim,
			   const struct volt_net_port *port, struct net_tx_frame *f, int *err)
{
	enum net_event ev = net_tx_prepare(elem, lim, f);
	ssize_t n;

	*err = 0;
	if (ev != NET_OK)
		return ev;
	n = port->ops->send(port->state, f->iov, f->iovcnt);
	if (n == -EAGAIN)
		return NET_TX_BACKEND_FULL;
	if (n < 0) {
		*err = (int)n;
		return NET_TX_BACKEND_ERROR;
	}
	return NET_OK;
}
