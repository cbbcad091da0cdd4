/* libFuzzer target: virtio-net's transmit path over fuzzer bytes, the way a
 * hostile guest drives it. The input chooses the negotiated features, the
 * MTU and how the chain is cut into segments (each its own heap block, so
 * ASan sees any access beyond one), readable and writable; the rest is the
 * chain's bytes: a virtio-net header and a frame, or garbage. The chain goes
 * through the device plugin itself (queue_notify on the TX queue, over the
 * fake host of tests/net), and a fake backend reads every byte it is given.
 *
 * Chains have 1 to VOLT_VQ_MAX_SIZE (256) segments, as many as the core's
 * walker passes on, with a run of empty segments the input places anywhere
 * (each its own block, so they never merge), and lengths that are mostly
 * 0..8999 but often the edges: 0, 1, the header's 11, 12, 13, an Ethernet
 * header's end (25, 26, 27), 4095, 4096, 9000, 65535.
 *
 * Input: 4 bytes of features, 1 byte segments (1 + b), 2 bytes readable
 * segments (mod segments + 1), 1 byte the first empty segment and 1 byte
 * how many, 2 bytes of length per segment (bit 15: an edge length, else
 * mod 9000), then the chain's bytes (the last segment, unless empty, takes
 * what is left).
 * Invariants: the chain is always returned with nothing written; what
 * reaches the backend is exactly the chain's readable bytes, header first,
 * its flag bits other than NEEDS_CSUM cleared (the device ignores them,
 * virtio 1.2 5.1.6.2.2), and only when its header passed the check;
 * nothing is ever marked broken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "fake_host.h"
#include "fuzz_util.h"
#include "net_config.h"

const struct volt_plugin_desc *volt_plugin_entry_v1_virtio_net(void);

#define MAX_SEGS VOLT_VQ_MAX_SIZE

static struct fake_host *fh;
static const struct volt_plugin_desc *desc;
static void *dev;
static uint8_t expect[70000];
static size_t expect_len;
static int rx_fd = -1;

static int be_rx_fd(void *s)
{
	return rx_fd;
}

static ssize_t be_recv(void *s, const struct iovec *iov, int iovcnt)
{
	return -11; /* -EAGAIN */
}

static ssize_t be_send(void *s, const struct iovec *iov, int iovcnt)
{
	size_t n = 0;

	for (int i = 0; i < iovcnt; i++) {
		if (n + iov[i].iov_len > expect_len || memcmp(iov[i].iov_base, expect + n, iov[i].iov_len))
			abort();
		n += iov[i].iov_len;
	}
	if (n != expect_len || n < 12 + 14)
		abort();
	return (ssize_t)n;
}

static int be_set_offloads(void *s, uint64_t f)
{
	return 0;
}

static const struct volt_net_backend_ops be_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops), .vnet_hdr_len = 12,
	.rx_fd = be_rx_fd, .recv = be_recv, .send = be_send, .set_offloads = be_set_offloads,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	desc = volt_plugin_entry_v1_virtio_net();
	fh = fake_host_new(desc);
	fh->has_port = true;
	fh->port = (struct volt_net_port){ &be_ops, NULL };
	rx_fd = eventfd(0, EFD_CLOEXEC);
	fake_host_set(fh, "mac", "02:00:00:00:00:01");
	if (desc->create(&fh->api, &fh->inst, &dev) || desc->realize(dev))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct volt_device_ops *ops = desc->ops;
	struct fuzz_in in = { data, size };
	struct iovec iov[MAX_SEGS];
	uint8_t *blocks[MAX_SEGS] = { 0 };
	uint64_t features = (fuzz_take(&in, 4) & net_features_offered(true)) | (1ULL << VIRTIO_F_VERSION_1);
	static const size_t edge[] = { 0, 1, 11, 12, 13, 25, 26, 27, 4095, 4096, 9000, 65535 };
	unsigned nseg = (unsigned)fuzz_take(&in, 1) % MAX_SEGS + 1, nout, used_before;
	unsigned empty_from, empty_n;
	size_t lens[MAX_SEGS], total = 0;

	nout = (unsigned)fuzz_take(&in, 2) % (nseg + 1);
	empty_from = (unsigned)fuzz_take(&in, 1);
	empty_n = (unsigned)fuzz_take(&in, 1);
	for (unsigned i = 0; i < nseg; i++) {
		size_t v = (size_t)fuzz_take(&in, 2);

		lens[i] = v & 0x8000 ? edge[(v & 0x7fff) % (sizeof(edge) / sizeof(edge[0]))] : v % 9000;
		if (i >= empty_from && i - empty_from < empty_n)
			lens[i] = 0;
	}
	/* The chain's bytes: what is left, cut as the lengths say. */
	for (unsigned i = 0; i < nseg; i++) {
		size_t len = i + 1 == nseg && lens[i] ? in.n : (lens[i] < in.n ? lens[i] : in.n);

		blocks[i] = malloc(len ? len : 1);
		memcpy(blocks[i], in.p, len);
		iov[i] = (struct iovec){ blocks[i], len };
		if (i < nout && total + len <= sizeof(expect)) {
			memcpy(expect + total, in.p, len);
			total += len;
		}
		in.p += len;
		in.n -= len;
	}
	expect_len = total;
	if (total)
		expect[0] &= VIRTIO_NET_HDR_F_NEEDS_CSUM; /* the header's flags */

	if (ops->set_features(dev, features) == 0 && ops->activate(dev) == 0) {
		used_before = fh->vq[1].nused = 0;
		fake_vq_add(fh, 1, iov, nout, nseg - nout);
		ops->queue_notify(dev, 1);
		if (fh->vq[1].nused != used_before + 1 || fh->vq[1].used[0].written != 0 ||
		    fh->vq[1].count != 0 || fh->broken[0])
			abort();
		desc->reset(dev);
	}
	fh->loglen = 0;
	fh->log[0] = 0;
	for (unsigned i = 0; i < nseg; i++)
		free(blocks[i]);
	return 0;
}
