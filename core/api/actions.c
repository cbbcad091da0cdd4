/* PUT /actions: InstanceStart (pre-boot), SendCtrlAltDel (post-boot) and
 * FlushMetrics (either). */
#include "api/handlers.h"

#include <string.h>

#include "api/json.h"
#include "devices/i8042.h"
#include "vm/machine.h"

static void api_instance_start(struct api_ctx *ctx, struct api_response *resp)
{
	if (!api_require_preboot(ctx, resp) || !api_prepare_boot(ctx, resp))
		return;
	if (!ctx->boot) {
		/* No one to build it (tests, fuzzers): the checks were the point. */
		ctx->state = API_VM_RUNNING;
		ctx->counters.actions++;
		api_reply_empty(resp);
		return;
	}
	if (ctx->boot(ctx->boot_opaque)) {
		api_fault(resp, 500, "Cannot hand the configuration over to be built.");
		return;
	}
	ctx->state = API_VM_STARTING;
	resp->pending = true;
}

static void api_ctrl_alt_del(struct api_ctx *ctx, struct api_response *resp)
{
	if (!api_require_postboot(ctx, resp))
		return;
	if (ctx->machine)
		i8042_send_ctrl_alt_del(ctx->machine->i8042);
	ctx->counters.actions++;
	api_reply_empty(resp);
}

static void api_flush_metrics(struct api_ctx *ctx, struct api_response *resp)
{
	char msg[256];

	if (api_metrics_flush(ctx, msg, sizeof(msg))) {
		api_fault(resp, 400, "%s", msg);
		return;
	}
	ctx->counters.actions++;
	api_reply_empty(resp);
}

void api_put_actions(struct api_ctx *ctx, const char *id, json_t *body,
		     struct api_response *resp)
{
	const char *type = NULL;
	const struct apij_field fields[] = {
		{ "action_type", APIJ_STRING, true, &type, NULL, 0, 0 },
	};

	if (!apij_unpack(body, fields, 1, resp))
		return;
	if (!strcmp(type, "InstanceStart"))
		api_instance_start(ctx, resp);
	else if (!strcmp(type, "SendCtrlAltDel"))
		api_ctrl_alt_del(ctx, resp);
	else if (!strcmp(type, "FlushMetrics"))
		api_flush_metrics(ctx, resp);
	else
		api_fault(resp, 400, "An error occurred when deserializing the json body of a "
			  "request: unknown variant `%.32s`, expected one of `FlushMetrics`, "
			  "`InstanceStart`, `SendCtrlAltDel`.", type);
}
