/* virtio-net: a modern virtio network device (virtio 1.2 section 5.1) with
 * one receive and one transmit queue, in front of a backend plugin
 * (`backend = net-tap` by default; net-macvtap, net-vhost or a third
 * party's), which it reaches only through struct volt_net_backend_ops.
 *
 * Offered: MAC (key `mac`, else a random locally administered address),
 * STATUS (the link is up), MRG_RXBUF, MTU (key `mtu`), and unless
 * `offloads = false` or the backend cannot set them, the checksum and TCP
 * segmentation offloads both ways (CSUM, GUEST_CSUM, HOST/GUEST_TSO4/6,
 * HOST/GUEST_ECN; no UFO). The guest's choice goes to the backend at
 * DRIVER_OK (set_offloads) and travels with every frame in the 12-byte
 * struct virtio_net_hdr_v1 (VERSION_1 always has num_buffers).
 *
 * Frames move on the device's I/O thread (net_io.c); a backend with a
 * kernel data plane gets the queues instead (net_dataplane.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_ids.h>

#include "net.h"
#include "net_config.h"

/* ---- configuration keys ----------------------------------------------- */

static const struct volt_key net_keys[] = {
	{ .name = "mac", .type = VOLT_KEY_MAC,
	  .help = "the guest's MAC address, unicast (default: random, locally administered)" },
	{ .name = "mtu", .type = VOLT_KEY_U64, .default_value = "1500",
	  .help = "MTU offered to the guest (VIRTIO_NET_F_MTU); frames beyond it are dropped",
	  .min = NET_MTU_MIN, .max = NET_MTU_MAX },
	{ .name = "offloads", .type = VOLT_KEY_BOOL, .default_value = "true",
	  .help = "offer checksum and TCP segmentation offloads (when the backend can set them)" },
};

/* ---- device ops (vCPU threads, except queue_notify) --------------------- */

static uint64_t net_features(void *state)
{
	return ((struct net *)state)->offered;
}

#define NET_REFUSALS_LOGGED 4

static int net_set_features(void *state, uint64_t features)
{
	struct net *n = state;
	const char *why = net_features_check(features);

	if (why) {
		/* The first few: a guest retrying in a loop must not fill the log. */
		if (n->refusals_logged < NET_REFUSALS_LOGGED)
			n->host->log(n->inst, VOLT_LOG_WARN, "refusing the driver's features 0x%"
				     PRIx64 ": %s (virtio 1.2 5.1.3.1)%s", features, why,
				     ++n->refusals_logged == NET_REFUSALS_LOGGED ?
				     "; further refusals are not logged" : "");
		return -EINVAL;
	}
	atomic_store(&n->features, features);
	return 0;
}

static void net_config_read(void *state, uint32_t offset, void *data, uint32_t len)
{
	struct net *n = state;

	memcpy(data, (const uint8_t *)&n->config + offset, len);
}

#define NET_OFFLOAD_CHANGES   16
#define NET_OFFLOAD_WINDOW_NS (10ULL * 1000000000ULL)
/* The features that decide the backend's offloads: what it may hand the
 * guest (TUNSETOFFLOAD maps the GUEST_* ones). Another bit changing across
 * resets (MRG_RXBUF, EVENT_IDX) is no host event, and must not use up the
 * change budget and have the offloads forced off. */
#define NET_OFFLOAD_FEATURES (NET_F(VIRTIO_NET_F_GUEST_CSUM) | NET_F(VIRTIO_NET_F_GUEST_TSO4) | \
			      NET_F(VIRTIO_NET_F_GUEST_TSO6) | NET_F(VIRTIO_NET_F_GUEST_ECN) | \
			      NET_F(VIRTIO_NET_F_GUEST_UFO))

/* Does the backend have the offloads that features f give? */
static bool net_offloads_match(const struct net *n, uint64_t f)
{
	return n->offloads_known && !((f ^ n->offloads_set) & NET_OFFLOAD_FEATURES);
}

static uint64_t net_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The offloads to give the backend for features `want`: those, unless the
 * guest has changed them NET_OFFLOAD_CHANGES times in this window; then
 * none (right for any feature set: the backend sends whole frames with
 * full checksums) until the window ends. */
static uint64_t net_offloads_allowed(struct net *n, uint64_t want)
{
	uint64_t now;

	if (net_offloads_match(n, want))
		return want;
	now = net_now_ns();   /* only a change counts against the window */
	if (now - n->offload_window_ns >= NET_OFFLOAD_WINDOW_NS) {
		n->offload_window_ns = now;
		n->offload_changes = 0;
	}
	if (n->offload_changes < NET_OFFLOAD_CHANGES) {
		n->offload_changes++;
		return want;
	}
	if (!n->offload_throttle_logged) {
		n->offload_throttle_logged = true;
		n->host->log(n->inst, VOLT_LOG_WARN, "the guest changed its offloads %u times in "
			     "%llu s: offloads off until it stops (each change is a host netlink "
			     "event)", NET_OFFLOAD_CHANGES,
			     (unsigned long long)(NET_OFFLOAD_WINDOW_NS / 1000000000ULL));
	}
	return 0;
}

const char *net_backend_name(const struct net *n)
{
	/* The core's copy of the table: NULL for a backend older than 1.3. */
	const struct volt_net_backend_ops *ops = n->port.ops;
	const char *name = ops && ops->ifname ? ops->ifname(n->port.state) : NULL;

	return name ? name : "the network backend";
}

/* DRIVER_OK. Under the transport's lock: no queue calls from here. */
static int net_activate(void *state)
{
	struct net *n = state;
	uint64_t f = atomic_load(&n->features);
	uint64_t give;
	int r;

	if (n->port.ops->set_offloads) {
		give = net_offloads_allowed(n, n->offloads ? f : 0);
		if (!net_offloads_match(n, give)) {
			r = n->port.ops->set_offloads(n->port.state, give);
			if (r)
				return r; /* the backend said why */
			n->offloads_set = give;
			n->offloads_known = true;
		}
	}
	atomic_store(&n->active, true);
	if (n->dataplane)
		net_dataplane_activate(n);
	else
		net_io_rx_arm(n);
	return 0;
}

static void net_queue_notify(void *state, unsigned queue)
{
	struct net *n = state;

	/* A data plane has the queues (it was kicked too); after a reset
	 * nothing runs until the next DRIVER_OK. */
	if (n->dataplane || !atomic_load(&n->active))
		return;
	if (queue == NET_QUEUE_TX) {
		net_io_tx(n);
	} else if (queue == NET_QUEUE_RX) {
		/* New receive buffers: watch the backend again, and use them. */
		net_io_rx_arm(n);
		net_io_rx(n);
	}
}

static const struct volt_device_ops net_ops = {
	.struct_size = sizeof(struct volt_device_ops),
	.virtio_id = VIRTIO_ID_NET,
	.num_queues = NET_NUM_QUEUES,
	.queue_max_size = NET_QUEUE_SIZE,
	.config_size = NET_CONFIG_SIZE,
	.features = net_features,
	.set_features = net_set_features,
	.config_read = net_config_read,
	.activate = net_activate,
	.queue_notify = net_queue_notify,
};

/* ---- lifecycle --------------------------------------------------------- */

/* The `mac` key, checked here so a bad one stops the VM before it runs. */
static int net_read_mac(struct net *n)
{
	const char *text = n->host->config_get(n->inst, "mac");
	const char *why;

	if (!text) {
		net_mac_random(n->mac);
		return 0;
	}
	if (net_mac_parse(text, n->mac)) {
		n->host->log(n->inst, VOLT_LOG_ERROR, "mac = %s: not a MAC address "
			     "(aa:bb:cc:dd:ee:ff)", text);
		return -EINVAL;
	}
	why = net_mac_unusable(n->mac);
	if (why) {
		n->host->log(n->inst, VOLT_LOG_ERROR, "mac = %s: %s", text, why);
		return -EINVAL;
	}
	return 0;
}

static int net_find_backend(struct net *n)
{
	int r = n->host->net_port(n->inst, &n->port);

	if (r || !n->port.ops) {
		n->host->log(n->inst, VOLT_LOG_ERROR, "no network backend attached (backend = ...)");
		return r ? r : -ENODEV;
	}
	if (n->port.ops->vnet_hdr_len != NET_VNET_HDR_LEN) {
		n->host->log(n->inst, VOLT_LOG_ERROR, "the backend frames packets with a %u-byte "
			     "vnet header; virtio-net needs %zu (struct virtio_net_hdr_v1)",
			     n->port.ops->vnet_hdr_len, NET_VNET_HDR_LEN);
		return -EINVAL;
	}
	n->dataplane = n->port.ops->dataplane_start != NULL;
	n->rx_fd = !n->dataplane && n->port.ops->rx_fd ? n->port.ops->rx_fd(n->port.state) : -1;
	return 0;
}

static int net_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct net *n = calloc(1, sizeof(*n));
	int r;

	if (!n) {
		host->log(inst, VOLT_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	*state = n;
	n->host = host;
	n->inst = inst;
	n->rx_fd = -1;
	net_wake_preinit(&n->dp_wake);
	net_wake_preinit(&n->tx_wake);
	pthread_mutex_init(&n->rx_lock, NULL);
	r = net_rx_init(&n->rx, host, inst, NET_QUEUE_RX);
	if (r) {
		host->log(inst, VOLT_LOG_ERROR, "out of memory");
		return r;
	}
	r = net_read_mac(n);
	if (!r)
		r = net_find_backend(n);
	if (r)
		return r;
	n->mtu = (uint16_t)host->config_get_u64(inst, "mtu");
	n->offloads = host->config_get_bool(inst, "offloads") && n->port.ops->set_offloads;
	n->offered = net_features_offered(n->offloads);
	net_config_fill(&n->config, n->mac, n->mtu);
	return 0;
}

static int net_realize(void *state)
{
	struct net *n = state;
	char mac[18];
	int r = 0;

	net_mac_format(n->mac, mac);
	if (n->port.ops->set_mac) {
		r = n->port.ops->set_mac(n->port.state, n->mac);
		if (r)
			return r; /* the backend said why */
	}
	r = n->dataplane ? net_dataplane_init(n) : net_io_init(n);
	if (r)
		return r;
	n->host->log(n->inst, VOLT_LOG_INFO, "MAC %s, MTU %u, offloads %s%s", mac, n->mtu,
		     n->offloads ? "on" : "off", n->dataplane ? ", kernel data plane" : "");
	return 0;
}

/* The guest reset the device (a vCPU, after the transport's own reset). */
static void net_reset(void *state)
{
	struct net *n = state;

	atomic_store(&n->active, false);
	atomic_fetch_add(&n->gen, 1);
	if (n->dataplane) {
		net_dataplane_reset(n);
	} else {
		net_io_rx_disarm(n);
		net_io_rx_quiesce(n);
		net_io_tx_quiesce(n);
	}
	atomic_store(&n->features, 0);
}

static void net_log_totals(struct net *n)
{
	const struct net_stats *s = &n->stats;
	uint64_t lost = net_stats_dropped(s);

	if (!lost)
		return;
	n->host->log(n->inst, VOLT_LOG_INFO, "%" PRIu64 " frames sent, %" PRIu64 " received, %"
		     PRIu64 " lost:", s->tx_frames, s->rx_frames, lost);
	for (int i = NET_OK + 1; i < NET_EVENT_COUNT; i++)
		if (s->count[i])
			n->host->log(n->inst, VOLT_LOG_INFO, "  %" PRIu64 " x %s", s->count[i],
				     net_event_text(i));
}

static void net_destroy(void *state)
{
	struct net *n = state;

	if (!n)
		return;
	net_log_totals(n);
	net_dataplane_fini(n);
	net_io_fini(n);
	net_rx_fini(&n->rx);
	pthread_mutex_destroy(&n->rx_lock);
	free(n);
}

/* ---- what the sandbox must allow, after lockdown ------------------------ */

static const struct volt_syscall net_syscalls[] = {
	{ "write", VOLT_THREAD_VCPU | VOLT_THREAD_IO, NET_FD_SLOT_DP, NULL, 0,
	  "a kernel data plane's start is handed to the I/O thread through an eventfd" },
	{ "read", VOLT_THREAD_IO, NET_FD_SLOT_DP, NULL, 0,
	  "the I/O thread drains that eventfd" },
	{ "write", VOLT_THREAD_IO, NET_FD_SLOT_TX, NULL, 0,
	  "a transmit run that used up its budget asks the I/O thread to come back" },
	{ "read", VOLT_THREAD_IO, NET_FD_SLOT_TX, NULL, 0,
	  "the I/O thread drains that eventfd, then transmits the rest" },
	{ "epoll_ctl", VOLT_THREAD_VCPU | VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0,
	  "the backend's fd is watched only while the guest has receive buffers" },
};

/* ---- the descriptor ---------------------------------------------------- */

static const struct volt_plugin_desc net_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_DEVICE,
	.name = "virtio-net",
	.version = NET_VERSION,
	.license = "MIT",
	.description = "virtio network device in front of a network backend plugin",
	.keys = net_keys,
	.nkeys = sizeof(net_keys) / sizeof(net_keys[0]),
	.syscalls = net_syscalls,
	.nsyscalls = sizeof(net_syscalls) / sizeof(net_syscalls[0]),
	.create = net_create,
	.realize = net_realize,
	.reset = net_reset,
	.destroy = net_destroy,
	.ops = &net_ops,
};

VOLT_PLUGIN_DEFINE(virtio_net, net_desc)
