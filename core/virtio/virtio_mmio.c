/* The virtio-mmio transport, version 2 (virtio 1.2 section 4.2.2).
 *
 * Threads: the register file is accessed on vCPU threads (bus handler);
 * queue notifications arrive on the device's I/O thread (an ioeventfd per
 * queue), which calls ops->queue_notify, and the plugin's vq_pop/vq_push
 * come back here on that same thread. One mutex per device guards the
 * registers and the queues; InterruptStatus is an atomic so the I/O thread
 * can raise it while a vCPU acknowledges it, and a vCPU reads and
 * acknowledges it without the lock (the guest does both per interrupt).
 *
 * The data path without the lock: while the I/O thread is inside
 * queue_notify (in_notify, set under the lock when it enters), the queues
 * are its own. Every vCPU-side change to a queue's state, a reset, a queue
 * disable or enable, first waits in mmio_quiesce until in_notify drops, and
 * DRIVER_OK, checked as it entered, cannot be cleared meanwhile except by a
 * reset. So vq_pop, vq_push and vq_notify that come from inside
 * queue_notify on that thread (mmio_section says so) take no lock: they
 * read only the atomics `broken` and `quiescing`, and a fault takes the
 * lock as before. Calls from anywhere else (a plugin's fd callback, such
 * as a net backend's receive fd) take the lock per call, as they must: no
 * section covers them.
 *
 * Reset against in-flight work: a reset (Status = 0) or a queue disable
 * (QueueReady = 0) waits, on the vCPU that asked, until the I/O thread has
 * left queue_notify; meanwhile vq_pop returns "empty", so the plugin's
 * loop ends after the requests it already holds, which it may still push.
 * An element pushed after the reset finds its head no longer in flight and
 * is dropped (-ESTALE from vq_push). The plugin's reset hook runs next,
 * outside the lock; another vCPU's Status write or configuration access
 * waits for it (hook_lock), so the hook never overlaps set_features or
 * activate of the driver's next start. After a queue disable (or enable,
 * which waits too) the device goes on, so if the vCPU had to wait, every
 * ready queue is kicked (mmio_kick_ready): the driver of a queue whose work
 * was turned away meanwhile had been told not to notify.
 *
 * Stopping: at teardown, before the I/O thread is joined, virtio_mmio_stop
 * makes every queue look empty for good: it is a quiescing that never ends
 * (one count in `quiescing` nobody takes back), so vq_pop answers "empty"
 * in and out of queue_notify, and no kick or poll starts queue_notify
 * again. The I/O thread then finishes only the request
 * it holds, so the join waits for one request, not for a full ring a
 * hostile guest posted before it reset the VM. A reset never clears it.
 *
 * Polling: the device's poll handler (mmio_poll) runs on the I/O thread
 * before it sleeps (loop/poll.h). Under the lock it suppresses each ready
 * queue's notifications and looks at its avail->idx; queues with news run
 * queue_notify in a section, as a kick does. mmio_poll_end turns the
 * notifications back on and looks once more before the thread sleeps.
 * A queue handed out through vq_info (a kernel data plane may own its
 * notification fields) is never polled.
 *
 * Slots: device i of a VM sits at LAYOUT_VIRTIO_MMIO_BASE + i *
 * LAYOUT_VIRTIO_MMIO_SIZE with IRQ LAYOUT_VIRTIO_IRQ_FIRST + i. The MMIO bus
 * is the record of which slots are taken: create takes the first slot the
 * bus has no range at, so no counter is kept anywhere.
 *
 * Lifetime: the bus range cannot be taken back, so virtio_mmio_destroy is
 * for teardown, after the vCPUs and the device's I/O thread have stopped
 * (or for a create that failed, which registers the range last). */
#include "virtio/virtio_mmio.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "util/log.h"
#include "virtio/virtqueue.h"
#include "vm/layout.h"

#define MMIO_MAGIC      0x74726976u /* "virt" */
#define MMIO_VERSION    2u
#define MMIO_VENDOR_ID  0x544c4f56u /* "VOLT" */
#define MMIO_MAX_QUEUES 64u
#define MMIO_SLOTS      (LAYOUT_VIRTIO_IRQ_LAST - LAYOUT_VIRTIO_IRQ_FIRST + 1)

/* Feature bits a device may offer itself (virtio 1.2 section 6: 0-23 and
 * 50 and up); the transport owns the rest and offers only what it does. */
#define MMIO_DEVICE_FEATURE_MASK (((1ULL << 24) - 1) | (~0ULL << 50))
#define MMIO_TRANSPORT_FEATURES                                                     \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |         \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

struct mmio_queue {
	struct virtio_mmio_dev *dev;
	unsigned index;
	int kick_fd;               /* ioeventfd on QueueNotify == index */
	bool kick_registered;
	bool info_out;             /* vq_info handed the rings out: never polled */
	struct virtqueue vq;
	/* The queue's registers as the driver wrote them. */
	uint32_t num;
	uint32_t ready;
	uint64_t desc, avail, used;
};

struct virtio_mmio_dev {
	struct vm *vm;
	const struct volt_device_ops *ops;
	void *state;
	struct iothread *io;
	void (*reset_hook)(void *state);
	char name[64];
	char cmdline[64];
	uint64_t base;
	unsigned irq;
	int irq_fd;
	bool irqfd_registered;
	bool poll_registered;      /* a poll handler on the I/O thread's loop */
	uint16_t queue_max;        /* QueueNumMax */
	unsigned nqueues;
	struct mmio_queue *queues;

	/* The plugin's hooks on vCPU threads, one at a time: a Status write
	 * (set_features, activate, and the reset hook, which runs outside
	 * `lock` because it may wait for the I/O thread) and configuration
	 * space accesses. Without it another vCPU's DRIVER_OK could activate
	 * the device while the reset hook before it is still undoing the
	 * last activation. Taken before `lock`. */
	pthread_mutex_t hook_lock;
	pthread_mutex_t lock;      /* everything below, and each queue */
	pthread_cond_t idle;       /* signalled when in_notify drops */
	bool in_notify;            /* the I/O thread is inside ops->queue_notify */
	/* Written under the lock, read without it by the I/O thread's section. */
	atomic_uint quiescing;     /* non-zero: the queues take no new work; one
				    * count per vCPU in mmio_quiesce (several
				    * may), one for good after virtio_mmio_stop */
	atomic_bool hook_call_logged; /* a queue call from a locked hook, said once */
	atomic_bool broken;        /* DEVICE_NEEDS_RESET was set (logged once) */
	bool early_notify_logged;
	unsigned guest_warnings;   /* warnings the guest caused, ever: see mmio_guest_warn */
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t config_generation;
	atomic_uint isr;           /* InterruptStatus */
	/* A queue's call_fd was handed out (vq_info) since the last reset: a
	 * kernel data plane (vhost) signals the irqfd itself and cannot set isr,
	 * so InterruptStatus also shows VRING (a spurious one only makes the
	 * driver look at its used rings). */
	atomic_bool call_fd_out;
};

/* DeviceFeatures: asked of the device each time (a plugin may only know
 * its features once realized, after the transport exists). */
static uint64_t mmio_offered(const struct virtio_mmio_dev *dev)
{
	uint64_t f = dev->ops->features ? dev->ops->features(dev->state) : 0;

	return (f & MMIO_DEVICE_FEATURE_MASK) | MMIO_TRANSPORT_FEATURES;
}

/* The device whose queue_notify this thread is inside, if any: its queue
 * calls need no lock (see the top of the file). */
static __thread struct virtio_mmio_dev *mmio_section;

/* The device whose lock this thread holds around a register access, which
 * calls the plugin's features, set_features, activate and config hooks: a
 * hook that reports a broken device (host->device_broken) must not take
 * the lock again. */
static __thread struct virtio_mmio_dev *mmio_locked_here;

/* The lock for a host call, unless this thread holds it already (a hook
 * under it): true if taken, for mmio_unlock_if. */
static bool mmio_lock_unless_held(struct virtio_mmio_dev *dev)
{
	if (mmio_locked_here == dev)
		return false;
	pthread_mutex_lock(&dev->lock);
	return true;
}

static void mmio_unlock_if(struct virtio_mmio_dev *dev, bool taken)
{
	if (taken)
		pthread_mutex_unlock(&dev->lock);
}

/* A queue call from a hook under the lock (activate, set_features, the
 * config hooks, on a vCPU): the queues may be the I/O thread's at that
 * moment, and waiting for it there would let go of the lock mid-access.
 * Refused, once logged; queue work belongs on the I/O thread. */
static bool mmio_queue_call_in_hook(struct virtio_mmio_dev *dev, const char *what)
{
	if (mmio_locked_here != dev)
		return false;
	if (!atomic_exchange(&dev->hook_call_logged, true))
		log_warn("%s: %s from a hook that runs under the transport's lock (features, "
			 "set_features, config, activate): refused; make queue calls on the I/O "
			 "thread (queue_notify or an fd callback)", dev->name, what);
	return true;
}

/* ---- interrupts -------------------------------------------------------- */

static void mmio_irq_raise(struct virtio_mmio_dev *dev, unsigned bits)
{
	uint64_t one = 1;

	atomic_fetch_or(&dev->isr, bits);
	if (dev->irq_fd >= 0 && write(dev->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("%s: raising IRQ %u: %s", dev->name, dev->irq, strerror(errno));
}

/* Warnings a guest causes (faults, refused features, early notifies) are
 * logged at most MMIO_GUEST_WARNINGS times per device, resets included:
 * a guest looping on one must not fill the host's log. Caller holds the
 * lock. */
#define MMIO_GUEST_WARNINGS 16

__attribute__((format(printf, 2, 3)))
static void mmio_guest_warn(struct virtio_mmio_dev *dev, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	if (dev->guest_warnings > MMIO_GUEST_WARNINGS)
		return;
	if (dev->guest_warnings++ == MMIO_GUEST_WARNINGS) {
		log_warn("%s: further warnings caused by the guest are not logged", dev->name);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_warn("%s: %s", dev->name, text);
}

/* Caller holds the lock. The first fault is logged; later ones are not. */
static void mmio_set_broken_locked(struct virtio_mmio_dev *dev, const char *msg)
{
	if (atomic_load(&dev->broken))
		return;
	atomic_store(&dev->broken, true);
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	mmio_guest_warn(dev, "%s; the device needs a reset", msg);
	/* The driver learns of it through a configuration-change interrupt
	 * once it runs the device (virtio 1.2 section 2.1.2). */
	if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		mmio_irq_raise(dev, VIRTIO_MMIO_INT_CONFIG);
}

__attribute__((format(printf, 2, 3)))
static void mmio_fault(struct virtio_mmio_dev *dev, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mmio_set_broken_locked(dev, msg);
}

void virtio_mmio_set_broken(struct virtio_mmio_dev *dev, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	bool taken;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	taken = mmio_lock_unless_held(dev);
	mmio_set_broken_locked(dev, msg);
	mmio_unlock_if(dev, taken);
}

/* ---- reset ------------------------------------------------------------- */

/* Caller holds the lock: wait until the I/O thread is out of queue_notify.
 * vq_pop answers "empty" meanwhile, so the wait is one batch at most.
 * The wait drops the lock: what the caller decides about the device, it
 * decides after this returns. quiescing counts the waiters, so the first
 * to leave does not let the I/O thread serve new work while another vCPU
 * still waits. Returns true if it waited. */
static bool mmio_quiesce(struct virtio_mmio_dev *dev)
{
	bool waited = dev->in_notify;

	atomic_fetch_add(&dev->quiescing, 1);
	while (dev->in_notify)
		pthread_cond_wait(&dev->idle, &dev->lock);
	atomic_fetch_sub(&dev->quiescing, 1);
	return waited;
}

static void mmio_queue_clear(struct mmio_queue *q)
{
	vq_reset(&q->vq); /* keeps the guest-memory reference */
	q->num = q->ready = 0;
	q->info_out = false;
	q->desc = q->avail = q->used = 0;
}

/* Status = 0. The caller runs the plugin's reset hook after unlocking. */
static void mmio_reset_locked(struct virtio_mmio_dev *dev)
{
	mmio_quiesce(dev);
	for (unsigned i = 0; i < dev->nqueues; i++)
		mmio_queue_clear(&dev->queues[i]);
	dev->status = 0;
	dev->dev_features_sel = dev->drv_features_sel = 0;
	dev->driver_features = 0;
	dev->queue_sel = 0;
	atomic_store(&dev->broken, false);
	dev->early_notify_logged = false;
	atomic_store(&dev->isr, 0);
	atomic_store(&dev->call_fd_out, false);
}

/* ---- status and features ---------------------------------------------- */

/* FEATURES_OK: is the driver's choice one we can run? Refusal is not a
 * fault: the bit is simply not kept, and the driver reads that back. */
static bool mmio_features_ok(struct virtio_mmio_dev *dev)
{
	uint64_t f = dev->driver_features, offered = mmio_offered(dev);
	int r;

	if (f & ~offered) {
		mmio_guest_warn(dev, "FEATURES_OK refused: the driver accepted features 0x%" PRIx64
				" that were not offered", f & ~offered);
		return false;
	}
	if (!(f & (1ULL << VIRTIO_F_VERSION_1))) {
		mmio_guest_warn(dev, "FEATURES_OK refused: VIRTIO_F_VERSION_1 not accepted (legacy "
				"drivers are not supported)");
		return false;
	}
	r = dev->ops->set_features ? dev->ops->set_features(dev->state, f) : 0;
	if (r < 0) {
		mmio_guest_warn(dev, "FEATURES_OK refused by the device: features 0x%" PRIx64 ": %s",
				f, strerror(-r));
		return false;
	}
	return true;
}

static void mmio_driver_ok(struct virtio_mmio_dev *dev)
{
	int r = dev->ops->activate ? dev->ops->activate(dev->state) : 0;

	if (r < 0)
		mmio_fault(dev, "activation failed: %s", strerror(-r));
}

static void mmio_kick_ready(struct virtio_mmio_dev *dev, bool posted_only);

/* Returns true if the plugin's reset hook must run (after unlocking). */
static bool mmio_write_status(struct virtio_mmio_dev *dev, uint32_t v)
{
	uint32_t old = dev->status, added;

	if (v == 0) {
		mmio_reset_locked(dev);
		return true;
	}
	/* NEEDS_RESET is the device's bit: kept as it is, whatever is written. */
	v = (v & ~VIRTIO_CONFIG_S_NEEDS_RESET & 0xff) | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if (old & ~v) {
		mmio_fault(dev, "driver wrote status 0x%x, clearing bits of 0x%x without a reset", v, old);
		return false;
	}
	added = v & ~old;
	if ((added & VIRTIO_CONFIG_S_FEATURES_OK) && !mmio_features_ok(dev))
		v &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(v & VIRTIO_CONFIG_S_FEATURES_OK)) {
		mmio_fault(dev, "driver set DRIVER_OK without FEATURES_OK");
		return false;
	}
	dev->status = v;
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !atomic_load(&dev->broken)) {
		mmio_driver_ok(dev);
		mmio_kick_ready(dev, true);
	}
	return false;
}

static void mmio_write_driver_features(struct virtio_mmio_dev *dev, uint32_t v)
{
	unsigned shift;

	/* Features are fixed once FEATURES_OK is set (or before DRIVER). */
	if (dev->status & VIRTIO_CONFIG_S_FEATURES_OK || dev->drv_features_sel > 1)
		return;
	shift = dev->drv_features_sel * 32;
	dev->driver_features &= ~(0xffffffffULL << shift);
	dev->driver_features |= (uint64_t)v << shift;
}

/* ---- queues ------------------------------------------------------------ */

static struct mmio_queue *mmio_selected(struct virtio_mmio_dev *dev)
{
	return dev->queue_sel < dev->nqueues ? &dev->queues[dev->queue_sel] : NULL;
}

/* Signal queue q's eventfd, as the driver's notify does. */
static void mmio_kick(struct virtio_mmio_dev *dev, unsigned q)
{
	uint64_t one = 1;

	if (write(dev->queues[q].kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("%s: queue %u: signalling its eventfd: %s", dev->name, q, strerror(errno));
}

/* Caller holds the lock: kick each ready queue of a running device, as its
 * driver would have, in two cases.
 * - A queue changed after mmio_quiesce waited (posted_only false).
 *   Meanwhile the I/O thread turned the queues' work away (a pop answered
 *   "empty", a kick or a poll's news ignored), and a driver told not to
 *   notify will not notify for those buffers again.
 * - DRIVER_OK (posted_only true): a driver may make buffers available
 *   before it without notifying (virtio 1.2 3.1.1, step 7), and with
 *   EVENT_IDX it then notifies only past an avail_event nobody has moved.
 *   Only queues that hold such buffers are kicked: a kick of our own that
 *   reached the I/O thread after a quick reset would read as the guest's
 *   early notify. The I/O thread is in no section yet (none runs before
 *   DRIVER_OK), so the queues can be looked at. */
static void mmio_kick_ready(struct virtio_mmio_dev *dev, bool posted_only)
{
	if (!(dev->status & VIRTIO_CONFIG_S_DRIVER_OK) || atomic_load(&dev->broken))
		return;
	for (unsigned i = 0; i < dev->nqueues; i++)
		if (dev->queues[i].ready && (!posted_only || vq_has_avail(&dev->queues[i].vq)))
			mmio_kick(dev, i);
}

/* QueueReady = 1: check everything the driver wrote, then map the rings.
 * The features come first (virtio 1.2 3.1.1: FEATURES_OK, then the
 * queues): the ring's layout and notification scheme depend on them
 * (EVENT_IDX), and until FEATURES_OK the driver may still change them. */
static void mmio_queue_enable(struct virtio_mmio_dev *dev, struct mmio_queue *q)
{
	struct volt_err err = { 0 };

	if (!(dev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		mmio_fault(dev, "queue %u: QueueReady before FEATURES_OK", q->index);
		return;
	}
	if (q->num == 0 || q->num > dev->queue_max || (q->num & (q->num - 1))) {
		mmio_fault(dev, "queue %u: QueueReady with queue size %u (need a power of two <= %u)",
			   q->index, q->num, dev->queue_max);
		return;
	}
	if (vq_setup(&q->vq, (uint16_t)q->num, q->desc, q->avail, q->used, dev->driver_features,
		     &err) < 0) {
		mmio_fault(dev, "queue %u: %s", q->index, err.msg);
		return;
	}
	q->ready = 1;
}

/* vq_setup and vq_reset write the queue's state: not while the I/O thread
 * may be reading it without the lock, so the vCPU waits first (one batch at
 * most) and only then looks at the queue: during the wait another vCPU may
 * have enabled it, or the I/O thread handed its rings to a kernel data
 * plane (vq_info). */
static void mmio_write_queue_ready(struct virtio_mmio_dev *dev, struct mmio_queue *q, uint32_t v)
{
	bool waited = mmio_quiesce(dev);

	if (v & 1) {
		if (!q->ready)
			mmio_queue_enable(dev, q);
	} else if (q->info_out && (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		/* A kernel data plane given the rings would go on using them,
		 * and nothing tells it: only a device reset stops it. */
		mmio_fault(dev, "queue %u: disabled while a kernel data plane runs it", q->index);
	} else {
		/* Disabling a queue: stop serving it, as a one-queue reset. */
		vq_reset(&q->vq);
		q->ready = 0;
		q->info_out = false;
	}
	if (waited)
		mmio_kick_ready(dev, false);
}

static void mmio_write_queue_num(struct virtio_mmio_dev *dev, struct mmio_queue *q, uint32_t v)
{
	if (v == 0 || v > dev->queue_max || (v & (v - 1))) {
		mmio_fault(dev, "queue %u: queue size %u is not a power of two <= %u", q->index, v,
			   dev->queue_max);
		return;
	}
	q->num = v;
}

static void mmio_set_addr(uint64_t *addr, uint32_t v, bool high)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | ((uint64_t)v << 32);
	else
		*addr = (*addr & ~0xffffffffULL) | v;
}

/* The registers that configure the selected queue. */
static void mmio_write_queue_reg(struct virtio_mmio_dev *dev, uint64_t off, uint32_t v)
{
	struct mmio_queue *q = mmio_selected(dev);

	if (!q) {
		log_debug("%s: write 0x%x at 0x%" PRIx64 " for queue %u, which does not exist",
			  dev->name, v, off, dev->queue_sel);
		return;
	}
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		mmio_write_queue_ready(dev, q, v);
		return;
	}
	if (q->ready) {
		mmio_fault(dev, "queue %u: register 0x%" PRIx64 " written while the queue is ready",
			   q->index, off);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		mmio_write_queue_num(dev, q, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		mmio_set_addr(&q->desc, v, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		mmio_set_addr(&q->avail, v, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		mmio_set_addr(&q->used, v, off == VIRTIO_MMIO_QUEUE_USED_HIGH);
		break;
	}
}

/* A QueueNotify write that KVM's ioeventfd did not take (no datamatch):
 * route a real queue through its eventfd so it runs on the I/O thread. */
static void mmio_write_queue_notify(struct virtio_mmio_dev *dev, uint32_t v)
{
	if (v >= dev->nqueues) {
		log_debug("%s: notify for queue %u, which does not exist: ignored", dev->name, v);
		return;
	}
	mmio_kick(dev, v);
}

/* ---- the register file (vCPU threads) ---------------------------------- */

static uint32_t mmio_isr(struct virtio_mmio_dev *dev)
{
	return atomic_load(&dev->isr) |
	       (atomic_load(&dev->call_fd_out) ? VIRTIO_MMIO_INT_VRING : 0);
}

static uint32_t mmio_read_reg(struct virtio_mmio_dev *dev, uint64_t off)
{
	struct mmio_queue *q = mmio_selected(dev);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->ops->virtio_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return MMIO_VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return dev->dev_features_sel > 1 ? 0 :
			(uint32_t)(mmio_offered(dev) >> (32 * dev->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? dev->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return mmio_isr(dev);
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory regions: length and base all ones */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0; /* write-only and reserved registers */
	}
}

/* Returns true if the plugin's reset hook must run. */
static bool mmio_write_reg(struct virtio_mmio_dev *dev, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->dev_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		mmio_write_driver_features(dev, v);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->drv_features_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		mmio_write_queue_reg(dev, off, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		mmio_write_queue_notify(dev, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		atomic_fetch_and(&dev->isr, ~v);
		break;
	case VIRTIO_MMIO_STATUS:
		return mmio_write_status(dev, v);
	default:
		log_debug("%s: write 0x%x to read-only or reserved register 0x%" PRIx64 " ignored",
			  dev->name, v, off);
		break;
	}
	return false;
}

static void mmio_config_access(struct virtio_mmio_dev *dev, uint64_t off, uint8_t *data,
			       uint32_t len, bool is_write)
{
	const struct volt_device_ops *ops = dev->ops;

	if (off > ops->config_size || len > ops->config_size - off) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write && ops->config_write)
		ops->config_write(dev->state, (uint32_t)off, data, len);
	else if (!is_write && ops->config_read)
		ops->config_read(dev->state, (uint32_t)off, data, len);
	else if (!is_write)
		memset(data, 0, len);
}

static void mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_mmio_dev *dev = opaque;
	bool run_reset_hook = false, hooks;
	uint32_t v;

	/* InterruptStatus and InterruptACK, once per interrupt: atomics, no
	 * lock, so the guest's interrupt handler never waits for the I/O
	 * thread. */
	if (len == 4 && ((offset == VIRTIO_MMIO_INTERRUPT_STATUS && !is_write) ||
			 (offset == VIRTIO_MMIO_INTERRUPT_ACK && is_write))) {
		if (is_write) {
			memcpy(&v, data, 4);
			atomic_fetch_and(&dev->isr, ~le32toh(v));
		} else {
			v = htole32(mmio_isr(dev));
			memcpy(data, &v, 4);
		}
		return;
	}
	hooks = offset >= VIRTIO_MMIO_CONFIG || (is_write && offset == VIRTIO_MMIO_STATUS);
	if (hooks)
		pthread_mutex_lock(&dev->hook_lock);
	pthread_mutex_lock(&dev->lock);
	mmio_locked_here = dev;
	if (offset >= VIRTIO_MMIO_CONFIG) {
		mmio_config_access(dev, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
	} else if (len != 4 || offset % 4) {
		/* Registers are 32 bits wide and aligned (section 4.2.2.2). */
		log_debug("%s: %u-byte access at register 0x%" PRIx64 " ignored", dev->name, len, offset);
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		memcpy(&v, data, 4);
		run_reset_hook = mmio_write_reg(dev, offset, le32toh(v));
	} else {
		v = htole32(mmio_read_reg(dev, offset));
		memcpy(data, &v, 4);
	}
	mmio_locked_here = NULL;
	pthread_mutex_unlock(&dev->lock);
	if (run_reset_hook && dev->reset_hook)
		dev->reset_hook(dev->state);
	if (hooks)
		pthread_mutex_unlock(&dev->hook_lock);
}

/* ---- queue notifications (the I/O thread) ------------------------------ */

/* Caller holds the lock: may the notified queue run? Logs once per reset. */
static bool mmio_queue_runnable(struct virtio_mmio_dev *dev, struct mmio_queue *q)
{
	const char *why = NULL;

	if (atomic_load(&dev->broken) || atomic_load(&dev->quiescing))
		return false;
	if (!(dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		why = "before DRIVER_OK";
	else if (!q->ready)
		why = "while it is not ready";
	if (!why)
		return true;
	if (!dev->early_notify_logged)
		mmio_guest_warn(dev, "queue %u notified %s: ignored", q->index, why);
	dev->early_notify_logged = true;
	return false;
}

/* The section: caller set in_notify under the lock. Runs queue_notify for
 * each queue in `due` (a bit per queue), then leaves. */
static void mmio_run_queues(struct virtio_mmio_dev *dev, uint64_t due)
{
	mmio_section = dev;
	for (unsigned i = 0; i < dev->nqueues; i++)
		if (due & (1ULL << i))
			dev->ops->queue_notify(dev->state, i);
	/* A plugin that pushed without vq_notify: its buffers still reach
	 * the driver (without an interrupt, as it asked). */
	for (unsigned i = 0; i < dev->nqueues; i++)
		vq_flush(&dev->queues[i].vq);
	mmio_section = NULL;
	pthread_mutex_lock(&dev->lock);
	dev->in_notify = false;
	pthread_cond_broadcast(&dev->idle);
	pthread_mutex_unlock(&dev->lock);
}

static void mmio_on_kick(void *opaque, uint32_t events)
{
	struct mmio_queue *q = opaque;
	struct virtio_mmio_dev *dev = q->dev;
	uint64_t count;
	bool run;

	if (read(q->kick_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("%s: queue %u: reading its eventfd: %s", dev->name, q->index, strerror(errno));
	pthread_mutex_lock(&dev->lock);
	run = mmio_queue_runnable(dev, q) && dev->ops->queue_notify;
	if (run)
		vq_poll_new(&q->vq); /* this kick's news: the poller need not report it */
	dev->in_notify = run;
	pthread_mutex_unlock(&dev->lock);
	if (run)
		mmio_run_queues(dev, 1ULL << q->index);
}

/* ---- polling (the I/O thread, loop/poll.h) ------------------------------ */

/* Caller holds the lock: may the device's queues be polled now? (A queue
 * whose rings were handed out through vq_info is skipped in mmio_poll: a
 * kernel data plane (vhost) may own its notification fields, and only it
 * may write them.) */
static bool mmio_pollable(struct virtio_mmio_dev *dev)
{
	return dev->ops->queue_notify && (dev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !atomic_load(&dev->broken) && !atomic_load(&dev->quiescing);
}

/* Caller holds the lock: the queues in `due` become the I/O thread's (the
 * section) and run; false if there were none. */
static bool mmio_unlock_and_run(struct virtio_mmio_dev *dev, uint64_t due)
{
	dev->in_notify = due != 0;
	pthread_mutex_unlock(&dev->lock);
	if (due)
		mmio_run_queues(dev, due);
	return due != 0;
}

/* A poll: with notifications off, a queue whose driver added buffers since
 * we last looked runs queue_notify, as its kick would. */
static bool mmio_poll(void *opaque)
{
	struct virtio_mmio_dev *dev = opaque;
	uint64_t due = 0;
	bool live;

	pthread_mutex_lock(&dev->lock);
	live = mmio_pollable(dev);  /* the lock is held: it cannot change below */
	for (unsigned i = 0; live && i < dev->nqueues; i++) {
		struct mmio_queue *q = &dev->queues[i];

		if (!q->ready || q->info_out)
			continue;
		vq_poll_begin(&q->vq);
		if (vq_poll_new(&q->vq))
			due |= 1ULL << i;
	}
	return mmio_unlock_and_run(dev, due);
}

/* Before the I/O thread sleeps: notifications back on, one more look. */
static bool mmio_poll_end(void *opaque)
{
	struct virtio_mmio_dev *dev = opaque;
	uint64_t due = 0;
	bool live;

	pthread_mutex_lock(&dev->lock);
	live = mmio_pollable(dev);
	for (unsigned i = 0; i < dev->nqueues; i++)
		if (vq_poll_end(&dev->queues[i].vq) && live)
			due |= 1ULL << i;
	return mmio_unlock_and_run(dev, due);
}

/* ---- the host API's queue operations ----------------------------------- */

void virtio_mmio_stop(struct virtio_mmio_dev *dev)
{
	/* Under the lock, as `quiescing` is written: a caller on another
	 * thread (mmio_wait_section) or a kick deciding whether to run sees
	 * it before or after, never half-way. No wait here: the I/O thread's
	 * join is the wait, and it is one request long now. */
	pthread_mutex_lock(&dev->lock);
	atomic_fetch_add(&dev->quiescing, 1);
	pthread_mutex_unlock(&dev->lock);
}

/* Caller holds the lock and is not in the section: a caller on another
 * thread than the I/O thread (outside the SDK's contract, but possible)
 * waits for the section to end, so the queues are never used by two
 * threads at once. The I/O thread itself is never in_notify here. */
static void mmio_wait_section(struct virtio_mmio_dev *dev)
{
	while (dev->in_notify)
		pthread_cond_wait(&dev->idle, &dev->lock);
}

int virtio_mmio_vq_pop(struct virtio_mmio_dev *dev, unsigned queue, struct volt_vq_elem *elem)
{
	struct volt_err err; /* verr_set needs only code cleared: no 512-byte memset per pop */
	int r;

	err.code = 0;
	if (queue >= dev->nqueues)
		return -EINVAL;
	if (mmio_queue_call_in_hook(dev, "vq_pop"))
		return -EDEADLK;
	if (mmio_section == dev) {
		/* DRIVER_OK was checked on entry and holds until a reset,
		 * which waits for us (see the top of the file). */
		if (atomic_load_explicit(&dev->broken, memory_order_relaxed))
			return -EIO;
		if (atomic_load_explicit(&dev->quiescing, memory_order_relaxed))
			return 0;
		r = vq_pop(&dev->queues[queue].vq, elem, &err);
		if (r < 0 && err.code) {
			pthread_mutex_lock(&dev->lock);
			mmio_fault(dev, "queue %u: %s", queue, err.msg);
			pthread_mutex_unlock(&dev->lock);
		}
		return r;
	}
	pthread_mutex_lock(&dev->lock);
	mmio_wait_section(dev);
	if (atomic_load(&dev->broken))
		r = -EIO;
	else if (!(dev->status & VIRTIO_CONFIG_S_DRIVER_OK) || atomic_load(&dev->quiescing))
		r = 0;
	else
		r = vq_pop(&dev->queues[queue].vq, elem, &err);
	if (r < 0 && err.code)
		mmio_fault(dev, "queue %u: %s", queue, err.msg);
	pthread_mutex_unlock(&dev->lock);
	return r;
}

void virtio_mmio_vq_push(struct virtio_mmio_dev *dev, unsigned queue,
			 const struct volt_vq_elem *elem, uint32_t written)
{
	bool locked = mmio_section != dev;

	if (queue >= dev->nqueues || mmio_queue_call_in_hook(dev, "vq_push"))
		return;
	if (locked) {
		pthread_mutex_lock(&dev->lock);
		mmio_wait_section(dev);
	}
	if (vq_push(&dev->queues[queue].vq, elem, written) < 0)
		log_debug("%s: queue %u: chain %u is no longer in flight (device reset): dropped",
			  dev->name, queue, elem->head);
	if (locked)
		pthread_mutex_unlock(&dev->lock);
}

void virtio_mmio_vq_notify(struct virtio_mmio_dev *dev, unsigned queue)
{
	bool raise;

	if (queue >= dev->nqueues || mmio_queue_call_in_hook(dev, "vq_notify"))
		return;
	if (mmio_section == dev) {
		if (!atomic_load_explicit(&dev->broken, memory_order_relaxed) &&
		    vq_should_notify(&dev->queues[queue].vq))
			mmio_irq_raise(dev, VIRTIO_MMIO_INT_VRING);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	mmio_wait_section(dev);
	raise = (dev->status & VIRTIO_CONFIG_S_DRIVER_OK) && !atomic_load(&dev->broken) &&
		vq_should_notify(&dev->queues[queue].vq);
	if (raise)
		mmio_irq_raise(dev, VIRTIO_MMIO_INT_VRING);
	pthread_mutex_unlock(&dev->lock);
}

int virtio_mmio_vq_size(struct virtio_mmio_dev *dev, unsigned queue)
{
	bool taken;
	int size;

	if (queue >= dev->nqueues)
		return -EINVAL;
	taken = mmio_lock_unless_held(dev);
	size = dev->queues[queue].vq.ready ? (int)dev->queues[queue].vq.size : -ENODEV;
	mmio_unlock_if(dev, taken);
	return size;
}

int virtio_mmio_vq_info(struct virtio_mmio_dev *dev, unsigned queue, struct volt_vq_info *info)
{
	struct mmio_queue *q;
	struct volt_vq_info out = { .struct_size = sizeof(out) };
	uint32_t size;

	if (queue >= dev->nqueues || !info)
		return -EINVAL;
	if (mmio_queue_call_in_hook(dev, "vq_info"))
		return -EDEADLK;
	q = &dev->queues[queue];
	pthread_mutex_lock(&dev->lock);
	/* Another thread waits for the I/O thread's section to end, so that
	 * the queue is no one's when its notifications go back on. */
	if (mmio_section != dev)
		mmio_wait_section(dev);
	if (!q->vq.ready) {
		pthread_mutex_unlock(&dev->lock);
		return -ENODEV;
	}
	out.size = q->vq.size;
	out.desc_gpa = q->vq.desc_gpa;
	out.avail_gpa = q->vq.avail_gpa;
	out.used_gpa = q->vq.used_gpa;
	out.desc_hva = q->vq.vr.desc;
	out.avail_hva = q->vq.vr.avail;
	out.used_hva = q->vq.vr.used;
	out.kick_fd = q->kick_fd;
	out.call_fd = dev->irq_fd;
	atomic_store(&dev->call_fd_out, true);
	/* Polled no more: notifications back on now, never later (the data
	 * plane owns the ring from here). New buffers are the data plane's,
	 * or a kick's. */
	(void)vq_poll_end(&q->vq);
	q->info_out = true;
	out.features = dev->driver_features;
	pthread_mutex_unlock(&dev->lock);
	/* Copy only what the caller's (possibly older) struct holds. */
	size = info->struct_size < sizeof(out) ? info->struct_size : sizeof(out);
	out.struct_size = size;
	memcpy(info, &out, size);
	return 0;
}

void virtio_mmio_config_changed(struct virtio_mmio_dev *dev)
{
	bool taken = mmio_lock_unless_held(dev);

	dev->config_generation++;
	if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		mmio_irq_raise(dev, VIRTIO_MMIO_INT_CONFIG);
	mmio_unlock_if(dev, taken);
}

/* ---- creation ---------------------------------------------------------- */

const char *virtio_mmio_cmdline(const struct virtio_mmio_dev *dev)
{
	return dev->cmdline;
}

uint64_t virtio_mmio_base(const struct virtio_mmio_dev *dev)
{
	return dev->base;
}

unsigned virtio_mmio_irq(const struct virtio_mmio_dev *dev)
{
	return dev->irq;
}

static int mmio_check_ops(const struct virtio_mmio_params *p, struct volt_err *err)
{
	const struct volt_device_ops *ops = p->ops;
	unsigned qmax = ops ? ops->queue_max_size : 0;

	if (!ops || !ops->virtio_id)
		return verr_set(err, EINVAL, "%s: not a virtio device", p->name);
	if (ops->num_queues == 0 || ops->num_queues > MMIO_MAX_QUEUES)
		return verr_set(err, EINVAL, "%s: %u queues (virtio-mmio devices here have 1..%u)",
				p->name, ops->num_queues, MMIO_MAX_QUEUES);
	if (qmax == 0 || qmax > VOLT_VQ_MAX_SIZE || (qmax & (qmax - 1)))
		return verr_set(err, EINVAL, "%s: queue_max_size %u is not a power of two in 1..%u",
				p->name, qmax, VOLT_VQ_MAX_SIZE);
	if (ops->config_size > LAYOUT_VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG)
		return verr_set(err, EINVAL, "%s: %u bytes of configuration space (at most %llu)",
				p->name, ops->config_size,
				LAYOUT_VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG);
	if (!p->io)
		return verr_set(err, EINVAL, "%s: no I/O thread", p->name);
	return 0;
}

/* The first slot the MMIO bus has nothing at. */
static int mmio_find_slot(struct vm *vm, const char *name, unsigned *slot, struct volt_err *err)
{
	for (unsigned i = 0; i < MMIO_SLOTS; i++) {
		if (!bus_find(&vm->mmio, LAYOUT_VIRTIO_MMIO_BASE + i * LAYOUT_VIRTIO_MMIO_SIZE)) {
			*slot = i;
			return 0;
		}
	}
	return verr_set(err, ENOSPC, "%s: all %u virtio-mmio slots (IRQs %u-%u) are taken", name,
			MMIO_SLOTS, LAYOUT_VIRTIO_IRQ_FIRST, LAYOUT_VIRTIO_IRQ_LAST);
}

static int mmio_setup_irqfd(struct virtio_mmio_dev *dev, struct volt_err *err)
{
	struct kvm_irqfd irqfd = { .gsi = dev->irq };

	dev->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->irq_fd < 0)
		return verr_set(err, errno, "%s: eventfd: %s", dev->name, strerror(errno));
	irqfd.fd = (uint32_t)dev->irq_fd;
	if (ioctl(dev->vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return verr_set(err, errno, "%s: KVM_IRQFD on GSI %u: %s", dev->name, dev->irq,
				strerror(errno));
	dev->irqfd_registered = true;
	return 0;
}

static struct kvm_ioeventfd mmio_ioeventfd(const struct mmio_queue *q, uint32_t flags)
{
	return (struct kvm_ioeventfd){
		.datamatch = q->index,
		.addr = q->dev->base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.fd = q->kick_fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | flags,
	};
}

static int mmio_setup_kick(struct virtio_mmio_dev *dev, struct mmio_queue *q, struct volt_err *err)
{
	struct kvm_ioeventfd ioev;

	q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick_fd < 0)
		return verr_set(err, errno, "%s: eventfd: %s", dev->name, strerror(errno));
	ioev = mmio_ioeventfd(q, 0);
	if (ioctl(dev->vm->vm_fd, KVM_IOEVENTFD, &ioev) < 0)
		return verr_set(err, errno, "%s: KVM_IOEVENTFD for queue %u: %s", dev->name, q->index,
				strerror(errno));
	q->kick_registered = true;
	return evloop_add(&dev->io->loop, q->kick_fd, EPOLLIN, mmio_on_kick, q, err);
}

static int mmio_setup_poll(struct virtio_mmio_dev *dev, struct volt_err *err)
{
	struct poll_handler h = { .poll = mmio_poll, .end = mmio_poll_end, .opaque = dev };
	int r = evloop_add_poll(&dev->io->loop, &h, err);

	dev->poll_registered = r == 0;
	return r;
}

static int mmio_alloc(struct vm *vm, const struct virtio_mmio_params *p, unsigned slot,
		      struct virtio_mmio_dev **out, struct volt_err *err)
{
	struct virtio_mmio_dev *dev = calloc(1, sizeof(*dev));

	*out = dev;
	if (!dev)
		return verr_set(err, ENOMEM, "%s: out of memory", p->name);
	dev->irq_fd = -1;
	pthread_mutex_init(&dev->hook_lock, NULL);
	pthread_mutex_init(&dev->lock, NULL);
	pthread_cond_init(&dev->idle, NULL);
	dev->vm = vm;
	dev->ops = p->ops;
	dev->state = p->state;
	dev->io = p->io;
	dev->reset_hook = p->reset;
	snprintf(dev->name, sizeof(dev->name), "%s", p->name ? p->name : "virtio device");
	dev->base = LAYOUT_VIRTIO_MMIO_BASE + slot * LAYOUT_VIRTIO_MMIO_SIZE;
	dev->irq = LAYOUT_VIRTIO_IRQ_FIRST + slot;
	snprintf(dev->cmdline, sizeof(dev->cmdline), "virtio_mmio.device=%lluK@0x%" PRIx64 ":%u",
		 LAYOUT_VIRTIO_MMIO_SIZE >> 10, dev->base, dev->irq);
	dev->queue_max = p->ops->queue_max_size;
	dev->nqueues = p->ops->num_queues;
	dev->queues = calloc(dev->nqueues, sizeof(*dev->queues));
	if (!dev->queues)
		return verr_set(err, ENOMEM, "%s: out of memory", p->name);
	for (unsigned i = 0; i < dev->nqueues; i++) {
		dev->queues[i] = (struct mmio_queue){ .dev = dev, .index = i, .kick_fd = -1 };
		vq_init(&dev->queues[i].vq, &vm->mem);
	}
	return 0;
}

int virtio_mmio_create(struct vm *vm, const struct virtio_mmio_params *params,
		       struct virtio_mmio_dev **out, struct volt_err *err)
{
	struct virtio_mmio_dev *dev = NULL;
	unsigned slot = 0;
	int r;

	*out = NULL;
	r = mmio_check_ops(params, err);
	if (!r)
		r = mmio_find_slot(vm, params->name, &slot, err);
	if (!r)
		r = mmio_alloc(vm, params, slot, &dev, err);
	if (!r)
		r = mmio_setup_irqfd(dev, err);
	for (unsigned i = 0; !r && i < dev->nqueues; i++)
		r = mmio_setup_kick(dev, &dev->queues[i], err);
	if (!r)
		r = mmio_setup_poll(dev, err);
	/* Last: a bus range cannot be taken back. */
	if (!r)
		r = bus_register(&vm->mmio, dev->base, LAYOUT_VIRTIO_MMIO_SIZE, mmio_access, dev,
				 dev->name, err);
	if (r) {
		virtio_mmio_destroy(dev);
		return r;
	}
	*out = dev;
	return 0;
}

void virtio_mmio_destroy(struct virtio_mmio_dev *dev)
{
	if (!dev)
		return;
	if (dev->poll_registered)
		evloop_del_poll(&dev->io->loop, dev);
	for (unsigned i = 0; dev->queues && i < dev->nqueues; i++) {
		struct mmio_queue *q = &dev->queues[i];
		struct kvm_ioeventfd ioev = mmio_ioeventfd(q, KVM_IOEVENTFD_FLAG_DEASSIGN);

		if (q->kick_fd < 0)
			continue;
		evloop_del(&dev->io->loop, q->kick_fd);
		if (q->kick_registered)
			ioctl(dev->vm->vm_fd, KVM_IOEVENTFD, &ioev);
		close(q->kick_fd);
	}
	if (dev->irqfd_registered) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)dev->irq_fd, .gsi = dev->irq,
					   .flags = KVM_IRQFD_FLAG_DEASSIGN };

		ioctl(dev->vm->vm_fd, KVM_IRQFD, &irqfd);
	}
	if (dev->irq_fd >= 0)
		close(dev->irq_fd);
	pthread_cond_destroy(&dev->idle);
	pthread_mutex_destroy(&dev->lock);
	pthread_mutex_destroy(&dev->hook_lock);
	free(dev->queues);
	free(dev);
}
