/* test-echo: the loader's happy path. A device that is not virtio: one
 * 4 KiB MMIO page whose register 0x0 reads a magic value and 0x4 reads back
 * what was last written. It declares a key of every type, logs each
 * lifecycle step (the integration test looks for them). */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <volt/volt.h>

#define ECHO_MAGIC 0x4f484345u
#define ECHO_SIZE  0x1000

struct echo {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	uint64_t gpa;
	_Atomic uint32_t scratch;
	uint32_t scratch_reset;
};

static const struct volt_key echo_keys[] = {
	{ .name = "label", .type = VOLT_KEY_STRING, .flags = VOLT_KEY_REQUIRED,
	  .help = "a name for the log lines" },
	{ .name = "greeting", .type = VOLT_KEY_STRING, .default_value = "hello",
	  .help = "logged at realize" },
	{ .name = "enabled", .type = VOLT_KEY_BOOL, .default_value = "true",
	  .help = "false: realize claims no registers" },
	{ .name = "depth", .type = VOLT_KEY_U64, .default_value = "16", .min = 1, .max = 4096,
	  .help = "a bounded number" },
	{ .name = "scratch", .type = VOLT_KEY_U64, .default_value = "0",
	  .help = "SCRATCH at start and after reset" },
	{ .name = "mac", .type = VOLT_KEY_MAC, .help = "an optional MAC address" },
	{ .name = "file", .type = VOLT_KEY_PATH, .help = "an optional file that must exist" },
	{ .name = "port", .type = VOLT_KEY_U64, .default_value = "0", .max = 0xfff8,
	  .help = "also claim 8 I/O ports from here (0: none), to test a refused claim" },
};

static void echo_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct echo *e = opaque;
	uint32_t v = 0;

	if (is_write) {
		memcpy(&v, data, len < 4 ? len : 4);
		if (offset == 4)
			atomic_store(&e->scratch, v);
		return;
	}
	v = offset == 0 ? ECHO_MAGIC : offset == 4 ? atomic_load(&e->scratch) : 0;
	memset(data, 0, len);
	memcpy(data, &v, len < 4 ? len : 4);
}

static int echo_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct echo *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->host = host;
	e->inst = inst;
	e->scratch_reset = (uint32_t)host->config_get_u64(inst, "scratch");
	atomic_init(&e->scratch, e->scratch_reset);
	*state = e;
	host->log(inst, VOLT_LOG_INFO, "test-echo create: label %s, depth %" PRIu64,
		  host->config_get(inst, "label"), host->config_get_u64(inst, "depth"));
	return 0;
}

static int echo_realize(void *state)
{
	struct echo *e = state;
	char arg[64];
	uint64_t port;
	int r;

	if (!e->host->config_get_bool(e->inst, "enabled"))
		return 0;
	r = e->host->mmio_register(e->inst, ECHO_SIZE, echo_mmio, e, &e->gpa);
	if (r) {
		e->host->log(e->inst, VOLT_LOG_ERROR, "mmio_register: %s", strerror(-r));
		return r;
	}
	port = e->host->config_get_u64(e->inst, "port");
	if (port && (r = e->host->pio_register(e->inst, (uint16_t)port, 8, echo_mmio, e))) {
		e->host->log(e->inst, VOLT_LOG_ERROR, "pio_register: %s", strerror(-r));
		return r;
	}
	snprintf(arg, sizeof(arg), "test_echo.base=0x%" PRIx64, e->gpa);
	r = e->host->cmdline_append(e->inst, arg);
	if (r)
		return r;
	e->host->log(e->inst, VOLT_LOG_INFO, "test-echo realize: %s, registers at 0x%" PRIx64,
		     e->host->config_get(e->inst, "greeting"), e->gpa);
	return 0;
}

static int echo_start(void *state)
{
	struct echo *e = state;

	/* After realize the KVM fd calls are refused (the main thread's,
	 * before lockdown), as mmio_register is. */
	int late_ioeventfd = e->host->ioeventfd_add(e->inst, e->gpa, 4, false, -1);
	int late_irqfd = e->host->irqfd_add(e->inst, -1);

	e->host->log(e->inst, VOLT_LOG_INFO, "test-echo start: late ioeventfd_add %d, irqfd_add %d",
		     late_ioeventfd, late_irqfd);
	return 0;
}

static void echo_reset(void *state)
{
	struct echo *e = state;

	atomic_store(&e->scratch, e->scratch_reset);
}

static void echo_destroy(void *state)
{
	struct echo *e = state;

	if (e)
		e->host->log(e->inst, VOLT_LOG_INFO, "test-echo destroy");
	free(e);
}

static const struct volt_device_ops echo_ops = {
	.struct_size = sizeof(struct volt_device_ops),
	.virtio_id = 0,
};

static const struct volt_plugin_desc echo_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_DEVICE,
	.name = "test-echo",
	.version = "1",
	.license = "MIT",
	.description = "register echo device for the loader's tests",
	.keys = echo_keys,
	.nkeys = sizeof(echo_keys) / sizeof(echo_keys[0]),
	.create = echo_create,
	.realize = echo_realize,
	.start = echo_start,
	.reset = echo_reset,
	.destroy = echo_destroy,
	.ops = &echo_ops,
};

VOLT_PLUGIN_DEFINE(test_echo, echo_desc)
