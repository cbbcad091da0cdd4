/* libFuzzer target: the virtio-mmio transport (core/virtio/virtio_mmio.c)
 * as a hostile guest drives it: reads and writes of any width (1-8 bytes)
 * at any offset of the device's 4 KiB window (one running past its end is
 * the bus's to refuse), through bus_access() as a vCPU's MMIO exit does, interleaved with the I/O thread's work (kicks,
 * polls) and a dummy device's (pops, pushes, configuration changes, faults,
 * vq_info). Guest RAM is two regions (below and above the MMIO hole), each
 * its own heap block of exactly its size; every access buffer and the
 * device's configuration space are exactly sized too, so AddressSanitizer
 * catches any access past them.
 *
 * virtio_mmio_create needs KVM (irqfd, ioeventfds) and a running I/O
 * thread, so the transport's source is included: the harness builds the
 * device with the transport's own mmio_alloc, registers mmio_access on an
 * MMIO bus as create does, and plays the I/O thread itself, on the same
 * thread (races are not explored here).
 *
 * Beyond "no crash", after every operation:
 * - MagicValue, Version, DeviceID and VendorID read as constants;
 *   DeviceFeatures is the device's bits 0-23 and 50-63 plus exactly the
 *   transport's own (VERSION_1, EVENT_IDX, INDIRECT_DESC); write-only and
 *   reserved registers read 0; ConfigGeneration counts the device's
 *   configuration changes; InterruptStatus has no bit but VRING and CONFIG,
 *   and a new bit there comes with an interrupt;
 * - a register access that is not 4 bytes wide and aligned reads 0 and
 *   changes nothing; no read changes anything; neither does a write to a
 *   read-only register;
 * - a configuration-space read gives the device's bytes where offset and
 *   length fit in its space and zeros elsewhere (nothing else leaks), and
 *   the device is asked only for ranges inside its space;
 * - Status only gains bits until a write of 0, which resets the device
 *   (status 0, no queue ready, no interrupt pending) and runs the reset
 *   hook once; DRIVER_OK implies FEATURES_OK; FEATURES_OK implies the
 *   device accepted exactly the features the driver wrote, all offered,
 *   VERSION_1 among them, fixed from then on; NEEDS_RESET is set if and
 *   only if the device is broken, with a configuration interrupt if the
 *   driver was running it, and a queue register written while the queue is
 *   ready sets it;
 * - a queue becomes ready only after FEATURES_OK, and a queue handed out
 *   through vq_info stays ready on a disable of the running device, which
 *   is then broken;
 * - a ready queue has a power-of-two size up to QueueNumMax, its three
 *   rings aligned and wholly inside one RAM region;
 * - the device is notified only for a ready queue of a running device
 *   (DRIVER_OK, not NEEDS_RESET when the I/O thread woke), never by the poller for a queue handed
 *   out through vq_info, and activated at most once per reset; every
 *   popped element lies inside RAM; a pop error leaves the device in
 *   NEEDS_RESET; an element pushed after its queue was reset is dropped,
 *   and one pushed in time is used.
 *
 * Input: 11 bytes of settings (see fuzz_settings), then operations (see
 * fuzz_op). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "../../core/virtio/virtio_mmio.c"

#include "fuzz_util.h"

#define LOW_SIZE   0x8000ULL
#define HIGH_GPA   0x100000000ULL
#define HIGH_SIZE  0x2000ULL
#define MAX_QUEUES 2
#define MAX_HELD   4
#define MAX_POPS   (2 * VOLT_VQ_MAX_SIZE) /* per queue_notify: more than a ring holds */

/* Written out here from the specification (and the vendor ID the transport
 * documents), not taken from the transport's own definitions. */
#define MAGIC     0x74726976u /* "virt" */
#define VENDOR    0x544c4f56u /* "VOLT" */
#define DEV_BITS  (((1ULL << 24) - 1) | (~0ULL << 50))
#define OWN_BITS  ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
		   (1ULL << VIRTIO_RING_F_INDIRECT_DESC))
#define ISR_BITS  (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)
#define S_FEAT_OK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRV_OK  VIRTIO_CONFIG_S_DRIVER_OK
#define S_RESET   VIRTIO_CONFIG_S_NEEDS_RESET

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An element the device keeps past queue_notify, with its queue's epoch. */
struct held {
	struct volt_vq_elem elem;
	unsigned queue, epoch;
};

/* The dummy device: what it offers, how it behaves, what it was told. */
struct dummy {
	struct volt_device_ops ops;
	uint8_t *config;             /* ops.config_size bytes, its own heap block */
	uint64_t features;           /* offered, before the transport's mask */
	bool refuse_features, fail_activate, hold, serve_all, quiet, partial;
	bool accepted_ok;            /* set_features said yes to `accepted` */
	uint64_t accepted;
	unsigned activations;        /* since the last reset */
	unsigned resets;
	unsigned nheld;
};

/* The harness: the VM (only its RAM and MMIO bus), the transport, the
 * device, and what the driver wrote that no register reads back. */
struct fuzz {
	struct vm vm;
	struct virtio_mmio_dev *dev;
	struct dummy dm;
	uint8_t *low, *high;
	uint32_t features_sel, queue_sel;  /* DeviceFeaturesSel, QueueSel */
	uint32_t generation;               /* configuration changes so far */
	unsigned epoch[MAX_QUEUES];        /* times each queue's ring state was reset */
	bool vq_ready[MAX_QUEUES];         /* as last seen, to count the epochs */
	bool did_reset;                    /* this operation wrote Status = 0 */
	bool polling;                      /* inside mmio_poll or mmio_poll_end */
	bool broken_before_io;             /* NEEDS_RESET when the I/O thread woke */
};

/* The transport's registers and queue state, to see what an access changed. */
struct regs {
	uint32_t status, dev_sel, drv_sel, queue_sel, isr, generation;
	uint64_t driver_features;
	bool broken, call_fd_out;
	struct {
		uint32_t num, ready;
		uint64_t desc, avail, used;
		bool vq_ready, info_out;
	} q[MAX_QUEUES];
};

static struct fuzz F;
static struct held held[MAX_HELD];
static struct volt_vq_elem scratch;
static struct iothread io_unused;  /* the transport wants one; never started */
static int kick_fds[MAX_QUEUES];   /* the queues' eventfds, kept across inputs */
static int irq_fd;                 /* the interrupt line's (the irqfd's) eventfd */

/* ---- input ------------------------------------------------------------- */

struct input {
	const uint8_t *p, *end;
};

static uint8_t take8(struct input *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)take8(in) << (8 * i);
	return v;
}

/* ---- guest RAM --------------------------------------------------------- */

/* Host address of [gpa, gpa+len) if it lies in one region, else NULL. */
static uint8_t *fuzz_gpa(const struct fuzz *f, uint64_t gpa, uint64_t len)
{
	if (gpa < LOW_SIZE && len <= LOW_SIZE - gpa)
		return f->low + gpa;
	if (gpa >= HIGH_GPA && gpa - HIGH_GPA < HIGH_SIZE && len <= HIGH_SIZE - (gpa - HIGH_GPA))
		return f->high + (gpa - HIGH_GPA);
	return NULL;
}

static bool fuzz_in_ram(const void *ctx, const void *p, size_t len)
{
	const struct fuzz *f = ctx;
	const uint8_t *b = p;

	return (b >= f->low && len <= LOW_SIZE && (size_t)(b - f->low) <= LOW_SIZE - len) ||
	       (b >= f->high && len <= HIGH_SIZE && (size_t)(b - f->high) <= HIGH_SIZE - len);
}

/* ---- the transport's state --------------------------------------------- */

static void fuzz_regs(const struct virtio_mmio_dev *dev, struct regs *r)
{
	memset(r, 0, sizeof(*r));
	r->status = dev->status;
	r->dev_sel = dev->dev_features_sel;
	r->drv_sel = dev->drv_features_sel;
	r->queue_sel = dev->queue_sel;
	r->isr = atomic_load(&dev->isr);
	r->generation = dev->config_generation;
	r->driver_features = dev->driver_features;
	r->broken = atomic_load(&dev->broken);
	r->call_fd_out = atomic_load(&dev->call_fd_out);
	for (unsigned i = 0; i < dev->nqueues; i++) {
		const struct mmio_queue *q = &dev->queues[i];

		r->q[i].num = q->num;
		r->q[i].ready = q->ready;
		r->q[i].desc = q->desc;
		r->q[i].avail = q->avail;
		r->q[i].used = q->used;
		r->q[i].vq_ready = q->vq.ready;
		r->q[i].info_out = q->info_out;
	}
}

static void fuzz_unchanged(const struct regs *a, const struct regs *b)
{
	if (memcmp(a, b, sizeof(*a)))
		abort();
}

static uint64_t fuzz_offered(const struct fuzz *f)
{
	return (f->dm.ops.features ? f->dm.features & DEV_BITS : 0) | OWN_BITS;
}

/* A ready queue: a size the driver may use, rings where vq_setup put them. */
static void fuzz_check_queue(const struct fuzz *f, const struct mmio_queue *q)
{
	const struct virtqueue *vq = &q->vq;
	uint64_t n = q->num;

	if (q->ready > 1 || (q->ready != 0) != vq->ready)
		abort();
	if (!q->ready)
		return;
	if (n == 0 || n > f->dm.ops.queue_max_size || (n & (n - 1)) || vq->size != n)
		abort();
	if (vq->desc_gpa != q->desc || vq->avail_gpa != q->avail || vq->used_gpa != q->used)
		abort();
	if (q->desc % 16 || q->avail % 2 || q->used % 4)
		abort();
	/* The event-index fields included, as the transport promises. */
	if (fuzz_gpa(f, q->desc, 16 * n) != (uint8_t *)vq->vr.desc ||
	    fuzz_gpa(f, q->avail, 6 + 2 * n) != (uint8_t *)vq->vr.avail ||
	    fuzz_gpa(f, q->used, 6 + 8 * n) != (uint8_t *)vq->vr.used || !vq->vr.desc)
		abort();
}

/* Did the interrupt line fire since we last looked? */
static bool fuzz_irq_taken(void)
{
	uint64_t count;

	return read(irq_fd, &count, sizeof(count)) == sizeof(count) && count;
}

/* Status, and the features behind FEATURES_OK. `before`: when the
 * operation began. */
static void fuzz_check_status(const struct fuzz *f, uint32_t before)
{
	const struct virtio_mmio_dev *dev = f->dev;
	uint32_t s = dev->status;
	uint64_t drv = dev->driver_features;

	if (s & ~0xffu || (!f->did_reset && (before & ~s)))
		abort();
	if (((s & S_RESET) != 0) != atomic_load(&dev->broken))
		abort();
	if ((s & S_DRV_OK) && !(s & S_FEAT_OK))
		abort();
	if ((s & S_FEAT_OK) && (!f->dm.accepted_ok || f->dm.accepted != drv ||
				(drv & ~fuzz_offered(f)) || !(drv & (1ULL << VIRTIO_F_VERSION_1))))
		abort();
	if (f->dm.activations > 1)
		abort();
}

/* A new InterruptStatus bit comes with an interrupt; a device that breaks
 * while the driver runs it says so (virtio 1.2 section 2.1.2). */
static void fuzz_check_irq(const struct fuzz *f, uint32_t before, uint32_t isr_before)
{
	uint32_t isr = atomic_load(&f->dev->isr), s = f->dev->status;

	if (isr & ~ISR_BITS)
		abort();
	if (!fuzz_irq_taken() && (isr & ~isr_before))
		abort();
	if ((before & S_DRV_OK) && !(before & S_RESET) && (s & S_RESET) &&
	    !(isr & VIRTIO_MMIO_INT_CONFIG))
		abort();
}

/* After every operation: `before` and `isr` as it began. */
static void fuzz_check(struct fuzz *f, uint32_t before, uint32_t isr)
{
	struct virtio_mmio_dev *dev = f->dev;

	fuzz_check_status(f, before);
	fuzz_check_irq(f, before, isr);
	for (unsigned i = 0; i < dev->nqueues; i++) {
		fuzz_check_queue(f, &dev->queues[i]);
		/* Ring state is lost when a queue stops being ready. */
		if (f->vq_ready[i] && !dev->queues[i].vq.ready)
			f->epoch[i]++;
		f->vq_ready[i] = dev->queues[i].vq.ready;
	}
}

/* ---- the dummy device -------------------------------------------------- */

static uint64_t dummy_features(void *state)
{
	return ((struct fuzz *)state)->dm.features;
}

static int dummy_set_features(void *state, uint64_t features)
{
	struct fuzz *f = state;

	/* The transport screens the driver's choice before asking us. */
	if ((features & ~fuzz_offered(f)) || !(features & (1ULL << VIRTIO_F_VERSION_1)))
		abort();
	f->dm.accepted = features;
	f->dm.accepted_ok = !f->dm.refuse_features;
	return f->dm.refuse_features ? -EINVAL : 0;
}

static void dummy_config_check(const struct fuzz *f, uint32_t off, uint32_t len)
{
	if (len == 0 || len > 8 || (uint64_t)off + len > f->dm.ops.config_size)
		abort();
}

static void dummy_config_read(void *state, uint32_t off, void *data, uint32_t len)
{
	struct fuzz *f = state;

	dummy_config_check(f, off, len);
	memcpy(data, f->dm.config + off, len);
}

static void dummy_config_write(void *state, uint32_t off, const void *data, uint32_t len)
{
	struct fuzz *f = state;

	dummy_config_check(f, off, len);
	memcpy(f->dm.config + off, data, len);
}

static int dummy_activate(void *state)
{
	struct fuzz *f = state;
	uint32_t s = f->dev->status;

	if (!(s & S_DRV_OK) || !(s & S_FEAT_OK) || atomic_load(&f->dev->broken))
		abort();
	f->dm.activations++;
	return f->dm.fail_activate ? -EIO : 0;
}

/* Called after the transport cleared its state (and with no lock held). */
static void dummy_reset(void *state)
{
	struct fuzz *f = state;
	struct virtio_mmio_dev *dev = f->dev;

	if (dev->status != 0 || atomic_load(&dev->broken))
		abort();
	for (unsigned i = 0; i < dev->nqueues; i++)
		if (dev->queues[i].ready || dev->queues[i].vq.ready)
			abort();
	f->dm.resets++;
	f->dm.activations = 0;
	f->dm.accepted_ok = false;
	f->dm.nheld = 0; /* a device forgets its requests at a reset */
}

/* Push and check: used if its queue was not reset since the pop, else
 * dropped (the transport's promise, top of virtio_mmio.c). */
static void dummy_push(struct fuzz *f, unsigned queue, const struct volt_vq_elem *e,
		       unsigned epoch)
{
	const struct virtqueue *vq = &f->dev->queues[queue].vq;
	uint16_t before = vq->used_idx;
	/* Even if the head was popped again since (the queue disabled and
	 * enabled, no device reset): the element's generation tells. */
	unsigned want = epoch == f->epoch[queue];
	/* All, half, or (a device's bug) more than the chain holds. */
	uint32_t written = !f->dm.partial ? e->in_len : e->head & 1 ? e->in_len + 7 : e->in_len / 2;

	virtio_mmio_vq_push(f->dev, queue, e, written);
	if ((uint16_t)(vq->used_idx - before) != want)
		abort();
	if (want && le32toh(vq->vr.used->ring[before & (vq->size - 1)].len) !=
			    (written < e->in_len ? written : e->in_len))
		abort();
}

/* A popped element: check it, write its writable part, push or keep it. */
static void dummy_take(struct fuzz *f, unsigned queue, const struct volt_vq_elem *e)
{
	fuzz_check_elem(e, fuzz_in_ram, f);
	for (unsigned i = e->nout; i < e->nout + e->nin; i++)
		memset(e->iov[i].iov_base, 0x5a, e->iov[i].iov_len);
	if (f->dm.hold && f->dm.nheld < MAX_HELD) {
		struct held *h = &held[f->dm.nheld++];

		memcpy(&h->elem, e, sizeof(*e));
		h->queue = queue;
		h->epoch = f->epoch[queue];
		return;
	}
	dummy_push(f, queue, e, f->epoch[queue]);
}

/* A pop's result, from inside queue_notify or not. */
static bool dummy_popped(struct fuzz *f, unsigned queue, int r)
{
	struct virtio_mmio_dev *dev = f->dev;

	if (r > 1 || (r < 0 && !atomic_load(&dev->broken)))
		abort(); /* a broken ring is a fault: NEEDS_RESET */
	if (r == 1 && (!dev->queues[queue].ready || !(dev->status & S_DRV_OK) ||
		       atomic_load(&dev->broken)))
		abort();
	if (r == 1)
		dummy_take(f, queue, &scratch);
	return r == 1;
}

static void dummy_serve(struct fuzz *f, unsigned queue)
{
	for (unsigned n = 0; n < MAX_POPS; n++)
		if (!dummy_popped(f, queue, virtio_mmio_vq_pop(f->dev, queue, &scratch)))
			break;
	if (!f->dm.quiet)
		virtio_mmio_vq_notify(f->dev, queue);
}

static void dummy_queue_notify(void *state, unsigned queue)
{
	struct fuzz *f = state;
	struct virtio_mmio_dev *dev = f->dev;

	/* Broken meanwhile is possible: a poll runs every queue it found busy,
	 * and the first may break the device (its pops then say -EIO). */
	if (queue >= dev->nqueues || !dev->queues[queue].ready || !(dev->status & S_DRV_OK) ||
	    f->broken_before_io)
		abort();
	if (f->polling && dev->queues[queue].info_out)
		abort(); /* handed out through vq_info: never polled */
	dummy_serve(f, queue);
	for (unsigned i = 0; f->dm.serve_all && i < dev->nqueues; i++)
		if (i != queue)
			dummy_serve(f, i);
}

/* ---- the guest's accesses (a vCPU) ------------------------------------- */

static bool fuzz_writable(uint64_t off)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
	case VIRTIO_MMIO_DRIVER_FEATURES:
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
	case VIRTIO_MMIO_QUEUE_SEL:
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_NOTIFY:
	case VIRTIO_MMIO_INTERRUPT_ACK:
	case VIRTIO_MMIO_STATUS:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return true;
	}
	return false;
}

/* A 32-bit register read: what the specification and the transport say;
 * 0 for write-only and reserved registers. */
static void fuzz_check_read(const struct fuzz *f, uint64_t off, uint32_t v)
{
	const struct virtio_mmio_dev *dev = f->dev;
	bool q = f->queue_sel < dev->nqueues;
	uint64_t want = 0;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:     want = MAGIC; break;
	case VIRTIO_MMIO_VERSION:         want = 2; break;
	case VIRTIO_MMIO_DEVICE_ID:       want = f->dm.ops.virtio_id; break;
	case VIRTIO_MMIO_VENDOR_ID:       want = VENDOR; break;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:   want = q ? f->dm.ops.queue_max_size : 0; break;
	case VIRTIO_MMIO_QUEUE_READY:     want = q ? dev->queues[f->queue_sel].ready : 0; break;
	case VIRTIO_MMIO_STATUS:          want = dev->status; break;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:   want = 0xffffffffu; break;
	case VIRTIO_MMIO_CONFIG_GENERATION: want = f->generation; break;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		want = f->features_sel > 1 ? 0 : (uint32_t)(fuzz_offered(f) >> (32 * f->features_sel));
		break;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		/* VRING always once a call fd was handed out (vhost). */
		want = atomic_load(&dev->isr) |
		       (atomic_load(&dev->call_fd_out) ? VIRTIO_MMIO_INT_VRING : 0);
		if (want & ~ISR_BITS)
			abort();
		break;
	}
	if (v != want)
		abort();
}

/* After Status = 0: everything the driver set up is gone. */
static void fuzz_check_reset(struct fuzz *f, unsigned resets_before)
{
	struct virtio_mmio_dev *dev = f->dev;

	if (dev->status || dev->driver_features || atomic_load(&dev->isr) ||
	    atomic_load(&dev->call_fd_out) || atomic_load(&dev->broken))
		abort();
	for (unsigned i = 0; i < dev->nqueues; i++) {
		const struct mmio_queue *q = &dev->queues[i];

		if (q->ready || q->vq.ready || q->num || q->desc || q->avail || q->used)
			abort();
	}
	if (f->dm.resets != resets_before + 1)
		abort();
	f->features_sel = f->queue_sel = 0;
	f->did_reset = true;
}

static bool fuzz_queue_reg(uint64_t off)
{
	return off == VIRTIO_MMIO_QUEUE_NUM ||
	       (off >= VIRTIO_MMIO_QUEUE_DESC_LOW && off <= VIRTIO_MMIO_QUEUE_USED_HIGH &&
		fuzz_writable(off));
}

/* A 32-bit register write: its effect, or its lack of one. */
static void fuzz_after_write(struct fuzz *f, uint64_t off, uint32_t v, const struct regs *a,
			     const struct regs *b, unsigned resets_before)
{
	unsigned sel = f->queue_sel;
	bool q = sel < f->dev->nqueues;

	if (off == VIRTIO_MMIO_STATUS && v == 0)
		fuzz_check_reset(f, resets_before);
	else if (off == VIRTIO_MMIO_DEVICE_FEATURES_SEL)
		f->features_sel = v;
	else if (off == VIRTIO_MMIO_QUEUE_SEL)
		f->queue_sel = v;
	else if (off == VIRTIO_MMIO_DRIVER_FEATURES && (a->status & S_FEAT_OK) &&
		 a->driver_features != b->driver_features)
		abort(); /* fixed once FEATURES_OK is set */
	else if (off == VIRTIO_MMIO_INTERRUPT_ACK && (b->isr & v))
		abort();
	else if (off == VIRTIO_MMIO_QUEUE_READY && q && !(v & 1) && b->q[sel].ready &&
		 !(a->q[sel].info_out && (a->status & S_DRV_OK) && b->broken))
		abort(); /* a queue disable, refused only for a data plane's queue */
	else if (off == VIRTIO_MMIO_QUEUE_READY && q && (v & 1) && !a->q[sel].ready &&
		 b->q[sel].ready && !(a->status & S_FEAT_OK))
		abort(); /* enabled before FEATURES_OK */
	else if (fuzz_queue_reg(off) && q && a->q[sel].ready &&
		 (!(b->status & S_RESET) || memcmp(&a->q[sel], &b->q[sel], sizeof(a->q[sel]))))
		abort(); /* written while ready: a fault, the queue as it was */
	else if (!fuzz_writable(off) || off == VIRTIO_MMIO_QUEUE_NOTIFY)
		fuzz_unchanged(a, b);
}

static bool fuzz_config_fits(const struct fuzz *f, uint64_t rel, uint32_t len)
{
	uint32_t size = f->dm.ops.config_size;

	return rel <= size && len <= size - rel;
}

/* A configuration-space read: the device's bytes if they fit, else zeros. */
static void fuzz_check_config_read(const struct fuzz *f, uint64_t rel, const uint8_t *data,
				   uint32_t len)
{
	bool fits = fuzz_config_fits(f, rel, len) && f->dm.ops.config_read;

	for (uint32_t i = 0; i < len; i++)
		if (data[i] != (fits ? f->dm.config[rel + i] : 0))
			abort();
}

/* A configuration-space write: the device has the bytes if they fit, else
 * its space is as it was. */
static void fuzz_check_config_write(const struct fuzz *f, uint64_t rel, const uint8_t *data,
				    uint32_t len, const uint8_t *old)
{
	uint32_t size = f->dm.ops.config_size;
	bool fits = fuzz_config_fits(f, rel, len) && f->dm.ops.config_write;

	for (uint32_t i = 0; i < size; i++) {
		bool written = fits && i >= rel && i - rel < len;

		if (f->dm.config[i] != (written ? data[i - rel] : old[i]))
			abort();
	}
}

/* What an access may change, as it was before. */
struct before {
	struct regs regs;
	uint8_t config[16];
	unsigned resets;
};

/* What the access did, by the region it hit. */
static void fuzz_check_access(struct fuzz *f, uint64_t off, const uint8_t *data, uint32_t len,
			      bool is_write, const struct before *a)
{
	struct regs b;
	uint32_t v = 0;

	fuzz_regs(f->dev, &b);
	memcpy(&v, data, len < 4 ? len : 4);
	v = le32toh(v);
	if (off >= VIRTIO_MMIO_CONFIG) {
		fuzz_unchanged(&a->regs, &b);
		if (is_write)
			fuzz_check_config_write(f, off - VIRTIO_MMIO_CONFIG, data, len, a->config);
		else
			fuzz_check_config_read(f, off - VIRTIO_MMIO_CONFIG, data, len);
	} else if (len != 4 || off % 4) {
		fuzz_unchanged(&a->regs, &b);
		for (uint32_t i = 0; !is_write && i < len; i++)
			if (data[i])
				abort();
	} else if (is_write) {
		fuzz_after_write(f, off, v, &a->regs, &b, a->resets);
	} else {
		fuzz_unchanged(&a->regs, &b);
		fuzz_check_read(f, off, v);
	}
}

/* One guest access at offset `off` of the window, as a vCPU's MMIO exit. */
static void fuzz_access(struct fuzz *f, uint64_t off, uint32_t len, bool is_write, uint64_t value)
{
	uint8_t *data = malloc(len); /* exactly len: ASan catches more */
	struct before a;

	if (!data)
		abort();
	value = htole64(value);
	if (is_write)
		memcpy(data, &value, len);
	else
		memset(data, 0xa5, len); /* whatever the read leaves shows */
	fuzz_regs(f->dev, &a.regs);
	memcpy(a.config, f->dm.config, f->dm.ops.config_size);
	a.resets = f->dm.resets;
	/* The bus passes only accesses wholly inside the window: one that
	 * runs past its end is unclaimed, reads all ones and changes nothing. */
	if (bus_access(&f->vm.mmio, f->dev->base + off, data, len, is_write) !=
	    (off + len <= LAYOUT_VIRTIO_MMIO_SIZE))
		abort();
	if (off + len <= LAYOUT_VIRTIO_MMIO_SIZE) {
		fuzz_check_access(f, off, data, len, is_write, &a);
	} else {
		struct regs b;

		fuzz_regs(f->dev, &b);
		fuzz_unchanged(&a.regs, &b);
		for (uint32_t i = 0; i < len && !is_write; i++)
			if (data[i] != 0xff)
				abort();
	}
	free(data);
}

/* ---- the I/O thread ---------------------------------------------------- */

/* Each queue whose eventfd a QueueNotify signalled, as epoll would wake. */
static void fuzz_kicks(struct fuzz *f)
{
	struct pollfd pfd[MAX_QUEUES];
	unsigned n = f->dev->nqueues;

	for (unsigned i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = kick_fds[i], .events = POLLIN };
	if (poll(pfd, n, 0) <= 0)
		return;
	for (unsigned i = 0; i < n; i++)
		if (pfd[i].revents & POLLIN)
			mmio_on_kick(&f->dev->queues[i], EPOLLIN);
}

static void fuzz_io(struct fuzz *f, unsigned what)
{
	f->broken_before_io = atomic_load(&f->dev->broken);
	if (what == 0) {
		fuzz_kicks(f);
		return;
	}
	f->polling = true;
	if (what & 1)
		(void)mmio_poll(f->dev);
	if (what & 2)
		(void)mmio_poll_end(f->dev);
	f->polling = false;
}

/* ---- the device, outside queue_notify (a plugin's fd callback) ---------- */

static void fuzz_complete_held(struct fuzz *f)
{
	unsigned n = f->dm.nheld;

	f->dm.nheld = 0;
	for (unsigned i = 0; i < n; i++)
		dummy_push(f, held[i].queue, &held[i].elem, held[i].epoch);
	for (unsigned i = 0; i < f->dev->nqueues; i++)
		virtio_mmio_vq_notify(f->dev, i);
}

static void fuzz_config_changed(struct fuzz *f, uint8_t x)
{
	if (f->dm.ops.config_size)
		f->dm.config[x % f->dm.ops.config_size] ^= 0xff;
	virtio_mmio_config_changed(f->dev);
	f->generation++;
	if ((f->dev->status & S_DRV_OK) && !(atomic_load(&f->dev->isr) & VIRTIO_MMIO_INT_CONFIG))
		abort();
}

static void fuzz_broken(struct fuzz *f)
{
	virtio_mmio_set_broken(f->dev, "fuzz: the device failed");
	if (!(f->dev->status & S_RESET))
		abort();
}

/* vq_info into a struct of the size an older or newer plugin knows. */
static void fuzz_vq_info(struct fuzz *f, unsigned queue, uint8_t x)
{
	uint32_t size = x & 0x80 ? sizeof(struct volt_vq_info) :
				   4 + x % (sizeof(struct volt_vq_info) - 3);
	struct volt_vq_info *info = malloc(size); /* exactly: ASan catches more */
	const struct mmio_queue *q = queue < f->dev->nqueues ? &f->dev->queues[queue] : NULL;
	int r;

	if (!info)
		abort();
	info->struct_size = size;
	r = virtio_mmio_vq_info(f->dev, queue, info);
	if (r != (!q ? -EINVAL : !q->vq.ready ? -ENODEV : 0))
		abort();
	if (r == 0 && size == sizeof(*info) &&
	    (info->size != q->num || info->desc_gpa != q->desc || info->avail_gpa != q->avail ||
	     info->used_gpa != q->used || info->desc_hva != q->vq.vr.desc ||
	     info->avail_hva != q->vq.vr.avail || info->used_hva != q->vq.vr.used ||
	     info->call_fd != irq_fd || info->kick_fd != kick_fds[queue] ||
	     info->features != f->dev->driver_features || info->struct_size != size))
		abort();
	free(info);
}

/* A queue that does not exist: refused, nothing changes. */
static void fuzz_no_queue(struct fuzz *f, unsigned queue)
{
	struct volt_vq_info info = { .struct_size = sizeof(info) };
	struct regs a, b;

	fuzz_regs(f->dev, &a);
	if (virtio_mmio_vq_pop(f->dev, queue, &scratch) != -EINVAL ||
	    virtio_mmio_vq_info(f->dev, queue, &info) != -EINVAL)
		abort();
	scratch.head = 0;
	virtio_mmio_vq_push(f->dev, queue, &scratch, 0);
	virtio_mmio_vq_notify(f->dev, queue);
	fuzz_regs(f->dev, &b);
	fuzz_unchanged(&a, &b);
}

static void fuzz_device(struct fuzz *f, unsigned what, unsigned queue, uint8_t x)
{
	int r;

	switch (what) {
	case 0:
		fuzz_complete_held(f);
		break;
	case 1:
		fuzz_config_changed(f, x);
		break;
	case 2:
		fuzz_broken(f);
		break;
	case 3:
		fuzz_vq_info(f, queue, x);
		break;
	case 4:
		r = virtio_mmio_vq_pop(f->dev, queue, &scratch);
		if (queue >= f->dev->nqueues && r != -EINVAL)
			abort();
		if (queue < f->dev->nqueues)
			(void)dummy_popped(f, queue, r);
		break;
	case 5:
		virtio_mmio_vq_notify(f->dev, queue);
		break;
	default:
		fuzz_no_queue(f, f->dev->nqueues + queue);
		break;
	}
}

/* ---- the script -------------------------------------------------------- */

/* Fill guest RAM: [gpa16][n][n bytes], in the low or the high region. */
static void fuzz_fill(struct fuzz *f, struct input *in, bool high)
{
	uint64_t size = high ? HIGH_SIZE : LOW_SIZE, at = take(in, 2) % size;
	size_t n = take8(in);

	if (n > (size_t)(in->end - in->p))
		n = (size_t)(in->end - in->p);
	if (n > size - at)
		n = size - at;
	memcpy((high ? f->high : f->low) + at, in->p, n);
	in->p += n;
}

/* One operation. Its first byte: kind in bits 0-2, flags above.
 *   0, 6, 7  32-bit register write: [offset/4][value32]
 *   1        32-bit register read:  [offset/4]
 *   2        any access: [offset16 (& 0xfff)], flags: length-1 (bits 0-2),
 *            write (bit 3, then [value64])
 *   3        fill guest RAM: flags bit 0: high region (see fuzz_fill)
 *   4        the I/O thread: flags 0 kicks, 1 poll, 2 poll end, 3 both
 *   5        the device: flags bits 0-2 what (fuzz_device), 3-4 queue, [x] */
static void fuzz_op(struct fuzz *f, struct input *in)
{
	uint8_t b = take8(in);
	unsigned flags = b >> 3;
	uint32_t status = f->dev->status, isr = atomic_load(&f->dev->isr);
	uint64_t off;

	f->did_reset = false;
	switch (b & 7) {
	case 1:
		fuzz_access(f, take8(in) * 4u, 4, false, 0);
		break;
	case 2:
		off = take(in, 2) & 0xfff;
		fuzz_access(f, off, 1 + (flags & 7), flags & 8, flags & 8 ? take(in, 8) : 0);
		break;
	case 3:
		fuzz_fill(f, in, flags & 1);
		break;
	case 4:
		fuzz_io(f, flags & 3);
		break;
	case 5:
		fuzz_device(f, flags & 7, flags >> 3, take8(in));
		break;
	default:
		off = take8(in) * 4u;
		fuzz_access(f, off, 4, true, take(in, 4));
		break;
	}
	fuzz_check(f, status, isr);
}

/* Settings: [queues and QueueNumMax][configuration][behaviour][features64].
 * Queues 1 + bit 0; QueueNumMax 2^(bits 1-7 % 9). Configuration: size bits
 * 0-3, no config_read bit 4, no config_write bit 5, device ID 1 + bits 6-7.
 * Behaviour: bit 0 refuse features, 1 fail activation, 2 keep elements, 3
 * serve every queue at a notify, 4 no vq_notify, 5 write half, 6 no
 * queue_notify, 7 no features hook. */
static void fuzz_settings(struct fuzz *f, struct input *in)
{
	struct volt_device_ops *ops = &f->dm.ops;
	uint8_t q = take8(in), c = take8(in), b = take8(in);

	*ops = (struct volt_device_ops){
		.struct_size = sizeof(*ops),
		.virtio_id = 1 + (c >> 6),
		.num_queues = 1 + (q & 1),
		.queue_max_size = (uint16_t)(1u << ((q >> 1) % 9)),
		.config_size = c & 0xf,
		.features = b & 0x80 ? NULL : dummy_features,
		.set_features = dummy_set_features,
		.config_read = c & 0x10 ? NULL : dummy_config_read,
		.config_write = c & 0x20 ? NULL : dummy_config_write,
		.activate = dummy_activate,
		.queue_notify = b & 0x40 ? NULL : dummy_queue_notify,
	};
	f->dm.refuse_features = b & 1;
	f->dm.fail_activate = b & 2;
	f->dm.hold = b & 4;
	f->dm.serve_all = b & 8;
	f->dm.quiet = b & 16;
	f->dm.partial = b & 32;
	f->dm.features = take(in, 8);
}

/* What virtio_mmio_create does, without KVM and without an I/O thread. */
static void fuzz_create(struct fuzz *f)
{
	struct virtio_mmio_params p = {
		.name = "fuzz", .ops = &f->dm.ops, .state = f, .io = &io_unused, .reset = dummy_reset,
	};
	struct volt_err err = { 0 };
	unsigned slot;

	f->vm.kvm_fd = f->vm.vm_fd = -1;
	f->vm.mem = (struct guest_mem){ .base = f->low, .map_size = LOW_SIZE + HIGH_SIZE,
					.ram_size = LOW_SIZE + HIGH_SIZE, .nregions = 2 };
	f->vm.mem.regions[0] = (struct guest_mem_region){ 0, LOW_SIZE, f->low };
	f->vm.mem.regions[1] = (struct guest_mem_region){ HIGH_GPA, HIGH_SIZE, f->high };
	bus_init(&f->vm.mmio, "MMIO");
	if (mmio_check_ops(&p, &err) || mmio_find_slot(&f->vm, p.name, &slot, &err) ||
	    mmio_alloc(&f->vm, &p, slot, &f->dev, &err))
		abort();
	for (unsigned i = 0; i < f->dev->nqueues; i++)
		f->dev->queues[i].kick_fd = kick_fds[i];
	f->dev->irq_fd = irq_fd;
	if (bus_register(&f->vm.mmio, f->dev->base, LAYOUT_VIRTIO_MMIO_SIZE, mmio_access, f->dev,
			 f->dev->name, &err))
		abort();
}

static void fuzz_destroy(struct fuzz *f)
{
	uint64_t count;

	/* The eventfds are ours, kept for the next input, drained. */
	for (unsigned i = 0; i < f->dev->nqueues; i++) {
		f->dev->queues[i].kick_fd = -1;
		if (read(kick_fds[i], &count, sizeof(count)) < 0) {
			/* EAGAIN: not signalled */
		}
	}
	f->dev->irq_fd = -1;
	(void)fuzz_irq_taken();
	virtio_mmio_destroy(f->dev);
	bus_fini(&f->vm.mmio);
	free(f->low);
	free(f->high);
	free(f->dm.config);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_ERROR); /* every fault the guest provokes logs a warning */
	for (unsigned i = 0; i < MAX_QUEUES; i++) {
		kick_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (kick_fds[i] < 0)
			abort();
	}
	irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (irq_fd < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, data + size };
	struct fuzz *f = &F;

	if (size < 11)
		return 0;
	memset(f, 0, sizeof(*f));
	fuzz_settings(f, &in);
	f->low = calloc(1, LOW_SIZE);
	f->high = calloc(1, HIGH_SIZE);
	f->dm.config = malloc(f->dm.ops.config_size ? f->dm.ops.config_size : 1);
	if (!f->low || !f->high || !f->dm.config)
		abort();
	for (unsigned i = 0; i < f->dm.ops.config_size; i++)
		f->dm.config[i] = (uint8_t)(0x10 + i);
	fuzz_create(f);
	while (in.p < in.end)
		fuzz_op(f, &in);
	fuzz_destroy(f);
	return 0;
}
