/* Handing the queues to a kernel data plane (a backend with
 * dataplane_start, such as net-vhost) instead of moving frames here.
 *
 * activate runs on a vCPU under the transport's device lock, where
 * host->vq_info (which takes that lock) cannot be called. So activate only
 * signals an eventfd; the I/O thread then reads the queues' addresses and
 * fds, the guest's memory regions, and starts the data plane. Its kick
 * eventfds were drained by the transport meanwhile, so each queue is kicked
 * once after the start: buffers the guest made available before are seen.
 * A failure to start is a host fault: the device is marked broken; a queue
 * a reset has just cleared is not (net_dp_queues). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "net.h"

#define NET_DP_MAX_REGIONS 16

/* The queues' addresses and fds. A queue that is not ready (-ENODEV) is
 * not a fault: the guest reset the device after its DRIVER_OK, and the
 * transport has cleared the queues but not yet called our reset (active is
 * still set). Marking the device broken then would mark a freshly reset
 * device, and the broken flag would keep its next DRIVER_OK from reaching
 * activate: the NIC would stay dead. Nothing is started; the reset follows,
 * and the next DRIVER_OK starts the data plane. A driver that set
 * DRIVER_OK without enabling a queue gets no data plane either, so the
 * line is at info: an operator sees why that NIC is silent. */
static int net_dp_queues(struct net *n, struct volt_vq_info q[NET_NUM_QUEUES])
{
	int r;

	for (unsigned i = 0; i < NET_NUM_QUEUES; i++) {
		memset(&q[i], 0, sizeof(q[i]));
		q[i].struct_size = sizeof(q[i]);
		r = n->host->vq_info(n->inst, i, &q[i]);
		if (r == -ENODEV) {
			n->host->log(n->inst, VOLT_LOG_INFO, "data plane of %s not started: queue "
				     "%u is not ready (a reset under way, or the driver did not "
				     "enable it)", net_backend_name(n), i);
			return r;
		}
		if (r) {
			n->host->device_broken(n->inst, "queue %u is not set up for the data "
					       "plane of %s: %s", i, net_backend_name(n), strerror(-r));
			return r;
		}
	}
	return 0;
}

static int net_dp_start(struct net *n)
{
	struct volt_vq_info q[NET_NUM_QUEUES];
	struct volt_mem_region regions[NET_DP_MAX_REGIONS];
	unsigned nregions;
	int r = net_dp_queues(n, q);

	if (r)
		return r;
	nregions = n->host->guest_regions(n->inst, regions, NET_DP_MAX_REGIONS);
	r = n->port.ops->dataplane_start(n->port.state, regions, nregions, q, NET_NUM_QUEUES);
	if (r) {
		n->host->device_broken(n->inst, "starting the data plane of %s: %s", net_backend_name(n),
				       strerror(-r));
		return r;
	}
	for (unsigned i = 0; i < NET_NUM_QUEUES; i++)
		net_wake_fd(q[i].kick_fd);
	return 0;
}

/* I/O thread, under dp_wake's lock: activate asked for the data plane. */
static void net_dp_on_wake(struct net *n)
{
	if (atomic_load(&n->active) && !n->dp_running && net_dp_start(n) == 0)
		n->dp_running = true;
}

int net_dataplane_init(struct net *n)
{
	return net_wake_init(n, &n->dp_wake, NET_FD_SLOT_DP, net_dp_on_wake, "the data plane");
}

void net_dataplane_activate(struct net *n)
{
	net_wake_signal(&n->dp_wake);
}

void net_dataplane_reset(struct net *n)
{
	if (!net_wake_hold(&n->dp_wake))
		return;
	if (n->dp_running)
		n->port.ops->dataplane_stop(n->port.state);
	n->dp_running = false;
	net_wake_release(&n->dp_wake);
}

void net_dataplane_fini(struct net *n)
{
	net_dataplane_reset(n);
	net_wake_fini(&n->dp_wake);
}
