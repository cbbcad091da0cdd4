/* net: a guest with a minimal virtio-net driver (vnet.c). It finds the
 * device, sets it up, asks for the host's MAC address with ARP and pings
 * the host, all polled. The addresses come from the kernel command line:
 *   net.ip=A.B.C.D    the guest's address
 *   net.peer=A.B.C.D  the host side's address (on the tap, the bridge...)
 *   net.mac=MAC       optional: the MAC the device must report
 *   net.mrg=1         optional: negotiate VIRTIO_NET_F_MRG_RXBUF
 *   net.csum=1        optional: negotiate CSUM and GUEST_CSUM; received
 *                     headers may then carry NEEDS_CSUM or DATA_VALID only
 *   net.garbage=1     optional: first send what a hostile guest would (a
 *                     short header, a frame beyond the MTU, a TSO frame
 *                     without TSO negotiated, each twice); the device must
 *                     drop them and go on
 * One line per check ("PASS: name" or "FAIL: name"), then
 * "NET DONE pass=N fail=M", a device reset and a machine reset. */
#include <asm/bootparam.h>
#include <linux/virtio_net.h>

#include "guest.h"
#include "pkt.h"
#include "check.h"
#include "serial.h"
#include "vnet.h"

#define ZERO_PAGE_ADDR 0x7000ULL
#define TRIES          5
#define WAIT_REPLY_TSC (4ULL << 30) /* per try: a second or two of host time */
#define PING_ID        0x766e       /* "vn" */
#define NET_GARBAGE    0x100        /* run() option: send_garbage() first */

static unsigned n_pass, n_fail;
static uint8_t frame[2048];

static void check(int ok, const char *name)
{
	serial_puts(ok ? "PASS: " : "FAIL: ");
	serial_puts(name);
	serial_putc('\n');
	if (ok)
		n_pass++;
	else
		n_fail++;
}

static const char *cmdline(void)
{
	const struct boot_params *bp = (const struct boot_params *)(uintptr_t)ZERO_PAGE_ADDR;

	return (const char *)(uintptr_t)bp->hdr.cmd_line_ptr;
}

static void print_mac(const char *what, const uint8_t mac[6])
{
	static const char hex[] = "0123456789abcdef";

	serial_puts(what);
	for (int i = 0; i < 6; i++) {
		serial_putc(hex[mac[i] >> 4]);
		serial_putc(hex[mac[i] & 15]);
		if (i < 5)
			serial_putc(':');
	}
	serial_putc('\n');
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++, s++) {
			char c = *s;

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -1;
		}
		mac[i] = (uint8_t)v;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	return 0;
}

/* The num_buffers field of the frame vnet_recv just returned. */
static uint16_t num_buffers(const uint8_t *f)
{
	const uint8_t *hdr = f - VNET_HDR_LEN;

	return (uint16_t)(hdr[10] | hdr[11] << 8);
}

/* Its header flags: 0 without GUEST_CSUM, else NEEDS_CSUM (1) and/or
 * DATA_VALID (2); never a segmentation type (GUEST_TSO not accepted). */
static int hdr_ok(const uint8_t *f, int csum)
{
	const uint8_t *hdr = f - VNET_HDR_LEN;

	return hdr[1] == 0 && (csum ? !(hdr[0] & ~3) : hdr[0] == 0);
}

/* Send `req` until a frame `match` accepts arrives, TRIES times. */
static int exchange(struct vnet *v, const uint8_t *req, uint32_t len,
		    int (*match)(const uint8_t *f, int len, void *ctx), void *ctx, int *nbuf_ok,
		    int *hdr_good)
{
	for (int t = 0; t < TRIES; t++) {
		uint64_t t0 = vnet_rdtsc();
		const uint8_t *f;
		int n;

		if (vnet_send(v, req, len))
			return 0;
		while (vnet_rdtsc() - t0 < WAIT_REPLY_TSC) {
			n = vnet_recv(v, &f, WAIT_REPLY_TSC - (vnet_rdtsc() - t0));
			if (n < 0)
				break;
			if (num_buffers(f) != 1)
				*nbuf_ok = 0;
			if (!hdr_ok(f, (v->features >> VIRTIO_NET_F_GUEST_CSUM) & 1))
				*hdr_good = 0;
			if (match(f, n, ctx))
				return 1;
		}
	}
	return 0;
}

struct net_ctx {
	uint8_t ip[4], peer[4], mac[6], peer_mac[6];
	uint16_t seq;
};

static int match_arp(const uint8_t *f, int len, void *opaque)
{
	struct net_ctx *c = opaque;

	return pkt_is_arp_reply(f, len, c->peer, c->ip, c->peer_mac);
}

static int match_pong(const uint8_t *f, int len, void *opaque)
{
	struct net_ctx *c = opaque;

	return pkt_is_pong(f, len, c->peer, c->ip, PING_ID, c->seq);
}

/* Frames the device must drop (counted, logged once per kind) and return. */
static int send_garbage(struct vnet *v)
{
	static uint8_t big[1600];
	uint8_t hdr[VNET_HDR_LEN] = { 0 };
	int ok = 1;

	memset(big, 0xff, 12); /* broadcast, from ff:..: harmless if sent */
	for (int i = 0; i < 2; i++) {
		ok &= vnet_send_hdr(v, hdr, 8, big, 0) == 0;        /* 8-byte header */
		ok &= vnet_send_hdr(v, hdr, VNET_HDR_LEN, big, 1519) == 0; /* MTU 1500 + 19 */
		hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4;
		hdr[4] = 0xa8;
		hdr[5] = 0x05; /* gso_size 1448 */
		ok &= vnet_send_hdr(v, hdr, VNET_HDR_LEN, big, 1000) == 0;
		memset(hdr, 0, sizeof(hdr));
	}
	return ok;
}

static void run(struct vnet *v, struct net_ctx *c, unsigned options)
{
	const char *want_mac = cmdline_find(cmdline(), "net.mac");
	int nbuf_ok = 1, hdr_good = 1, ok;
	uint8_t mac[6];
	uint32_t len;

	check(vnet_init(v, options) == 0, "virtio-net device set up (VERSION_1, MAC)");
	memcpy(c->mac, v->mac, 6);
	print_mac("INFO: device MAC ", c->mac);
	if (want_mac)
		check(parse_mac(want_mac, mac) == 0 && !memcmp(mac, c->mac, 6),
		      "the device reports the configured MAC");
	if (options & NET_GARBAGE)
		check(send_garbage(v), "garbage frames are returned by the device");
	len = pkt_arp_request(frame, c->mac, c->ip, c->peer);
	ok = exchange(v, frame, len, match_arp, c, &nbuf_ok, &hdr_good);
	check(ok, "ARP reply from the host side");
	if (!ok)
		return;
	print_mac("INFO: host side MAC ", c->peer_mac);
	for (c->seq = 1; c->seq <= 3; c->seq++) {
		len = pkt_ping(frame, c->mac, c->ip, c->peer_mac, c->peer, PING_ID, c->seq);
		ok = exchange(v, frame, len, match_pong, c, &nbuf_ok, &hdr_good);
		if (!ok)
			break;
	}
	check(ok, "ICMP echo replies from the host side (3 pings)");
	check(nbuf_ok, "received frames say num_buffers 1");
	check(hdr_good, "received headers carry only negotiated flags");
}

void guest_main(void)
{
	struct net_ctx c;
	struct vnet v;
	uint64_t mrg = 0, csum = 0, garbage = 0;
	const char *ip = cmdline_find(cmdline(), "net.ip");
	const char *peer = cmdline_find(cmdline(), "net.peer");

	memset(&c, 0, sizeof(c));
	parse_u64(cmdline_find(cmdline(), "net.mrg"), &mrg);
	parse_u64(cmdline_find(cmdline(), "net.csum"), &csum);
	parse_u64(cmdline_find(cmdline(), "net.garbage"), &garbage);
	if (!ip || !peer || pkt_parse_ip(ip, c.ip) || pkt_parse_ip(peer, c.peer)) {
		check(0, "net.ip= and net.peer= on the command line");
	} else if (vnet_probe(&v)) {
		check(0, "a virtio-net device in the virtio-mmio slots");
	} else {
		serial_puts("INFO: virtio-net at ");
		serial_hex(v.base);
		serial_puts(mrg ? " (MRG_RXBUF)" : "");
		serial_puts(csum ? " (CSUM, GUEST_CSUM)\n" : "\n");
		check(1, "a virtio-net device in the virtio-mmio slots");
		run(&v, &c, (mrg ? VNET_MRG_RXBUF : 0) | (csum ? VNET_CSUM : 0) |
			    (garbage ? NET_GARBAGE : 0));
		vnet_reset(&v);
	}
	guest_report("NET", n_pass, n_fail);
}
