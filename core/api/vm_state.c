/* PATCH /vm (post-boot): Paused holds every vCPU out of KVM_RUN and
 * answers once they are all held; Resumed lets them go. Devices, I/O
 * threads and the event loop go on: a paused guest just runs no code. */
#include "api/handlers.h"

#include <string.h>

#include "api/json.h"
#include "vm/machine.h"
#include "vm/vcpu.h"

void api_vm_pause(struct api_ctx *ctx)
{
	struct machine *m = ctx->machine;

	for (unsigned i = 0; m && m->vm.vcpus && i < m->vm.nvcpus; i++)
		vcpu_pause(&m->vm.vcpus[i]);
}

void api_vm_resume(struct api_ctx *ctx)
{
	struct machine *m = ctx->machine;

	for (unsigned i = 0; m && m->vm.vcpus && i < m->vm.nvcpus; i++)
		vcpu_resume(&m->vm.vcpus[i]);
}

void api_patch_vm(struct api_ctx *ctx, const char *id, json_t *body, struct api_response *resp)
{
	const char *state = NULL;
	const struct apij_field fields[] = {
		{ "state", APIJ_STRING, true, &state, NULL, 0, 0 },
	};

	if (!apij_unpack(body, fields, 1, resp))
		return;
	if (strcmp(state, "Paused") && strcmp(state, "Resumed")) {
		api_fault(resp, 400, "An error occurred when deserializing the json body of a "
			  "request: unknown variant `%.32s`, expected `Paused` or `Resumed`.", state);
		return;
	}
	if (!api_require_postboot(ctx, resp))
		return;
	if (!strcmp(state, "Paused")) {
		api_vm_pause(ctx);
		ctx->state = API_VM_PAUSED;
	} else {
		api_vm_resume(ctx);
		ctx->state = API_VM_RUNNING;
	}
	api_reply_empty(resp);
}
