#include "net_config.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static int net_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int net_mac_parse(const char *text, uint8_t mac[6])
{
	if (!text || strlen(text) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;
		int hi = net_hex(p[0]), lo = net_hex(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

const char *net_mac_unusable(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	if (mac[0] & 1)
		return "a multicast address (bit 0 of the first byte is set); a NIC needs a unicast one";
	if (!memcmp(mac, zero, sizeof(zero)))
		return "all zeros is not a valid address";
	return NULL;
}

void net_mac_random(uint8_t mac[6])
{
	if (getrandom(mac, 6, GRND_NONBLOCK) != 6) {
		/* No entropy yet (early boot): distinct enough per process. */
		uint64_t x = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)time(NULL);

		memcpy(mac, &x, 6);
	}
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

void net_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

uint64_t net_features_offered(bool offloads)
{
	uint64_t f = NET_F(VIRTIO_NET_F_MAC) | NET_F(VIRTIO_NET_F_STATUS) |
		     NET_F(VIRTIO_NET_F_MRG_RXBUF) | NET_F(VIRTIO_NET_F_MTU);

	if (offloads)
		f |= NET_F(VIRTIO_NET_F_CSUM) | NET_F(VIRTIO_NET_F_GUEST_CSUM) |
		     NET_F(VIRTIO_NET_F_HOST_TSO4) | NET_F(VIRTIO_NET_F_HOST_TSO6) |
		     NET_F(VIRTIO_NET_F_HOST_ECN) | NET_F(VIRTIO_NET_F_GUEST_TSO4) |
		     NET_F(VIRTIO_NET_F_GUEST_TSO6) | NET_F(VIRTIO_NET_F_GUEST_ECN);
	return f;
}

/* Each feature and what it needs (one of `needs_any`). */
static const struct {
	unsigned bit;
	uint64_t needs_any;
	const char *why;
} net_feature_deps[] = {
	{ VIRTIO_NET_F_GUEST_TSO4, NET_F(VIRTIO_NET_F_GUEST_CSUM), "GUEST_TSO4 without GUEST_CSUM" },
	{ VIRTIO_NET_F_GUEST_TSO6, NET_F(VIRTIO_NET_F_GUEST_CSUM), "GUEST_TSO6 without GUEST_CSUM" },
	{ VIRTIO_NET_F_GUEST_ECN,
	  NET_F(VIRTIO_NET_F_GUEST_TSO4) | NET_F(VIRTIO_NET_F_GUEST_TSO6),
	  "GUEST_ECN without GUEST_TSO4 or GUEST_TSO6" },
	{ VIRTIO_NET_F_HOST_TSO4, NET_F(VIRTIO_NET_F_CSUM), "HOST_TSO4 without CSUM" },
	{ VIRTIO_NET_F_HOST_TSO6, NET_F(VIRTIO_NET_F_CSUM), "HOST_TSO6 without CSUM" },
	{ VIRTIO_NET_F_HOST_ECN,
	  NET_F(VIRTIO_NET_F_HOST_TSO4) | NET_F(VIRTIO_NET_F_HOST_TSO6),
	  "HOST_ECN without HOST_TSO4 or HOST_TSO6" },
};

const char *net_features_check(uint64_t accepted)
{
	for (size_t i = 0; i < sizeof(net_feature_deps) / sizeof(net_feature_deps[0]); i++)
		if ((accepted & NET_F(net_feature_deps[i].bit)) &&
		    !(accepted & net_feature_deps[i].needs_any))
			return net_feature_deps[i].why;
	return NULL;
}

void net_config_fill(struct virtio_net_config *c, const uint8_t mac[6], uint16_t mtu)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	c->status = htole16(VIRTIO_NET_S_LINK_UP);
	c->max_virtqueue_pairs = htole16(1);
	c->mtu = htole16(mtu);
}
