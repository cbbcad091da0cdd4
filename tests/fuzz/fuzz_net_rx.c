/* libFuzzer target: virtio-net's receive path (net_rx.c) between a hostile
 * guest and a hostile network. The input is a script: the guest makes
 * receive chains available (1 to VOLT_VQ_MAX_SIZE segments, readable ones
 * included, any lengths, runs of empty ones; each segment apart from the
 * others with a poisoned gap after it, or all carved back to back from one
 * block as a Linux guest does, so buffers merge), up to MAX_CHAINS of them
 * (SEG_POOL segments, BYTE_BUDGET bytes), and frames arrive from the
 * backend (any length, any header flags and segmentation type), under
 * features and an MTU the input chooses.
 *
 * Every shape the stash's bounds allow is reachable: 256 chains held (its
 * chain array full), 1022 iovecs gathered (NET_RX_GATHER_IOV passed by a
 * last 256-segment chain, the readv then taking all 1024 of rx->iovs), and
 * a fill that stops after NET_RX_FILL_MAX_POPS chains with more waiting.
 * The fake host's ring holds FAKE_ELEMS chains; the rest wait in the
 * harness, which refills the ring as the device takes from it (on_pop), as
 * a driver does, so to the device every chain added is available, in order.
 *
 * The harness keeps its own model of which chains the device holds and
 * checks every step against it, beyond "no crash":
 * - a chain with readable segments or under 12 writable bytes goes back at
 *   once with nothing written, in the order it was taken; every other chain
 *   is returned exactly once, in order, or is still held;
 * - a fill takes at most NET_RX_FILL_MAX_POPS chains. It ends with 0 only
 *   once the stash needs no more (it holds lim.want bytes, one chain without
 *   MRG_RXBUF, 256 chains or more than NET_RX_GATHER_IOV iovecs) or the
 *   guest has no chain left; with NET_RX_FILL_MORE only after taking exactly
 *   NET_RX_FILL_MAX_POPS while the stash still needs more. Then the device's
 *   run stops there (as net_io_rx_run does): nothing is lost, the frame
 *   waits, and the next run (the fd bringing the device back) goes on;
 * - a frame is delivered if and only if it fits the held buffers (the first
 *   chain alone without MRG_RXBUF), has a whole header and a segmentation
 *   type the guest accepted; it then fills the first k chains in order,
 *   each full but the last, with exactly its bytes, the header's
 *   num_buffers = k and its flags cleared without GUEST_CSUM;
 * - a frame that is not delivered returns no chain;
 * - what the device says it holds (chains, bytes, descriptors, iovecs once
 *   touching buffers merge and empty ones are left out) is what the model
 *   says.
 *
 * Input: 4 bytes of settings (features, MTU, ring size), then operations,
 * by value % 8:
 * 0-1 a short chain: 1 byte shape (1 + shape % 40 segments; bit 7: readable
 *     ones, (shape >> 4) % (segments + 1) of them; bit 6: a run of empty
 *     ones from the start, 1 byte its length mod segments), 2 bytes of
 *     length per segment
 *     (bit 15: up to 32 KiB, else mod 2048);
 * 2, 7 a frame arrives: 1 byte pattern, 3 bytes length, 1 byte header flags,
 *     1 byte gso_type; the device then fills its stash and reads;
 * 3   the same, but the backend fails once first;
 * 4   a long chain: 1 byte flags (bit 0: one length for all segments, bit 1:
 *     readable ones, bit 2: a run of empty ones), 1 byte segments - 1, then
 *     as the flags say 1 byte readable (mod segments + 1), 1 byte where the
 *     empty run starts and 1 byte how long, and 2 bytes of length for all or
 *     for each segment (as above);
 * 5   the last chain again, 1 + 1 byte times (same shape, new buffers);
 * 6   the device runs again with no new frame (after NET_RX_FILL_MORE, the
 *     waiting one). */
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

#define MAX_CHAINS FAKE_USED       /* per input: every one can be returned */
#define SHORT_SEGS 40              /* ops 0-1: more than the header has bytes */
#define MAX_SEGS   VOLT_VQ_MAX_SIZE
#define SEG_POOL   16384           /* segments per input */
#define BYTE_BUDGET (8u << 20)     /* guest buffer bytes per input */
#define ARENA_SIZE (1u << 20)
#define GAP        16               /* poisoned, after each spread segment */
#define SPREAD_SIZE (BYTE_BUDGET + SEG_POOL * (GAP + 16))
#define MAX_FRAME  (NET_GSO_MAX_FRAME + NET_VNET_HDR_LEN + 64)
/* net_rx.c's own bound (not exported): the stash takes another chain while
 * it has at most this many iovecs. */
#define GATHER_IOV (NET_RX_MAX_IOV - 2 - VOLT_VQ_MAX_SIZE)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A chain as the guest made it: segments seg[first .. first + nseg). */
struct chain {
	uint16_t head;
	unsigned nout, nseg, first;
	uint32_t cap;               /* writable bytes */
	bool returned;
};

static struct fake_host *fh;
static struct net_rx rx;
static struct net_stats st;
static struct net_rx_limits lim;

static struct chain chains[MAX_CHAINS];
static unsigned nchains;            /* added */
static unsigned nqueued;            /* of those, put in the fake host's ring */
static struct iovec seg[SEG_POOL];
static unsigned nsegs;
static size_t bytes_used;
static uint8_t *arena, *spread;     /* carved back to back; apart */
static size_t arena_used, spread_used;
static bool carve;

/* The last chain's shape, for op 5. */
static unsigned last_nseg, last_nout;
static size_t last_len[MAX_SEGS];

/* The backend: at most one frame waiting, or one error to return. */
static uint8_t frame[MAX_FRAME];
static size_t frame_len;
static bool frame_waiting;
static int backend_error;

static ssize_t be_recv(void *state, const struct iovec *iov, int iovcnt)
{
	size_t done = 0;

	if (iovcnt > NET_RX_MAX_IOV)
		abort();
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

/* The driver: chains not in the ring yet go in as it has room, in order.
 * Heads repeat after 256 chains (fake_vq_add numbers them mod 256): the
 * device only hands them back, and the model tells chains apart by their
 * order, not their heads. */
static void queue_chains(void)
{
	while (nqueued < nchains && fh->vq[0].count < FAKE_ELEMS) {
		struct chain *c = &chains[nqueued++];

		c->head = fake_vq_add(fh, 0, seg + c->first, c->nout, c->nseg - c->nout);
	}
}

static void refill(struct fake_host *host, unsigned queue)
{
	if (queue == 0)
		queue_chains();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fh = fake_host_new(NULL);
	arena = malloc(ARENA_SIZE);
	spread = aligned_alloc(GAP, SPREAD_SIZE);
	if (!fh || !arena || !spread)
		return -1;
	ASAN_POISON_MEMORY_REGION(spread, SPREAD_SIZE);
	fh->on_pop = refill;
	return 0;
}

/* Memory for one segment: the arena's next bytes (carved), or bytes of
 * its own, aligned, a poisoned gap after (ASan catches a step past either
 * end, as with a heap block's redzones; empty ones have addresses of their
 * own). BYTE_BUDGET keeps the spread block big enough. */
static uint8_t *seg_alloc(size_t len, bool writable)
{
	uint8_t *p;

	if (carve && writable && arena_used + len <= ARENA_SIZE) {
		p = arena + arena_used;
		arena_used += len;
	} else {
		p = spread + spread_used;
		spread_used += (len + GAP - 1) / GAP * GAP + GAP;
		if (spread_used > SPREAD_SIZE)
			abort();
	}
	ASAN_UNPOISON_MEMORY_REGION(p, len);
	return p;
}

/* A length from 2 bytes: up to 32 KiB (bit 15), else small. */
static size_t take_len(struct fuzz_in *in)
{
	size_t len = (size_t)fuzz_take(in, 2);

	return len & 0x8000 ? len & 0x7fff : len % 2048;
}

/* The guest makes a chain of nseg segments (nout readable first) with
 * these lengths available. */
static void make_chain(unsigned nseg, unsigned nout, const size_t *len)
{
	struct chain *c = &chains[nchains];

	if (nchains == MAX_CHAINS || nsegs + nseg > SEG_POOL)
		return;
	memset(c, 0, sizeof(*c));
	c->nseg = nseg;
	c->nout = nout;
	c->first = nsegs;
	for (unsigned i = 0; i < nseg; i++) {
		unsigned s = nsegs + i;
		size_t l = len[i] < BYTE_BUDGET - bytes_used ? len[i] : BYTE_BUDGET - bytes_used;

		seg[s].iov_base = seg_alloc(l, i >= nout);
		seg[s].iov_len = l;
		memset(seg[s].iov_base, 0xa5, l);
		bytes_used += l;
		if (i >= nout)
			c->cap += (uint32_t)l;
	}
	nsegs += nseg;
	nchains++;
	last_nseg = nseg;
	last_nout = nout;
	memcpy(last_len, len, nseg * sizeof(len[0]));
	queue_chains();
}

/* Ops 0-1: a chain of up to SHORT_SEGS segments. */
static void add_chain(struct fuzz_in *in)
{
	unsigned shape = (unsigned)fuzz_take(in, 1), empty, nseg, nout;
	size_t len[SHORT_SEGS];

	nseg = 1 + shape % SHORT_SEGS;
	/* Mostly writable-only chains, as a driver makes them. */
	nout = shape & 0x80 ? (shape >> 4) % (nseg + 1) : 0;
	/* Runs of empty segments (each at its own address unless carved). */
	empty = shape & 0x40 ? (unsigned)fuzz_take(in, 1) % nseg : 0;
	for (unsigned i = 0; i < nseg; i++) {
		/* Small, page-sized or up to 32 KiB, or empty. */
		len[i] = take_len(in);
		if (i < empty)
			len[i] = 0;
	}
	make_chain(nseg, nout, len);
}

/* Op 4: a chain of up to VOLT_VQ_MAX_SIZE segments, its lengths cheap to
 * say. */
static void add_long_chain(struct fuzz_in *in)
{
	unsigned flags = (unsigned)fuzz_take(in, 1);
	unsigned nseg = 1 + (unsigned)fuzz_take(in, 1), nout = 0, efrom = 0, en = 0;
	size_t len[MAX_SEGS], all;

	if (flags & 2)
		nout = (unsigned)fuzz_take(in, 1) % (nseg + 1);
	if (flags & 4) {
		efrom = (unsigned)fuzz_take(in, 1);
		en = (unsigned)fuzz_take(in, 1);
	}
	all = flags & 1 ? take_len(in) : 0;
	for (unsigned i = 0; i < nseg; i++) {
		len[i] = flags & 1 ? all : take_len(in);
		if (i >= efrom && i - efrom < en)
			len[i] = 0;
	}
	make_chain(nseg, nout, len);
}

/* Op 5: the last chain's shape again, n times. */
static void repeat_chain(struct fuzz_in *in)
{
	unsigned n = 1 + (unsigned)fuzz_take(in, 1);
	size_t len[MAX_SEGS];

	if (!last_nseg)
		return;
	memcpy(len, last_len, last_nseg * sizeof(len[0]));
	for (unsigned i = 0; i < n && nchains < MAX_CHAINS; i++)
		make_chain(last_nseg, last_nout, len);
}

static bool usable(const struct chain *c)
{
	return !c->nout && c->cap >= NET_VNET_HDR_LEN;
}

/* Chains the device has taken: the queue is FIFO. */
static unsigned popped(void)
{
	return nqueued - fh->vq[0].count;
}

/* The chains the device holds, by the model: taken, usable and not yet
 * returned. */
static unsigned held(unsigned *out)
{
	unsigned n = 0, p = popped();

	for (unsigned i = 0; i < p; i++)
		if (usable(&chains[i]) && !chains[i].returned)
			out[n++] = i;
	return n;
}

/* The stash as the model has it: bytes, descriptors and iovecs (buffers
 * touching the one before merged, empty ones left out). */
struct stash {
	unsigned nchain, ndesc, niov;
	uint64_t cap;
};

static struct stash model_stash(void)
{
	static unsigned hold[MAX_CHAINS];
	struct stash s = { 0 };
	const uint8_t *end = NULL;

	s.nchain = held(hold);
	for (unsigned h = 0; h < s.nchain; h++) {
		const struct chain *c = &chains[hold[h]];

		s.cap += c->cap;
		s.ndesc += c->nseg;
		for (unsigned i = c->first; i < c->first + c->nseg; i++) {
			if (!seg[i].iov_len)
				continue;
			if (seg[i].iov_base != end)
				s.niov++;
			end = (const uint8_t *)seg[i].iov_base + seg[i].iov_len;
		}
	}
	return s;
}

static void check_stash(const struct stash *s)
{
	fuzz_require(rx.nchain == s->nchain, "the stash holds the chains taken and not returned");
	fuzz_require(rx.nchain <= VOLT_VQ_MAX_SIZE, "the stash holds at most 256 chains");
	fuzz_require(rx.cap == s->cap, "the stash's bytes are its chains' writable bytes");
	fuzz_require(rx.ndesc == s->ndesc, "the stash's descriptors are its chains'");
	fuzz_require(rx.niov == s->niov, "the stash's iovecs are its buffers, merged");
	fuzz_require(rx.niov + 2 <= NET_RX_MAX_IOV, "the stash's iovecs fit one readv");
}

/* Does the stash want another chain? */
static bool stash_wants(const struct stash *s)
{
	return s->nchain < VOLT_VQ_MAX_SIZE && s->niov <= GATHER_IOV &&
	       (lim.mrg ? s->cap < lim.want : s->nchain == 0);
}

/* Chains the device returned while taking buffers (used entries from ..
 * upto), having taken chains[pfrom .. pupto): exactly the unusable ones
 * among them, in order, with nothing written. */
static void check_refused(unsigned from, unsigned upto, unsigned pfrom, unsigned pupto)
{
	unsigned u = from;

	for (unsigned i = pfrom; i < pupto; i++) {
		if (usable(&chains[i]))
			continue;
		fuzz_require(u < upto, "an unusable chain goes back at once");
		fuzz_require(fh->vq[0].used[u].head == chains[i].head &&
			     !fh->vq[0].used[u].written, "an unusable chain goes back empty, in order");
		chains[i].returned = true;
		u++;
	}
	fuzz_require(u == upto, "a fill returns only unusable chains");
}

/* The first n writable bytes of a returned chain are `want`. */
static void check_bytes(const struct chain *c, const uint8_t *want, uint32_t n)
{
	uint32_t done = 0;

	for (unsigned i = c->first + c->nout; i < c->first + c->nseg && done < n; i++) {
		uint32_t len = (uint32_t)seg[i].iov_len < n - done ? (uint32_t)seg[i].iov_len :
								      n - done;

		if (memcmp(seg[i].iov_base, want + done, len))
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

/* Every chain the guest made is returned, held, in the ring or waiting to
 * go in. */
static void check_nothing_lost(void)
{
	unsigned hold[MAX_CHAINS], nheld = held(hold), back = 0;

	for (unsigned i = 0; i < nchains; i++)
		back += chains[i].returned;
	fuzz_require(back == fh->vq[0].nused && rx.nchain == nheld &&
		     back + nheld + fh->vq[0].count + (nchains - nqueued) == nchains,
		     "every chain is returned, held or still available");
}

/* One run of the device (net_io_rx_run's first step): it fills its stash,
 * and reads if it may. After NET_RX_FILL_MORE it stops; the frame waits
 * for the next run. */
static void device_runs(void)
{
	unsigned before = fh->vq[0].nused, pbefore = popped(), pops;
	struct stash s;
	int r;

	r = net_rx_fill(&rx, &lim, &st);
	fuzz_require(r == 0 || r == NET_RX_FILL_MORE, "a fill from a sound ring succeeds");
	pops = popped() - pbefore;
	check_refused(before, fh->vq[0].nused, pbefore, popped());
	s = model_stash();
	check_stash(&s);
	fuzz_require(pops <= NET_RX_FILL_MAX_POPS, "a fill takes at most NET_RX_FILL_MAX_POPS");
	if (r == NET_RX_FILL_MORE) {
		fuzz_require(pops == NET_RX_FILL_MAX_POPS && stash_wants(&s),
			     "NET_RX_FILL_MORE only after the most pops, the stash still short");
		check_nothing_lost();
		return;
	}
	fuzz_require(!stash_wants(&s) || popped() == nchains,
		     "a fill ends with the stash full or the queue empty");
	if (net_rx_ready(&rx, &lim)) {
		device_reads();
		s = model_stash();
		check_stash(&s);
	}
	frame_waiting = false;
}

/* A frame arrives; the device takes buffers and reads while it may. */
static void frame_arrives(struct fuzz_in *in)
{
	struct virtio_net_hdr_v1 h = { 0 };
	unsigned seed = (unsigned)fuzz_take(in, 1);

	frame_len = (size_t)fuzz_take(in, 3) % (MAX_FRAME + 1);
	h.flags = (uint8_t)fuzz_take(in, 1);
	h.gso_type = (uint8_t)fuzz_take(in, 1);
	h.num_buffers = 0xeeee;
	for (size_t i = 0; i < frame_len; i++)
		frame[i] = (uint8_t)(seed + i * 31);
	memcpy(frame, &h, frame_len < sizeof(h) ? frame_len : sizeof(h));
	frame_waiting = true;
	device_runs();
}

static void run_reset(void)
{
	nchains = nqueued = nsegs = 0;
	bytes_used = 0;
	last_nseg = 0;
	ASAN_POISON_MEMORY_REGION(arena, ARENA_SIZE);
	ASAN_POISON_MEMORY_REGION(spread, spread_used);
	arena_used = spread_used = 0;
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
		switch (fuzz_take(&in, 1) % 8) {
		case 0:
		case 1:
			add_chain(&in);
			break;
		case 2:
		case 7:
			frame_arrives(&in);
			break;
		case 3:
			backend_error = -EIO;
			frame_arrives(&in);
			backend_error = 0;
			break;
		case 4:
			add_long_chain(&in);
			break;
		case 5:
			repeat_chain(&in);
			break;
		case 6:
			device_runs();
			break;
		}
	}
	check_nothing_lost();
	net_rx_forget(&rx);
	net_rx_fini(&rx);
	return 0;
}
