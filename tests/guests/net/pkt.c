#include "pkt.h"

#include "guest.h"

#define ETH_ARP  0x0806
#define ETH_IPV4 0x0800

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Internet checksum (RFC 1071) of len bytes. */
static uint16_t csum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int pkt_parse_ip(const char *s, uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		uint32_t v = 0;
		int digits = 0;

		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (uint32_t)(*s - '0');
		if (!digits || v > 255)
			return -1;
		ip[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	return *s && *s != ' ' ? -1 : 0;
}

static void eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	put16(buf + 12, type);
}

uint32_t pkt_arp_request(uint8_t *buf, const uint8_t mac[6], const uint8_t ip[4],
			 const uint8_t target[4])
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = buf + 14;

	eth(buf, bcast, mac, ETH_ARP);
	put16(a, 1);            /* Ethernet */
	put16(a + 2, ETH_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);        /* request */
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, target, 4);
	return PKT_ARP_LEN;
}

int pkt_is_arp_reply(const uint8_t *f, int len, const uint8_t from[4], const uint8_t to[4],
		     uint8_t peer_mac[6])
{
	const uint8_t *a = f + 14;

	if (len < PKT_ARP_LEN || get16(f + 12) != ETH_ARP || get16(a + 6) != 2 ||
	    memcmp(a + 14, from, 4) || memcmp(a + 24, to, 4))
		return 0;
	memcpy(peer_mac, a + 8, 6);
	return 1;
}

uint32_t pkt_ping(uint8_t *buf, const uint8_t mac[6], const uint8_t ip[4],
		  const uint8_t peer_mac[6], const uint8_t peer[4], uint16_t id, uint16_t seq)
{
	uint8_t *h = buf + 14, *icmp = h + 20;

	eth(buf, peer_mac, mac, ETH_IPV4);
	memset(h, 0, 20);
	h[0] = 0x45;
	put16(h + 2, 20 + 8 + PKT_PING_DATA);
	put16(h + 4, seq);      /* identification */
	put16(h + 6, 0x4000);   /* don't fragment */
	h[8] = 64;              /* TTL */
	h[9] = 1;               /* ICMP */
	memcpy(h + 12, ip, 4);
	memcpy(h + 16, peer, 4);
	put16(h + 10, csum(h, 20));
	icmp[0] = 8;            /* echo request */
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	for (int i = 0; i < PKT_PING_DATA; i++)
		icmp[8 + i] = (uint8_t)('a' + i % 26);
	put16(icmp + 2, csum(icmp, 8 + PKT_PING_DATA));
	return PKT_PING_LEN;
}

int pkt_is_pong(const uint8_t *f, int len, const uint8_t peer[4], const uint8_t ip[4],
		uint16_t id, uint16_t seq)
{
	const uint8_t *h = f + 14, *icmp;
	uint32_t ihl, total;

	if (len < 14 + 20 + 8 || get16(f + 12) != ETH_IPV4 || (h[0] >> 4) != 4 || h[9] != 1)
		return 0;
	ihl = (uint32_t)(h[0] & 0xf) * 4;
	total = get16(h + 2);
	if (ihl < 20 || total < ihl + 8 || 14 + total > (uint32_t)len || csum(h, ihl) != 0 ||
	    memcmp(h + 12, peer, 4) || memcmp(h + 16, ip, 4))
		return 0;
	icmp = h + ihl;
	return icmp[0] == 0 && icmp[1] == 0 && get16(icmp + 4) == id && get16(icmp + 6) == seq &&
	       csum(icmp, total - ihl) == 0;
}
