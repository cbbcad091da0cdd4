/* net-macvtap: a virtio-net device's frames through a macvtap link.
 *
 * `parent = veth0` creates a macvtap link on that interface (`mode =
 * bridge` by default; private, vepa, passthru), named `ifname` or
 * "mvt<pid>-<n>", and owns it: it is deleted when the instance goes away,
 * on every path the VMM itself takes (normal exit, guest reset, SIGTERM or
 * SIGINT, a failure at any later step of start-up), and by its reaper
 * process when volt ends with no teardown at all (SIGKILL, the sandbox's
 * kill: macvtap_reaper.h). `link = mvt0` attaches to an existing macvtap
 * instead, which is never changed nor deleted. Exactly one of the two.
 *
 * The MAC address: the device's (virtio-net's `mac` key, or its random
 * one), handed over by set_mac before the VM runs. An owned link takes it;
 * an existing link must already have it (macvtap delivers to a link by its
 * address), else start-up fails saying which `mac` to configure.
 *
 * Steps: at realize the link is created (down) and its /dev/tap<ifindex>
 * opened; set_mac (virtio-net's realize) gives it the guest's address and
 * brings it up, all before lockdown; at destroy the reaper deletes it. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include <volt/volt.h>

#include "macvtap_dev.h"
#include "macvtap_link.h"
#include "macvtap_reaper.h"
#include "tap.h"

#define MVT_TAP_SLOT 0
#define MVT_NL_SLOT  1
/* How long destroy waits for the reaper's answer: a netlink round trip. */
#define MVT_REAPER_WAIT_MS 2000

struct macvtap {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	const char *parent;         /* create on it ... */
	const char *link;           /* ... or attach to it */
	int mode;
	char ifname[IFNAMSIZ];
	int ifindex;
	uint8_t link_mac[6];        /* as the link had it when we opened it */
	bool owned;                 /* we created it: we delete it */
	struct nl_sock *sk;
	int fd;
	int reaper_fd;              /* the reaper deletes the link: macvtap_reaper.h */
	bool up;                    /* an owned link was brought up */
};

static atomic_uint mvt_count;   /* default names: mvt<pid>-<n> */

static const struct volt_key mvt_keys[] = {
	{ .name = "parent", .type = VOLT_KEY_STRING,
	  .help = "create a macvtap link on this interface (deleted when volt exits)" },
	{ .name = "link", .type = VOLT_KEY_STRING,
	  .help = "or attach to this existing macvtap link (never deleted)" },
	{ .name = "mode", .type = VOLT_KEY_STRING, .default_value = "bridge",
	  .help = "macvtap mode of a created link: bridge, vepa, private or passthru" },
	{ .name = "ifname", .type = VOLT_KEY_STRING,
	  .help = "name of the created link (default mvt<pid>-<n>)" },
};

#define MVT_LOG_ERR(m, ...) (m)->host->log((m)->inst, VOLT_LOG_ERROR, __VA_ARGS__)

/* ---- backend ops -------------------------------------------------------- */

static int mvt_rx_fd(void *state)
{
	return ((struct macvtap *)state)->fd;
}

static ssize_t mvt_recv(void *state, const struct iovec *iov, int iovcnt)
{
	return tap_recv(((struct macvtap *)state)->fd, iov, iovcnt);
}

static ssize_t mvt_send(void *state, const struct iovec *iov, int iovcnt)
{
	return tap_send(((struct macvtap *)state)->fd, iov, iovcnt);
}

static int mvt_set_offloads(void *state, uint64_t virtio_features)
{
	struct macvtap *m = state;
	int r = tap_set_offloads(m->fd, virtio_features);

	if (r)
		MVT_LOG_ERR(m, "%s: setting offloads 0x%x (TUNSETOFFLOAD): %s", m->ifname,
			    tap_offload_flags(virtio_features), strerror(-r));
	return r;
}

/* Up as soon as it has the guest's address: still before lockdown, while
 * volt may change links ([sandbox] user takes CAP_NET_ADMIN away). */
static int mvt_link_up(struct macvtap *m, struct tap_why *why)
{
	int r = mvt_link_set_up(m->sk, m->ifname, why);

	m->up = !r;
	return r;
}

static int mvt_set_mac(void *state, const uint8_t mac[6])
{
	struct macvtap *m = state;
	struct mvt_link_info info;
	struct tap_why why;
	int r;

	if (m->owned) {
		r = mvt_link_set_mac(m->sk, m->ifname, mac, &why);
		if (!r)
			r = mvt_link_up(m, &why);
		if (r)
			MVT_LOG_ERR(m, "%s", why.text);
		return r;
	}
	r = mvt_link_get(m->sk, m->ifname, &info, &why);
	if (r) {
		MVT_LOG_ERR(m, "%s", why.text);
		return r;
	}
	if (memcmp(info.mac, mac, 6)) {
		MVT_LOG_ERR(m, "%s has MAC %02x:%02x:%02x:%02x:%02x:%02x, not the guest's "
			    "%02x:%02x:%02x:%02x:%02x:%02x: an existing macvtap only delivers to its "
			    "own address (set mac = %02x:%02x:%02x:%02x:%02x:%02x)", m->ifname,
			    info.mac[0], info.mac[1], info.mac[2], info.mac[3], info.mac[4], info.mac[5],
			    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], info.mac[0], info.mac[1],
			    info.mac[2], info.mac[3], info.mac[4], info.mac[5]);
		return -EINVAL;
	}
	return 0;
}

static const char *mvt_ifname(void *state)
{
	struct macvtap *m = state;

	return m->ifname[0] ? m->ifname : NULL;
}

static const struct volt_net_backend_ops mvt_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops),
	.vnet_hdr_len = TAP_VNET_HDR_LEN,
	.rx_fd = mvt_rx_fd,
	.recv = mvt_recv,
	.send = mvt_send,
	.set_offloads = mvt_set_offloads,
	.set_mac = mvt_set_mac,
	.ifname = mvt_ifname,
};

/* ---- lifecycle --------------------------------------------------------- */

static int mvt_check_name(struct macvtap *m, const char *key, const char *value)
{
	if (!value || tap_ifname_valid(value))
		return 0;
	MVT_LOG_ERR(m, "%s = \"%s\": not an interface name (" TAP_IFNAME_RULE ")", key, value);
	return -EINVAL;
}

static int mvt_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct macvtap *m = calloc(1, sizeof(*m));
	const char *mode, *ifname;
	int r;

	if (!m) {
		host->log(inst, VOLT_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	*state = m;
	m->host = host;
	m->inst = inst;
	m->fd = -1;
	m->reaper_fd = -1;
	m->parent = host->config_get(inst, "parent");
	m->link = host->config_get(inst, "link");
	mode = host->config_get(inst, "mode");
	ifname = host->config_get(inst, "ifname");
	if (!m->parent == !m->link) {
		MVT_LOG_ERR(m, "set exactly one of parent (create a macvtap on it) and link (attach "
			    "to an existing one)");
		return -EINVAL;
	}
	m->mode = mvt_mode_parse(mode);
	if (m->mode < 0) {
		MVT_LOG_ERR(m, "mode = %s: must be bridge, vepa, private or passthru", mode);
		return -EINVAL;
	}
	r = mvt_check_name(m, "parent", m->parent);
	if (!r)
		r = mvt_check_name(m, "link", m->link);
	if (!r)
		r = mvt_check_name(m, "ifname", ifname);
	if (r)
		return r;
	if (m->link)
		snprintf(m->ifname, sizeof(m->ifname), "%s", m->link);
	else if (ifname)
		snprintf(m->ifname, sizeof(m->ifname), "%s", ifname);
	else
		snprintf(m->ifname, sizeof(m->ifname), "mvt%u-%u", (unsigned)getpid() % 10000000u,
			 atomic_fetch_add(&mvt_count, 1) % 100u);
	return 0;
}

/* Without a reaper the VM still runs: only a kill would leave the link. */
static void mvt_start_reaper(struct macvtap *m)
{
	const struct mvt_reaper_job job = {
		.host = m->host, .inst = m->inst, .ifname = m->ifname, .ifindex = m->ifindex,
	};
	struct tap_why why;
	int r = mvt_reaper_start(&job, &why);

	if (r >= 0)
		m->reaper_fd = r;
	else
		m->host->log(m->inst, VOLT_LOG_WARN, "%s (it is left behind if volt is killed)",
			     why.text);
}

/* The link this instance uses: created (owned) or an existing one. */
static int mvt_setup_link(struct macvtap *m, struct tap_why *why)
{
	struct mvt_link_info info;
	int r;

	if (m->parent) {
		r = mvt_link_create(m->sk, m->parent, m->ifname, m->mode, why);
		if (r)
			return r;
		m->owned = true; /* from here on, destroy deletes it */
	}
	r = mvt_link_get(m->sk, m->ifname, &info, why);
	if (r)
		return r;
	m->ifindex = info.ifindex;
	memcpy(m->link_mac, info.mac, sizeof(m->link_mac));
	if (!info.is_macvtap) {
		snprintf(why->text, sizeof(why->text), "link = %s: not a macvtap link", m->ifname);
		return -EINVAL;
	}
	if (m->owned)
		mvt_start_reaper(m);
	if (!m->owned && !info.up)
		m->host->log(m->inst, VOLT_LOG_WARN, "%s is down: the guest's frames go nowhere "
			     "until it is brought up", m->ifname);
	return 0;
}

static int mvt_realize(void *state)
{
	struct macvtap *m = state;
	struct tap_why why;
	int r = mvt_nl_open(&m->sk, &why);

	if (r) {
		/* The other steps name the link themselves. */
		MVT_LOG_ERR(m, "%s: %s", m->ifname, why.text);
		return r;
	}
	r = mvt_setup_link(m, &why);
	if (!r)
		r = mvt_dev_open(m->ifname, m->ifindex, m->link_mac, &m->fd, &why);
	if (r) {
		MVT_LOG_ERR(m, "%s", why.text);
		return r;
	}
	r = m->host->sandbox_bind_fd(m->inst, MVT_TAP_SLOT, m->fd);
	if (!r)
		r = m->host->sandbox_bind_fd(m->inst, MVT_NL_SLOT, mvt_nl_fd(m->sk));
	if (r) {
		MVT_LOG_ERR(m, "%s: binding fds for the sandbox: %s", m->ifname, strerror(-r));
		return r;
	}
	if (m->owned)
		m->host->log(m->inst, VOLT_LOG_INFO, "%s: macvtap created on %s (mode %s), /dev/tap%d",
			     m->ifname, m->parent, m->host->config_get(m->inst, "mode"), m->ifindex);
	else
		m->host->log(m->inst, VOLT_LOG_INFO, "%s: attached to the existing macvtap, /dev/tap%d",
			     m->ifname, m->ifindex);
	return 0;
}

static int mvt_start(void *state)
{
	struct macvtap *m = state;
	struct tap_why why;
	int r;

	/* A device that never called set_mac: up now, as the guest starts. */
	if (!m->owned || m->up)
		return 0;
	r = mvt_link_up(m, &why);
	if (r)
		MVT_LOG_ERR(m, "%s", why.text);
	return r;
}

/* The outcome of a delete, on one line: a failure with the hint. */
static void mvt_delete_said(struct macvtap *m, int r, const struct tap_why *why)
{
	if (r)
		MVT_LOG_ERR(m, "%s (delete it by hand: ip link del %s)", why->text, m->ifname);
	else
		m->host->log(m->inst, VOLT_LOG_INFO, "%s: macvtap deleted", m->ifname);
}

/* Delete the owned link: by its reaper, which kept the right to (volt may
 * have given it up at lockdown), or, if the reaper is gone, directly. */
static void mvt_delete_link(struct macvtap *m)
{
	struct tap_why why;
	int r = -ECHILD;

	if (m->reaper_fd >= 0)
		r = mvt_reaper_delete(m->reaper_fd, MVT_REAPER_WAIT_MS);
	if (r == -ECHILD)
		r = mvt_link_delete(m->sk, m->ifindex, m->ifname, &why);
	else if (r)
		snprintf(why.text, sizeof(why.text), "deleting macvtap %s (its reaper): %s",
			 m->ifname, strerror(-r));
	mvt_delete_said(m, r, &why);
}

/* Created, but its index never learnt (the lookup after create failed):
 * found again by name, then deleted, and said like any other delete. */
static void mvt_delete_by_name(struct macvtap *m)
{
	struct mvt_link_info info;
	struct tap_why why;
	int r = mvt_link_get(m->sk, m->ifname, &info, &why);

	if (!r)
		r = mvt_link_delete(m->sk, info.ifindex, m->ifname, &why);
	mvt_delete_said(m, r, &why);
}

static void mvt_destroy(void *state)
{
	struct macvtap *m = state;

	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	if (m->owned && m->ifindex > 0)
		mvt_delete_link(m);
	else if (m->owned)
		mvt_delete_by_name(m);
	if (m->reaper_fd >= 0)
		close(m->reaper_fd); /* after the delete: a reaper still waiting finds nothing */
	mvt_nl_close(m->sk);
	free(m);
}

/* ---- what the sandbox must allow, after lockdown ------------------------ */

static const uint64_t mvt_offload_ioctls[] = { TUNSETOFFLOAD };

static const struct volt_syscall mvt_syscalls[] = {
	{ "readv", VOLT_THREAD_IO, MVT_TAP_SLOT, NULL, 0,
	  "receive a frame straight into the guest's receive buffers" },
	{ "read", VOLT_THREAD_IO, MVT_TAP_SLOT, NULL, 0,
	  "receive a frame into a single guest buffer" },
	{ "writev", VOLT_THREAD_IO, MVT_TAP_SLOT, NULL, 0,
	  "send a frame straight from the guest's transmit buffers" },
	{ "write", VOLT_THREAD_IO, MVT_TAP_SLOT, NULL, 0,
	  "send a frame that is a single buffer" },
	{ "ioctl", VOLT_THREAD_VCPU | VOLT_THREAD_IO, MVT_TAP_SLOT, mvt_offload_ioctls, 1,
	  "TUNSETOFFLOAD: match the receive offloads the guest negotiated (at DRIVER_OK)" },
	{ "sendmsg", VOLT_THREAD_MAIN, MVT_NL_SLOT, NULL, 0,
	  "rtnetlink requests: bring the link up at start (a device that never set its MAC), "
	  "delete it at exit (its reaper gone)" },
	{ "recvmsg", VOLT_THREAD_MAIN, MVT_NL_SLOT, NULL, 0,
	  "rtnetlink answers to those requests" },
};

/* ---- the descriptor ---------------------------------------------------- */

static const struct volt_plugin_desc mvt_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_NET_BACKEND,
	.name = "net-macvtap",
	.version = NET_VERSION,
	.license = "MIT",
	.description = "network backend on a macvtap link (created on a parent, or existing)",
	.keys = mvt_keys,
	.nkeys = sizeof(mvt_keys) / sizeof(mvt_keys[0]),
	.syscalls = mvt_syscalls,
	.nsyscalls = sizeof(mvt_syscalls) / sizeof(mvt_syscalls[0]),
	.create = mvt_create,
	.realize = mvt_realize,
	.start = mvt_start,
	.destroy = mvt_destroy,
	.ops = &mvt_ops,
};

VOLT_PLUGIN_DEFINE(net_macvtap, mvt_desc)
