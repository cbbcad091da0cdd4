/* A virtio-net device instance, shared by the files of the plugin:
 * net.c (configuration, lifecycle, the device ops the transport calls),
 * net_io.c (moving frames on the I/O thread) and net_dataplane.c (handing
 * the queues to a kernel data plane such as vhost-net instead).
 *
 * Threads: config reads, set_features, activate and reset run on vCPU
 * threads (activate under the transport's device lock, so it must not call
 * back into the queues); queue notifications, the backend's rx fd and the
 * device's own transmit eventfd run on the device's I/O thread. What both
 * sides touch is atomic, or under a net_wake's lock. */
#ifndef VOLT_PLUGIN_NET_H
#define VOLT_PLUGIN_NET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_net.h>
#include <volt/volt.h>

#include "net_rx.h"
#include "net_stats.h"
#include "net_tx.h"
#include "net_wake.h"

#define NET_QUEUE_RX 0
#define NET_QUEUE_TX 1
#define NET_NUM_QUEUES 2
#define NET_QUEUE_SIZE 256

/* The instance's sandbox fd slots (host->sandbox_bind_fd); 2..7 are free. */
#define NET_FD_SLOT_DP 0   /* dp_wake */
#define NET_FD_SLOT_TX 1   /* tx_wake */

struct net {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	struct volt_net_port port;       /* the backend */

	/* Configuration (fixed after create). */
	uint8_t mac[6];
	uint16_t mtu;
	bool offloads;                   /* offer checksum/TSO offloads */
	uint64_t offered;
	struct virtio_net_config config;

	/* Shared between vCPUs and the I/O thread. */
	_Atomic uint64_t features;       /* accepted at FEATURES_OK */
	unsigned refusals_logged;        /* feature sets refused and logged, ever */
	/* Offload changes at DRIVER_OK (vCPU, under the transport's lock):
	 * each is a host rtnetlink event, so a guest flipping its features
	 * across resets is held to NET_OFFLOAD_CHANGES per window. */
	uint64_t offloads_set;           /* the features the backend was given
					  * (only the offload bits count) */
	bool offloads_known;             /* set at least once */
	uint64_t offload_window_ns;      /* start of the current window */
	unsigned offload_changes;        /* in it */
	bool offload_throttle_logged;
	atomic_bool active;              /* DRIVER_OK and not reset since */
	atomic_uint gen;                 /* bumped by every reset */
	atomic_bool rx_armed;            /* the backend's rx fd is watched */
	pthread_mutex_t rx_lock;         /* held around a receive run, so a reset
					  * waits for one in progress */
	int rx_fd;                       /* the backend's, or -1 */
	/* Transmit that ran out of its budget comes back through tx_wake
	 * (the I/O thread signals it; a reset waits for its call). Not made
	 * with a kernel data plane. */
	struct net_wake tx_wake;

	/* Kernel data plane (backend has dataplane_start). */
	bool dataplane;
	struct net_wake dp_wake;         /* activate -> I/O thread: start it; its
					  * lock: dp_running, start against stop */
	bool dp_running;

	/* I/O thread only. */
	unsigned rx_gen;                 /* the generation the rx stash belongs to */
	unsigned rx_errors;              /* backend receive errors in a row */
	struct net_rx rx;
	struct volt_vq_elem tx_elem;
	struct net_tx_frame tx_frame;
	struct net_stats stats;
};

/* The backend, for messages: its interface (ABI 1.3 ifname), else "the
 * network backend". */
const char *net_backend_name(const struct net *n);

/* net_io.c: the I/O thread's work (queue notifications, the rx fd). */
int net_io_init(struct net *n);    /* realize: tx_wake */
void net_io_fini(struct net *n);
void net_io_tx(struct net *n);
/* Reset (a vCPU): returns once no transmit run outside queue_notify is
 * still using the queue's chains. */
void net_io_tx_quiesce(struct net *n);
void net_io_rx(struct net *n);
/* Reset (a vCPU, active already false): returns once no receive run is
 * still writing into the guest's buffers. */
void net_io_rx_quiesce(struct net *n);
/* Watch the backend's rx fd (from activate, a vCPU, or an RX notification). */
void net_io_rx_arm(struct net *n);
void net_io_rx_disarm(struct net *n);

/* net_dataplane.c: activation deferred to the I/O thread, which may call
 * vq_info (activate runs under the transport's lock). */
int net_dataplane_init(struct net *n);
void net_dataplane_activate(struct net *n);
void net_dataplane_reset(struct net *n);
void net_dataplane_fini(struct net *n);

#endif
