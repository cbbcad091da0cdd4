/* hello-echo: a register echo device, the smallest useful device plugin that
 * is not virtio. It claims one 4 KiB MMIO page and implements three 32-bit
 * registers:
 *
 *   0x0  MAGIC    read-only, 0x4f484345 ("ECHO" in little-endian bytes)
 *   0x4  SCRATCH  reads back the last value written
 *   0x8  WRITES   read-only, how many values SCRATCH has been written
 *
 * Anything else in the page reads as 0 and ignores writes. The device tells
 * the guest where it is on the kernel command line, as
 * "hello_echo.base=0x<address>" (one per instance, in configuration order);
 * the core places the first such page at 0xd8000000 (the plugin MMIO window
 * of its address map), the next 4 KiB above, and so on. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <volt/volt.h>

#define ECHO_REG_MAGIC   0x0
#define ECHO_REG_SCRATCH 0x4
#define ECHO_REG_WRITES  0x8
#define ECHO_MAGIC       0x4f484345u /* 'E' 'C' 'H' 'O' */
#define ECHO_REGION_SIZE 0x1000

struct echo {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	uint32_t scratch_reset;     /* the scratch_reset key */
	uint64_t gpa;               /* where the core put our page */
	/* Registers: MMIO handlers run on whichever vCPU thread made the
	 * access, so they are atomics. */
	_Atomic uint32_t scratch;
	_Atomic uint32_t writes;
	atomic_flag warned;         /* one warning for odd accesses, not one each */
};

/* ---- configuration keys ---- */

static const struct volt_key echo_keys[] = {
	{
		.name = "greeting",
		.type = VOLT_KEY_STRING,
		.default_value = "hello from the echo device",
		.help = "logged once when the device is realized",
	},
	{
		.name = "scratch_reset",
		.type = VOLT_KEY_U64,
		.default_value = "0",
		.help = "what SCRATCH holds at start and after a reset",
		.min = 0,
		.max = UINT32_MAX,
	},
};

/* ---- the registers (vCPU threads) ---- */

static uint32_t echo_read(struct echo *e, uint64_t reg)
{
	switch (reg) {
	case ECHO_REG_MAGIC:
		return ECHO_MAGIC;
	case ECHO_REG_SCRATCH:
		return atomic_load(&e->scratch);
	case ECHO_REG_WRITES:
		return atomic_load(&e->writes);
	default:
		return 0;
	}
}

static void echo_write(struct echo *e, uint64_t reg, uint32_t val)
{
	if (reg != ECHO_REG_SCRATCH)
		return; /* read-only or unused: ignored */
	atomic_store(&e->scratch, val);
	atomic_fetch_add(&e->writes, 1);
}

static void echo_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct echo *e = opaque;
	uint32_t val = 0;

	if (len != 4 || offset % 4) {
		/* The registers are 32-bit, naturally aligned. A guest bug, not
		 * ours: reads give 0, writes are dropped, and we say so once. */
		if (!atomic_flag_test_and_set(&e->warned))
			e->host->log(e->inst, VOLT_LOG_WARN,
				     "ignoring %" PRIu32 "-byte %s at offset 0x%" PRIx64
				     " (registers are 32-bit, aligned)",
				     len, is_write ? "write" : "read", offset);
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		memcpy(&val, data, 4);
		echo_write(e, offset, val);
	} else {
		val = echo_read(e, offset);
		memcpy(data, &val, 4);
	}
}

/* ---- lifecycle ---- */

/* Read the configuration, allocate; open nothing yet. */
static int echo_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct echo *e = calloc(1, sizeof(*e));

	if (!e) {
		host->log(inst, VOLT_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	e->host = host;
	e->inst = inst;
	e->scratch_reset = (uint32_t)host->config_get_u64(inst, "scratch_reset");
	atomic_init(&e->scratch, e->scratch_reset);
	atomic_init(&e->writes, 0);
	atomic_flag_clear(&e->warned);
	*state = e;
	return 0;
}

/* Claim the register page and announce it to the guest. */
static int echo_realize(void *state)
{
	struct echo *e = state;
	char arg[64];
	int err;

	err = e->host->mmio_register(e->inst, ECHO_REGION_SIZE, echo_mmio, e, &e->gpa);
	if (err) {
		e->host->log(e->inst, VOLT_LOG_ERROR, "cannot claim an MMIO page: %s",
			     strerror(-err));
		return err;
	}
	snprintf(arg, sizeof(arg), "hello_echo.base=0x%" PRIx64, e->gpa);
	/* Only a convenience: a guest can also rely on the layout rule. */
	err = e->host->cmdline_append(e->inst, arg);
	if (err)
		e->host->log(e->inst, VOLT_LOG_WARN, "cannot add \"%s\" to the command line: %s",
			     arg, strerror(-err));
	e->host->log(e->inst, VOLT_LOG_INFO, "%s; registers at 0x%" PRIx64,
		     e->host->config_get(e->inst, "greeting"), e->gpa);
	return 0;
}

static void echo_reset(void *state)
{
	struct echo *e = state;

	atomic_store(&e->scratch, e->scratch_reset);
	atomic_store(&e->writes, 0);
}

static void echo_destroy(void *state)
{
	free(state);
}

/* ---- the descriptor ---- */

/* Not virtio: the core puts no transport in front; the device claims its
 * own region at realize. */
static const struct volt_device_ops echo_ops = {
	.struct_size = sizeof(struct volt_device_ops),
	.virtio_id = 0,
};

static const struct volt_plugin_desc echo_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_DEVICE,
	.name = "hello-echo",
	.version = ECHO_VERSION,
	.license = "MIT",
	.description = "register echo device: magic, scratch and write-count registers",
	.keys = echo_keys,
	.nkeys = sizeof(echo_keys) / sizeof(echo_keys[0]),
	/* No syscalls after lockdown: the registers are memory, and logging
	 * goes through the host. */
	.syscalls = NULL,
	.nsyscalls = 0,
	.create = echo_create,
	.realize = echo_realize,
	.reset = echo_reset,
	.destroy = echo_destroy,
	.ops = &echo_ops,
};

VOLT_PLUGIN_DEFINE(hello_echo, echo_desc)
