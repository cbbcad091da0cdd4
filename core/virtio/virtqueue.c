#include "virtio/virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/virtio_config.h>

/* Memory ordering with the driver (another CPU, writing guest RAM):
 *  - avail->idx is loaded with acquire, so the ring entries and descriptors
 *    it publishes are read after it;
 *  - used->idx is stored with release, so the used elements (and the data
 *    the device wrote) are visible before the driver sees the new index;
 *    it is stored once per batch (vq_flush), not per element: a frame
 *    that spans several merged receive buffers must appear whole, since
 *    Linux's virtio-net takes a frame's buffers as soon as it sees the
 *    first and drops the frame if the rest are not there yet ("rx error:
 *    N buffers out of M missing");
 *  - a full fence separates our store that re-enables notifications (or
 *    publishes used->idx) from our re-read of the driver's index (or of
 *    used_event), the store-load order both event-index handshakes need. */
static uint16_t vq_load_acquire16(const __virtio16 *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static uint16_t vq_load16(const __virtio16 *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void vq_store16(__virtio16 *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

static void vq_full_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Ring sizes in bytes, the event-index fields included (drivers always
 * allocate them; the device ring's avail_event is written at set-up). */
static uint64_t vq_desc_bytes(uint16_t size)
{
	return (uint64_t)sizeof(struct vring_desc) * size;
}

static uint64_t vq_avail_bytes(uint16_t size)
{
	return sizeof(struct vring_avail) + sizeof(__virtio16) * ((uint64_t)size + 1);
}

static uint64_t vq_used_bytes(uint16_t size)
{
	return sizeof(struct vring_used) + sizeof(struct vring_used_elem) * (uint64_t)size +
	       sizeof(__virtio16);
}

void vq_init(struct virtqueue *vq, const struct guest_mem *mem)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->generation = 1;
}

void vq_reset(struct virtqueue *vq)
{
	const struct guest_mem *mem = vq->mem;
	uint16_t generation = vq->generation + 1;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->generation = generation ? generation : 1; /* 0 means "unknown" */
}

static void *vq_map_ring(struct virtqueue *vq, const char *what, uint64_t gpa, uint64_t bytes,
			 uint64_t align, struct volt_err *err)
{
	void *p;

	if (gpa % align) {
		verr_set(err, EINVAL, "%s at 0x%llx is not %llu-byte aligned", what,
			 (unsigned long long)gpa, (unsigned long long)align);
		return NULL;
	}
	p = guest_mem_ptr(vq->mem, gpa, bytes);
	if (!p)
		verr_set(err, EFAULT, "%s at 0x%llx (%llu bytes) is not inside guest RAM", what,
			 (unsigned long long)gpa, (unsigned long long)bytes);
	return p;
}

int vq_setup(struct virtqueue *vq, uint16_t size, uint64_t desc_gpa, uint64_t avail_gpa,
	     uint64_t used_gpa, uint64_t features, struct volt_err *err)
{
	struct vring vr = { .num = size };

	vq_reset(vq);
	if (size == 0 || size > VOLT_VQ_MAX_SIZE || (size & (size - 1)))
		return verr_set(err, EINVAL, "queue size %u is not a power of two in 1..%u", size,
				VOLT_VQ_MAX_SIZE);
	vr.desc = vq_map_ring(vq, "descriptor table", desc_gpa, vq_desc_bytes(size),
			      VRING_DESC_ALIGN_SIZE, err);
	if (!vr.desc)
		return -err->code;
	vr.avail = vq_map_ring(vq, "driver ring", avail_gpa, vq_avail_bytes(size),
			       VRING_AVAIL_ALIGN_SIZE, err);
	if (!vr.avail)
		return -err->code;
	vr.used = vq_map_ring(vq, "device ring", used_gpa, vq_used_bytes(size),
			      VRING_USED_ALIGN_SIZE, err);
	if (!vr.used)
		return -err->code;

	vq->vr = vr;
	vq->size = size;
	vq->desc_gpa = desc_gpa;
	vq->avail_gpa = avail_gpa;
	vq->used_gpa = used_gpa;
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	/* A fresh device ring: nothing used, notifications wanted from entry 0. */
	vq_store16(&vq->vr.used->flags, 0);
	vq_store16(&vring_avail_event(&vq->vr), 0);
	__atomic_store_n(&vq->vr.used->idx, htole16(0), __ATOMIC_RELEASE);
	vq->ready = true;
	return 0;
}

/* ---- notification suppression (driver -> device) ---------------------- */

/* We are about to process a batch: the driver need not notify us. With
 * EVENT_IDX, avail_event stays where it was, which the driver has already
 * passed, so it will not notify again until we re-enable. */
static void vq_notify_disable(struct virtqueue *vq)
{
	if (vq->notify_off)
		return;
	if (!vq->event_idx)
		vq_store16(&vq->vr.used->flags, VRING_USED_F_NO_NOTIFY);
	vq->notify_off = true;
}

static void vq_notify_enable(struct virtqueue *vq)
{
	if (vq->event_idx)
		vq_store16(&vring_avail_event(&vq->vr), vq->last_avail);
	else
		vq_store16(&vq->vr.used->flags, 0);
	vq->notify_off = false;
}

/* ---- chain walking ----------------------------------------------------- */

struct vq_walk {
	const struct vring_desc *table; /* host address of the current table */
	uint32_t table_size;            /* its entries */
	uint32_t budget;                /* descriptors still allowed in it */
	bool in_indirect;
};

static int vq_add_segment(struct virtqueue *vq, struct volt_vq_elem *elem,
			  const struct vring_desc *d, uint16_t flags, struct volt_err *err)
{
	uint64_t addr = le64toh(d->addr);
	uint32_t len = le32toh(d->len);
	unsigned n = elem->nout + elem->nin;
	void *p;

	if (n >= VOLT_VQ_MAX_SIZE)
		return verr_set(err, E2BIG, "chain %u has more than %u buffers", elem->head,
				VOLT_VQ_MAX_SIZE);
	p = guest_mem_ptr(vq->mem, addr, len);
	if (!p)
		return verr_set(err, EFAULT, "chain %u: buffer 0x%llx (%u bytes) is not inside guest RAM",
				elem->head, (unsigned long long)addr, len);
	if (flags & VRING_DESC_F_WRITE) {
		if (len > UINT32_MAX - elem->in_len)
			return verr_set(err, E2BIG, "chain %u: writable part exceeds 4 GiB", elem->head);
		elem->in_len += len;
		elem->nin++;
	} else {
		if (elem->nin)
			return verr_set(err, EINVAL,
					"chain %u: a device-readable buffer follows a device-writable one",
					elem->head);
		if (len > UINT32_MAX - elem->out_len)
			return verr_set(err, E2BIG, "chain %u: readable part exceeds 4 GiB", elem->head);
		elem->out_len += len;
		elem->nout++;
	}
	elem->iov[n].iov_base = p;
	elem->iov[n].iov_len = len;
	return 0;
}

/* Switch the walk to the indirect table that descriptor d points to. */
static int vq_enter_indirect(struct virtqueue *vq, struct vq_walk *w, const struct vring_desc *d,
			     uint16_t flags, uint16_t head, struct volt_err *err)
{
	uint64_t addr = le64toh(d->addr);
	uint32_t len = le32toh(d->len);

	if (!vq->indirect)
		return verr_set(err, EINVAL, "chain %u: indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC",
				head);
	if (w->in_indirect)
		return verr_set(err, EINVAL, "chain %u: indirect table inside an indirect table", head);
	if (flags & VRING_DESC_F_NEXT)
		return verr_set(err, EINVAL, "chain %u: descriptor has both INDIRECT and NEXT", head);
	if (len == 0 || len % sizeof(struct vring_desc))
		return verr_set(err, EINVAL, "chain %u: indirect table of %u bytes (not a non-zero multiple of %zu)",
				head, len, sizeof(struct vring_desc));
	w->table = guest_mem_ptr(vq->mem, addr, len);
	if (!w->table)
		return verr_set(err, EFAULT, "chain %u: indirect table 0x%llx (%u bytes) is not inside guest RAM",
				head, (unsigned long long)addr, len);
	w->table_size = len / sizeof(struct vring_desc);
	w->budget = w->table_size;
	w->in_indirect = true;
	return 0;
}

static int vq_walk_chain(struct virtqueue *vq, uint16_t head, struct volt_vq_elem *elem,
			 struct volt_err *err)
{
	struct vq_walk w = { .table = vq->vr.desc, .table_size = vq->size, .budget = vq->size };
	uint32_t idx = head;

	elem->head = head;
	elem->nout = elem->nin = 0;
	elem->generation = 0;
	elem->out_len = elem->in_len = 0;
	for (;;) {
		struct vring_desc d;
		uint16_t flags;
		int r;

		if (idx >= w.table_size)
			return verr_set(err, EINVAL, "chain %u: next index %u is outside the %s of %u",
					head, idx, w.in_indirect ? "indirect table" : "queue",
					w.table_size);
		if (w.budget-- == 0)
			return verr_set(err, ELOOP, "chain %u is longer than the %s (%u): a loop?", head,
					w.in_indirect ? "indirect table" : "queue", w.table_size);
		/* One copy: the driver may rewrite the descriptor meanwhile. */
		memcpy(&d, &w.table[idx], sizeof(d));
		flags = le16toh(d.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			r = vq_enter_indirect(vq, &w, &d, flags, head, err);
			if (r)
				return r;
			idx = 0;
			continue;
		}
		r = vq_add_segment(vq, elem, &d, flags, err);
		if (r)
			return r;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		idx = le16toh(d.next);
	}
}

/* ---- pop and push ------------------------------------------------------ */

static bool vq_inflight(const struct virtqueue *vq, uint16_t head)
{
	return vq->inflight[head / 64] & (1ULL << (head % 64));
}

static void vq_set_inflight(struct virtqueue *vq, uint16_t head, bool on)
{
	if (on)
		vq->inflight[head / 64] |= 1ULL << (head % 64);
	else
		vq->inflight[head / 64] &= ~(1ULL << (head % 64));
}

/* Entries the driver has made available that we have not taken yet. */
static int vq_pending(struct virtqueue *vq, uint16_t *pending, struct volt_err *err)
{
	uint16_t avail_idx = vq_load_acquire16(&vq->vr.avail->idx);

	*pending = (uint16_t)(avail_idx - vq->last_avail);
	if (*pending > vq->size)
		return verr_set(err, EINVAL, "available index %u is %u entries ahead of %u (queue size %u)",
				avail_idx, *pending, vq->last_avail, vq->size);
	return 0;
}

int vq_pop(struct virtqueue *vq, struct volt_vq_elem *elem, struct volt_err *err)
{
	uint16_t pending, head;
	int r;

	if (!vq->ready)
		return 0;
	r = vq_pending(vq, &pending, err);
	if (r)
		return r;
	if (!pending) {
		/* Idle: publish what was used, ask for notifications, then look
		 * once more so a buffer added just before the driver saw our
		 * request is not lost. */
		vq_flush(vq);
		if (vq->polling) {
			/* The poller asks for notifications before it sleeps. */
			vq->poll_owed = true;
			return 0;
		}
		if (!vq->notify_off)
			return 0;
		vq_notify_enable(vq);
		vq_full_fence();
		vq->fenced = true;
		r = vq_pending(vq, &pending, err);
		if (r || !pending)
			return r;
	}
	head = vq_load16(&vq->vr.avail->ring[vq->last_avail & (vq->size - 1)]);
	if (head >= vq->size)
		return verr_set(err, EINVAL, "available ring entry %u names head %u (queue size %u)",
				vq->last_avail, head, vq->size);
	if (vq_inflight(vq, head))
		return verr_set(err, EINVAL, "chain %u made available again before it was used", head);
	r = vq_walk_chain(vq, head, elem, err);
	if (r)
		return r;
	vq->last_avail++;
	vq_set_inflight(vq, head, true);
	vq_notify_disable(vq);
	elem->generation = vq->generation;
	return 1;
}

int vq_push(struct virtqueue *vq, const struct volt_vq_elem *elem, uint32_t written)
{
	struct vring_used_elem *u;
	uint16_t head = elem->head;

	if (!vq->ready || head >= vq->size || !vq_inflight(vq, head) ||
	    (elem->generation && elem->generation != vq->generation))
		return -ESTALE;
	vq_set_inflight(vq, head, false);
	if (written > elem->in_len)
		written = elem->in_len;
	u = &vq->vr.used->ring[vq->used_idx & (vq->size - 1)];
	u->id = htole32(head);
	u->len = htole32(written);
	vq->used_idx++;
	return 0;
}

void vq_flush(struct virtqueue *vq)
{
	if (!vq->ready || vq->published_used == vq->used_idx)
		return;
	__atomic_store_n(&vq->vr.used->idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
	vq->published_used = vq->used_idx;
	vq->fenced = false;
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;

	if (!vq->ready || old == now)
		return false;
	vq_flush(vq);
	vq->signalled_used = now;
	/* used->idx (stored by vq_flush) must be visible before we read the
	 * driver's answer, or both sides could decide not to act. The usual
	 * batch ends with vq_pop finding the ring empty, whose fence already
	 * came after the flush: one fence per batch, not two. */
	if (!vq->fenced)
		vq_full_fence();
	if (vq->event_idx)
		return vring_need_event(vq_load16(&vring_used_event(&vq->vr)), now, old);
	return !(vq_load16(&vq->vr.avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}

/* ---- polling ------------------------------------------------------------ */

void vq_poll_begin(struct virtqueue *vq)
{
	if (!vq->ready || vq->polling)
		return;
	vq->polling = true;
	if (!vq->notify_off) {
		vq_notify_disable(vq);
		vq->poll_owed = true;
	}
}

bool vq_poll_new(struct virtqueue *vq)
{
	uint16_t idx;

	if (!vq->ready)
		return false;
	idx = vq_load_acquire16(&vq->vr.avail->idx);
	if (idx == vq->poll_seen)
		return false;
	vq->poll_seen = idx;
	return true;
}

bool vq_has_avail(struct virtqueue *vq)
{
	return vq->ready && vq_load_acquire16(&vq->vr.avail->idx) != vq->last_avail;
}

bool vq_poll_end(struct virtqueue *vq)
{
	if (!vq->ready || !vq->polling)
		return false;
	vq->polling = false;
	if (vq->poll_owed) {
		vq->poll_owed = false;
		/* Store (flags or avail_event), full fence, load avail->idx:
		 * the driver does the mirror image (store avail->idx, fence,
		 * load our field), so one of us sees the other's store. */
		vq_notify_enable(vq);
		vq_full_fence();
		vq->fenced = true;
	}
	return vq_poll_new(vq);
}
