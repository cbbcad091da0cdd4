/* libFuzzer target: virtio-net's receive path (net_rx.c) between a hostile
 * guest and a hostile network. The input is a script: the guest makes
 * receive chains available (any number of segments, readable ones
 * included, any lengths, empty ones too; each segment its own heap block, or all carved
 * back to back from one block as a Linux guest does, so buffers merge),
 * and frames arrive from the backend (any length, any header flags and
 * segmentation type), under features and an MTU the input chooses.
 *
 * The harness keeps its own model of which chains the device holds and
 * checks every step against it, beyond "no crash":
 * - a chain with readable segments or under 12 writable bytes goes back at
 *   once with nothing written; every other chain is returned exactly once,
 *   in order, or is still held;
 * - a frame is delivered if and only if it fits the held buffers (the first
 *   chain alone without MRG_RXBUF), has a whole header and a segmentation
 *   type the guest accepted; it then fills the first k chains in order,
 *   each full but the last, with exactly its bytes, the header's
 *   num_buffers = k and its flags cleared without GUEST_CSUM;
 * - a frame that is not delivered returns no chain;
 * - what the device says it holds (chains, bytes) is what the model says.
 *
 * Input: 4 bytes of settings (features, MTU, ring size), then operations:
 * 0-1 add a chain, 2 a frame arrives, 3 the backend fails once. */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>
#include <sanitizer/asan_interface.h>

#include "fake_host.h"
#include "fuzz_util.h"
#include "net_config.h"
#include "net_rx.h"
#include "net_tx.h"

#define MAX_CHAINS 160              /* per input; heads stay unique (mod 256) */
#define MAX_SEGS   40              /* more than the header has bytes */
#define ARENA_SIZE (1u << 20)
#define MAX_FRAME  (NET_GSO_MAX_FRAME + NET_VNET_HDR_LEN + 64)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A chain as the guest made it. */
struct chain {
	uint16_t head;
	unsigned nout, nseg;
	struct iovec seg[MAX_SEGS];
	uint8_t *block[MAX_SEGS];   /* heap blocks to free (NULL when carved) */
	uint32_t cap;               /* writable bytes */
	bool returned;
};

static struct fake_host *fh;
static struct net_rx rx;
static struct net_stats st;
static struct net_rx_limits lim;

static struct chain chains[MAX_CHAINS];
static unsigned nchains;            /* added */
static int chain_of_head[256];
static uint8_t *arena;
static size_t arena_used;
static bool carve;

/* The backend: at most one frame waiting, or one error to return. */
static uint8_t frame[MAX_FRAME];
static size_t frame_len;
static bool frame_waiting;
static int backend_error;

static ssize_t be_recv(void *state, const struct iovec *iov, int iovcnt)
{
	size_t done = 0;

	if (backend_error) {
		int e = backend_error;

		backend_error = 0;
		return e;
	}
	if (!frame_waiting)
		return -EAGAIN;
	for (int i = 0; i < iovcnt && done < frame_len; i++) {
		size_t n = frame_len - done < iov[i].iov_len ? frame_len - done : iov[i].iov_len;

		memcpy(iov[i].iov_base, frame + done, n);
		done += n;
	}
	frame_waiting = false;
	return (ssize_t)done; /* as a tap: what fit */
}

static const struct volt_net_backend_ops be_ops = { .recv = be_recv };
static const struct volt_net_port be_port = { &be_ops, NULL };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fh = fake_host_new(NULL);
	arena = malloc(ARENA_SIZE);
	return fh && arena ? 0 : -1;
}

/* Memory for one segment: its own block, or the arena's next bytes. */
static uint8_t *seg_alloc(struct chain *c, unsigned i, size_t len, bool writable)
{
	if (carve && writable && arena_used + len <= ARENA_SIZE) {
		uint8_t *p = arena + arena_used;

		ASAN_UNPOISON_MEMORY_REGION(p, len);
		arena_used += len;
		return p;
	}
	c->block[i] = malloc(len ? len : 1);
	return c->block[i];
}

static void add_chain(struct fuzz_in *in)
{
	struct chain *c = &chains[nchains];
	unsigned shape = (unsigned)fuzz_take(in, 1), empty;

	if (nchains == MAX_CHAINS || fh->vq[0].count == FAKE_ELEMS)
		return;
	memset(c, 0, sizeof(*c));
	c->nseg = 1 + shape % MAX_SEGS;
	/* Mostly writable-only chains, as a driver makes them. */
	c->nout = shape & 0x80 ? (shape >> 4) % (c->nseg + 1) : 0;
	/* Runs of empty segments (as blocks, each at its own address). */
	empty = shape & 0x40 ? (unsigned)fuzz_take(in, 1) % c->nseg : 0;
	for (unsigned i = 0; i < c->nseg; i++) {
		/* Small, page-sized or up to 64 KiB, or empty. */
		size_t len = (size_t)fuzz_take(in, 2);

		len = len & 0x8000 ? len & 0x7fff : len % 2048;
		if (i < empty)
			len = 0;
		c->seg[i].iov_base = seg_alloc(c, i, len, i >= c->nout);
		c->seg[i].iov_len = len;
		memset(c->seg[i].iov_base, 0xa5, len);
		if (i >= c->nout)
			c->cap += (uint32_t)len;
	}
	c->head = fake_vq_add(fh, 0, c->seg, c->nout, c->nseg - c->nout);
	chain_of_head[c->head] = (int)nchains;
	nchains++;
}

static bool usable(const struct chain *c)
{
	return !c->nout && c->cap >= NET_VNET_HDR_LEN;
}

/* The chains the device holds, by the model: popped (the queue is FIFO),
 * usable and not yet returned. */
static unsigned held(unsigned *out)
{
	unsigned popped = nchains - fh->vq[0].count, n = 0;

	for (unsigned i = 0; i < popped; i++)
		if (usable(&chains[i]) && !chains[i].returned)
			out[n++] = i;
	return n;
}

/* Chains the device returned while taking buffers (used entries from ..
 * upto): only unusable ones, with nothing written, each once. */
static void check_refused(unsigned from, unsigned upto)
{
	for (unsigned u = from; u < upto; u++) {
		int i = chain_of_head[fh->vq[0].used[u].head];

		if (i < 0 || chains[i].returned || usable(&chains[i]) || fh->vq[0].used[u].written)
			abort();
		chains[i].returned = true;
	}
}

/* The first n writable bytes of a returned chain are `want`. */
static void check_bytes(const struct chain *c, const uint8_t *want, uint32_t n)
{
	uint32_t done = 0;

	for (unsigned i = c->nout; i < c->nseg && done < n; i++) {
		uint32_t len = (uint32_t)c->seg[i].iov_len < n - done ? (uint32_t)c->seg[i].iov_len :
									 n - done;

		if (memcmp(c->seg[i].iov_base, want + done, len))
			abort();
		done += len;
	}
}

static bool gso_accepted(uint8_t gso_type)
{
	uint8_t gso = gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	return gso == VIRTIO_NET_HDR_GSO_NONE ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV4 && lim.features & NET_F(VIRTIO_NET_F_GUEST_TSO4)) ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV6 && lim.features & NET_F(VIRTIO_NET_F_GUEST_TSO6));
}

/* The frame as the guest must see it: num_buffers = k, flags cleared
 * without GUEST_CSUM. */
static void expected_frame(uint8_t *want, unsigned k)
{
	struct virtio_net_hdr_v1 h;

	memcpy(want, frame, frame_len);
	memcpy(&h, want, sizeof(h));
	if (!(lim.features & NET_F(VIRTIO_NET_F_GUEST_CSUM)))
		h.flags = 0;
	h.num_buffers = htole16((uint16_t)k);
	memcpy(want, &h, sizeof(h));
}

/* One read by the device, checked against the model. */
static void device_reads(void)
{
	static unsigned hold[MAX_CHAINS];
	static uint8_t want[MAX_FRAME];
	unsigned nheld = held(hold), k = 0, before = fh->vq[0].nused;
	uint64_t cap = 0, frames = st.rx_frames;
	size_t len = frame_len;
	bool fits, deliver;
	int r;

	for (unsigned i = 0; i < nheld; i++)
		cap += chains[hold[i]].cap;
	if (!nheld || rx.nchain != nheld || rx.cap != cap || (!lim.mrg && nheld > 1))
		abort();
	fits = lim.mrg ? len <= cap : len <= chains[hold[0]].cap;
	deliver = frame_waiting && !backend_error && fits && len >= NET_VNET_HDR_LEN &&
		  gso_accepted(frame[offsetof(struct virtio_net_hdr_v1, gso_type)]);
	for (uint64_t left = len; deliver && (left || !k); k++)
		left -= left < chains[hold[k]].cap ? left : chains[hold[k]].cap;

	r = net_rx_one(&rx, &lim, &be_port, &st);
	if (r < 0 && r != -EIO)
		abort();
	if (!deliver) {
		if (fh->vq[0].nused != before || st.rx_frames != frames)
			abort();
		return;
	}
	if (r != 1 || fh->vq[0].nused != before + k || st.rx_frames != frames + 1)
		abort();
	expected_frame(want, k);
	for (unsigned j = 0, off = 0; j < k; j++) {
		const struct fake_used *u = &fh->vq[0].used[before + j];
		struct chain *c = &chains[hold[j]];
		uint32_t w = len - off < c->cap ? (uint32_t)(len - off) : c->cap;

		if (u->head != c->head || u->written != w)
			abort();
		check_bytes(c, want + off, w);
		c->returned = true;
		off += w;
	}
}

/* A frame arrives; the device takes buffers and reads while it may. */
static void frame_arrives(struct fuzz_in *in)
{
	struct virtio_net_hdr_v1 h = { 0 };
	unsigned seed = (unsigned)fuzz_take(in, 1);
	unsigned before;

	frame_len = (size_t)fuzz_take(in, 3) % (MAX_FRAME + 1);
	h.flags = (uint8_t)fuzz_take(in, 1);
	h.gso_type = (uint8_t)fuzz_take(in, 1);
	h.num_buffers = 0xeeee;
	for (size_t i = 0; i < frame_len; i++)
		frame[i] = (uint8_t)(seed + i * 31);
	memcpy(frame, &h, frame_len < sizeof(h) ? frame_len : sizeof(h));
	frame_waiting = true;

	before = fh->vq[0].nused;
	if (net_rx_fill(&rx, &lim, &st))
		abort();
	check_refused(before, fh->vq[0].nused);
	if (net_rx_ready(&rx, &lim))
		device_reads();
	frame_waiting = false;
}

/* Every chain the guest made is returned, held or still queued. */
static void check_nothing_lost(void)
{
	unsigned hold[MAX_CHAINS], nheld = held(hold), back = 0;

	for (unsigned i = 0; i < nchains; i++)
		back += chains[i].returned;
	if (back != fh->vq[0].nused || rx.nchain != nheld ||
	    back + nheld + fh->vq[0].count != nchains)
		abort();
}

static void run_reset(void)
{
	for (unsigned i = 0; i < nchains; i++)
		for (unsigned j = 0; j < chains[i].nseg; j++)
			free(chains[i].block[j]);
	nchains = 0;
	memset(chain_of_head, 0xff, sizeof(chain_of_head));
	ASAN_POISON_MEMORY_REGION(arena, ARENA_SIZE);
	arena_used = 0;
	fh->vq[0].first = fh->vq[0].count = fh->vq[0].nused = 0;
	fh->loglen = 0;
	fh->log[0] = 0;
	memset(&st, 0, sizeof(st));
	frame_waiting = false;
	backend_error = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t f = (uint8_t)fuzz_take(&in, 1);
	uint64_t features = (f & 1 ? NET_F(VIRTIO_NET_F_MRG_RXBUF) : 0) |
			    (f & 2 ? NET_F(VIRTIO_NET_F_GUEST_TSO4) : 0) |
			    (f & 4 ? NET_F(VIRTIO_NET_F_GUEST_TSO6) : 0) |
			    (f & 8 ? NET_F(VIRTIO_NET_F_GUEST_CSUM) : 0);
	uint16_t mtu = (uint16_t)(68 + fuzz_take(&in, 2) % (9000 - 68 + 1));

	run_reset();
	carve = f & 16;
	/* The ring size decides when a short stash may be read anyway. */
	fh->vq[0].size = (uint16_t)(1u << (fuzz_take(&in, 1) % 9));
	net_rx_limits_init(&lim, features, mtu);
	if (net_rx_init(&rx, &fh->api, &fh->inst, 0))
		abort();
	while (in.n) {
		switch (fuzz_take(&in, 1) % 4) {
		case 0:
		case 1:
			add_chain(&in);
			break;
		case 2:
			frame_arrives(&in);
			break;
		case 3:
			backend_error = -EIO;
			frame_arrives(&in);
			backend_error = 0;
			break;
		}
	}
	check_nothing_lost();
	net_rx_forget(&rx);
	net_rx_fini(&rx);
	return 0;
}
