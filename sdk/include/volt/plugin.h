/* The plugin descriptor: what a plugin is, what it accepts, what it needs
 * from the sandbox, and its lifecycle. All of it is data the core can check
 * before anything runs. */
#ifndef VOLT_PLUGIN_H
#define VOLT_PLUGIN_H

#include <stdbool.h>
#include <stdint.h>

#include <volt/abi.h>

struct volt_host_api;
struct volt_instance;

enum volt_plugin_kind {
	VOLT_PLUGIN_DEVICE = 1,      /* a guest device; ops: struct volt_device_ops */
	VOLT_PLUGIN_NET_BACKEND = 2, /* a host network backend; ops: struct volt_net_backend_ops */
};

/* ---- Configuration keys ------------------------------------------------ */

enum volt_key_type {
	VOLT_KEY_STRING = 1,
	VOLT_KEY_PATH = 2,   /* a host path; the core checks it exists */
	VOLT_KEY_BOOL = 3,   /* true/false, yes/no, on/off, 1/0 */
	VOLT_KEY_U64 = 4,    /* decimal or 0x hex, within [min, max] */
	VOLT_KEY_MAC = 5,    /* aa:bb:cc:dd:ee:ff */
};

#define VOLT_KEY_REQUIRED 0x1u    /* must be set in the configuration */
#define VOLT_KEY_PATH_WRITE 0x2u  /* PATH: the plugin writes it (Landlock: read-write) */

struct volt_key {
	const char *name;          /* [a-z0-9_]+ */
	uint32_t type;             /* enum volt_key_type */
	uint32_t flags;            /* VOLT_KEY_* */
	const char *default_value; /* text of the default, NULL if none */
	const char *help;          /* one line, shown by --help-plugin */
	uint64_t min, max;         /* VOLT_KEY_U64 only; both 0 = no bound */
};

/* ---- Syscalls needed, as data ------------------------------------------ */

/* Which threads run the plugin code that makes the syscall. */
#define VOLT_THREAD_MAIN 0x1u /* create, realize, start; destroy (after lockdown) */
#define VOLT_THREAD_VCPU 0x2u /* MMIO/PIO region handlers; a virtio device's features,
			       * set_features, config_read/write, activate, reset */
#define VOLT_THREAD_IO   0x4u /* the device's I/O thread: queue notifications, fd callbacks */
#define VOLT_THREAD_ALL  0x7u

#define VOLT_FD_ANY 0xffffffffu /* no fd constraint */
#define VOLT_FD_SLOTS 8         /* fd slots an instance can bind */

/* One syscall a plugin makes after lockdown. The core turns these into
 * seccomp rules; no plugin code ever touches the filter. */
struct volt_syscall {
	const char *name;           /* as libseccomp names it: "pread64" */
	uint32_t threads;           /* VOLT_THREAD_* mask */
	uint32_t fd_slot;           /* arg0 must be the fd bound to this slot
				     * (host->sandbox_bind_fd at realize), or VOLT_FD_ANY */
	const uint64_t *ioctls;     /* ioctl only: arg1 must be one of these */
	uint32_t nioctls;
	const char *reason;         /* one line: why the plugin needs it */
};

/* ---- The descriptor ---------------------------------------------------- */

struct volt_plugin_desc {
	uint32_t struct_size;       /* sizeof(struct volt_plugin_desc) as built */
	uint16_t abi_major;         /* VOLT_ABI_MAJOR */
	uint16_t abi_minor;         /* VOLT_ABI_MINOR */
	uint32_t kind;              /* enum volt_plugin_kind */
	const char *name;           /* [a-z0-9-]+, unique, what the config names */
	const char *version;        /* the plugin's own version */
	const char *license;        /* SPDX identifier */
	const char *description;    /* one line */

	const struct volt_key *keys;
	uint32_t nkeys;
	const struct volt_syscall *syscalls;
	uint32_t nsyscalls;

	/* Lifecycle, in order. Every hook is optional; hooks return 0 or
	 * -errno, and report their reason once with host->log before failing.
	 * create: read the configuration, allocate; open nothing yet.
	 * realize: open every file, device node and socket, bind fds for the
	 *          sandbox (all before lockdown).
	 * start: after lockdown, before the guest runs.
	 * reset: the guest reset the device (keep configuration and fds).
	 * destroy: release everything; called after a failed create or realize
	 *          too, with whatever state create produced (may be NULL). */
	int (*create)(const struct volt_host_api *host, struct volt_instance *inst, void **state);
	int (*realize)(void *state);
	int (*start)(void *state);
	void (*reset)(void *state);
	void (*destroy)(void *state);

	/* Kind-specific table: struct volt_device_ops or struct
	 * volt_net_backend_ops, itself size-versioned. */
	const void *ops;
};

#endif
