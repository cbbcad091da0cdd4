/* Ethernet, ARP, IPv4 and ICMP echo frames, built and recognised by hand
 * (network byte order throughout). */
#ifndef VOLT_GUEST_PKT_H
#define VOLT_GUEST_PKT_H

#include <stdint.h>

#define PKT_ARP_LEN  42  /* Ethernet + ARP */
#define PKT_PING_DATA 32
#define PKT_PING_LEN (14 + 20 + 8 + PKT_PING_DATA)

/* "a.b.c.d" up to a space or the end; 0 on success. */
int pkt_parse_ip(const char *s, uint8_t ip[4]);

/* Who-has `target` tell `ip` (broadcast). Returns the length. */
uint32_t pkt_arp_request(uint8_t *buf, const uint8_t mac[6], const uint8_t ip[4],
			 const uint8_t target[4]);

/* Is frame an ARP reply from `from` to `to`? Then its sender MAC goes to
 * peer_mac. */
int pkt_is_arp_reply(const uint8_t *frame, int len, const uint8_t from[4], const uint8_t to[4],
		     uint8_t peer_mac[6]);

/* An ICMP echo request from ip/mac to peer/peer_mac. Returns the length. */
uint32_t pkt_ping(uint8_t *buf, const uint8_t mac[6], const uint8_t ip[4],
		  const uint8_t peer_mac[6], const uint8_t peer[4], uint16_t id, uint16_t seq);

/* Is frame the echo reply to (id, seq) from peer, checksums correct? */
int pkt_is_pong(const uint8_t *frame, int len, const uint8_t peer[4], const uint8_t ip[4],
		uint16_t id, uint16_t seq);

#endif
