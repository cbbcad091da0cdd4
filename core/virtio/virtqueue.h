/* Split virtqueues (virtio 1.2 section 2.7), the device side: walking
 * descriptor chains into struct volt_vq_elem, returning them through the
 * used ring, and notification suppression in both directions.
 *
 * The guest owns the rings and may change them at any moment, so every
 * field is read once into a local copy, and every address and length goes
 * through guest_mem_ptr() before anything is dereferenced. A ring the
 * driver broke gives -errno and a one-line reason; nothing outside guest
 * RAM is ever touched.
 *
 * Not thread-safe: the transport serialises calls with its device lock. */
#ifndef VOLT_VIRTIO_VIRTQUEUE_H
#define VOLT_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_ring.h>
#include <volt/virtqueue.h>

#include "util/err.h"
#include "vm/guest_mem.h"

struct virtqueue {
	/* Guest RAM: set once by vq_init, kept by vq_reset (a device reset
	 * must not lose it, or the queue cannot be set up again). */
	const struct guest_mem *mem;
	/* Bumped by every vq_reset (never 0) and stamped into each element
	 * vq_pop returns: vq_push drops an element of an older generation,
	 * whose head may be in flight again for a new chain. */
	uint16_t generation;

	/* Everything below is cleared by vq_reset. */
	bool ready;              /* vq_setup succeeded */
	bool event_idx;          /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;           /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool notify_off;         /* the driver is told not to notify (we are busy) */
	bool fenced;             /* a full fence since the last push (see vq_should_notify) */
	bool polling;            /* between vq_poll_begin and vq_poll_end */
	bool poll_owed;          /* polling holds back notifications the queue would want */
	uint16_t poll_seen;      /* avail->idx when vq_poll_new last looked */
	uint16_t size;           /* entries, a power of two (== vr.num) */
	uint16_t last_avail;     /* next available-ring entry to take */
	uint16_t used_idx;       /* next used-ring entry to fill */
	uint16_t published_used; /* used->idx as the driver sees it (vq_flush) */
	uint16_t signalled_used; /* used_idx when the driver was last considered for an interrupt */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring vr;         /* host addresses of the rings, checked by vq_setup */
	/* Heads taken by vq_pop and not yet returned by vq_push. */
	uint64_t inflight[VOLT_VQ_MAX_SIZE / 64];
};

/* Bind a queue to guest RAM; it starts reset. */
void vq_init(struct virtqueue *vq, const struct guest_mem *mem);

/* Forget the rings and all progress; keep the guest-memory reference. */
void vq_reset(struct virtqueue *vq);

/* Check and map the rings (the driver set QueueReady): size a power of two
 * in 1..VOLT_VQ_MAX_SIZE, the descriptor table 16-aligned, the driver ring
 * 2-aligned, the device ring 4-aligned, each wholly inside RAM (with the
 * event-index fields). `features` are the negotiated feature bits. */
int vq_setup(struct virtqueue *vq, uint16_t size, uint64_t desc_gpa, uint64_t avail_gpa,
	     uint64_t used_gpa, uint64_t features, struct volt_err *err);

/* Take the next available chain: 1 with elem filled, 0 if none is waiting
 * (notifications are then re-enabled), -errno with a reason if the driver
 * broke the ring. */
int vq_pop(struct virtqueue *vq, struct volt_vq_elem *elem, struct volt_err *err);

/* Return a chain taken by vq_pop with `written` bytes written into its
 * writable part (capped at elem->in_len). -ESTALE if elem->head is not in
 * flight (popped before a reset, or pushed twice) or the element is of an
 * older generation (popped before a reset, the head popped again since):
 * nothing is written.
 * The driver sees it at the next vq_flush (vq_should_notify and a vq_pop
 * that finds the ring empty flush too). */
int vq_push(struct virtqueue *vq, const struct volt_vq_elem *elem, uint32_t written);

/* Publish the pushes so far to the driver: one used->idx store. */
void vq_flush(struct virtqueue *vq);

/* After pushes: flush them; true if the driver wants an interrupt for them
 * (used_event with EVENT_IDX, else VRING_AVAIL_F_NO_INTERRUPT clear). */
bool vq_should_notify(struct virtqueue *vq);

/* Polling (loop/poll.h). While a queue is polled the driver is told not
 * to notify (VRING_USED_F_NO_NOTIFY; with EVENT_IDX, avail_event is simply
 * not advanced, so a driver that passed it does not notify again), and a
 * vq_pop that finds the ring empty does not ask for notifications either.
 *
 * vq_poll_begin: start (no-op if not ready or already polling).
 * vq_poll_new: true if avail->idx moved since the last look (a kick's
 *   worth of news); remembers it. Call it at a kick too, so the poll does
 *   not report the same buffers again.
 * vq_poll_end: stop; if notifications were held back, ask for them again
 *   (virtio 1.2 section 2.7.10), full fence, then look once more: true if
 *   buffers came meanwhile, which the caller must then process, since the
 *   driver may have seen notifications still off and not kicked. */
void vq_poll_begin(struct virtqueue *vq);
bool vq_poll_new(struct virtqueue *vq);
bool vq_poll_end(struct virtqueue *vq);

/* True if the driver has made buffers available that nobody has taken:
 * avail->idx is past the next entry to take. */
bool vq_has_avail(struct virtqueue *vq);

#endif
