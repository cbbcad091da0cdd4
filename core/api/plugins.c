/* GET /plugins (Volt's own): every plugin this volt can load, from the
 * slim build's static table and the plugin directory, each loaded through
 * the registry (so a refused one shows the loader's reason). Loading means
 * opening files, so the list is made before boot only; after boot the API
 * answers with the last list made, or else with the plugins the VM loaded. */
#include "api/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "api/json.h"
#include "plugin/registry.h"
#include "plugin/static_plugins.h"
#include "vm/machine.h"

#define API_PLUGINS_MAX 256

static const char *api_plugin_kind(uint32_t kind)
{
	return kind == VOLT_PLUGIN_NET_BACKEND ? "net-backend" : plugin_kind_name(kind);
}

static json_t *api_plugin_json(const struct plugin *p)
{
	const struct volt_plugin_desc *d = &p->desc;
	json_t *o = json_object();

	if (!o)
		return NULL;
	apij_set(o, "name", apij_string(d->name));
	apij_set(o, "kind", json_string(api_plugin_kind(d->kind)));
	apij_set(o, "version", apij_string(d->version ? d->version : ""));
	apij_set(o, "description", apij_string(d->description ? d->description : ""));
	apij_set(o, "license", apij_string(d->license ? d->license : ""));
	apij_set(o, "file", apij_string(p->file));
	return o;
}

/* Load one and describe it, or say why it was refused. */
static json_t *api_plugin_probe(struct plugin_registry *reg, const char *name)
{
	struct volt_err err = { 0 };
	struct plugin *p;

	if (plugin_registry_get(reg, name, &p, &err) == 0)
		return api_plugin_json(p);
	return json_pack("{s:o, s:o}", "name", apij_string(name), "error", apij_string(err.msg));
}

static json_t *api_plugins_list(const struct volt_config *cfg, struct volt_err *err)
{
	struct plugin_registry reg;
	char *names[API_PLUGINS_MAX];
	json_t *list, *out = NULL;
	size_t n;

	if (plugin_registry_init(&reg, cfg->plugin_dir, volt_static_plugins,
				 volt_static_plugin_count, err))
		return NULL;
	n = plugin_registry_names(&reg, names, API_PLUGINS_MAX);
	list = json_array();
	for (size_t i = 0; list && i < n; i++)
		json_array_append_new(list, api_plugin_probe(&reg, names[i]));
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (list)
		out = json_pack("{s:o, s:o}", "plugin_dir",
				reg.dir ? apij_string(reg.dir) : json_null(), "plugins", list);
	plugin_registry_fini(&reg);
	return out;
}

/* After boot, without a list made before: what the VM loaded. */
static json_t *api_plugins_loaded(const struct api_ctx *ctx)
{
	const struct plugin_registry *reg = &ctx->machine->plugins.reg;
	json_t *list = json_array();

	for (const struct plugin *p = reg->plugins; list && p; p = p->next)
		json_array_append_new(list, api_plugin_json(p));
	return json_pack("{s:o, s:o, s:b}", "plugin_dir", apij_string(reg->dir ? reg->dir : ""),
			 "plugins", list, "loaded_only", 1);
}

void api_get_plugins(struct api_ctx *ctx, const char *id, json_t *body,
		     struct api_response *resp)
{
	struct volt_err err = { 0 };
	json_t *out;

	if (ctx->state == API_VM_NOT_STARTED) {
		out = api_plugins_list(ctx->cfg, &err);
		if (!out) {
			api_fault(resp, 400, "Cannot list the plugins: %s",
				  err.code ? err.msg : "out of memory");
			return;
		}
		free(ctx->plugins_json);
		ctx->plugins_json = json_dumps(out, JSON_COMPACT);
		api_reply_json(resp, 200, out);
		return;
	}
	if (ctx->plugins_json) {
		api_reply_json(resp, 200, json_loads(ctx->plugins_json, 0, NULL));
		return;
	}
	if (!ctx->machine) {
		api_fault(resp, 400, "The plugins are listed before InstanceStart only.");
		return;
	}
	api_reply_json(resp, 200, api_plugins_loaded(ctx));
}
