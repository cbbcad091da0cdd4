/* virtio-net's transmit path for one chain: the header check against the
 * negotiated features (every kind of garbage a guest may send), the send
 * vector (the guest's segments as they are; a header with unknown flag bits
 * as a cleaned host copy, then the rest of the chain) and what the
 * backend's answers become. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_config.h"
#include "net_tx.h"

#define ALL_TX (NET_F(VIRTIO_NET_F_CSUM) | NET_F(VIRTIO_NET_F_HOST_TSO4) | \
		NET_F(VIRTIO_NET_F_HOST_TSO6) | NET_F(VIRTIO_NET_F_HOST_ECN))

static struct volt_vq_elem elem;
static struct net_tx_frame frame;
static uint8_t buf[70000];

static struct virtio_net_hdr_v1 hdr(uint8_t flags, uint8_t gso, uint16_t gso_size,
				    uint16_t csum_start, uint16_t csum_offset)
{
	return (struct virtio_net_hdr_v1){ .flags = flags, .gso_type = gso,
					   .gso_size = htole16(gso_size),
					   .csum_start = htole16(csum_start),
					   .csum_offset = htole16(csum_offset) };
}

static enum net_event check(uint64_t features, struct virtio_net_hdr_v1 h, size_t len)
{
	struct net_tx_limits lim;

	net_tx_limits_init(&lim, features, 1500);
	return net_tx_check(&h, len, &lim);
}

static void test_check_plain(void **state)
{
	assert_int_equal(check(0, hdr(0, 0, 0, 0, 0), 60), NET_OK);
	assert_int_equal(check(0, hdr(0, 0, 0, 0, 0), 14), NET_OK);
	assert_int_equal(check(0, hdr(0, 0, 0, 0, 0), 13), NET_TX_RUNT);
	assert_int_equal(check(0, hdr(0, 0, 0, 0, 0), 0), NET_TX_RUNT);
	/* MTU 1500 + Ethernet + a VLAN tag. */
	assert_int_equal(check(0, hdr(0, 0, 0, 0, 0), 1518), NET_OK);
	assert_int_equal(check(0, hdr(0, 0, 0, 0, 0), 1519), NET_TX_TOO_BIG);
	assert_int_equal(check(ALL_TX, hdr(0, 0, 0, 0, 0), 9000), NET_TX_TOO_BIG);
	/* Flag bits other than NEEDS_CSUM are ignored (virtio 1.2 5.1.6.2.2). */
	assert_int_equal(check(0, hdr(0x80, 0, 0, 0, 0), 60), NET_OK);
	assert_int_equal(check(0, hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0), 60), NET_OK);
	assert_int_equal(check(0, hdr(0x80 | VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 6), 60),
			 NET_TX_BAD_CSUM);
	assert_int_equal(check(ALL_TX, hdr(0x80 | VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 6), 60),
			 NET_OK);
}

static void test_check_mtu(void **state)
{
	struct virtio_net_hdr_v1 h = hdr(0, 0, 0, 0, 0);
	struct net_tx_limits lim;

	net_tx_limits_init(&lim, 0, 9000);
	assert_int_equal(net_tx_check(&h, 9018, &lim), NET_OK);
	assert_int_equal(net_tx_check(&h, 9019, &lim), NET_TX_TOO_BIG);
	net_tx_limits_init(&lim, 0, 68);
	assert_int_equal(net_tx_check(&h, 86, &lim), NET_OK);
	assert_int_equal(net_tx_check(&h, 87, &lim), NET_TX_TOO_BIG);
}

static void test_check_csum(void **state)
{
	const uint8_t nc = VIRTIO_NET_HDR_F_NEEDS_CSUM;

	/* A UDP checksum at 34 + 6 in a 60-byte frame. */
	assert_int_equal(check(ALL_TX, hdr(nc, 0, 0, 34, 6), 60), NET_OK);
	assert_int_equal(check(0, hdr(nc, 0, 0, 34, 6), 60), NET_TX_BAD_CSUM);
	assert_int_equal(check(ALL_TX, hdr(nc, 0, 0, 34, 6), 42), NET_OK);
	assert_int_equal(check(ALL_TX, hdr(nc, 0, 0, 34, 6), 41), NET_TX_BAD_CSUM);
	assert_int_equal(check(ALL_TX, hdr(nc, 0, 0, 0xffff, 0xffff), 60), NET_TX_BAD_CSUM);
}

static void test_check_gso(void **state)
{
	const uint8_t nc = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4, v6 = VIRTIO_NET_HDR_GSO_TCPV6;
	const uint8_t ecn = VIRTIO_NET_HDR_GSO_ECN;
	const uint64_t tso4 = NET_F(VIRTIO_NET_F_CSUM) | NET_F(VIRTIO_NET_F_HOST_TSO4);

	assert_int_equal(check(ALL_TX, hdr(nc, v4, 1448, 34, 16), 65000), NET_OK);
	assert_int_equal(check(ALL_TX, hdr(nc, v6, 1428, 54, 16), 65000), NET_OK);
	assert_int_equal(check(ALL_TX, hdr(nc, v4 | ecn, 1448, 34, 16), 65000), NET_OK);
	assert_int_equal(check(ALL_TX, hdr(nc, v4, 1448, 34, 16), NET_GSO_MAX_FRAME), NET_OK);
	assert_int_equal(check(ALL_TX, hdr(nc, v4, 1448, 34, 16), NET_GSO_MAX_FRAME + 1),
			 NET_TX_TOO_BIG);
	/* Not negotiated. */
	assert_int_equal(check(tso4, hdr(nc, v6, 1428, 54, 16), 9000), NET_TX_BAD_GSO);
	assert_int_equal(check(tso4, hdr(nc, v4 | ecn, 1448, 34, 16), 9000), NET_TX_BAD_GSO);
	assert_int_equal(check(0, hdr(nc, v4, 1448, 34, 16), 9000), NET_TX_BAD_GSO);
	/* Never offered: UFO, UDP_L4, unknown types; ECN alone; a zero size. */
	assert_int_equal(check(ALL_TX, hdr(nc, VIRTIO_NET_HDR_GSO_UDP, 1472, 34, 6), 9000),
			 NET_TX_BAD_GSO);
	assert_int_equal(check(ALL_TX, hdr(nc, 5 /* UDP_L4 */, 1472, 34, 6), 9000),
			 NET_TX_BAD_GSO);
	assert_int_equal(check(ALL_TX, hdr(nc, 7, 1448, 34, 16), 9000), NET_TX_BAD_GSO);
	assert_int_equal(check(ALL_TX, hdr(0, ecn, 0, 0, 0), 60), NET_TX_BAD_GSO);
	assert_int_equal(check(ALL_TX, hdr(nc, v4, 0, 34, 16), 9000), NET_TX_BAD_GSO);
}

/* elem: the readable part is `len` bytes of buf cut at the offsets in cuts. */
static void make_elem(size_t len, const size_t *cuts, unsigned ncuts, unsigned nin)
{
	size_t at = 0;
	unsigned n = 0;

	memset(&elem, 0, sizeof(elem));
	for (unsigned i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		elem.iov[n].iov_base = buf + at;
		elem.iov[n].iov_len = end - at;
		elem.out_len += (uint32_t)(end - at);
		n++;
		at = end;
	}
	elem.nout = (uint16_t)n;
	for (unsigned i = 0; i < nin; i++) {
		elem.iov[n + i].iov_base = buf + 60000;
		elem.iov[n + i].iov_len = 16;
		elem.in_len += 16;
	}
	elem.nin = (uint16_t)nin;
}

static size_t flat(const struct net_tx_frame *f, uint8_t *out)
{
	size_t n = 0;

	for (int i = 0; i < f->iovcnt; i++) {
		memcpy(out + n, f->iov[i].iov_base, f->iov[i].iov_len);
		n += f->iov[i].iov_len;
	}
	return n;
}

static void test_prepare(void **state)
{
	static uint8_t out[4096];
	struct virtio_net_hdr_v1 h = hdr(0, 0, 0, 0, 0);
	struct net_tx_limits lim;
	const size_t cuts[] = { 5, 12, 20, 20 };

	net_tx_limits_init(&lim, ALL_TX, 1500);
	h.num_buffers = htole16(7); /* the driver's to leave 0; the kernel ignores it */
	memcpy(buf, &h, sizeof(h));
	for (size_t i = 12; i < 200; i++)
		buf[i] = (uint8_t)i;

	/* Header and frame in one segment: sent as that one segment. */
	make_elem(12 + 60, NULL, 0, 0);
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_OK);
	assert_int_equal(frame.frame_len, 60);
	assert_int_equal(frame.iovcnt, 1);
	assert_ptr_equal(frame.iov, elem.iov);
	assert_int_equal(frame.hdr.num_buffers, htole16(7)); /* the check's copy */

	/* The header split over two segments, an empty segment, a writable
	 * part after: the readable segments go as they are. */
	make_elem(12 + 60, cuts, 4, 1);
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_OK);
	assert_int_equal(frame.iovcnt, 5);
	assert_int_equal(frame.frame_len, 60);
	assert_int_equal(flat(&frame, out), 72);
	assert_memory_equal(out, buf, 72);
	assert_int_equal(frame.hdr.flags, 0);
}

static void test_prepare_garbage(void **state)
{
	struct net_tx_limits lim;
	const size_t cut[] = { 6 };

	net_tx_limits_init(&lim, 0, 1500);
	memset(buf, 0, 64);
	make_elem(0, NULL, 0, 1);
	elem.nout = 0;
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_TX_NO_READABLE);
	make_elem(0, NULL, 0, 0);
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_TX_NO_READABLE);
	make_elem(11, NULL, 0, 0);
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_TX_SHORT_HDR);
	make_elem(11, cut, 1, 0);
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_TX_SHORT_HDR);
	make_elem(12, NULL, 0, 0);
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_TX_RUNT);
	make_elem(12 + 1519, NULL, 0, 0);
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_TX_TOO_BIG);
	assert_int_equal(frame.iovcnt, 0);
	/* out_len lies: the segments decide. */
	make_elem(12 + 60, NULL, 0, 0);
	elem.out_len = 5;
	assert_int_equal(net_tx_prepare(&elem, &lim, &frame), NET_OK);
	assert_int_equal(frame.frame_len, 60);
}

static ssize_t backend_answer;
static int backend_calls;
static uint8_t sent[70000];  /* what the backend was given, flat */
static size_t sent_len;
static int sent_iovcnt;

static ssize_t fake_send(void *state, const struct iovec *iov, int iovcnt)
{
	backend_calls++;
	sent_len = 0;
	sent_iovcnt = iovcnt;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(sent + sent_len, iov[i].iov_base, iov[i].iov_len);
		sent_len += iov[i].iov_len;
	}
	return backend_answer;
}

/* Flag bits other than NEEDS_CSUM are ignored, not a reason to drop the
 * frame (virtio 1.2 5.1.6.2.2): the backend gets the header with them
 * cleared (a host copy: the guest's stays as it wrote it) and the same
 * frame bytes, however the chain cuts header and frame. Other frames
 * still go as the guest's own segments. */
static void test_send_unknown_flags(void **state)
{
	static const struct volt_net_backend_ops ops = { .send = fake_send };
	const struct volt_net_port port = { &ops, NULL };
	const uint8_t nc = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	struct virtio_net_hdr_v1 h = hdr(0x80 | VIRTIO_NET_HDR_F_DATA_VALID | nc, 0, 0, 34, 6);
	struct virtio_net_hdr_v1 want = hdr(nc, 0, 0, 34, 6);
	const size_t cuts[] = { 5, 20, 20 };  /* header split, shares a segment with the frame */
	size_t many[VOLT_VQ_MAX_SIZE - 1];
	struct net_tx_limits lim;
	int err;

	net_tx_limits_init(&lim, ALL_TX, 1500);
	memcpy(buf, &h, sizeof(h));
	for (size_t i = 12; i < 12 + 300; i++)
		buf[i] = (uint8_t)(i * 7);
	backend_calls = 0;
	backend_answer = 72;

	make_elem(12 + 60, NULL, 0, 0);
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_OK);
	assert_int_equal(backend_calls, 1);
	assert_int_equal(sent_iovcnt, 2);
	assert_int_equal(sent_len, 72);
	assert_memory_equal(sent, &want, 12);
	assert_memory_equal(sent + 12, buf + 12, 60);
	assert_int_equal(buf[0], 0x80 | VIRTIO_NET_HDR_F_DATA_VALID | nc);

	make_elem(12 + 60, cuts, 3, 1);
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_OK);
	assert_int_equal(sent_iovcnt, 3); /* the copy, the rest of 5..20, 20..72 */
	assert_int_equal(sent_len, 72);
	assert_memory_equal(sent, &want, 12);
	assert_memory_equal(sent + 12, buf + 12, 60);

	/* The most segments a chain has: the header's copy makes one more. */
	for (size_t i = 0; i < VOLT_VQ_MAX_SIZE - 1; i++)
		many[i] = 13 + i;
	make_elem(12 + 300, many, VOLT_VQ_MAX_SIZE - 1, 0);
	assert_int_equal(elem.nout, VOLT_VQ_MAX_SIZE);
	backend_answer = 312;
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_OK);
	assert_int_equal(sent_iovcnt, VOLT_VQ_MAX_SIZE + 1);
	assert_int_equal(sent_len, 312);
	assert_memory_equal(sent, &want, 12);
	assert_memory_equal(sent + 12, buf + 12, 300);

	/* Unknown bits alone: flags 0. A header with known flags only is
	 * sent as the guest's segments. */
	h.flags = 0x80;
	memcpy(buf, &h, sizeof(h));
	make_elem(12 + 60, NULL, 0, 0);
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_OK);
	assert_int_equal(sent[0], 0);
	buf[0] = nc;
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_OK);
	assert_ptr_equal(frame.iov, elem.iov);
	assert_int_equal(sent_iovcnt, 1);
	assert_int_equal(backend_calls, 5);
}

static void test_send(void **state)
{
	static const struct volt_net_backend_ops ops = { .send = fake_send };
	const struct volt_net_port port = { &ops, NULL };
	struct net_tx_limits lim;
	int err;

	net_tx_limits_init(&lim, 0, 1500);
	memset(buf, 0, 12);
	make_elem(12 + 60, NULL, 0, 0);
	backend_calls = 0;
	backend_answer = 72;
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_OK);
	backend_answer = -EAGAIN;
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_TX_BACKEND_FULL);
	backend_answer = -EIO;
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_TX_BACKEND_ERROR);
	assert_int_equal(err, -EIO);
	assert_int_equal(backend_calls, 3);
	/* Garbage never reaches the backend. */
	make_elem(8, NULL, 0, 0);
	assert_int_equal(net_tx_send(&elem, &lim, &port, &frame, &err), NET_TX_SHORT_HDR);
	assert_int_equal(backend_calls, 3);
}

static void test_stats(void **state)
{
	struct net_stats s = { 0 };

	assert_true(net_stats_count(&s, NET_TX_RUNT));
	assert_false(net_stats_count(&s, NET_TX_RUNT));
	assert_true(net_stats_count(&s, NET_RX_TOO_BIG));
	assert_false(net_stats_count(&s, NET_OK));
	assert_int_equal(net_stats_dropped(&s), 3);
	for (int i = 0; i < NET_EVENT_COUNT; i++)
		assert_string_not_equal(net_event_text(i), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_plain),
		cmocka_unit_test(test_check_mtu),
		cmocka_unit_test(test_check_csum),
		cmocka_unit_test(test_check_gso),
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_prepare_garbage),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_send_unknown_flags),
		cmocka_unit_test(test_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
