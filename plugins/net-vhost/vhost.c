/* net-vhost: the vhost-net kernel data plane for a virtio-net device. The
 * device hands over its queues when the guest sets DRIVER_OK
 * (dataplane_start) and the kernel moves frames between them and a tap,
 * without a trip through volt per frame.
 *
 * `tap = NAME` names the tap as for net-tap (an existing one, or one
 * created for as long as volt runs). /dev/vhost-net is required: when the
 * host kernel lacks it, the VM does not start, and nothing falls back to
 * net-tap silently (configure `backend = net-tap` for that).
 *
 * At realize: /dev/vhost-net opened and owned (VHOST_SET_OWNER), its
 * features read, the guest memory table set (RAM never moves), the tap
 * opened with a 12-byte vnet header (vhost-net leaves the header to the
 * tap). At DRIVER_OK: features, rings, kick (the queues' ioeventfds), call
 * (the irqfd) and the tap as backend. At reset: the backend is taken away. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/vhost.h>

#include <volt/volt.h>

#include "tap.h"
#include "vhost_dev.h"

#define VHOST_FD_SLOT 0
#define VHOST_TAP_SLOT 1
#define VHOST_MAX_REGIONS 16

struct vhost_backend {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	const char *tap_name;
	char ifname[IFNAMSIZ];
	int tap_fd;
	struct vhost_net vhost;
};

static const struct volt_key vhost_keys[] = {
	{ .name = "tap", .type = VOLT_KEY_STRING,
	  .help = "tap interface for vhost-net to use, or to create if none has this name "
		  "(default: a new tapN)" },
};

/* ---- backend ops ------------------------------------------------------- */

static int vhost_set_offloads(void *state, uint64_t virtio_features)
{
	struct vhost_backend *b = state;
	int r = tap_set_offloads(b->tap_fd, virtio_features);

	if (r)
		b->host->log(b->inst, VOLT_LOG_ERROR, "%s: setting offloads 0x%x (TUNSETOFFLOAD): %s",
			     b->ifname, tap_offload_flags(virtio_features), strerror(-r));
	return r;
}

/* The device's I/O thread, at DRIVER_OK. The memory table was set at
 * realize: guest RAM does not move. */
static int vhost_dataplane_start(void *state, const struct volt_mem_region *regions,
				 unsigned nregions, const struct volt_vq_info *queues,
				 unsigned nqueues)
{
	struct vhost_backend *b = state;
	struct tap_why why;
	int r = vhost_net_start(&b->vhost, queues, nqueues, b->tap_fd, &why);

	if (r)
		b->host->log(b->inst, VOLT_LOG_ERROR, "%s: %s", b->ifname, why.text);
	else
		b->host->log(b->inst, VOLT_LOG_DEBUG, "%s: vhost-net runs the queues", b->ifname);
	return r;
}

/* A vCPU (device reset) or the main thread (teardown). */
static void vhost_dataplane_stop(void *state)
{
	vhost_net_stop(&((struct vhost_backend *)state)->vhost);
}

static const char *vhost_ifname(void *state)
{
	struct vhost_backend *b = state;

	return b->ifname[0] ? b->ifname : NULL;
}

static const struct volt_net_backend_ops vhost_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops),
	.vnet_hdr_len = TAP_VNET_HDR_LEN,
	.set_offloads = vhost_set_offloads,
	.dataplane_start = vhost_dataplane_start,
	.dataplane_stop = vhost_dataplane_stop,
	.ifname = vhost_ifname,
};

/* ---- lifecycle --------------------------------------------------------- */

static int vhost_create(const struct volt_host_api *host, struct volt_instance *inst,
			void **state)
{
	struct vhost_backend *b = calloc(1, sizeof(*b));

	if (!b) {
		host->log(inst, VOLT_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	*state = b;
	b->host = host;
	b->inst = inst;
	b->tap_fd = -1;
	b->vhost.fd = -1;
	b->tap_name = host->config_get(inst, "tap");
	if (b->tap_name && !tap_ifname_valid(b->tap_name)) {
		host->log(inst, VOLT_LOG_ERROR, "tap = \"%s\": not an interface name ("
			  TAP_IFNAME_RULE ")", b->tap_name);
		return -EINVAL;
	}
	return 0;
}

static int vhost_setup(struct vhost_backend *b, struct tap_why *why)
{
	struct volt_mem_region regions[VHOST_MAX_REGIONS];
	unsigned n;
	bool created;
	int r = vhost_net_open(&b->vhost, VHOST_NET_PATH, why);

	if (r)
		return r;
	n = b->host->guest_regions(b->inst, regions, VHOST_MAX_REGIONS);
	r = vhost_net_set_mem(&b->vhost, regions, n, why);
	if (r)
		return r;
	return tap_open(b->tap_name, &b->tap_fd, b->ifname, &created, why);
}

static int vhost_realize(void *state)
{
	struct vhost_backend *b = state;
	struct tap_why why;
	int r = vhost_setup(b, &why);

	if (r) {
		b->host->log(b->inst, VOLT_LOG_ERROR, "%s", why.text);
		return r;
	}
	r = b->host->sandbox_bind_fd(b->inst, VHOST_FD_SLOT, b->vhost.fd);
	if (!r)
		r = b->host->sandbox_bind_fd(b->inst, VHOST_TAP_SLOT, b->tap_fd);
	if (r) {
		b->host->log(b->inst, VOLT_LOG_ERROR, "%s: binding fds for the sandbox: %s",
			     b->ifname, strerror(-r));
		return r;
	}
	b->host->log(b->inst, VOLT_LOG_INFO, "%s: vhost-net ready (features 0x%llx)", b->ifname,
		     (unsigned long long)b->vhost.features);
	return 0;
}

static void vhost_destroy(void *state)
{
	struct vhost_backend *b = state;

	if (!b)
		return;
	if (b->vhost.fd >= 0 && b->vhost.started)
		vhost_net_stop(&b->vhost);
	vhost_net_close(&b->vhost);
	if (b->tap_fd >= 0)
		close(b->tap_fd);
	free(b);
}

/* ---- what the sandbox must allow, after lockdown ------------------------ */

static const uint64_t vhost_ring_ioctls[] = {
	VHOST_SET_FEATURES, VHOST_SET_VRING_NUM, VHOST_SET_VRING_BASE, VHOST_SET_VRING_ADDR,
	VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL, VHOST_NET_SET_BACKEND,
};
static const uint64_t vhost_tap_ioctls[] = { TUNSETOFFLOAD };

static const struct volt_syscall vhost_syscalls[] = {
	{ "ioctl", VOLT_THREAD_ALL, VHOST_FD_SLOT, vhost_ring_ioctls,
	  sizeof(vhost_ring_ioctls) / sizeof(vhost_ring_ioctls[0]),
	  "hand the queues to vhost-net at DRIVER_OK (I/O thread), take them back at reset "
	  "(vCPU) or exit (main)" },
	{ "ioctl", VOLT_THREAD_VCPU | VOLT_THREAD_IO, VHOST_TAP_SLOT, vhost_tap_ioctls, 1,
	  "TUNSETOFFLOAD: match the receive offloads the guest negotiated (at DRIVER_OK)" },
};

/* ---- the descriptor ---------------------------------------------------- */

static const struct volt_plugin_desc vhost_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_NET_BACKEND,
	.name = "net-vhost",
	.version = NET_VERSION,
	.license = "MIT",
	.description = "vhost-net kernel data plane on a tap (needs /dev/vhost-net)",
	.keys = vhost_keys,
	.nkeys = sizeof(vhost_keys) / sizeof(vhost_keys[0]),
	.syscalls = vhost_syscalls,
	.nsyscalls = sizeof(vhost_syscalls) / sizeof(vhost_syscalls[0]),
	.create = vhost_create,
	.realize = vhost_realize,
	.destroy = vhost_destroy,
	.ops = &vhost_ops,
};

VOLT_PLUGIN_DEFINE(net_vhost, vhost_desc)
