/* A virtqueue element as plugins see it: a descriptor chain the core has
 * already walked and checked, as host iovecs pointing straight into guest
 * memory (no bounce copy). Device-readable segments come first, then
 * device-writable ones, as the virtio specification requires. */
#ifndef VOLT_VIRTQUEUE_H
#define VOLT_VIRTQUEUE_H

#include <stdint.h>
#include <sys/uio.h>

#include <volt/abi.h>

/* The largest queue the core offers, and so the longest chain. */
#define VOLT_VQ_MAX_SIZE 256

struct volt_vq_elem {
	uint16_t head;     /* first descriptor index: identifies the element */
	uint16_t nout;     /* device-readable segments: iov[0 .. nout) */
	uint16_t nin;      /* device-writable segments: iov[nout .. nout+nin) */
	uint16_t generation; /* ABI 1.1: set by vq_pop; push the element with it
			      * unchanged, so a push from before a reset or a
			      * queue disable is dropped even if the head was
			      * popped again since (0: unknown, not checked) */
	uint32_t out_len;  /* bytes in the readable segments */
	uint32_t in_len;   /* bytes in the writable segments */
	struct iovec iov[VOLT_VQ_MAX_SIZE];
};

/* What a vhost-style backend needs to run a queue in the kernel. */
struct volt_vq_info {
	uint32_t struct_size;
	uint16_t size;        /* negotiated queue size */
	uint16_t reserved;
	uint64_t desc_gpa;    /* descriptor table */
	uint64_t avail_gpa;   /* driver ring */
	uint64_t used_gpa;    /* device ring */
	void *desc_hva;       /* the same, as host addresses */
	void *avail_hva;
	void *used_hva;
	int kick_fd;          /* ioeventfd the guest's notify signals */
	int call_fd;          /* irqfd that interrupts the guest */
	uint64_t features;    /* negotiated features (EVENT_IDX etc.) */
};

/* A contiguous piece of guest RAM (for vhost memory tables). */
struct volt_mem_region {
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

#endif
