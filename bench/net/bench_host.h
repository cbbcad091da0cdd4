/* The host API for the net benchmark: one virtio-net device and its
 * backend in-process, over guest RAM and split virtqueues that are the
 * core's own (vm/guest_mem.c, virtio/virtqueue.c), so ring handling costs
 * what it costs in volt. There is no I/O thread: the benchmark's loop calls
 * queue notifications and the backend fd's callback itself. */
#ifndef VOLT_BENCH_NET_HOST_H
#define VOLT_BENCH_NET_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <volt/volt.h>

#include "virtio/virtqueue.h"
#include "vm/guest_mem.h"

#define BH_QUEUES 2
#define BH_KEYS   8

struct bench_host;

struct volt_instance {
	struct bench_host *bh;
	const struct volt_plugin_desc *desc;
	const char *keys[BH_KEYS], *values[BH_KEYS];
	unsigned nkeys;
	void *state;
};

struct bench_host {
	struct volt_host_api api;
	struct guest_mem mem;
	struct virtqueue vq[BH_QUEUES];
	uint64_t notifies[BH_QUEUES];
	struct volt_instance dev, backend;
	/* The one fd the device watches (the backend's). */
	int watch_fd;
	volt_fd_fn watch_fn;
	void *watch_opaque;
	char broken[1024];
};

/* Guest RAM of ram_mib MiB; the device and backend descriptors. */
int bench_host_init(struct bench_host *bh, unsigned ram_mib,
		    const struct volt_plugin_desc *device, const struct volt_plugin_desc *backend);
void bench_host_fini(struct bench_host *bh);

void bench_host_set(struct volt_instance *inst, const char *key, const char *value);

/* Create and realize backend then device (as the core does). */
int bench_host_realize(struct bench_host *bh);
void bench_host_destroy(struct bench_host *bh);

/* Map queue q at these guest addresses and drive the device to DRIVER_OK
 * with `features`. */
int bench_host_activate(struct bench_host *bh, uint64_t features, uint16_t qsize,
			const uint64_t desc[BH_QUEUES], const uint64_t avail[BH_QUEUES],
			const uint64_t used[BH_QUEUES]);

static inline void *bench_host_ptr(struct bench_host *bh, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&bh->mem, gpa, len);
}

#endif
