/* net-tap: a virtio-net device's frames through a Linux tap interface.
 *
 * `tap = NAME` attaches to an existing tap (made with `ip tuntap add NAME
 * mode tap`, which keeps its addresses and bridge port after volt exits)
 * or, when no interface has that name, creates one that lives as long as
 * volt has it open. Without `tap` the kernel names a new one "tapN".
 *
 * Frames cross the fd with a 12-byte struct virtio_net_hdr_v1 in front
 * (IFF_VNET_HDR, TUNSETVNETHDRSZ), so the guest's checksum and
 * segmentation offloads pass straight through; TUNSETOFFLOAD tells the
 * kernel which the guest accepts on receive. The fd is non-blocking: the
 * device's I/O thread reads it when epoll says so and never waits on it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include <volt/volt.h>

#include "tap.h"

#define TAP_FD_SLOT 0

struct tap_backend {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	const char *name;          /* the `tap` key, or NULL */
	char ifname[IFNAMSIZ];
	int fd;
};

static const struct volt_key tap_keys[] = {
	{ .name = "tap", .type = VOLT_KEY_STRING,
	  .help = "tap interface to attach to, or to create if none has this name "
		  "(default: a new tapN)" },
};

/* ---- backend ops (the device's I/O thread; set_offloads on a vCPU) ------- */

static int tap_be_rx_fd(void *state)
{
	return ((struct tap_backend *)state)->fd;
}

static ssize_t tap_be_recv(void *state, const struct iovec *iov, int iovcnt)
{
	return tap_recv(((struct tap_backend *)state)->fd, iov, iovcnt);
}

static ssize_t tap_be_send(void *state, const struct iovec *iov, int iovcnt)
{
	return tap_send(((struct tap_backend *)state)->fd, iov, iovcnt);
}

static int tap_be_set_offloads(void *state, uint64_t virtio_features)
{
	struct tap_backend *t = state;
	int r = tap_set_offloads(t->fd, virtio_features);

	if (r)
		t->host->log(t->inst, VOLT_LOG_ERROR, "%s: setting offloads 0x%x (TUNSETOFFLOAD): %s",
			     t->ifname, tap_offload_flags(virtio_features), strerror(-r));
	return r;
}

static const char *tap_be_ifname(void *state)
{
	struct tap_backend *t = state;

	return t->ifname[0] ? t->ifname : NULL;
}

static const struct volt_net_backend_ops tap_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops),
	.vnet_hdr_len = TAP_VNET_HDR_LEN,
	.rx_fd = tap_be_rx_fd,
	.recv = tap_be_recv,
	.send = tap_be_send,
	.set_offloads = tap_be_set_offloads,
	.ifname = tap_be_ifname,
};

/* ---- lifecycle --------------------------------------------------------- */

static int tap_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct tap_backend *t = calloc(1, sizeof(*t));

	if (!t) {
		host->log(inst, VOLT_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	*state = t;
	t->host = host;
	t->inst = inst;
	t->fd = -1;
	t->name = host->config_get(inst, "tap");
	if (t->name && !tap_ifname_valid(t->name)) {
		host->log(inst, VOLT_LOG_ERROR, "tap = \"%s\": not an interface name ("
			  TAP_IFNAME_RULE ")", t->name);
		return -EINVAL;
	}
	return 0;
}

static int tap_realize(void *state)
{
	struct tap_backend *t = state;
	struct tap_why why;
	bool created = false;
	int r = tap_open(t->name, &t->fd, t->ifname, &created, &why);

	if (r) {
		t->host->log(t->inst, VOLT_LOG_ERROR, "%s", why.text);
		return r;
	}
	r = t->host->sandbox_bind_fd(t->inst, TAP_FD_SLOT, t->fd);
	if (r) {
		t->host->log(t->inst, VOLT_LOG_ERROR, "%s: binding the tap fd for the sandbox: %s",
			     t->ifname, strerror(-r));
		return r;
	}
	t->host->log(t->inst, VOLT_LOG_INFO, created ? "%s: created (it goes away when volt exits)" :
		     "%s: attached to the existing tap", t->ifname);
	return 0;
}

static void tap_destroy(void *state)
{
	struct tap_backend *t = state;

	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

/* ---- what the sandbox must allow, after lockdown ------------------------ */

static const uint64_t tap_offload_ioctls[] = { TUNSETOFFLOAD };

static const struct volt_syscall tap_syscalls[] = {
	{ "readv", VOLT_THREAD_IO, TAP_FD_SLOT, NULL, 0,
	  "receive a frame straight into the guest's receive buffers" },
	{ "read", VOLT_THREAD_IO, TAP_FD_SLOT, NULL, 0,
	  "receive a frame into a single guest buffer" },
	{ "writev", VOLT_THREAD_IO, TAP_FD_SLOT, NULL, 0,
	  "send a frame straight from the guest's transmit buffers" },
	{ "write", VOLT_THREAD_IO, TAP_FD_SLOT, NULL, 0,
	  "send a frame that is a single buffer" },
	{ "ioctl", VOLT_THREAD_VCPU | VOLT_THREAD_IO, TAP_FD_SLOT, tap_offload_ioctls, 1,
	  "TUNSETOFFLOAD: match the receive offloads the guest negotiated (at DRIVER_OK, "
	  "on the vCPU that set it)" },
};

/* ---- the descriptor ---------------------------------------------------- */

static const struct volt_plugin_desc tap_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_NET_BACKEND,
	.name = "net-tap",
	.version = NET_VERSION,
	.license = "MIT",
	.description = "network backend on a Linux tap interface (/dev/net/tun)",
	.keys = tap_keys,
	.nkeys = sizeof(tap_keys) / sizeof(tap_keys[0]),
	.syscalls = tap_syscalls,
	.nsyscalls = sizeof(tap_syscalls) / sizeof(tap_syscalls[0]),
	.create = tap_create,
	.realize = tap_realize,
	.destroy = tap_destroy,
	.ops = &tap_ops,
};

VOLT_PLUGIN_DEFINE(net_tap, tap_desc)
