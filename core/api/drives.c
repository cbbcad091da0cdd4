/* PUT /drives/{drive_id} (pre-boot) makes a `[drive "id"]` section:
 *   volt_plugin (Volt's own, default virtio-blk) -> plugin
 *   path_on_host -> path (made absolute; checked readable, and writable
 *                   unless read-only)
 *   is_read_only -> read_only
 *   volt_keys    -> the plugin's other keys
 * is_root_device, partuuid, cache_type and io_engine stay with the API: the
 * root drive goes first and is named on the command line at boot. Both
 * cache types map to virtio-blk's writeback (flushes honoured, which is
 * safer than Unsafe asks for); both I/O engines run on the device's own
 * I/O thread. PATCH (post-boot) cannot swap a drive's file or limit its
 * rate: Volt's block plugin has no such operation. */
#include "api/handlers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/json.h"
#include "plugin/registry.h"

#define API_DRIVE_PLUGIN "virtio-blk"

static const char *const api_drive_mapped[] = { "plugin", "path", "read_only", NULL };

struct api_drive_in {
	const char *drive_id, *path, *partuuid, *cache_type, *io_engine, *socket, *plugin;
	bool is_root, read_only, has_path, has_ro, has_limiter;
	json_t *limiter, *extra;
};

static json_t *api_drive_json(const struct api_ctx *ctx, const struct config_instance *inst)
{
	const struct api_drive_meta *m = NULL;
	const char *plugin = api_inst_get(inst, "plugin");
	char *path = api_inst_path(ctx, inst, "path");
	json_t *o = json_object();

	for (size_t i = 0; i < ctx->ndrives; i++)
		if (!strcmp(ctx->drives[i].id, inst->id))
			m = &ctx->drives[i];
	if (!o) {
		free(path);
		return NULL;
	}
	apij_set(o, "drive_id", apij_string(inst->id));
	if (m && m->partuuid)
		apij_set(o, "partuuid", apij_string(m->partuuid));
	apij_set(o, "is_root_device", json_boolean(m && m->is_root_device));
	apij_set(o, "cache_type", json_string(m ? m->cache_type : "Writeback"));
	apij_set(o, "is_read_only", json_boolean(api_inst_bool(inst, "read_only")));
	if (path)
		apij_set(o, "path_on_host", apij_string(path));
	free(path);
	apij_set(o, "io_engine", json_string(m ? m->io_engine : "Sync"));
	apij_set(o, "volt_plugin", apij_string(plugin ? plugin : API_DRIVE_PLUGIN));
	apij_set(o, "volt_keys", api_inst_extra_json(inst, api_drive_mapped));
	return o;
}

json_t *api_drives_json(const struct api_ctx *ctx)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < ctx->cfg->ninstances; i++)
		if (!strcmp(ctx->cfg->instances[i].kind, "drive"))
			json_array_append_new(arr, api_drive_json(ctx, &ctx->cfg->instances[i]));
	return arr;
}

static bool api_drive_parse(json_t *body, struct api_drive_in *in, struct api_response *resp)
{
	const struct apij_field fields[] = {
		{ "drive_id", APIJ_STRING, true, &in->drive_id, NULL, 0, 0 },
		{ "is_root_device", APIJ_BOOL, true, &in->is_root, NULL, 0, 0 },
		{ "path_on_host", APIJ_STRING, false, &in->path, &in->has_path, 0, 0 },
		{ "is_read_only", APIJ_BOOL, false, &in->read_only, &in->has_ro, 0, 0 },
		{ "partuuid", APIJ_STRING, false, &in->partuuid, NULL, 0, 0 },
		{ "cache_type", APIJ_STRING, false, &in->cache_type, NULL, 0, 0 },
		{ "io_engine", APIJ_STRING, false, &in->io_engine, NULL, 0, 0 },
		{ "rate_limiter", APIJ_OBJECT, false, &in->limiter, &in->has_limiter, 0, 0 },
		{ "socket", APIJ_STRING, false, &in->socket, NULL, 0, 0 },
		{ "volt_plugin", APIJ_STRING, false, &in->plugin, NULL, 0, 0 },
		{ "volt_keys", APIJ_OBJECT, false, &in->extra, NULL, 0, 0 },
	};

	return apij_unpack(body, fields, sizeof(fields) / sizeof(fields[0]), resp);
}

static bool api_enum_ok(const char *field, const char *v, const char *a, const char *b,
			struct api_response *resp)
{
	if (!strcmp(v, a) || !strcmp(v, b))
		return true;
	api_fault(resp, 400, "An error occurred when deserializing the json body of a request: "
		  "field `%s`: unknown variant `%.32s`, expected `%s` or `%s`.", field, v, a, b);
	return false;
}

/* A partition UUID as the kernel's root=PARTUUID= takes it: hex digits and
 * dashes (36 for GPT, "SSSSSSSS-PP" for MBR), optionally /PARTNROFF=N. It
 * goes onto the kernel command line, so nothing else may pass. */
static bool api_partuuid_ok(const char *p)
{
	size_t n = strspn(p, "0123456789abcdefABCDEF-");
	const char *off = p + n;

	if (n == 0 || n > 36)
		return false;
	if (!*off)
		return true;
	if (strncmp(off, "/PARTNROFF=", 11))
		return false;
	off += 11;
	if (*off == '-')
		off++;
	n = strspn(off, "0123456789");
	return n > 0 && n <= 3 && !off[n];
}

/* Everything Firecracker would refuse, and what Volt cannot do. */
static bool api_drive_check(struct api_ctx *ctx, const char *id, const struct api_drive_in *in,
			    struct api_response *resp)
{
	if (strcmp(in->drive_id, id)) {
		api_fault(resp, 400, "The id from the path does not match the id from the body!");
		return false;
	}
	if ((in->cache_type && !api_enum_ok("cache_type", in->cache_type, "Unsafe", "Writeback",
					    resp)) ||
	    (in->io_engine && !api_enum_ok("io_engine", in->io_engine, "Sync", "Async", resp)))
		return false;
	if (!api_require_preboot(ctx, resp))
		return false;
	if (in->has_limiter) {
		api_fault(resp, 400, "rate_limiter: Volt does not limit drive rates.");
		return false;
	}
	if (in->socket) {
		api_fault(resp, 400, "socket: Volt has no vhost-user block devices; give "
			  "path_on_host.");
		return false;
	}
	if (in->partuuid && !api_partuuid_ok(in->partuuid)) {
		api_fault(resp, 400, "partuuid: '%.64s' is not a partition UUID (hex digits and "
			  "'-', at most 36, optionally /PARTNROFF=N).", in->partuuid);
		return false;
	}
	if (in->plugin && !plugin_name_valid(in->plugin)) {
		api_fault(resp, 400, "volt_plugin: '%.64s' is not a plugin name ([a-z0-9-]+).",
			  in->plugin);
		return false;
	}
	if (!in->has_path && !in->plugin) {
		api_fault(resp, 400, "An error occurred when deserializing the json body of a "
			  "request: missing field `path_on_host`.");
		return false;
	}
	for (size_t i = 0; in->is_root && i < ctx->ndrives; i++) {
		if (ctx->drives[i].is_root_device && strcmp(ctx->drives[i].id, id) &&
		    config_instance_find(ctx->cfg, "drive", ctx->drives[i].id)) {
			api_fault(resp, 400, "A root block device already exists!");
			return false;
		}
	}
	return true;
}

static bool api_drive_file_ok(const char *path, bool read_only, struct api_response *resp)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, read_only ? R_OK : R_OK | W_OK) < 0) {
		api_fault(resp, 400, "Unable to open the drive's backing file %s: %s", path,
			  strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		api_fault(resp, 400, "The drive's backing file %s is neither a regular file nor "
			  "a block device.", path);
		return false;
	}
	return true;
}

static bool api_drive_meta_set(struct api_ctx *ctx, const char *id,
			       const struct api_drive_in *in, struct api_response *resp)
{
	struct api_drive_meta *m = api_drive_meta(ctx, id, true);
	char *partuuid = in->partuuid ? strdup(in->partuuid) : NULL;

	if (!m || (in->partuuid && !partuuid)) {
		free(partuuid);
		api_fault(resp, 500, "Out of memory.");
		return false;
	}
	free(m->partuuid);
	m->partuuid = partuuid;
	m->is_root_device = in->is_root;
	m->cache_type = in->cache_type && !strcmp(in->cache_type, "Writeback") ? "Writeback"
									    : "Unsafe";
	m->io_engine = in->io_engine && !strcmp(in->io_engine, "Async") ? "Async" : "Sync";
	return true;
}

void api_put_drive(struct api_ctx *ctx, const char *id, json_t *body, struct api_response *resp)
{
	struct api_drive_in in = { 0 };
	struct api_kvs kvs = { .n = 0 };
	char *path = NULL;

	if (!api_drive_parse(body, &in, resp) || !api_drive_check(ctx, id, &in, resp))
		return;
	if (in.has_path && !(path = api_abs_path(ctx, in.path))) {
		api_fault(resp, 500, "Out of memory.");
		return;
	}
	if ((!path || api_drive_file_ok(path, in.read_only, resp)) &&
	    api_kvs_add(&kvs, "plugin", in.plugin ? in.plugin : API_DRIVE_PLUGIN, resp) &&
	    (!path || api_kvs_add(&kvs, "path", path, resp)) &&
	    (!in.has_ro || api_kvs_add(&kvs, "read_only", in.read_only ? "true" : "false", resp)) &&
	    api_kvs_add_extra(&kvs, in.extra, api_drive_mapped, resp) &&
	    api_drive_meta_set(ctx, id, &in, resp) &&
	    api_kvs_commit(ctx, "drive", "drives", id, &kvs, resp))
		api_reply_empty(resp);
	api_kvs_free(&kvs);
	free(path);
}

void api_patch_drive(struct api_ctx *ctx, const char *id, json_t *body,
		     struct api_response *resp)
{
	const char *drive_id = NULL, *path = NULL;
	json_t *limiter = NULL;
	const struct apij_field fields[] = {
		{ "drive_id", APIJ_STRING, true, &drive_id, NULL, 0, 0 },
		{ "path_on_host", APIJ_STRING, false, &path, NULL, 0, 0 },
		{ "rate_limiter", APIJ_OBJECT, false, &limiter, NULL, 0, 0 },
	};
	const struct config_instance *inst;
	char *abs = NULL, *now;

	if (!apij_unpack(body, fields, sizeof(fields) / sizeof(fields[0]), resp))
		return;
	if (strcmp(drive_id, id)) {
		api_fault(resp, 400, "The id from the path does not match the id from the body!");
		return;
	}
	if (!api_require_postboot(ctx, resp))
		return;
	inst = config_instance_find(ctx->cfg, "drive", id);
	if (!inst) {
		api_fault(resp, 400, "Invalid block device ID: %s.", id);
		return;
	}
	if (limiter) {
		api_fault(resp, 400, "rate_limiter: Volt does not limit drive rates.");
		return;
	}
	now = api_inst_path(ctx, inst, "path");
	if (path && (!(abs = api_abs_path(ctx, path)) || !now || strcmp(abs, now))) {
		const char *plugin = api_inst_get(inst, "plugin");

		api_fault(resp, 400, "path_on_host: the drive's plugin (%s) cannot change its "
			  "backing file while the VM runs.", plugin ? plugin : API_DRIVE_PLUGIN);
		free(abs);
		free(now);
		return;
	}
	free(abs);
	free(now);
	api_reply_empty(resp);
}
