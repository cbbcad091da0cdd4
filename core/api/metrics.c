/* FlushMetrics: one JSON line with the API's counters, each vCPU's exits
 * by KVM exit reason, and each device's register accesses (reads and
 * writes that reached its handler; virtio queue notifications that KVM
 * turns into ioeventfd signals never exit and are not among them).
 *
 * The device counts come from a wrapper put around every bus range's
 * handler at boot, before any guest code runs (bus ranges never change
 * after that; the vCPU threads see the wrapper from their first exit). It
 * adds one relaxed atomic increment to an exit that costs microseconds. */
#include "api/handlers.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "api/json.h"
#include "devices/boot_timer.h"
#include "plugin/instance.h"
#include "vm/machine.h"
#include "vm/vcpu.h"

#define API_EXIT_REASONS 64   /* struct vcpu's exits[] */

static const char *const api_exit_names[API_EXIT_REASONS] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	[KVM_EXIT_HYPERV] = "hyperv",
	[KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
	[KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
};

/* ---- counting device accesses ---- */

static void api_count_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			     bool is_write)
{
	struct api_bus_count *c = opaque;

	atomic_fetch_add_explicit(is_write ? &c->writes : &c->reads, 1, memory_order_relaxed);
	c->fn(c->opaque, offset, data, len, is_write);
}

static void api_wrap_bus(struct api_ctx *ctx, struct bus *bus, const char *name)
{
	for (size_t i = 0; i < bus->nranges; i++) {
		struct api_bus_count *c = &ctx->bus_counts[ctx->nbus_counts++];
		struct bus_range *r = &bus->ranges[i];

		c->range = r;
		c->fn = r->access;
		c->opaque = r->opaque;
		c->bus = name;
		r->opaque = c;
		r->access = api_count_access;
	}
}

void api_metrics_attach(struct api_ctx *ctx, struct machine *m)
{
	size_t n = m->vm.pio.nranges + m->vm.mmio.nranges;

	ctx->bus_counts = calloc(n ? n : 1, sizeof(*ctx->bus_counts));
	ctx->nbus_counts = 0;
	if (!ctx->bus_counts)
		return;   /* metrics without device counts */
	api_wrap_bus(ctx, &m->vm.pio, "pio");
	api_wrap_bus(ctx, &m->vm.mmio, "mmio");
}

void api_metrics_detach(struct api_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nbus_counts; i++) {
		struct api_bus_count *c = &ctx->bus_counts[i];

		c->range->access = c->fn;
		c->range->opaque = c->opaque;
	}
	free(ctx->bus_counts);
	ctx->bus_counts = NULL;
	ctx->nbus_counts = 0;
}

/* ---- the line ---- */

static uint64_t api_load(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static json_t *api_vcpu_json(const struct vcpu *v)
{
	json_t *exits = json_object();
	char other[24];

	for (unsigned r = 0; exits && r < API_EXIT_REASONS; r++) {
		uint64_t n = api_load(&v->exits[r]);

		if (!n)
			continue;
		snprintf(other, sizeof(other), "reason_%u", r);
		apij_set(exits, api_exit_names[r] ? api_exit_names[r] : other,
			 json_integer((json_int_t)n));
	}
	return json_pack("{s:I, s:o}", "id", (json_int_t)v->index, "exits", exits);
}

static json_t *api_vcpus_json(const struct machine *m)
{
	json_t *arr = json_array();

	for (unsigned i = 0; arr && m && m->vm.vcpus && i < m->vm.nvcpus; i++)
		json_array_append_new(arr, api_vcpu_json(&m->vm.vcpus[i]));
	return arr;
}

/* The device entry named name, or NULL. */
static json_t *api_device_find(json_t *devices, const char *name)
{
	size_t i;
	json_t *d;

	json_array_foreach(devices, i, d) {
		const char *n = json_string_value(json_object_get(d, "name"));

		if (n && !strcmp(n, name))
			return d;
	}
	return NULL;
}

/* Plugin instances add their plugin and health to their device's entry
 * (the transport registers under the instance's name); a backend without
 * registers gets an entry of its own. */
static void api_instances_json(json_t *devices, const struct machine *m)
{
	for (size_t i = 0; i < m->plugins.ninsts; i++) {
		const struct volt_instance *inst = m->plugins.insts[i];
		json_t *d = api_device_find(devices, inst->name);

		if (!d) {
			d = json_pack("{s:o}", "name", apij_string(inst->name));
			if (!d || json_array_append_new(devices, d))
				continue;
		}
		apij_set(d, "plugin", apij_string(inst->plugin->name));
		apij_set(d, "broken", json_boolean(instance_is_broken(inst)));
	}
}

static json_t *api_devices_json(const struct api_ctx *ctx)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < ctx->nbus_counts; i++) {
		const struct api_bus_count *c = &ctx->bus_counts[i];

		json_array_append_new(arr, json_pack("{s:o, s:s, s:I, s:I, s:I}", "name",
						     apij_string(c->range->name), "bus", c->bus,
						     "base", (json_int_t)c->range->base, "reads",
						     (json_int_t)atomic_load(&c->reads), "writes",
						     (json_int_t)atomic_load(&c->writes)));
	}
	if (arr && ctx->machine)
		api_instances_json(arr, ctx->machine);
	return arr;
}

static json_t *api_metrics_json(const struct api_ctx *ctx)
{
	const struct api_counters *c = &ctx->counters;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return json_pack("{s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o}",
			 "utc_timestamp_ms",
			 (json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, "uptime_ms",
			 (json_int_t)((boot_timer_now_ns() - ctx->start_ns) / 1000000),
			 "api_server", "requests", (json_int_t)c->requests, "errors",
			 (json_int_t)c->errors, "get", (json_int_t)c->by_method[0], "put",
			 (json_int_t)c->by_method[1], "patch", (json_int_t)c->by_method[2],
			 "actions", (json_int_t)c->actions, "flushes", (json_int_t)c->flushes,
			 "vcpus", api_vcpus_json(ctx->machine), "devices", api_devices_json(ctx));
}

int api_metrics_flush(struct api_ctx *ctx, char *msg, size_t msg_size)
{
	json_t *obj;
	char *line;
	size_t len;
	ssize_t n;
	int e;

	if (ctx->metrics_fd < 0) {
		snprintf(msg, msg_size, "The metrics system is not initialized: PUT /metrics "
			 "first.");
		return -EINVAL;
	}
	ctx->counters.flushes++;
	obj = api_metrics_json(ctx);
	line = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!line) {
		snprintf(msg, msg_size, "Cannot write the metrics: out of memory.");
		return -ENOMEM;
	}
	len = strlen(line);
	line[len++] = '\n';   /* json_dumps left room: its NUL */
	n = write(ctx->metrics_fd, line, len);
	e = n < 0 ? errno : EIO;
	free(line);
	if (n != (ssize_t)len) {
		snprintf(msg, msg_size, "Cannot write the metrics to %s: %s", ctx->metrics_path,
			 n < 0 ? strerror(e) : "short write");
		return -e;
	}
	return 0;
}
