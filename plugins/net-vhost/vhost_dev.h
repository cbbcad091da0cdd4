/* The vhost-net kernel data plane behind one virtio-net device: the
 * /dev/vhost-net fd, its owner and features, the guest memory table, and
 * the two queues (0 receive, 1 transmit) handed to it with a tap as the
 * backend. The kernel then moves frames between the guest's rings and the
 * tap itself: the guest's notifications reach it through the queues'
 * ioeventfds, and it interrupts the guest through the irqfd.
 *
 * Functions return 0 or -errno and, on failure, write one line into `why`
 * naming the step ("VHOST_SET_VRING_ADDR for queue 1: Invalid argument"). */
#ifndef VOLT_PLUGIN_VHOST_DEV_H
#define VOLT_PLUGIN_VHOST_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <volt/virtqueue.h>

#include "tap.h"

#define VHOST_NET_PATH "/dev/vhost-net"
#define VHOST_NET_QUEUES 2

struct vhost_net {
	int fd;
	uint64_t features;       /* VHOST_GET_FEATURES */
	unsigned started;        /* queues with a backend */
};

/* Open path (VHOST_NET_PATH), claim it (VHOST_SET_OWNER) and read its
 * features. A missing node says the kernel lacks vhost-net. */
int vhost_net_open(struct vhost_net *v, const char *path, struct tap_why *why);
void vhost_net_close(struct vhost_net *v);

/* VHOST_SET_MEM_TABLE from the guest's RAM regions. */
int vhost_net_set_mem(struct vhost_net *v, const struct volt_mem_region *regions, unsigned n,
		      struct tap_why *why);

/* The features vhost-net is told: the negotiated ones it knows (ring
 * layout, VERSION_1, MRG_RXBUF). -EOPNOTSUPP if the guest negotiated a
 * ring feature vhost-net lacks. */
int vhost_net_features(uint64_t vhost_features, uint64_t negotiated, uint64_t *out,
		       struct tap_why *why);

/* Hand the queues over (nq == VHOST_NET_QUEUES) with tap_fd as backend. */
int vhost_net_start(struct vhost_net *v, const struct volt_vq_info *q, unsigned nq, int tap_fd,
		    struct tap_why *why);

/* Take the queues back: no backend, no kick, no call. */
void vhost_net_stop(struct vhost_net *v);

#endif
