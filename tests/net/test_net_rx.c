/* virtio-net's receive path: chains stashed from the receive queue, one
 * readv() per frame straight into them, several chains per frame with
 * MRG_RXBUF (num_buffers), frames too big for the guest's buffers dropped
 * with the chains kept, unusable chains returned at once, the header made
 * to match what the guest negotiated, and waiting for more buffers when a
 * large frame might not fit. Driven through the fake host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_host.h"
#include "net_config.h"
#include <volt/iov.h>
#include "net_rx.h"
#include "net_tx.h"

#define F(bit) NET_F(bit)
#define MRG F(VIRTIO_NET_F_MRG_RXBUF)

struct rx_test {
	struct fake_host *fh;
	struct net_rx rx;
	struct net_stats st;
	struct net_rx_limits lim;
	uint8_t *mem;            /* the "guest's" buffers */
};

/* The fake backend: one frame waiting (or none). */
static uint8_t be_frame[70000];
static size_t be_len;        /* 0: nothing waiting */
static int be_error;
static uint8_t *be_scribble; /* if set, 12 bytes the "guest" overwrites during the read */

static ssize_t be_recv(void *state, const struct iovec *iov, int iovcnt)
{
	size_t done = 0;

	if (be_error)
		return be_error;
	if (!be_len)
		return -EAGAIN;
	for (int i = 0; i < iovcnt && done < be_len; i++) {
		size_t take = be_len - done < iov[i].iov_len ? be_len - done : iov[i].iov_len;

		memcpy(iov[i].iov_base, be_frame + done, take);
		done += take;
	}
	be_len = 0;
	/* Another vCPU writes into its receive buffer while the device works. */
	if (be_scribble)
		memset(be_scribble, 0xff, 12);
	return (ssize_t)done; /* as a tap: what fit */
}

static const struct volt_net_backend_ops be_ops = { .recv = be_recv };
static const struct volt_net_port be_port = { &be_ops, NULL };

/* A frame of `len` bytes after the header, with these header flags/gso. */
static void be_put(size_t len, uint8_t flags, uint8_t gso)
{
	struct virtio_net_hdr_v1 h = { .flags = flags, .gso_type = gso, .num_buffers = 0xeeee };

	memcpy(be_frame, &h, sizeof(h));
	for (size_t i = 0; i < len; i++)
		be_frame[12 + i] = (uint8_t)(i * 7);
	be_len = 12 + len;
}

static int setup(void **state)
{
	struct rx_test *t = calloc(1, sizeof(*t));

	t->fh = fake_host_new(NULL);
	t->mem = calloc(1, 1 << 20);
	assert_int_equal(net_rx_init(&t->rx, &t->fh->api, &t->fh->inst, 0), 0);
	net_rx_limits_init(&t->lim, 0, 1500);
	be_len = 0;
	be_error = 0;
	be_scribble = NULL;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct rx_test *t = *state;

	net_rx_fini(&t->rx);
	fake_host_free(t->fh);
	free(t->mem);
	free(t);
	return 0;
}

/* A receive buffer of len bytes at offset off of the guest memory. */
static uint16_t add_buf(struct rx_test *t, size_t off, size_t len)
{
	struct iovec v = { t->mem + off, len };

	return fake_vq_add(t->fh, 0, &v, 0, 1);
}

static uint16_t num_buffers_at(struct rx_test *t, size_t off)
{
	uint16_t v;

	memcpy(&v, t->mem + off + 10, 2);
	return le16toh(v);
}

/* One frame; *pushed grows by the chains it returned to the guest. */
static int rx_one(struct rx_test *t, unsigned *pushed)
{
	unsigned before;
	int r;

	assert_int_equal(net_rx_fill(&t->rx, &t->lim, &t->st), 0);
	if (!net_rx_ready(&t->rx, &t->lim))
		return -100;
	before = t->rx.pushes;
	r = net_rx_one(&t->rx, &t->lim, &be_port, &t->st);
	*pushed += t->rx.pushes - before;
	return r;
}

static void test_single_buffer(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;
	uint16_t h = add_buf(t, 0, 1526);

	add_buf(t, 4096, 1526);
	be_put(60, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	/* Without MRG_RXBUF one chain is taken at a time. */
	assert_int_equal(t->fh->vq[0].count, 1);
	assert_int_equal(pushed, 1);
	assert_int_equal(t->fh->vq[0].nused, 1);
	assert_int_equal(t->fh->vq[0].used[0].head, h);
	assert_int_equal(t->fh->vq[0].used[0].written, 72);
	assert_int_equal(num_buffers_at(t, 0), 1);
	assert_memory_equal(t->mem + 12, be_frame + 12, 60);
	assert_int_equal(t->rx.nchain, 0);
	assert_int_equal(t->st.rx_frames, 1);
	assert_int_equal(t->st.rx_bytes, 60);
	/* Nothing waiting: nothing taken beyond the stash. */
	assert_int_equal(rx_one(t, &pushed), 0);
	assert_int_equal(t->rx.nchain, 1);
}

static void test_too_big_keeps_chain(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;

	add_buf(t, 0, 100);
	be_put(200, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 0);
	assert_int_equal(t->fh->vq[0].nused, 0);
	assert_int_equal(t->rx.nchain, 1);
	assert_int_equal(t->st.count[NET_RX_TOO_BIG], 1);
	assert_true(fake_log_has(t->fh, "larger than the guest's receive buffers"));
	/* The chain still takes the next frame that fits. */
	be_put(50, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(t->fh->vq[0].nused, 1);
	assert_int_equal(t->fh->vq[0].used[0].written, 62);
}

static void test_merged_buffers(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;
	uint16_t h[4];

	net_rx_limits_init(&t->lim, MRG, 1500);
	for (int i = 0; i < 4; i++)
		h[i] = add_buf(t, (size_t)i * 4096, 512);
	be_put(1000, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	/* 3 chains hold the largest frame (1530 bytes): the 4th stays queued. */
	assert_int_equal(t->fh->vq[0].count, 1);
	assert_int_equal(pushed, 2);
	assert_int_equal(t->fh->vq[0].used[0].head, h[0]);
	assert_int_equal(t->fh->vq[0].used[0].written, 512);
	assert_int_equal(t->fh->vq[0].used[1].head, h[1]);
	assert_int_equal(t->fh->vq[0].used[1].written, 500);
	assert_int_equal(num_buffers_at(t, 0), 2);
	assert_memory_equal(t->mem + 12, be_frame + 12, 500);
	assert_memory_equal(t->mem + 4096, be_frame + 512, 500);
	/* The third chain is kept for the next frame, in order. */
	assert_int_equal(t->rx.nchain, 1);
	assert_int_equal(t->rx.chain[0].head, h[2]);
	be_put(100, 0, 0);
	pushed = 0;
	/* 2 chains (1024 bytes) cannot hold the largest frame: wait ... */
	assert_int_equal(rx_one(t, &pushed), -100);
	/* ... until the guest adds buffers. */
	add_buf(t, 4 * 4096, 512);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 1);
	assert_int_equal(t->fh->vq[0].used[2].head, h[2]);
	assert_int_equal(num_buffers_at(t, 2 * 4096), 1);
}

/* Buffers back to back (as Linux carves them from page fragments) are
 * read as one iovec; each chain still gets exactly its share, and the
 * next frame starts in the chain after the last one used. */
static void test_contiguous_buffers(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;
	uint16_t h[4];

	net_rx_limits_init(&t->lim, MRG, 1500);
	for (int i = 0; i < 4; i++)
		h[i] = add_buf(t, (size_t)i * 512, 512);
	be_put(1000, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 2);
	assert_int_equal(t->fh->vq[0].used[0].head, h[0]);
	assert_int_equal(t->fh->vq[0].used[0].written, 512);
	assert_int_equal(t->fh->vq[0].used[1].head, h[1]);
	assert_int_equal(t->fh->vq[0].used[1].written, 500);
	assert_int_equal(num_buffers_at(t, 0), 2);
	assert_memory_equal(t->mem + 12, be_frame + 12, 1000);
	/* What is left of the stash (3 chains held the largest frame) is the
	 * third buffer. */
	assert_int_equal(t->rx.nchain, 1);
	assert_int_equal(t->rx.niov, 1);
	assert_ptr_equal(t->rx.iov[0].iov_base, t->mem + 1024);
	assert_int_equal(t->rx.iov[0].iov_len, 512);
	add_buf(t, 4 * 512, 512);
	be_put(100, 0, 0);
	pushed = 0;
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 1);
	assert_int_equal(t->fh->vq[0].used[2].head, h[2]);
	assert_int_equal(t->fh->vq[0].used[2].written, 112);
	assert_int_equal(num_buffers_at(t, 1024), 1);
	/* The fourth and fifth buffers joined the stash as one iovec. */
	assert_int_equal(t->rx.niov, 1);
	assert_ptr_equal(t->rx.iov[0].iov_base, t->mem + 1536);
	assert_int_equal(t->rx.iov[0].iov_len, 1024);
}

static void test_waits_for_buffers(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;

	net_rx_limits_init(&t->lim, MRG, 1500);
	add_buf(t, 0, 512);
	be_put(100, 0, 0);
	/* 512 bytes cannot hold every frame that may come, and the queue (256)
	 * could give more: wait. */
	assert_int_equal(rx_one(t, &pushed), -100);
	assert_int_equal(t->fh->vq[0].nused, 0);
	/* A queue of 2 entries, both in the stash: nothing more can come. */
	add_buf(t, 4096, 512);
	t->rx.ring_size = 0;
	t->fh->vq[0].size = 2;
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 1);
}

static void test_bad_chains(void **state)
{
	struct rx_test *t = *state;
	struct iovec v[2] = { { t->mem, 64 }, { t->mem + 4096, 1500 } };
	unsigned pushed = 0;
	uint16_t readable, tiny;

	readable = fake_vq_add(t->fh, 0, v, 1, 1);
	tiny = add_buf(t, 8192, 8);
	add_buf(t, 12288, 1526);
	be_put(60, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(t->fh->vq[0].nused, 3);
	assert_int_equal(t->fh->vq[0].used[0].head, readable);
	assert_int_equal(t->fh->vq[0].used[0].written, 0);
	assert_int_equal(t->fh->vq[0].used[1].head, tiny);
	assert_int_equal(t->fh->vq[0].used[1].written, 0);
	assert_int_equal(t->fh->vq[0].used[2].written, 72);
	assert_int_equal(t->st.count[NET_RX_BAD_CHAIN], 2);
}

static void test_header_fixups(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;

	/* No GUEST_CSUM: the flags must be 0, even DATA_VALID. */
	add_buf(t, 0, 1526);
	be_put(60, VIRTIO_NET_HDR_F_DATA_VALID, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(t->mem[0], 0);
	/* With it, they pass. */
	net_rx_limits_init(&t->lim, F(VIRTIO_NET_F_GUEST_CSUM), 1500);
	add_buf(t, 4096, 1526);
	be_put(60, VIRTIO_NET_HDR_F_DATA_VALID, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(t->mem[4096], VIRTIO_NET_HDR_F_DATA_VALID);
	/* A TSO frame the guest did not accept: dropped, the chain kept. */
	add_buf(t, 8192, 1526);
	be_put(60, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(t->fh->vq[0].nused, 2);
	assert_int_equal(t->rx.nchain, 1);
}

static void test_split_header(void **state)
{
	struct rx_test *t = *state;
	struct iovec v[3] = { { t->mem, 4 }, { t->mem + 100, 7 }, { t->mem + 200, 2000 } };
	unsigned pushed = 0;
	uint16_t nb;

	fake_vq_add(t->fh, 0, v, 0, 3);
	be_put(60, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(t->fh->vq[0].used[0].written, 72);
	/* Segments of 4 and 7 bytes: header byte 10 is the last of the second,
	 * byte 11 the first of the third. */
	nb = (uint16_t)(t->mem[100 + 6] | t->mem[200] << 8);
	assert_int_equal(nb, 1);
}

/* Empty segments, each at its own address (nothing merges them), before
 * the header: more of them than the header has bytes. They hold nothing,
 * so the frame lands as if they were not there. */
static void test_empty_segments(void **state)
{
	struct rx_test *t = *state;
	struct iovec v[41];
	unsigned pushed = 0;

	for (unsigned i = 0; i < 40; i++)
		v[i] = (struct iovec){ t->mem + 4096 + 64 * i, 0 };
	v[40] = (struct iovec){ t->mem, 1526 };
	fake_vq_add(t->fh, 0, v, 0, 41);
	be_put(60, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 1);
	assert_int_equal(t->fh->vq[0].used[0].written, 72);
	assert_int_equal(num_buffers_at(t, 0), 1);
	assert_memory_equal(t->mem + 12, be_frame + 12, 60);
}

/* The header is fixed in host memory and written once: what the guest
 * writes into its buffer meanwhile (here all 0xff: a gso_type no guest
 * accepts, num_buffers 0xffff) is overwritten, never read back. */
static void test_header_not_read_back(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;

	add_buf(t, 0, 1526);
	be_put(60, VIRTIO_NET_HDR_F_DATA_VALID, 0);
	be_scribble = t->mem;
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 1);
	assert_int_equal(t->st.count[NET_RX_BACKEND_ERROR], 0);
	assert_int_equal(t->mem[0], 0);      /* flags: no GUEST_CSUM */
	assert_int_equal(t->mem[1], 0);      /* gso_type: the backend's */
	assert_int_equal(num_buffers_at(t, 0), 1);
	assert_memory_equal(t->mem + 12, be_frame + 12, 60);
}

/* With VIRTIO_NET_F_MTU an unsegmented frame longer than the MTU (plus the
 * Ethernet and VLAN headers) is dropped, however large the buffers; a TSO
 * frame is not held to it; without the feature nothing is. */
static void test_rx_over_mtu(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;

	net_rx_limits_init(&t->lim, MRG | F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_GUEST_CSUM) |
					    F(VIRTIO_NET_F_GUEST_TSO4), 1400);
	assert_int_equal(t->lim.max_plain, 1400 + 14 + 4);
	for (int i = 0; i < 20; i++)
		add_buf(t, (size_t)i * 4096, 4096);
	be_put(1400 + 18 + 1, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 0);
	assert_int_equal(t->st.count[NET_RX_OVER_MTU], 1);
	be_put(1400 + 18, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 1);
	be_put(3000, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 2);
	assert_int_equal(t->st.count[NET_RX_OVER_MTU], 1);
	/* Without VIRTIO_NET_F_MTU: the buffers' room is the only limit. */
	net_rx_limits_init(&t->lim, MRG, 1400);
	assert_int_equal(t->lim.max_plain, 0);
	be_put(3000, 0, 0);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 3);
	assert_int_equal(t->st.count[NET_RX_OVER_MTU], 1);
}

static void test_tso_wants_64k(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;

	net_rx_limits_init(&t->lim, MRG | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4),
			   1500);
	assert_int_equal(t->lim.want, 12 + NET_GSO_MAX_FRAME);
	for (int i = 0; i < 20; i++)
		add_buf(t, (size_t)i * 4096, 4096);
	be_put(65000, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(rx_one(t, &pushed), 1);
	assert_int_equal(pushed, 16); /* 65012 bytes in 4 KiB buffers */
	assert_int_equal(num_buffers_at(t, 0), 16);
	assert_int_equal(t->fh->vq[0].used[15].written, 65012 - 15 * 4096);
	assert_memory_equal(t->mem + 12, be_frame + 12, 4096 - 12);
	assert_memory_equal(t->mem + 15 * 4096, be_frame + 15 * 4096, 65012 - 15 * 4096);
}

static void test_errors(void **state)
{
	struct rx_test *t = *state;
	unsigned pushed = 0;

	add_buf(t, 0, 1526);
	be_error = -EIO;
	assert_int_equal(rx_one(t, &pushed), -EIO);
	assert_int_equal(t->rx.nchain, 1);
	be_error = 0;
	/* A reset: the stash is forgotten, never pushed. */
	net_rx_forget(&t->rx);
	assert_int_equal(t->rx.nchain, 0);
	assert_int_equal(t->fh->vq[0].nused, 0);
	/* A broken ring. */
	t->fh->vq[0].pop_error = -EINVAL;
	add_buf(t, 0, 1526);
	assert_int_equal(net_rx_fill(&t->rx, &t->lim, &t->st), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big_keeps_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contiguous_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_fixups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_not_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_over_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tso_wants_64k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
