/* Path and method dispatch, in Firecracker's order: a GET with a body and
 * a PUT or PATCH without one are refused first, then the path and method
 * are looked up, the resource ID checked, the body parsed, and the
 * handler called. Every refusal is a 400 with a fault_message, as
 * Firecracker answers (it has no 404 or 405). */
#include "api/handlers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json.h"

struct api_route {
	const char *path;       /* without the leading '/' and the ID */
	bool has_id;            /* "/drives/{drive_id}" */
	enum api_method method;
	api_handler_fn *fn;
};

static const struct api_route api_routes[] = {
	{ "",                   false, API_GET,   api_get_instance_info },
	{ "version",            false, API_GET,   api_get_version },
	{ "machine-config",     false, API_GET,   api_get_machine_config },
	{ "machine-config",     false, API_PUT,   api_put_machine_config },
	{ "machine-config",     false, API_PATCH, api_patch_machine_config },
	{ "boot-source",        false, API_PUT,   api_put_boot_source },
	{ "drives",             true,  API_PUT,   api_put_drive },
	{ "drives",             true,  API_PATCH, api_patch_drive },
	{ "network-interfaces", true,  API_PUT,   api_put_net },
	{ "network-interfaces", true,  API_PATCH, api_patch_net },
	{ "actions",            false, API_PUT,   api_put_actions },
	{ "vm",                 false, API_PATCH, api_patch_vm },
	{ "vm/config",          false, API_GET,   api_get_vm_config },
	{ "logger",             false, API_PUT,   api_put_logger },
	{ "metrics",            false, API_PUT,   api_put_metrics },
	{ "plugins",            false, API_GET,   api_get_plugins },   /* Volt's own */
};

#define API_NROUTES (sizeof(api_routes) / sizeof(api_routes[0]))
#define API_PATH_MAX 256

/* ---- responses ---- */

void api_reply_empty(struct api_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->status = 204;
}

void api_reply_json(struct api_response *resp, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (!text) {
		api_fault(resp, 500, "Out of memory.");
		return;
	}
	free(resp->body);
	resp->body = text;
	resp->status = status;
}

void api_fault(struct api_response *resp, unsigned status, const char *fmt, ...)
{
	char msg[768];
	json_t *obj;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote what the client sent, which need not be text. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	free(resp->body);
	resp->status = status;
	obj = json_pack("{s:s}", "fault_message", msg);
	resp->body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
}

bool api_require_preboot(const struct api_ctx *ctx, struct api_response *resp)
{
	if (ctx->state == API_VM_NOT_STARTED)
		return true;
	api_fault(resp, 400, "The requested operation is not supported after starting the "
		  "microVM.");
	return false;
}

bool api_require_postboot(const struct api_ctx *ctx, struct api_response *resp)
{
	if (ctx->state == API_VM_RUNNING || ctx->state == API_VM_PAUSED)
		return true;
	api_fault(resp, 400, "The requested operation is not supported before starting the "
		  "microVM.");
	return false;
}

/* ---- dispatch ---- */

static void api_bad_path(const struct api_request *req, struct api_response *resp)
{
	api_fault(resp, 400, "Invalid request method and/or path: %.16s %.200s.",
		  req->method_name ? req->method_name : "?", req->path);
}

/* Split "/drives/rootfs/" into "drives" and "rootfs". A route without an
 * ID must match whole; one with an ID takes the next segment and nothing
 * after it. *id is NULL when the path ends before the ID. */
static const struct api_route *api_route_find(const struct api_request *req, char *buf,
					      const char **id)
{
	size_t len;

	*id = NULL;
	if (req->path[0] != '/' || strlen(req->path) >= API_PATH_MAX)
		return NULL;
	strcpy(buf, req->path + 1);
	len = strlen(buf);
	if (len && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (size_t i = 0; i < API_NROUTES; i++) {
		const struct api_route *r = &api_routes[i];
		size_t n = strlen(r->path);
		const char *rest = buf + n;

		if (strncmp(buf, r->path, n))
			continue;
		if (r->has_id ? (*rest && *rest != '/') || (*rest && strchr(rest + 1, '/')) : *rest)
			continue;
		if (r->method != req->method)
			continue;
		*id = *rest ? rest + 1 : NULL;
		return r;
	}
	return NULL;
}

static bool api_check_id(const struct api_route *r, const char *id, struct api_response *resp)
{
	if (!r->has_id)
		return true;
	if (!id || !id[0]) {
		api_fault(resp, 400, "The ID cannot be empty.");
		return false;
	}
	if (!apij_id_valid(id)) {
		api_fault(resp, 400, "API Resource IDs can only contain alphanumeric characters "
			  "and underscores.");
		return false;
	}
	return true;
}

static void api_route_call(struct api_ctx *ctx, const struct api_request *req,
			   struct api_response *resp)
{
	char buf[API_PATH_MAX];
	const struct api_route *r;
	json_t *body = NULL;
	const char *id;

	if (req->method == API_GET && req->body_len) {
		api_fault(resp, 400, "GET request cannot have a body.");
		return;
	}
	if ((req->method == API_PUT || req->method == API_PATCH) && !req->body_len) {
		api_fault(resp, 400, "Empty %s request.", req->method == API_PUT ? "PUT" : "PATCH");
		return;
	}
	r = api_route_find(req, buf, &id);
	if (!r) {
		api_bad_path(req, resp);
		return;
	}
	if (!api_check_id(r, id, resp))
		return;
	if (req->body_len && !(body = apij_parse_object(req->body, req->body_len, resp)))
		return;
	r->fn(ctx, id, body, resp);
	json_decref(body);
}

void api_dispatch(struct api_ctx *ctx, const struct api_request *req,
		  struct api_response *resp)
{
	resp->status = 500;
	resp->body = NULL;
	resp->pending = false;
	ctx->counters.requests++;
	if (req->method == API_GET)
		ctx->counters.by_method[0]++;
	else if (req->method == API_PUT)
		ctx->counters.by_method[1]++;
	else if (req->method == API_PATCH)
		ctx->counters.by_method[2]++;
	api_route_call(ctx, req, resp);
	if (!resp->pending && resp->status >= 400)
		ctx->counters.errors++;
}
