/* Drives and interfaces become `[drive "id"]` and `[net "id"]` sections,
 * exactly as the INI file would hold them: the plugin loader checks their
 * keys at InstanceStart the same way for both. */
#include "api/handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json.h"
#include "plugin/keys.h"
#include "util/path.h"

bool api_kvs_add(struct api_kvs *k, const char *key, const char *value,
		 struct api_response *resp)
{
	struct config_kv *kv;

	if (k->n == API_KVS_MAX) {
		api_fault(resp, 400, "volt_keys: more than %d keys.", API_KVS_MAX);
		return false;
	}
	kv = &k->kv[k->n];
	kv->key = strdup(key);
	kv->value = strdup(value);
	kv->line = 0;
	if (!kv->key || !kv->value) {
		free(kv->key);
		free(kv->value);
		api_fault(resp, 500, "Out of memory.");
		return false;
	}
	k->n++;
	return true;
}

void api_kvs_free(struct api_kvs *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->kv[i].key);
		free(k->kv[i].value);
	}
	k->n = 0;
}

static bool api_key_name_valid(const char *key)
{
	if (!key[0] || strlen(key) > 64)
		return false;
	for (const char *p = key; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

static bool api_key_mapped(const char *key, const char *const *mapped)
{
	for (; *mapped; mapped++)
		if (!strcmp(key, *mapped))
			return true;
	return false;
}

/* The text a plugin key takes for a JSON scalar, in buf; NULL if none. */
static const char *api_scalar_text(json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

bool api_kvs_add_extra(struct api_kvs *k, json_t *extra, const char *const *mapped,
		       struct api_response *resp)
{
	const char *key, *text;
	char num[32];
	json_t *v;

	if (!extra)
		return true;
	json_object_foreach(extra, key, v) {
		if (!api_key_name_valid(key)) {
			api_fault(resp, 400, "volt_keys: '%.64s' is not a plugin key name "
				  "([a-z0-9_]+).", key);
			return false;
		}
		if (api_key_mapped(key, mapped)) {
			api_fault(resp, 400, "volt_keys: '%s' is set by its own field, not here.",
				  key);
			return false;
		}
		text = api_scalar_text(v, num, sizeof(num));
		if (!text) {
			api_fault(resp, 400, "volt_keys: '%s' must be a string, a boolean or a "
				  "whole number.", key);
			return false;
		}
		if (!api_kvs_add(k, key, text, resp))
			return false;
	}
	return true;
}

bool api_kvs_commit(struct api_ctx *ctx, const char *kind, const char *route, const char *id,
		    const struct api_kvs *k, struct api_response *resp)
{
	struct volt_err err = { 0 };
	char origin[128];

	/* Messages about the section's values then name the request. */
	snprintf(origin, sizeof(origin), "PUT /%s/%s", route, id);
	if (config_instance_set(ctx->cfg, kind, id, origin, k->kv, k->n, &err)) {
		api_fault(resp, 500, "%s", err.msg);
		return false;
	}
	return true;
}

const char *api_inst_get(const struct config_instance *inst, const char *key)
{
	for (size_t i = 0; i < inst->nkvs; i++)
		if (!strcmp(inst->kvs[i].key, key))
			return inst->kvs[i].value;
	return NULL;
}

bool api_inst_bool(const struct config_instance *inst, const char *key)
{
	const char *v = api_inst_get(inst, key);
	bool b = false;

	/* The plugin reads it with this parser: an INI file's "yes" is true. */
	return v && keys_parse_bool(v, &b) && b;
}

char *api_inst_path(const struct api_ctx *ctx, const struct config_instance *inst,
		    const char *key)
{
	const char *v = api_inst_get(inst, key);

	/* The API stores absolute paths; the INI file's stay as written,
	 * relative to its own directory. */
	return v ? path_resolve(ctx->cfg->base_dir, v) : NULL;
}

json_t *api_inst_extra_json(const struct config_instance *inst, const char *const *mapped)
{
	json_t *o = NULL;

	for (size_t i = 0; i < inst->nkvs; i++) {
		if (api_key_mapped(inst->kvs[i].key, mapped))
			continue;
		if (!o && !(o = json_object()))
			return NULL;
		apij_set(o, inst->kvs[i].key, apij_string(inst->kvs[i].value));
	}
	return o;
}
