/* The host API for the net benchmark: one virtio-net device and its
 * backend in-process, over guest RAM and split virtqueues that are the
 * core's own (vm/guest_mem.c, virtio/virtqueue.c), so ring handling costs
 * what it costs in volt, with the transport's locking mirrored (no lock
 * inside queue_notify, the device lock per call from fd callbacks).
 *
 * Threads as in volt (docs/architecture.md): the device runs on an I/O
 * thread of its own, an epoll loop over one kick eventfd per queue (KVM's
 * ioeventfd in volt) and the fds the plugins watch; the simulated driver
 * runs on the caller's thread, as a vCPU would. The device's interrupts are
 * eventfd writes (the irqfd in volt), one eventfd per queue here so the
 * driver can wait on the queue it needs. Before it sleeps, the I/O thread
 * polls the queues with the core's adaptive window (core/loop/poll.c) and
 * the transport's poll handler mirrored, notifications suppressed. */
#ifndef VOLT_BENCH_NET_HOST_H
#define VOLT_BENCH_NET_HOST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <volt/volt.h>

#include "loop/poll.h"
#include "virtio/virtqueue.h"
#include "vm/guest_mem.h"

#define BH_QUEUES 2
#define BH_KEYS   8
#define BH_WATCHES 4

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
	/* The fds the plugins watch, in the I/O thread's epoll set. */
	struct bench_watch {
		int fd;               /* -1: free */
		volt_fd_fn fn;
		void *opaque;
	} watch[BH_WATCHES];
	pthread_mutex_t watch_lock;   /* the table (epoll_ctl itself is thread-safe) */
	/* The transport's locking, mirrored: queue calls take the device lock
	 * unless they come from inside queue_notify (core/virtio/virtio_mmio.c). */
	pthread_mutex_t dev_lock;
	bool in_kick;                 /* I/O thread only */
	bool info_out[BH_QUEUES];     /* vq_info asked: never polled (as the transport) */
	/* The backend runs the queues in the kernel (net-vhost): vq_info hands
	 * it the kick and interrupt eventfds. Set before bench_host_realize. */
	bool kernel_dp;
	uint64_t features;            /* what bench_host_activate negotiated */
	/* Polling as volt's I/O threads do (core/loop/poll.c, the transport's
	 * poll handler mirrored); poll_max_ns is set before io_start. */
	struct poller poller;
	uint64_t poll_max_ns;
	char broken[1024];

	/* The I/O thread. */
	int epfd;
	int kick_efd[BH_QUEUES];      /* driver -> device (ioeventfd) */
	int irq_efd[BH_QUEUES];       /* device -> driver (irqfd) */
	int ctl_efd;                  /* wakes the I/O thread to pause or stop */
	pthread_t io;
	bool io_running;
	pthread_mutex_t io_lock;
	pthread_cond_t io_cond;
	bool pause_req, paused, stop_req;
	void (*call_fn)(void *);      /* run on the I/O thread while paused */
	void *call_arg;
};

/* Guest RAM of ram_mib MiB; the device and backend descriptors. */
int bench_host_init(struct bench_host *bh, unsigned ram_mib,
		    const struct volt_plugin_desc *device, const struct volt_plugin_desc *backend);
void bench_host_fini(struct bench_host *bh);

void bench_host_set(struct volt_instance *inst, const char *key, const char *value);

/* Create and realize backend then device (as the core does). */
int bench_host_realize(struct bench_host *bh);
void bench_host_destroy(struct bench_host *bh);

/* The device's I/O thread: start it (after activation), stop it (before
 * destroy). Pause parks it between events (no device work until resume),
 * so the benchmark can queue frames on the tap untimed. */
int bench_host_io_start(struct bench_host *bh);
void bench_host_io_stop(struct bench_host *bh);
void bench_host_io_pause(struct bench_host *bh);
void bench_host_io_resume(struct bench_host *bh);
/* Run fn(arg) on the paused I/O thread and wait for it to return. */
void bench_host_io_call(struct bench_host *bh, void (*fn)(void *), void *arg);
/* CPU time the I/O thread has used, in seconds. */
double bench_host_io_cpu(struct bench_host *bh);

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
