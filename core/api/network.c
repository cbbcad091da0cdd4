/* PUT /network-interfaces/{iface_id} (pre-boot) makes a `[net "id"]`
 * section:
 *   volt_plugin  (Volt's own, default virtio-net) -> plugin
 *   volt_backend (Volt's own, default net-tap)    -> backend
 *   host_dev_name -> tap (net-tap, net-vhost) or link (net-macvtap: an
 *                    existing macvtap link)
 *   guest_mac     -> mac
 *   mtu           -> mtu
 *   volt_keys     -> the plugins' other keys
 * The tap device is opened at InstanceStart (the backend's realize), so a
 * missing or busy tap is InstanceStart's 400. PATCH (post-boot) only
 * updates rate limiters in Firecracker, and Volt has none. */
#include "api/handlers.h"

#include <ctype.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json.h"
#include "plugin/registry.h"

#define API_NET_PLUGIN "virtio-net"
#define API_NET_BACKEND "net-tap"
#define API_MTU_MIN 68
#define API_MTU_MAX 65535

/* The backend's key for the host device. */
static const char *api_net_dev_key(const char *backend)
{
	return backend && !strcmp(backend, "net-macvtap") ? "link" : "tap";
}

/* The keys the fields set, for a backend. */
static void api_net_mapped(const char *backend, const char *mapped[6])
{
	mapped[0] = "plugin";
	mapped[1] = "backend";
	mapped[2] = api_net_dev_key(backend);
	mapped[3] = "mac";
	mapped[4] = "mtu";
	mapped[5] = NULL;
}

struct api_net_in {
	const char *iface_id, *host_dev, *mac, *plugin, *backend;
	uint64_t mtu;
	bool has_mtu, has_rx, has_tx;
	json_t *rx, *tx, *extra;
};

static json_t *api_net_json(const struct config_instance *inst)
{
	const char *backend = api_inst_get(inst, "backend"), *mac = api_inst_get(inst, "mac");
	const char *tap = api_inst_get(inst, api_net_dev_key(backend));
	const char *mtu = api_inst_get(inst, "mtu"), *plugin = api_inst_get(inst, "plugin");
	const char *mapped[6];
	json_t *o = json_object();

	if (!o)
		return NULL;
	api_net_mapped(backend, mapped);
	apij_set(o, "iface_id", apij_string(inst->id));
	apij_set(o, "host_dev_name", apij_string(tap ? tap : ""));
	if (mac)
		apij_set(o, "guest_mac", apij_string(mac));
	if (mtu)
		apij_set(o, "mtu", json_integer(strtoll(mtu, NULL, 0)));
	apij_set(o, "volt_plugin", apij_string(plugin ? plugin : API_NET_PLUGIN));
	apij_set(o, "volt_backend", apij_string(backend ? backend : API_NET_BACKEND));
	apij_set(o, "volt_keys", api_inst_extra_json(inst, mapped));
	return o;
}

json_t *api_nets_json(const struct api_ctx *ctx)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < ctx->cfg->ninstances; i++)
		if (!strcmp(ctx->cfg->instances[i].kind, "net"))
			json_array_append_new(arr, api_net_json(&ctx->cfg->instances[i]));
	return arr;
}

/* aa:bb:cc:dd:ee:ff, hex digits in either case. */
static bool api_mac_valid(const char *mac)
{
	if (strlen(mac) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
			return false;
	}
	return true;
}

static bool api_net_parse(json_t *body, struct api_net_in *in, struct api_response *resp)
{
	const struct apij_field fields[] = {
		{ "iface_id", APIJ_STRING, true, &in->iface_id, NULL, 0, 0 },
		{ "host_dev_name", APIJ_STRING, true, &in->host_dev, NULL, 0, 0 },
		{ "guest_mac", APIJ_STRING, false, &in->mac, NULL, 0, 0 },
		{ "mtu", APIJ_UINT, false, &in->mtu, &in->has_mtu, API_MTU_MIN, API_MTU_MAX },
		{ "rx_rate_limiter", APIJ_OBJECT, false, &in->rx, &in->has_rx, 0, 0 },
		{ "tx_rate_limiter", APIJ_OBJECT, false, &in->tx, &in->has_tx, 0, 0 },
		{ "volt_plugin", APIJ_STRING, false, &in->plugin, NULL, 0, 0 },
		{ "volt_backend", APIJ_STRING, false, &in->backend, NULL, 0, 0 },
		{ "volt_keys", APIJ_OBJECT, false, &in->extra, NULL, 0, 0 },
	};

	return apij_unpack(body, fields, sizeof(fields) / sizeof(fields[0]), resp);
}

/* Another interface already using the tap or the MAC. */
static bool api_net_unique(const struct api_ctx *ctx, const char *id, const char *key,
			   const char *value)
{
	for (size_t i = 0; value && i < ctx->cfg->ninstances; i++) {
		const struct config_instance *o = &ctx->cfg->instances[i];
		const char *v = strcmp(o->kind, "net") || !strcmp(o->id, id) ? NULL
									   : api_inst_get(o, key);

		if (v && !strcasecmp(v, value))
			return false;
	}
	return true;
}

static bool api_net_check(struct api_ctx *ctx, const char *id, const struct api_net_in *in,
			  struct api_response *resp)
{
	if (strcmp(in->iface_id, id)) {
		api_fault(resp, 400, "The id from the path does not match the id from the body!");
		return false;
	}
	if (!api_require_preboot(ctx, resp))
		return false;
	if (in->has_rx || in->has_tx) {
		api_fault(resp, 400, "%s: Volt does not limit interface rates.",
			  in->has_rx ? "rx_rate_limiter" : "tx_rate_limiter");
		return false;
	}
	if (!in->host_dev[0] || strlen(in->host_dev) >= IFNAMSIZ || strchr(in->host_dev, '/')) {
		api_fault(resp, 400, "host_dev_name: '%.32s' is not an interface name (1 to %d "
			  "bytes, no '/').", in->host_dev, IFNAMSIZ - 1);
		return false;
	}
	if (in->mac && !api_mac_valid(in->mac)) {
		api_fault(resp, 400, "guest_mac: '%.32s' is not a MAC address "
			  "(aa:bb:cc:dd:ee:ff).", in->mac);
		return false;
	}
	if (in->plugin && !plugin_name_valid(in->plugin)) {
		api_fault(resp, 400, "volt_plugin: '%.64s' is not a plugin name ([a-z0-9-]+).",
			  in->plugin);
		return false;
	}
	if (in->backend && !plugin_name_valid(in->backend)) {
		api_fault(resp, 400, "volt_backend: '%.64s' is not a plugin name ([a-z0-9-]+).",
			  in->backend);
		return false;
	}
	if (!api_net_unique(ctx, id, api_net_dev_key(in->backend), in->host_dev)) {
		api_fault(resp, 400, "The host device %s is already used by another interface.",
			  in->host_dev);
		return false;
	}
	if (!api_net_unique(ctx, id, "mac", in->mac)) {
		api_fault(resp, 400, "The MAC address %s is already in use.", in->mac);
		return false;
	}
	return true;
}

void api_put_net(struct api_ctx *ctx, const char *id, json_t *body, struct api_response *resp)
{
	struct api_net_in in = { 0 };
	struct api_kvs kvs = { .n = 0 };
	const char *mapped[6];
	char mtu[16];

	if (!api_net_parse(body, &in, resp) || !api_net_check(ctx, id, &in, resp))
		return;
	if (!in.backend)
		in.backend = API_NET_BACKEND;
	api_net_mapped(in.backend, mapped);
	snprintf(mtu, sizeof(mtu), "%u", (unsigned)in.mtu);
	if (api_kvs_add(&kvs, "plugin", in.plugin ? in.plugin : API_NET_PLUGIN, resp) &&
	    api_kvs_add(&kvs, "backend", in.backend, resp) &&
	    api_kvs_add(&kvs, mapped[2], in.host_dev, resp) &&
	    (!in.mac || api_kvs_add(&kvs, "mac", in.mac, resp)) &&
	    (!in.has_mtu || api_kvs_add(&kvs, "mtu", mtu, resp)) &&
	    api_kvs_add_extra(&kvs, in.extra, mapped, resp) &&
	    api_kvs_commit(ctx, "net", "network-interfaces", id, &kvs, resp))
		api_reply_empty(resp);
	api_kvs_free(&kvs);
}

void api_patch_net(struct api_ctx *ctx, const char *id, json_t *body, struct api_response *resp)
{
	const char *iface_id = NULL;
	json_t *rx = NULL, *tx = NULL;
	const struct apij_field fields[] = {
		{ "iface_id", APIJ_STRING, true, &iface_id, NULL, 0, 0 },
		{ "rx_rate_limiter", APIJ_OBJECT, false, &rx, NULL, 0, 0 },
		{ "tx_rate_limiter", APIJ_OBJECT, false, &tx, NULL, 0, 0 },
	};

	if (!apij_unpack(body, fields, sizeof(fields) / sizeof(fields[0]), resp))
		return;
	if (strcmp(iface_id, id)) {
		api_fault(resp, 400, "The id from the path does not match the id from the body!");
		return;
	}
	if (!api_require_postboot(ctx, resp))
		return;
	if (!config_instance_find(ctx->cfg, "net", id)) {
		api_fault(resp, 400, "Invalid network interface ID: %s.", id);
		return;
	}
	if (rx || tx) {
		api_fault(resp, 400, "%s: Volt does not limit interface rates.",
			  rx ? "rx_rate_limiter" : "tx_rate_limiter");
		return;
	}
	api_reply_empty(resp);
}
