/* Network backend plugins (net-tap, net-macvtap, net-vhost, or a third
 * party's). A virtio-net device talks to its backend only through this
 * table. Frames cross it with a struct virtio_net_hdr_v1 in front, so
 * checksum and segmentation offloads pass straight through. */
#ifndef VOLT_NET_H
#define VOLT_NET_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <volt/abi.h>
#include <volt/virtqueue.h>

struct volt_net_backend_ops {
	uint32_t struct_size;
	/* Size of the vnet header the backend expects in front of each frame
	 * (12: struct virtio_net_hdr_v1). */
	uint32_t vnet_hdr_len;

	/* fd to watch for received frames (EPOLLIN), or -1. */
	int (*rx_fd)(void *state);
	/* Receive one frame into iov, header first; bytes or -errno
	 * (-EAGAIN when nothing is waiting). Never blocks. */
	ssize_t (*recv)(void *state, const struct iovec *iov, int iovcnt);
	/* Send one frame (header first); bytes or -errno. Never blocks. */
	ssize_t (*send)(void *state, const struct iovec *iov, int iovcnt);
	/* The guest's negotiated VIRTIO_NET_F_* features: set host offloads
	 * to match (e.g. TUNSETOFFLOAD). */
	int (*set_offloads)(void *state, uint64_t virtio_features);
	/* The guest MAC address from the configuration, for backends that
	 * create a link (macvtap). 0, or -errno after logging why (the device
	 * adds nothing; the core's one summary line follows). */
	int (*set_mac)(void *state, const uint8_t mac[6]);

	/* Optional kernel data plane (vhost-net): when set, the device hands
	 * over its queues at activation instead of moving frames itself. */
	int (*dataplane_start)(void *state, const struct volt_mem_region *regions,
			       unsigned nregions, const struct volt_vq_info *queues,
			       unsigned nqueues);
	void (*dataplane_stop)(void *state);

	/* ---- ABI 1.3 ---- */
	/* The host interface the frames go through (a tap's or macvtap's
	 * name, once realized), for the device's messages; NULL, or this
	 * NULL: the device says "the network backend". Optional. */
	const char *(*ifname)(void *state);
};

#endif
