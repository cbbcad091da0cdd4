#include "net_stats.h"

static const char *const net_event_texts[NET_EVENT_COUNT] = {
	[NET_OK] = "ok",
	[NET_TX_NO_READABLE] = "a transmit chain with nothing device-readable",
	[NET_TX_SHORT_HDR] = "shorter than the 12-byte virtio-net header",
	[NET_TX_RUNT] = "a frame shorter than an Ethernet header",
	[NET_TX_TOO_BIG] = "a frame larger than the MTU allows",
	[NET_TX_BAD_GSO] = "a segmentation offload that was not negotiated",
	[NET_TX_BAD_CSUM] = "a checksum offload that was not negotiated or points outside the frame",
	[NET_TX_BACKEND_FULL] = "the backend cannot take more frames now",
	[NET_TX_BACKEND_ERROR] = "the backend refused the frame",
	[NET_RX_BAD_CHAIN] = "a receive buffer with device-readable parts or shorter than the header",
	[NET_RX_TOO_BIG] = "a received frame larger than the guest's receive buffers",
	[NET_RX_OVER_MTU] = "a received frame longer than the MTU the guest was given",
	[NET_RX_BACKEND_ERROR] = "reading from the backend failed",
};

const char *net_event_text(enum net_event ev)
{
	return ev < NET_EVENT_COUNT && net_event_texts[ev] ? net_event_texts[ev] : "?";
}

bool net_stats_count(struct net_stats *s, enum net_event ev)
{
	if (ev <= NET_OK || ev >= NET_EVENT_COUNT)
		return false;
	return s->count[ev]++ == 0;
}

uint64_t net_stats_dropped(const struct net_stats *s)
{
	uint64_t n = 0;

	for (int i = NET_OK + 1; i < NET_EVENT_COUNT; i++)
		n += s->count[i];
	return n;
}
