/* GET /, GET /version and GET /vm/config. */
#include "api/handlers.h"

#include "api/json.h"

#ifndef VOLT_VERSION
#define VOLT_VERSION "unknown"
#endif

static const char *api_state_name(enum api_vm_state s)
{
	switch (s) {
	case API_VM_RUNNING: return "Running";
	case API_VM_PAUSED: return "Paused";
	case API_VM_NOT_STARTED:
	case API_VM_STARTING:
		break;
	}
	return "Not started";
}

void api_get_instance_info(struct api_ctx *ctx, const char *id, json_t *body,
			   struct api_response *resp)
{
	api_reply_json(resp, 200, json_pack("{s:s, s:s, s:s, s:s}", "id", API_INSTANCE_ID,
					    "state", api_state_name(ctx->state),
					    "vmm_version", VOLT_VERSION, "app_name", "volt"));
}

/* Firecracker's one field holds Volt's version: it is the VMM's version
 * that clients log and compare, and Volt follows its API, not its releases. */
void api_get_version(struct api_ctx *ctx, const char *id, json_t *body,
		     struct api_response *resp)
{
	api_reply_json(resp, 200, json_pack("{s:s, s:s}", "firecracker_version", VOLT_VERSION,
					    "vmm_version", VOLT_VERSION));
}

void api_get_vm_config(struct api_ctx *ctx, const char *id, json_t *body,
		       struct api_response *resp)
{
	json_t *out = json_object();

	if (!out) {
		api_fault(resp, 500, "Out of memory.");
		return;
	}
	apij_set(out, "machine-config", api_machine_config_json(ctx));
	if (ctx->cfg->kernel)
		apij_set(out, "boot-source", api_boot_source_json(ctx));
	apij_set(out, "drives", api_drives_json(ctx));
	apij_set(out, "network-interfaces", api_nets_json(ctx));
	if (ctx->logger.set)
		apij_set(out, "logger", api_logger_json(ctx));
	if (ctx->metrics_path)
		apij_set(out, "metrics", json_pack("{s:o}", "metrics_path",
						   apij_string(ctx->metrics_path)));
	api_reply_json(resp, 200, out);
}
