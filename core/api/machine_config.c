/* GET, PUT and PATCH /machine-config: vcpu_count and mem_size_mib go to
 * [vm] vcpus and memory_mib. Volt has no SMT topology, no dirty page
 * tracking and no hugetlbfs guest memory (transparent huge pages are
 * [vm] huge_pages, from the INI file or the command line), so those fields
 * take only their defaults and anything else is refused with the reason.
 * PUT sets every field (omitted ones to their defaults), PATCH only those
 * given; both are pre-boot only, and a bad field changes nothing. */
#include "api/handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/json.h"

struct api_machine_in {
	uint64_t vcpus, mem_mib;
	bool smt, dirty;
	const char *huge_pages, *cpu_template;
	bool has_vcpus, has_mem, has_smt, has_dirty, has_huge, has_template;
};

json_t *api_machine_config_json(const struct api_ctx *ctx)
{
	return json_pack("{s:I, s:I, s:b, s:b, s:s}", "vcpu_count", (json_int_t)ctx->cfg->vcpus,
			 "mem_size_mib", (json_int_t)ctx->cfg->memory_mib, "smt", ctx->smt,
			 "track_dirty_pages", ctx->track_dirty_pages, "huge_pages", ctx->huge_pages);
}

void api_get_machine_config(struct api_ctx *ctx, const char *id, json_t *body,
			    struct api_response *resp)
{
	api_reply_json(resp, 200, api_machine_config_json(ctx));
}

static bool api_machine_parse(json_t *body, bool put, struct api_machine_in *in,
			      struct api_response *resp)
{
	const struct apij_field fields[] = {
		{ "vcpu_count", APIJ_UINT, put, &in->vcpus, &in->has_vcpus, 0, UINT32_MAX },
		{ "mem_size_mib", APIJ_UINT, put, &in->mem_mib, &in->has_mem, 0, UINT64_MAX >> 20 },
		{ "smt", APIJ_BOOL, false, &in->smt, &in->has_smt, 0, 0 },
		{ "track_dirty_pages", APIJ_BOOL, false, &in->dirty, &in->has_dirty, 0, 0 },
		{ "huge_pages", APIJ_STRING, false, &in->huge_pages, &in->has_huge, 0, 0 },
		{ "cpu_template", APIJ_STRING, false, &in->cpu_template, &in->has_template, 0, 0 },
	};

	return apij_unpack(body, fields, sizeof(fields) / sizeof(fields[0]), resp);
}

/* Everything Volt cannot give is refused here, before anything changes. */
static bool api_machine_check(const struct api_machine_in *in, struct api_response *resp)
{
	if (in->has_vcpus && (in->vcpus < 1 || in->vcpus > CONFIG_VCPUS_MAX)) {
		api_fault(resp, 400, "The vCPU number is invalid: %" PRIu64 "; Volt takes 1 to "
			  "%d.", in->vcpus, CONFIG_VCPUS_MAX);
		return false;
	}
	if (in->has_mem && (in->mem_mib < CONFIG_MEMORY_MIB_MIN ||
			    in->mem_mib > CONFIG_MEMORY_MIB_MAX)) {
		api_fault(resp, 400, "The memory size (MiB) is invalid: %" PRIu64 "; Volt takes "
			  "%d to %d.", in->mem_mib, CONFIG_MEMORY_MIB_MIN, CONFIG_MEMORY_MIB_MAX);
		return false;
	}
	if (in->has_smt && in->smt) {
		api_fault(resp, 400, "smt: Volt gives the guest no SMT topology; set it to false.");
		return false;
	}
	if (in->has_dirty && in->dirty) {
		api_fault(resp, 400, "track_dirty_pages: Volt takes no snapshots and tracks no "
			  "dirty pages; set it to false.");
		return false;
	}
	if (in->has_huge && strcmp(in->huge_pages, "None")) {
		if (strcmp(in->huge_pages, "2M") && strcmp(in->huge_pages, "Transparent"))
			api_fault(resp, 400, "An error occurred when deserializing the json body of "
				  "a request: unknown variant `%.32s`, expected one of `None`, "
				  "`Transparent`, `2M`.", in->huge_pages);
		else
			api_fault(resp, 400, "huge_pages: Volt has no hugetlbfs guest memory; use "
				  "None (transparent huge pages follow [vm] huge_pages).");
		return false;
	}
	if (in->has_template && strcmp(in->cpu_template, "None")) {
		api_fault(resp, 400, "cpu_template: Volt has no CPU templates (it filters CPUID "
			  "with one fixed rule table); use None.");
		return false;
	}
	return true;
}

/* Cannot fail: the values were checked (and config_set_from checks again). */
static void api_machine_apply(struct api_ctx *ctx, const struct api_machine_in *in)
{
	char text[32];

	if (in->has_vcpus) {
		snprintf(text, sizeof(text), "%" PRIu64, in->vcpus);
		config_set_from(ctx->cfg, "machine-config: vcpu_count", "vm", "vcpus", text, NULL);
	}
	if (in->has_mem) {
		snprintf(text, sizeof(text), "%" PRIu64, in->mem_mib);
		config_set_from(ctx->cfg, "machine-config: mem_size_mib", "vm", "memory_mib", text,
				NULL);
	}
}

static void api_machine_update(struct api_ctx *ctx, json_t *body, bool put,
			       struct api_response *resp)
{
	struct api_machine_in in = { 0 };

	if (!api_machine_parse(body, put, &in, resp))
		return;
	if (!put && !in.has_vcpus && !in.has_mem && !in.has_smt && !in.has_dirty && !in.has_huge &&
	    !in.has_template) {
		api_fault(resp, 400, "Empty PATCH request.");
		return;
	}
	if (!api_require_preboot(ctx, resp) || !api_machine_check(&in, resp))
		return;
	api_machine_apply(ctx, &in);
	api_reply_empty(resp);
}

void api_put_machine_config(struct api_ctx *ctx, const char *id, json_t *body,
			    struct api_response *resp)
{
	api_machine_update(ctx, body, true, resp);
}

void api_patch_machine_config(struct api_ctx *ctx, const char *id, json_t *body,
			      struct api_response *resp)
{
	api_machine_update(ctx, body, false, resp);
}
