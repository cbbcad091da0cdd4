/* What a virtio-net device counts: frames moved, and frames lost to a
 * guest's garbage or to the backend, by kind. The first loss of each kind
 * is logged with its details; later ones are only counted (a hostile guest
 * cannot fill the host's log) and the totals are logged when the device
 * goes away. Touched only by the device's I/O thread. */
#ifndef VOLT_PLUGIN_NET_STATS_H
#define VOLT_PLUGIN_NET_STATS_H

#include <stdbool.h>
#include <stdint.h>

enum net_event {
	NET_OK = 0,
	/* Transmit: the guest's chain or header is not a frame we send. */
	NET_TX_NO_READABLE,     /* a chain with nothing device-readable */
	NET_TX_SHORT_HDR,       /* fewer bytes than the 12-byte header */
	NET_TX_RUNT,            /* a frame shorter than an Ethernet header */
	NET_TX_TOO_BIG,         /* beyond the MTU (or 64 KiB with TSO) */
	NET_TX_BAD_GSO,         /* a segmentation type not negotiated, or gso_size 0 */
	NET_TX_BAD_CSUM,        /* NEEDS_CSUM not negotiated or pointing outside */
	/* Transmit: the backend did not take it. */
	NET_TX_BACKEND_FULL,    /* -EAGAIN: the host side is not draining */
	NET_TX_BACKEND_ERROR,
	/* Receive. */
	NET_RX_BAD_CHAIN,       /* device-readable parts, or shorter than the header */
	NET_RX_TOO_BIG,         /* a frame larger than the guest's buffers */
	NET_RX_OVER_MTU,        /* unsegmented and longer than the negotiated MTU allows */
	NET_RX_BACKEND_ERROR,
	NET_EVENT_COUNT,
};

struct net_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t rx_frames, rx_bytes;
	uint64_t count[NET_EVENT_COUNT];
};

/* "a chain with nothing device-readable" ... */
const char *net_event_text(enum net_event ev);

/* Count one event; true if it is the first of its kind (log it then). */
bool net_stats_count(struct net_stats *s, enum net_event ev);

/* Frames lost, all kinds together. */
uint64_t net_stats_dropped(const struct net_stats *s);

#endif
