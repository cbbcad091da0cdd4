#include "vhost_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

/* Negotiated bits that change how the rings are read: vhost-net must know
 * every one the guest accepted. */
#define VHOST_RING_FEATURES                                                              \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |              \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |      \
	 (1ULL << VIRTIO_F_ACCESS_PLATFORM) | (1ULL << VIRTIO_F_RING_PACKED))

__attribute__((format(printf, 3, 4)))
static int vhost_fail(struct tap_why *why, int e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(why->text))
		snprintf(why->text + n, sizeof(why->text) - (size_t)n, ": %s", strerror(e));
	return -e;
}

int vhost_net_open(struct vhost_net *v, const char *path, struct tap_why *why)
{
	int e;

	v->started = 0;
	v->features = 0;
	v->fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		e = errno;
		if (e == ENOENT) {
			snprintf(why->text, sizeof(why->text), "%s not found: the host kernel lacks "
				 "CONFIG_VHOST_NET (modprobe vhost_net?)", path);
			return -e;
		}
		return vhost_fail(why, e, "opening %s", path);
	}
	if (ioctl(v->fd, VHOST_SET_OWNER) < 0) {
		e = errno;
		vhost_net_close(v);
		return vhost_fail(why, e, "%s: VHOST_SET_OWNER", path);
	}
	if (ioctl(v->fd, VHOST_GET_FEATURES, &v->features) < 0) {
		e = errno;
		vhost_net_close(v);
		return vhost_fail(why, e, "%s: VHOST_GET_FEATURES", path);
	}
	return 0;
}

void vhost_net_close(struct vhost_net *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

int vhost_net_set_mem(struct vhost_net *v, const struct volt_mem_region *regions, unsigned n,
		      struct tap_why *why)
{
	struct vhost_memory *mem = calloc(1, sizeof(*mem) + n * sizeof(mem->regions[0]));
	int r = 0;

	if (!mem)
		return vhost_fail(why, ENOMEM, "VHOST_SET_MEM_TABLE");
	mem->nregions = n;
	for (unsigned i = 0; i < n; i++)
		mem->regions[i] = (struct vhost_memory_region){
			.guest_phys_addr = regions[i].gpa,
			.memory_size = regions[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)regions[i].hva,
		};
	if (ioctl(v->fd, VHOST_SET_MEM_TABLE, mem) < 0)
		r = vhost_fail(why, errno, "VHOST_SET_MEM_TABLE (%u regions)", n);
	free(mem);
	return r;
}

int vhost_net_features(uint64_t vhost_features, uint64_t negotiated, uint64_t *out,
		       struct tap_why *why)
{
	uint64_t missing = negotiated & VHOST_RING_FEATURES & ~vhost_features;

	if (missing) {
		snprintf(why->text, sizeof(why->text), "the guest negotiated features 0x%llx that "
			 "vhost-net does not offer (it has 0x%llx)", (unsigned long long)missing,
			 (unsigned long long)vhost_features);
		return -EOPNOTSUPP;
	}
	*out = negotiated & vhost_features;
	return 0;
}

static int vhost_ring(struct vhost_net *v, unsigned i, const struct volt_vq_info *q,
		      struct tap_why *why)
{
	struct vhost_vring_state num = { .index = i, .num = q->size };
	struct vhost_vring_state base = { .index = i, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = i,
		.desc_user_addr = (uint64_t)(uintptr_t)q->desc_hva,
		.used_user_addr = (uint64_t)(uintptr_t)q->used_hva,
		.avail_user_addr = (uint64_t)(uintptr_t)q->avail_hva,
	};
	struct vhost_vring_file kick = { .index = i, .fd = q->kick_fd };
	struct vhost_vring_file call = { .index = i, .fd = q->call_fd };

	if (ioctl(v->fd, VHOST_SET_VRING_NUM, &num) < 0)
		return vhost_fail(why, errno, "VHOST_SET_VRING_NUM %u for queue %u", q->size, i);
	if (ioctl(v->fd, VHOST_SET_VRING_BASE, &base) < 0)
		return vhost_fail(why, errno, "VHOST_SET_VRING_BASE for queue %u", i);
	if (ioctl(v->fd, VHOST_SET_VRING_ADDR, &addr) < 0)
		return vhost_fail(why, errno, "VHOST_SET_VRING_ADDR for queue %u", i);
	if (ioctl(v->fd, VHOST_SET_VRING_KICK, &kick) < 0)
		return vhost_fail(why, errno, "VHOST_SET_VRING_KICK (ioeventfd) for queue %u", i);
	if (ioctl(v->fd, VHOST_SET_VRING_CALL, &call) < 0)
		return vhost_fail(why, errno, "VHOST_SET_VRING_CALL (irqfd) for queue %u", i);
	return 0;
}

int vhost_net_start(struct vhost_net *v, const struct volt_vq_info *q, unsigned nq, int tap_fd,
		    struct tap_why *why)
{
	uint64_t features;
	int r;

	if (nq != VHOST_NET_QUEUES) {
		snprintf(why->text, sizeof(why->text), "%u queues (vhost-net here runs one pair)", nq);
		return -EINVAL;
	}
	r = vhost_net_features(v->features, q[0].features, &features, why);
	if (r)
		return r;
	if (ioctl(v->fd, VHOST_SET_FEATURES, &features) < 0)
		return vhost_fail(why, errno, "VHOST_SET_FEATURES 0x%llx", (unsigned long long)features);
	for (unsigned i = 0; i < nq; i++) {
		r = vhost_ring(v, i, &q[i], why);
		if (r)
			goto undo;
	}
	for (v->started = 0; v->started < nq; v->started++) {
		struct vhost_vring_file be = { .index = v->started, .fd = tap_fd };

		if (ioctl(v->fd, VHOST_NET_SET_BACKEND, &be) < 0) {
			r = vhost_fail(why, errno, "VHOST_NET_SET_BACKEND (the tap) for queue %u",
				       v->started);
			goto undo;
		}
	}
	return 0;
undo:
	vhost_net_stop(v);
	return r;
}

void vhost_net_stop(struct vhost_net *v)
{
	for (unsigned i = 0; i < VHOST_NET_QUEUES; i++) {
		struct vhost_vring_file none = { .index = i, .fd = VHOST_FILE_UNBIND };

		if (i < v->started)
			ioctl(v->fd, VHOST_NET_SET_BACKEND, &none);
		ioctl(v->fd, VHOST_SET_VRING_KICK, &none);
		ioctl(v->fd, VHOST_SET_VRING_CALL, &none);
	}
	v->started = 0;
}
