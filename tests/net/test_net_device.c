/* The virtio-net device plugin as the core drives it, through the fake
 * host: configuration checked at create (a bad MAC refused naming the key),
 * features offered and the driver's choice checked, offloads and the MAC
 * handed to the backend, frames moved both ways, garbage lost and counted
 * (logged once per kind), the backend's fd unwatched while the guest has
 * no receive buffers, reset, and a kernel data plane given the queues; a
 * transmit flood takes turns with receive (its I/O thread simulated). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "fake_host.h"
#include "net_config.h"
#include "net_rx.h"

const struct volt_plugin_desc *volt_plugin_entry_v1_virtio_net(void);

#define F(bit) NET_F(bit)
#define RXQ 0
#define TXQ 1
#define FLOOD 1000 /* transmitted chains in a flood: several budgets */

/* ---- a fake backend --------------------------------------------------- */

struct fake_be {
	int fd;                  /* its "rx fd" */
	uint8_t frame[12 + 65536]; /* one frame waiting to be received */
	size_t len;
	unsigned recvs;          /* recv calls */
	int recv_fail;           /* that many recvs fail (-1: all) ... */
	int recv_err;            /* ... with this */
	uint8_t sent[4096];      /* the last frame sent, header first */
	size_t sent_len;
	unsigned sends;
	uint32_t seq[FLOOD];     /* the first 4 bytes of each frame sent */
	unsigned nseq;
	ssize_t send_answer;     /* 0: accept */
	uint64_t offloads;
	int offload_calls;
	uint8_t mac[6];
	int mac_calls;
	/* data plane */
	int dp_starts, dp_stops, dp_answer;
	struct volt_vq_info dp_q[2];
	unsigned dp_nq, dp_nregions;
};

static struct fake_be be;

static int be_rx_fd(void *s)
{
	return be.fd;
}

/* test_reset_waits_for_rx: recv stops until `rx_go`, saying so in rx_in. */
static atomic_bool rx_block, rx_in, rx_go;

static ssize_t be_recv(void *s, const struct iovec *iov, int iovcnt)
{
	size_t done = 0;

	if (atomic_load(&rx_block)) {
		atomic_store(&rx_in, true);
		while (!atomic_load(&rx_go))
			usleep(1000);
	}
	be.recvs++;
	if (be.recv_fail) {
		be.recv_fail -= be.recv_fail > 0;
		return be.recv_err;
	}
	if (!be.len)
		return -EAGAIN;
	for (int i = 0; i < iovcnt && done < be.len; i++) {
		size_t take = be.len - done < iov[i].iov_len ? be.len - done : iov[i].iov_len;

		memcpy(iov[i].iov_base, be.frame + done, take);
		done += take;
	}
	be.len = 0;
	return (ssize_t)done;
}

static ssize_t be_send(void *s, const struct iovec *iov, int iovcnt)
{
	be.sends++;
	if (be.send_answer)
		return be.send_answer;
	be.sent_len = 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(be.sent + be.sent_len, iov[i].iov_base, iov[i].iov_len);
		be.sent_len += iov[i].iov_len;
	}
	if (be.sent_len >= 12 + 4 && be.nseq < FLOOD)
		memcpy(&be.seq[be.nseq++], be.sent + 12, 4);
	return (ssize_t)be.sent_len;
}

static int be_set_offloads(void *s, uint64_t f)
{
	be.offloads = f;
	be.offload_calls++;
	return 0;
}

static int be_set_mac(void *s, const uint8_t mac[6])
{
	memcpy(be.mac, mac, 6);
	be.mac_calls++;
	return 0;
}

static int be_dp_start(void *s, const struct volt_mem_region *r, unsigned nr,
		       const struct volt_vq_info *q, unsigned nq)
{
	be.dp_starts++;
	be.dp_nq = nq;
	be.dp_nregions = nr;
	memcpy(be.dp_q, q, sizeof(be.dp_q));
	return be.dp_answer;
}

static void be_dp_stop(void *s)
{
	be.dp_stops++;
}

static const char *be_ifname(void *s)
{
	return "vt0";
}

static const struct volt_net_backend_ops be_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops), .vnet_hdr_len = 12,
	.rx_fd = be_rx_fd, .recv = be_recv, .send = be_send,
	.set_offloads = be_set_offloads, .set_mac = be_set_mac, .ifname = be_ifname,
};
static const struct volt_net_backend_ops be_plain_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops), .vnet_hdr_len = 12,
	.rx_fd = be_rx_fd, .recv = be_recv, .send = be_send,
};
static const struct volt_net_backend_ops be_short_hdr_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops), .vnet_hdr_len = 10,
	.rx_fd = be_rx_fd, .recv = be_recv, .send = be_send,
};
static const struct volt_net_backend_ops be_dp_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops), .vnet_hdr_len = 12,
	.set_offloads = be_set_offloads,
	.dataplane_start = be_dp_start, .dataplane_stop = be_dp_stop,
};

/* ---- the device under test -------------------------------------------- */

struct dev {
	const struct volt_plugin_desc *desc;
	const struct volt_device_ops *ops;
	struct fake_host *fh;
	void *state;
	uint8_t *mem;
};

static int setup(void **state)
{
	struct dev *d = calloc(1, sizeof(*d));

	memset(&be, 0, sizeof(be));
	be.fd = eventfd(0, EFD_CLOEXEC);
	d->desc = volt_plugin_entry_v1_virtio_net();
	d->ops = d->desc->ops;
	d->fh = fake_host_new(d->desc);
	d->fh->has_port = true;
	d->fh->port = (struct volt_net_port){ &be_ops, NULL };
	d->mem = calloc(1, 1 << 20);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dev *d = *state;

	if (d->desc->destroy)
		d->desc->destroy(d->state);
	fake_host_free(d->fh);
	close(be.fd);
	free(d->mem);
	free(d);
	return 0;
}

static int create(struct dev *d)
{
	return d->desc->create(&d->fh->api, &d->fh->inst, &d->state);
}

/* create, realize, FEATURES_OK with `features`, DRIVER_OK. */
static void bring_up(struct dev *d, uint64_t features)
{
	assert_int_equal(create(d), 0);
	assert_int_equal(d->desc->realize(d->state), 0);
	assert_int_equal(d->ops->set_features(d->state, features | F(VIRTIO_F_VERSION_1)), 0);
	assert_int_equal(d->ops->activate(d->state), 0);
}

static unsigned log_count(const struct fake_host *fh, const char *text)
{
	unsigned n = 0;

	for (const char *p = fh->log; (p = strstr(p, text)); p++)
		n++;
	return n;
}

/* ---- configuration ---------------------------------------------------- */

static void test_descriptor(void **state)
{
	struct dev *d = *state;

	assert_string_equal(d->desc->name, "virtio-net");
	assert_int_equal(d->desc->kind, VOLT_PLUGIN_DEVICE);
	assert_int_equal(d->ops->virtio_id, VIRTIO_ID_NET);
	assert_int_equal(d->ops->num_queues, 2);
	assert_int_equal(d->ops->config_size, 12);
	for (uint32_t i = 0; i < d->desc->nsyscalls; i++)
		assert_non_null(d->desc->syscalls[i].reason);
}

static void test_bad_mac_refused(void **state)
{
	struct dev *d = *state;

	fake_host_set(d->fh, "mac", "01:00:5e:00:00:01");
	assert_int_equal(create(d), -EINVAL);
	assert_true(fake_log_has(d->fh, "mac = 01:00:5e:00:00:01: a multicast address"));
	d->desc->destroy(d->state);
	d->state = NULL;

	d->fh->nkeys = 0;
	fake_host_set(d->fh, "mac", "00:00:00:00:00:00");
	assert_int_equal(create(d), -EINVAL);
	assert_true(fake_log_has(d->fh, "mac = 00:00:00:00:00:00: all zeros"));
	d->desc->destroy(d->state);
	d->state = NULL;

	d->fh->nkeys = 0;
	fake_host_set(d->fh, "mac", "02:00:00:00:00");
	assert_int_equal(create(d), -EINVAL);
	assert_true(fake_log_has(d->fh, "mac = 02:00:00:00:00: not a MAC address"));
}

static void test_backend_required(void **state)
{
	struct dev *d = *state;

	d->fh->has_port = false;
	assert_int_equal(create(d), -ENODEV);
	assert_true(fake_log_has(d->fh, "no network backend"));
	d->desc->destroy(d->state);
	d->state = NULL;

	d->fh->has_port = true;
	d->fh->port.ops = &be_short_hdr_ops;
	assert_int_equal(create(d), -EINVAL);
	assert_true(fake_log_has(d->fh, "10-byte vnet header"));
}

static void test_features_and_config(void **state)
{
	struct dev *d = *state;
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t cfg[12];
	uint64_t f;

	fake_host_set(d->fh, "mac", "02:11:22:33:44:55");
	fake_host_set(d->fh, "mtu", "9000");
	assert_int_equal(create(d), 0);
	f = d->ops->features(d->state);
	assert_int_equal(f, net_features_offered(true));
	d->ops->config_read(d->state, 0, cfg, sizeof(cfg));
	assert_memory_equal(cfg, mac, 6);
	assert_int_equal(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(cfg[10] | cfg[11] << 8, 9000);
	/* The MAC goes to the backend before the VM runs. */
	assert_int_equal(d->desc->realize(d->state), 0);
	assert_int_equal(be.mac_calls, 1);
	assert_memory_equal(be.mac, mac, 6);
	/* The driver's choice is checked. */
	assert_int_equal(d->ops->set_features(d->state, F(VIRTIO_NET_F_HOST_TSO4)), -EINVAL);
	assert_true(fake_log_has(d->fh, "HOST_TSO4 without CSUM"));
	assert_int_equal(d->ops->set_features(d->state, F(VIRTIO_NET_F_CSUM) |
					      F(VIRTIO_NET_F_HOST_TSO4)), 0);
}

static void test_no_offloads(void **state)
{
	struct dev *d = *state;

	/* A backend that cannot set offloads: none offered. */
	d->fh->port.ops = &be_plain_ops;
	assert_int_equal(create(d), 0);
	assert_int_equal(d->ops->features(d->state), net_features_offered(false));
	d->desc->destroy(d->state);
	d->state = NULL;
	/* Turned off in the configuration. */
	d->fh->port.ops = &be_ops;
	fake_host_set(d->fh, "offloads", "false");
	assert_int_equal(create(d), 0);
	assert_int_equal(d->ops->features(d->state), net_features_offered(false));
}

static void test_random_mac(void **state)
{
	struct dev *d = *state;
	uint8_t cfg[6];

	assert_int_equal(create(d), 0);
	assert_int_equal(d->desc->realize(d->state), 0);
	d->ops->config_read(d->state, 0, cfg, 6);
	assert_null(net_mac_unusable(cfg));
	assert_int_equal(cfg[0] & 3, 2);
	assert_memory_equal(be.mac, cfg, 6);
}

/* ---- frames ----------------------------------------------------------- */

static void test_activate(void **state)
{
	struct dev *d = *state;
	uint64_t f = F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_MAC);

	bring_up(d, f);
	assert_int_equal(be.offload_calls, 1);
	assert_int_equal(be.offloads, f | F(VIRTIO_F_VERSION_1));
	assert_non_null(fake_watched(d->fh, be.fd));
}

static void test_tx(void **state)
{
	struct dev *d = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	struct iovec v[2] = { { &h, 12 }, { d->mem, 60 } };
	uint16_t head;

	bring_up(d, 0);
	for (int i = 0; i < 60; i++)
		d->mem[i] = (uint8_t)i;
	head = fake_vq_add(d->fh, TXQ, v, 2, 0);
	d->ops->queue_notify(d->state, TXQ);
	assert_int_equal(be.sends, 1);
	assert_int_equal(be.sent_len, 72);
	assert_memory_equal(be.sent + 12, d->mem, 60);
	assert_int_equal(d->fh->vq[TXQ].nused, 1);
	assert_int_equal(d->fh->vq[TXQ].used[0].head, head);
	assert_int_equal(d->fh->vq[TXQ].used[0].written, 0);
	assert_int_equal(d->fh->vq[TXQ].notifies, 1);
}

/* Returns are published every 4 chains and after 32 KiB of frames, not
 * only at the end of a batch: Linux asks for its transmit interrupt at 3/4
 * of what it has out, and must not wait for the device's whole batch. */
static void test_tx_publishes_as_it_goes(void **state)
{
	struct dev *d = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	struct iovec small[2] = { { &h, 12 }, { d->mem, 60 } };
	struct iovec big[2] = { { &h, 12 }, { d->mem, 40000 } };

	bring_up(d, 0);
	for (int i = 0; i < 10; i++)
		fake_vq_add(d->fh, TXQ, small, 2, 0);
	d->ops->queue_notify(d->state, TXQ);
	assert_int_equal(d->fh->vq[TXQ].nused, 10);
	assert_int_equal(d->fh->vq[TXQ].notifies, 3); /* after 4, 8, and the last 2 */
	/* One chain of more than 32 KiB: published by itself, then the small
	 * one after it at the end. (Sent or refused as too long for the MTU,
	 * it is returned either way.) */
	fake_vq_add(d->fh, TXQ, big, 2, 0);
	fake_vq_add(d->fh, TXQ, small, 2, 0);
	d->ops->queue_notify(d->state, TXQ);
	assert_int_equal(d->fh->vq[TXQ].nused, 12);
	assert_int_equal(d->fh->vq[TXQ].notifies, 5);
}

static void test_tx_garbage(void **state)
{
	struct dev *d = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	struct iovec shorty = { &h, 8 };
	struct iovec huge[2] = { { &h, 12 }, { d->mem, 4000 } };

	bring_up(d, 0);
	for (int i = 0; i < 3; i++)
		fake_vq_add(d->fh, TXQ, &shorty, 1, 0);
	fake_vq_add(d->fh, TXQ, huge, 2, 0);
	d->ops->queue_notify(d->state, TXQ);
	/* Every chain is returned, none reaches the backend, the VMM goes on. */
	assert_int_equal(be.sends, 0);
	assert_int_equal(d->fh->vq[TXQ].nused, 4);
	assert_int_equal(log_count(d->fh, "shorter than the 12-byte virtio-net header"), 1);
	assert_int_equal(log_count(d->fh, "larger than the MTU allows (4000-byte frame"), 1);
	assert_string_equal(d->fh->broken, "");
	/* The backend refusing a frame is counted too. */
	be.send_answer = -EINVAL;
	fake_vq_add(d->fh, TXQ, huge, 2, 0);
	huge[1].iov_len = 100;
	fake_vq_add(d->fh, TXQ, huge, 2, 0);
	d->ops->queue_notify(d->state, TXQ);
	assert_int_equal(be.sends, 1);
	/* Named by the backend's interface (ABI 1.3 ifname). */
	assert_int_equal(log_count(d->fh, "transmit: sending to vt0: Invalid argument"), 1);
	/* Totals at destroy. */
	d->desc->destroy(d->state);
	d->state = NULL;
	assert_true(fake_log_has(d->fh, "0 frames sent, 0 received, 6 lost"));
	assert_true(fake_log_has(d->fh, "3 x shorter than the 12-byte virtio-net header"));
}

static void put_rx_frame(size_t len)
{
	memset(be.frame, 0, 12);
	for (size_t i = 0; i < len; i++)
		be.frame[12 + i] = (uint8_t)(0xa0 + i);
	be.len = 12 + len;
}

/* A received frame of 16 KiB or more is published as soon as it is in
 * the guest's buffers (the guest refills only as it takes frames); a small
 * one waits for the end of the wake-up (test_rx_and_no_busy_loop: one
 * publish). */
static void test_rx_publishes_a_large_frame_at_once(void **state)
{
	struct dev *d = *state;
	struct iovec buf = { d->mem, 12 + 20000 };

	bring_up(d, 0);
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	d->ops->queue_notify(d->state, RXQ);
	put_rx_frame(20000);
	assert_true(fake_fire(d->fh, be.fd));
	assert_int_equal(d->fh->vq[RXQ].nused, 1);
	assert_int_equal(d->fh->vq[RXQ].used[0].written, 12 + 20000);
	/* Right after the frame, and the wake-up's own publish at its end
	 * (which finds nothing new). */
	assert_int_equal(d->fh->vq[RXQ].notifies, 2);
}

static void test_rx_and_no_busy_loop(void **state)
{
	struct dev *d = *state;
	struct iovec buf = { d->mem, 1526 };
	unsigned unwatches;

	bring_up(d, 0);
	put_rx_frame(60);
	/* A frame waits, the guest has no receive buffer: the fd is no longer
	 * watched, so epoll does not wake the I/O thread again and again. */
	assert_true(fake_fire(d->fh, be.fd));
	assert_null(fake_watched(d->fh, be.fd));
	assert_int_equal(d->fh->vq[RXQ].nused, 0);
	unwatches = d->fh->unwatches;
	/* The guest adds a buffer and notifies: the frame is delivered; that
	 * used the last buffer, so the fd is left unwatched again. */
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	d->ops->queue_notify(d->state, RXQ);
	assert_int_equal(d->fh->vq[RXQ].nused, 1);
	assert_int_equal(d->fh->vq[RXQ].used[0].written, 72);
	assert_int_equal(d->fh->vq[RXQ].notifies, 1);
	assert_int_equal(d->mem[12], 0xa0);
	assert_int_equal(d->mem[10] | d->mem[11] << 8, 1);
	assert_null(fake_watched(d->fh, be.fd));
	assert_int_equal(d->fh->unwatches, unwatches + 1);
	/* Another buffer: watched while it waits for a frame, and it stays
	 * watched when a wake-up finds nothing to read. */
	buf.iov_base = d->mem + 4096;
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	d->ops->queue_notify(d->state, RXQ);
	assert_non_null(fake_watched(d->fh, be.fd));
	assert_true(fake_fire(d->fh, be.fd));
	assert_non_null(fake_watched(d->fh, be.fd));
	put_rx_frame(30);
	assert_true(fake_fire(d->fh, be.fd));
	assert_int_equal(d->fh->vq[RXQ].nused, 2);
	assert_int_equal(d->fh->vq[RXQ].used[1].written, 42);
}

static void test_reset(void **state)
{
	struct dev *d = *state;
	struct iovec buf = { d->mem, 1526 };

	bring_up(d, 0);
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	assert_true(fake_fire(d->fh, be.fd)); /* takes the buffer, nothing to receive */
	d->desc->reset(d->state);
	assert_null(fake_watched(d->fh, be.fd));
	/* Notifications after a reset (the transport would not send them) do
	 * nothing; the chain taken before is not returned. */
	put_rx_frame(60);
	d->ops->queue_notify(d->state, RXQ);
	d->ops->queue_notify(d->state, TXQ);
	assert_int_equal(d->fh->vq[RXQ].nused, 0);
	/* Up again: a fresh buffer gets the frame; the old one is forgotten. */
	assert_int_equal(d->ops->set_features(d->state, F(VIRTIO_F_VERSION_1)), 0);
	assert_int_equal(d->ops->activate(d->state), 0);
	buf.iov_base = d->mem + 4096;
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	d->ops->queue_notify(d->state, RXQ);
	assert_int_equal(d->fh->vq[RXQ].nused, 1);
	assert_int_equal(d->mem[4096 + 12], 0xa0);
	assert_int_equal(d->mem[12], 0);
}

/* A guest that posts a chain no frame fits each time the device returns
 * one: a wake-up takes at most NET_RX_FILL_MAX_POPS chains and leaves the
 * fd watched, so the I/O thread gets back to its other fds, and the next
 * wake-up goes on. */
static unsigned bad_posted;

static void repost_bad_chain(struct fake_host *fh, unsigned queue)
{
	static uint8_t readable[16];
	struct iovec v = { readable, sizeof(readable) };

	if (queue == RXQ && bad_posted < 600) {
		bad_posted++;
		fake_vq_add(fh, RXQ, &v, 1, 0);
	}
}

static void test_rx_fill_bounded(void **state)
{
	struct dev *d = *state;

	bring_up(d, F(VIRTIO_NET_F_MRG_RXBUF));
	bad_posted = 0;
	repost_bad_chain(d->fh, RXQ);
	d->fh->on_pop = repost_bad_chain;
	put_rx_frame(60);
	assert_true(fake_fire(d->fh, be.fd));
	assert_int_equal(d->fh->vq[RXQ].nused, NET_RX_FILL_MAX_POPS);
	assert_non_null(fake_watched(d->fh, be.fd));
	assert_true(fake_fire(d->fh, be.fd));
	assert_int_equal(d->fh->vq[RXQ].nused, 2 * NET_RX_FILL_MAX_POPS);
	d->fh->on_pop = NULL;
}

/* A receive queue the driver broke (vq_pop fails): the fd is no longer
 * watched, so a frame nobody will read does not wake the I/O thread again
 * and again until the guest resets the device. */
static void test_rx_broken_ring_unwatches(void **state)
{
	struct dev *d = *state;
	struct iovec buf = { d->mem, 1526 };

	bring_up(d, 0);
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	d->fh->vq[RXQ].pop_error = -EIO;
	put_rx_frame(60);
	assert_non_null(fake_watched(d->fh, be.fd));
	assert_true(fake_fire(d->fh, be.fd));
	assert_null(fake_watched(d->fh, be.fd));
	d->fh->vq[RXQ].pop_error = 0;
}

/* Two receive buffers posted, then nerrors -EINVAL from the backend (each
 * a lost frame), then a 60-byte frame: it arrives in one wake-up (64 a
 * wake-up) and the device stays up, its fd watched. */
static void rx_errors_then_frame(struct dev *d, int nerrors)
{
	struct iovec buf[2] = { { d->mem, 1526 }, { d->mem + 4096, 1526 } };

	bring_up(d, 0);
	fake_vq_add(d->fh, RXQ, &buf[0], 0, 1);
	fake_vq_add(d->fh, RXQ, &buf[1], 0, 1);
	d->ops->queue_notify(d->state, RXQ);
	be.recv_fail = nerrors;
	be.recv_err = -EINVAL;
	put_rx_frame(60);
	assert_true(fake_fire(d->fh, be.fd));
	assert_string_equal(d->fh->broken, "");
	assert_non_null(fake_watched(d->fh, be.fd));
	assert_int_equal(d->fh->vq[RXQ].nused, 1);
	assert_int_equal(d->fh->vq[RXQ].used[0].written, 72);
}

/* The backend fails to give a frame (tun's -EINVAL for an skb it cannot
 * describe, already consumed): that frame is lost, counted, and the run
 * goes on; the fd stays watched, since a guest whose receive ring is full
 * would never notify to have it watched again. */
static void test_rx_error_loses_one_frame(void **state)
{
	struct dev *d = *state;

	rx_errors_then_frame(d, 1);
	assert_int_equal(d->mem[12], 0xa0);
	assert_true(fake_log_has(d->fh, "receive: reading from vt0: Invalid argument; the frame "
				 "is lost"));
	assert_string_equal(d->fh->broken, "");
	/* Still watched for the next frame, without a notification. */
	assert_non_null(fake_watched(d->fh, be.fd));
	be.recv_fail = 1;
	put_rx_frame(30);
	assert_true(fake_fire(d->fh, be.fd));
	assert_int_equal(d->fh->vq[RXQ].nused, 2);
	assert_int_equal(d->fh->vq[RXQ].used[1].written, 42);
	assert_int_equal(log_count(d->fh, "receive: reading from"), 1);
}

/* A run of bad frames, each lost (-EINVAL, as tun says of an skb it cannot
 * describe), longer than the dead-fd bound: the device stays up, the fd
 * watched, and the next good frame arrives. Linux never resets a device
 * marked broken, so breaking here would end the NIC until reboot. */
static void test_rx_frame_errors_do_not_break(void **state)
{
	rx_errors_then_frame(*state, 40);
}

/* A dead fd (the tap deleted: -EBADFD every time) stays readable: after a
 * bounded run of errors the fd is no longer watched, so the I/O thread
 * does not spin, and the device is marked broken, naming the backend; the
 * guest's reset watches it again. */
static void test_rx_dead_fd_breaks_device(void **state)
{
	struct dev *d = *state;
	struct iovec buf = { d->mem, 1526 };

	bring_up(d, 0);
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	be.recv_fail = -1;
	be.recv_err = -EBADFD;
	assert_true(fake_fire(d->fh, be.fd));
	assert_true(be.recvs > 1 && be.recvs <= 32);
	assert_null(fake_watched(d->fh, be.fd));
	assert_non_null(strstr(d->fh->broken, "reading from vt0 failed"));
	assert_non_null(strstr(d->fh->broken, strerror(EBADFD)));
	assert_int_equal(d->fh->vq[RXQ].nused, 0);
	/* The guest resets the device and starts it again: watched, and
	 * a working backend's frames arrive. */
	d->desc->reset(d->state);
	d->fh->broken[0] = 0;
	be.recv_fail = 0;
	assert_int_equal(d->ops->set_features(d->state, F(VIRTIO_F_VERSION_1)), 0);
	assert_int_equal(d->ops->activate(d->state), 0);
	assert_non_null(fake_watched(d->fh, be.fd));
	buf.iov_base = d->mem + 4096;
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	put_rx_frame(60);
	assert_true(fake_fire(d->fh, be.fd));
	assert_int_equal(d->fh->vq[RXQ].nused, 1);
	assert_string_equal(d->fh->broken, "");
}

/* A reset waits for a receive run in progress: once the guest's reset
 * returns, no frame is written into a buffer taken before it. */
struct fire_arg {
	struct dev *d;
	atomic_bool done;
};

static void *fire_rx(void *opaque)
{
	struct fire_arg *a = opaque;

	fake_fire(a->d->fh, be.fd);
	atomic_store(&a->done, true);
	return NULL;
}

static void *do_reset(void *opaque)
{
	struct fire_arg *a = opaque;

	a->d->desc->reset(a->d->state);
	atomic_store(&a->done, true);
	return NULL;
}

static void test_reset_waits_for_rx(void **state)
{
	struct dev *d = *state;
	struct iovec buf = { d->mem, 1526 };
	struct fire_arg rx = { .d = d }, reset = { .d = d };
	pthread_t t_rx, t_reset;

	bring_up(d, 0);
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	put_rx_frame(60);
	atomic_store(&rx_block, true);
	pthread_create(&t_rx, NULL, fire_rx, &rx);
	while (!atomic_load(&rx_in))
		usleep(1000);
	pthread_create(&t_reset, NULL, do_reset, &reset);
	usleep(100 * 1000);
	assert_false(atomic_load(&reset.done)); /* the frame is still on its way */
	atomic_store(&rx_go, true);
	pthread_join(t_rx, NULL);
	pthread_join(t_reset, NULL);
	assert_true(reset.done);
	atomic_store(&rx_block, false);
	atomic_store(&rx_in, false);
	atomic_store(&rx_go, false);
}

/* Each offload change is a host netlink event: a guest flipping its
 * features across resets gets 16 changes per window, then none (offloads
 * off, right for any features) and one log line; unchanged offloads are
 * not set again at all. */
static void test_offload_changes_throttled(void **state)
{
	struct dev *d = *state;
	const uint64_t csum = F(VIRTIO_NET_F_GUEST_CSUM);

	bring_up(d, csum);
	assert_int_equal(be.offload_calls, 1);
	d->desc->reset(d->state);
	assert_int_equal(d->ops->set_features(d->state, csum | F(VIRTIO_F_VERSION_1)), 0);
	assert_int_equal(d->ops->activate(d->state), 0);
	assert_int_equal(be.offload_calls, 1);   /* the same: not set again */
	for (int i = 0; i < 100; i++) {
		d->desc->reset(d->state);
		assert_int_equal(d->ops->set_features(d->state, (i & 1 ? csum : 0) |
						      F(VIRTIO_F_VERSION_1)), 0);
		assert_int_equal(d->ops->activate(d->state), 0);
	}
	/* 16 changes (the first set counts), the last of them to none: the
	 * throttle's "off" finds them off already and sets nothing. */
	assert_int_equal(be.offload_calls, 16);
	assert_int_equal(be.offloads & csum, 0);
	assert_int_equal(log_count(d->fh, "changed its offloads"), 1);
}

/* Only the offload features count as a change: a guest that flips another
 * bit across resets (MRG_RXBUF here) changes nothing on the host, and its
 * offloads are never forced off. */
static void test_offload_budget_ignores_other_features(void **state)
{
	struct dev *d = *state;
	const uint64_t csum = F(VIRTIO_NET_F_GUEST_CSUM);

	bring_up(d, csum);
	for (int i = 0; i < 20; i++) {
		d->desc->reset(d->state);
		assert_int_equal(d->ops->set_features(d->state, csum | F(VIRTIO_F_VERSION_1) |
						      (i & 1 ? 0 : F(VIRTIO_NET_F_MRG_RXBUF))), 0);
		assert_int_equal(d->ops->activate(d->state), 0);
		assert_true(be.offloads & csum);
	}
	assert_int_equal(be.offload_calls, 1);
	assert_int_equal(log_count(d->fh, "changed its offloads"), 0);
}

/* ---- a transmit flood, on a simulated I/O thread ---------------------- */

/* The driver's side of a flood: it keeps the transmit ring full, a new
 * chain for each one the device takes, until FLOOD chains were made
 * available; each frame starts with its number. It notifies only when the
 * device asked it to (notify_on: the device found the ring empty), as
 * with EVENT_IDX or NO_NOTIFY, unless always_kick. */
static struct flood {
	struct dev *d;
	struct virtio_net_hdr_v1 hdr;
	unsigned added;
	uint16_t head[FLOOD];
	bool always_kick;
	bool kick;          /* a notification the I/O thread has not taken yet */
	unsigned rx_at;     /* chains returned when the received frame was; FLOOD + 1: not yet */
} flood;

static void flood_add(void)
{
	struct dev *d = flood.d;
	uint8_t *frame = d->mem + 0x10000 + flood.added * 64;
	struct iovec v[2] = { { &flood.hdr, 12 }, { frame, 60 } };

	memcpy(frame, &flood.added, 4);
	flood.head[flood.added++] = fake_vq_add(d->fh, TXQ, v, 2, 0);
	if (flood.always_kick || d->fh->vq[TXQ].notify_on)
		flood.kick = true;
}

static void flood_refill(struct fake_host *fh, unsigned queue)
{
	if (queue == TXQ && flood.added < FLOOD)
		flood_add();
}

static void flood_start(struct dev *d, bool always_kick)
{
	flood = (struct flood){ .d = d, .always_kick = always_kick, .rx_at = FLOOD + 1 };
	d->fh->on_pop = flood_refill;
	while (flood.added < FAKE_ELEMS)
		flood_add();
	flood.kick = true;
}

static bool fd_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (fd == be.fd)
		return be.len > 0; /* the fake backend's rx fd: a frame waits */
	return poll(&p, 1, 0) == 1;
}

/* After each callback: has the received frame reached the guest? */
static void flood_note(void)
{
	if (flood.rx_at > FLOOD && flood.d->fh->vq[RXQ].nused)
		flood.rx_at = flood.d->fh->vq[TXQ].nused;
}

/* One turn of the device's I/O thread: what one level-triggered
 * epoll_wait returns, the transmit queue's kick and each watched fd that
 * is ready, run in turn. False if nothing was ready: the thread sleeps. */
static bool io_turn(struct dev *d)
{
	bool ready[FAKE_WATCHES], kick = flood.kick, ran = kick;

	for (unsigned i = 0; i < FAKE_WATCHES; i++)
		ready[i] = d->fh->watch[i].on && fd_ready(d->fh->watch[i].fd);
	if (kick) {
		flood.kick = false;
		d->ops->queue_notify(d->state, TXQ);
		flood_note();
	}
	for (unsigned i = 0; i < FAKE_WATCHES; i++) {
		struct fake_watch *w = &d->fh->watch[i];

		if (ready[i] && w->on) {
			w->fn(w->opaque, w->fd, EPOLLIN);
			flood_note();
			ran = true;
		}
	}
	return ran;
}

static void io_run(struct dev *d)
{
	for (unsigned turns = 0; io_turn(d); turns++)
		assert_true(turns < 1000);
}

/* Every chain of the flood sent and returned, in order. */
static void flood_check_all_sent(struct dev *d)
{
	assert_int_equal(flood.added, FLOOD);
	assert_int_equal(d->fh->vq[TXQ].count, 0);
	assert_int_equal(be.nseq, FLOOD);
	assert_int_equal(d->fh->vq[TXQ].nused, FLOOD);
	for (unsigned i = 0; i < FLOOD; i++) {
		assert_int_equal(be.seq[i], i);
		assert_int_equal(d->fh->vq[TXQ].used[i].head, flood.head[i]);
	}
	/* Idle, and the guest is asked for its next notification. */
	assert_true(d->fh->vq[TXQ].notify_on);
	assert_string_equal(d->fh->broken, "");
}

/* A guest that keeps its transmit ring full does not stall its own
 * receive traffic: a frame waiting on the backend reaches it while the
 * flood goes on, and every transmitted chain is still sent and returned,
 * in order. With the driver's notifications suppressed (its ring never
 * runs dry), the device comes back to the queue on its own. */
static void tx_flood(struct dev *d, bool always_kick)
{
	struct iovec buf = { d->mem, 1526 };

	bring_up(d, 0);
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	d->ops->queue_notify(d->state, RXQ);
	put_rx_frame(60);
	flood_start(d, always_kick);
	io_run(d);
	assert_int_equal(d->fh->vq[RXQ].nused, 1);
	assert_int_equal(d->fh->vq[RXQ].used[0].written, 72);
	assert_int_equal(d->mem[12], 0xa0);
	assert_true(flood.rx_at < FLOOD);
	flood_check_all_sent(d);
}

static void test_tx_flood_suppressed(void **state)
{
	tx_flood(*state, false);
}

static void test_tx_flood_kicked(void **state)
{
	tx_flood(*state, true);
}

/* A run that ended at its budget comes back through the device's eventfd;
 * after a reset that run takes and sends nothing, and the driver's next
 * notification after DRIVER_OK brings the device back. */
static void test_tx_budget_and_reset(void **state)
{
	struct dev *d = *state;
	unsigned sent;
	int efd;

	bring_up(d, 0);
	efd = d->fh->slots[1];
	assert_true(efd >= 0);
	assert_non_null(fake_watched(d->fh, efd));
	flood_start(d, false);
	d->ops->queue_notify(d->state, TXQ);
	sent = d->fh->vq[TXQ].nused;
	assert_true(sent > 0 && sent < FLOOD);
	assert_int_equal(be.sends, sent);
	assert_true(fd_ready(efd));
	d->desc->reset(d->state);
	assert_true(fake_fire(d->fh, efd));
	assert_false(fd_ready(efd));
	assert_int_equal(d->fh->vq[TXQ].nused, sent);
	assert_int_equal(be.sends, sent);
	assert_int_equal(d->ops->set_features(d->state, F(VIRTIO_F_VERSION_1)), 0);
	assert_int_equal(d->ops->activate(d->state), 0);
	flood.kick = true;
	io_run(d);
	flood_check_all_sent(d);
}

/* The budget counts bytes too: forty chains of 200000 bytes (too long to
 * send, so returned unsent) take more than one run. */
static void test_tx_budget_bytes(void **state)
{
	struct dev *d = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	struct iovec big[2] = { { &h, 12 }, { d->mem, 200000 } };
	int efd;

	bring_up(d, 0);
	efd = d->fh->slots[1];
	for (int i = 0; i < 40; i++)
		fake_vq_add(d->fh, TXQ, big, 2, 0);
	d->ops->queue_notify(d->state, TXQ);
	assert_true(d->fh->vq[TXQ].nused < 40);
	assert_true(fd_ready(efd));
	assert_true(fake_fire(d->fh, efd));
	assert_int_equal(d->fh->vq[TXQ].nused, 40);
	assert_false(fd_ready(efd));
	assert_int_equal(be.sends, 0);
}

/* ---- a kernel data plane ---------------------------------------------- */

static void test_dataplane(void **state)
{
	struct dev *d = *state;
	int kick[2] = { eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	struct iovec buf = { d->mem, 1526 };
	uint64_t v;
	int efd;

	d->fh->port.ops = &be_dp_ops;
	for (int i = 0; i < 2; i++)
		d->fh->vq[i].kick_fd = kick[i];
	d->fh->nregions = 1;
	d->fh->regions[0] = (struct volt_mem_region){ 0, 1 << 20, d->mem };
	bring_up(d, F(VIRTIO_NET_F_GUEST_CSUM));
	assert_int_equal(be.offload_calls, 1);
	efd = d->fh->slots[0];
	assert_true(efd >= 0);
	/* No transmit eventfd: the device moves no frames itself. */
	assert_int_equal(d->fh->slots[1], -1);
	assert_int_equal(d->fh->watches, 1);
	/* activate only signalled the I/O thread ... */
	assert_int_equal(be.dp_starts, 0);
	assert_true(fake_fire(d->fh, efd));
	/* ... which handed over both queues, then kicked them. */
	assert_int_equal(be.dp_starts, 1);
	assert_int_equal(be.dp_nq, 2);
	assert_int_equal(be.dp_nregions, 1);
	assert_int_equal(be.dp_q[1].kick_fd, kick[1]);
	assert_int_equal(be.dp_q[0].size, 256);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(read(kick[i], &v, sizeof(v)), sizeof(v));
		assert_int_equal(v, 1);
	}
	/* The device leaves the queues alone. */
	fake_vq_add(d->fh, RXQ, &buf, 0, 1);
	d->ops->queue_notify(d->state, RXQ);
	assert_int_equal(d->fh->vq[RXQ].count, 1);
	/* Reset takes them back. */
	d->desc->reset(d->state);
	assert_int_equal(be.dp_stops, 1);
	/* A start that fails marks the device broken. */
	be.dp_answer = -EBUSY;
	assert_int_equal(d->ops->activate(d->state), 0);
	assert_true(fake_fire(d->fh, efd));
	assert_non_null(strstr(d->fh->broken, "starting the data plane"));
	d->desc->destroy(d->state);
	d->state = NULL;
	assert_int_equal(be.dp_stops, 1);
	close(kick[0]);
	close(kick[1]);
}

/* The guest resets the device right after DRIVER_OK, before the I/O
 * thread starts the data plane: the transport has cleared the queues
 * (vq_info: -ENODEV) but the device's reset has not run. Nothing starts,
 * and the device is not marked broken (that would survive the reset and
 * keep the next DRIVER_OK from reaching activate); the next start works. */
static void test_dataplane_start_races_reset(void **state)
{
	struct dev *d = *state;
	int efd;

	d->fh->port.ops = &be_dp_ops;
	bring_up(d, 0);
	efd = d->fh->slots[0];
	d->fh->vq[TXQ].size = 0; /* the transport's reset: not ready */
	assert_true(fake_fire(d->fh, efd));
	assert_int_equal(be.dp_starts, 0);
	assert_string_equal(d->fh->broken, "");
	d->desc->reset(d->state);
	assert_int_equal(be.dp_stops, 0);
	/* The driver's next start. */
	d->fh->vq[TXQ].size = 256;
	assert_int_equal(d->ops->set_features(d->state, F(VIRTIO_F_VERSION_1)), 0);
	assert_int_equal(d->ops->activate(d->state), 0);
	assert_true(fake_fire(d->fh, efd));
	assert_int_equal(be.dp_starts, 1);
	assert_string_equal(d->fh->broken, "");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_descriptor), T(test_bad_mac_refused), T(test_backend_required),
		T(test_features_and_config), T(test_no_offloads), T(test_random_mac),
		T(test_activate), T(test_tx), T(test_tx_publishes_as_it_goes), T(test_tx_garbage),
		T(test_rx_publishes_a_large_frame_at_once), T(test_rx_and_no_busy_loop),
		T(test_reset), T(test_rx_fill_bounded), T(test_reset_waits_for_rx),
		T(test_rx_broken_ring_unwatches), T(test_rx_error_loses_one_frame),
		T(test_rx_frame_errors_do_not_break),
		T(test_rx_dead_fd_breaks_device),
		T(test_offload_changes_throttled), T(test_offload_budget_ignores_other_features),
		T(test_tx_flood_suppressed),
		T(test_tx_flood_kicked), T(test_tx_budget_and_reset), T(test_tx_budget_bytes),
		T(test_dataplane), T(test_dataplane_start_races_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
