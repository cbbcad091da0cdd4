/* Volt's configuration: an INI file (read with inih) and command-line flags
 * that override it. Everything is checked here, before any KVM call; an
 * error carries "file:line: key: reason" (or "--flag: reason"). */
#ifndef VOLT_CONFIG_CONFIG_H
#define VOLT_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox/user.h"
#include "util/err.h"
#include "util/log.h"

#define CONFIG_VCPUS_MAX 32
#define CONFIG_MEMORY_MIB_MIN 16
#define CONFIG_MEMORY_MIB_MAX (256 * 1024)
#define CONFIG_POLL_US_DEFAULT 32    /* QEMU's IOThread poll-max-ns, 32768 ns */
#define CONFIG_POLL_US_MAX 1000

/* One key = value line of a plugin-instance section, kept verbatim with its
 * line so the plugin loader can check it against the plugin's declared keys
 * and report "file:line: key: reason". */
struct config_kv {
	char *key;
	char *value;
	unsigned line;
};

/* A `[drive "id"]` or `[net "id"]` section. */
struct config_instance {
	char *kind;     /* "drive", "net" or "device" */
	char *id;       /* the quoted name */
	unsigned line;  /* line of the section header */
	char *origin;   /* what made it outside the file, for messages about its
			 * values of line 0 ("PUT /drives/d1"); NULL if none */
	struct config_kv *kvs;
	size_t nkvs;
};

/* Where each value was last set, spelled as the start of a message about
 * it: "vm.ini:3: kernel" or "--kernel". NULL while it holds its default.
 * config_validate() uses these so a bad path points back at its line. */
struct config_origins {
	char *memory_mib;
	char *vcpus;
	char *poll_us;
	char *kernel;
	char *kernel_pages;
	char *huge_pages;
	char *initrd;
	char *cmdline;
	char *serial_output;
	char *plugin_dir;
	char *api_sock;
	char *sandbox_user;
};

struct volt_config {
	char *path;              /* INI file it came from, NULL if none */
	char *base_dir;          /* absolute directory of that file: relative paths
				  * in it (instance values too) are relative to
				  * this; NULL = the working directory */
	uint64_t memory_mib;     /* [vm] memory_mib, --memory; default 128 */
	unsigned vcpus;          /* [vm] vcpus, --vcpus; default 1 */
	unsigned poll_us;        /* [vm] poll_us, --poll-us: most microseconds each I/O
				  * thread polls its queues before sleeping
				  * (loop/poll.h); default 32, 0 = never */
	char *kernel;            /* [vm] kernel, --kernel; required */
	unsigned kernel_pages;   /* [vm] kernel_pages, --kernel-pages: how an ELF
				  * vmlinux reaches guest RAM, the index of the
				  * word (enum kernel_pages in boot/kernel.h):
				  * 0 "private" (default), copied into each VM;
				  * 1 "shared", its whole pages mapped from the
				  * file copy-on-write, shared by every VM booted
				  * from it: one tenant's VMs only
				  * (docs/sandbox.md). */
	unsigned huge_pages;     /* [vm] huge_pages, --huge-pages: which guest RAM
				  * transparent huge pages may back, the index of
				  * the word (enum guest_mem_huge in
				  * vm/guest_mem.h): 0 "auto", 1 "loaded"
				  * (default), 2 "never". */
	char *initrd;            /* [vm] initrd, --initrd; optional */
	char *cmdline;           /* [vm] cmdline, --cmdline; default "console=ttyS0 reboot=k panic=-1" */
	char *serial_output;     /* [serial] output, --serial-output; NULL = stdout,
				  * "none" = discard, else a file path */
	char *plugin_dir;        /* [plugins] dir, --plugin-dir; NULL = built-in default */
	char *api_sock;          /* [api] socket, --api-sock: serve the control API
				  * there and boot on its InstanceStart; NULL =
				  * no API, boot at once */
	char *sandbox_user;      /* [sandbox] user, --user: run the guest as this user
				  * ("NAME", "UID", "NAME:GROUP", "UID:GID");
				  * NULL = stay as started (sandbox/user.h) */
	struct sandbox_user sandbox_ids; /* sandbox_user resolved by config_validate(),
					  * once, so the check and the switch agree */
	enum log_level log_level;/* --log-level (error|warn|info|debug); default info */
	/* The sandbox (docs/sandbox.md): flags only, never the INI file, so a
	 * configuration cannot switch it off. */
	bool seccomp;            /* true unless --no-seccomp */
	bool landlock;           /* true unless --no-landlock */
	bool print_sandbox_policy; /* --print-sandbox-policy: print it, run nothing */
	bool list_plugins;         /* --list-plugins: list them, run nothing */
	char *help_plugin;         /* --help-plugin NAME: describe it, run nothing */
	char *seccomp_export_dir;  /* hidden --debug-export-seccomp DIR (tests) */
	struct config_instance *instances;
	size_t ninstances;
	struct config_origins origin;
};

/* Fill cfg with defaults. */
void config_init(struct volt_config *cfg);

/* Read an INI file into cfg (values override what cfg holds). Unknown
 * sections or keys, and bad values, are errors. Relative paths in the file
 * are taken relative to the file's own directory. */
int config_load_file(struct volt_config *cfg, const char *path, struct volt_err *err);

/* Same, from a string (for tests and the fuzzer); name is used in errors.
 * Relative paths stay relative to the working directory. */
int config_load_string(struct volt_config *cfg, const char *name, const char *text,
		       struct volt_err *err);

/* Set one [section] key from its text (shared by the INI and CLI paths). */
int config_set(struct volt_config *cfg, const char *section, const char *key,
	       const char *value, struct volt_err *err);

/* config_set() for a value from `origin` ("vm.ini:3: kernel", "--kernel"):
 * errors read "origin: reason" and cfg->origin remembers it. */
int config_set_from(struct volt_config *cfg, const char *origin, const char *section,
		    const char *key, const char *value, struct volt_err *err);

/* Check cross-field rules and that files exist and are readable, and
 * resolve sandbox_user into sandbox_ids. A kernel is required unless
 * api_sock is set (the API may give it later; it checks for one itself
 * before it boots). */
int config_validate(struct volt_config *cfg, struct volt_err *err);

/* The `[kind "id"]` instance, or NULL. */
struct config_instance *config_instance_find(const struct volt_config *cfg, const char *kind,
					     const char *id);

/* Create or replace the `[kind "id"]` instance with copies of kvs (their
 * lines are kept; 0 for values that come from no file), as if an INI file
 * had held that section; `origin` (copied, NULL allowed) says what made
 * it. A replaced instance keeps its place but not its header line: it is
 * no longer the file's section. */
int config_instance_set(struct volt_config *cfg, const char *kind, const char *id,
			const char *origin, const struct config_kv *kvs, size_t nkvs,
			struct volt_err *err);

/* Move the `[kind "id"]` instance before every other instance of its kind
 * (the first virtio-blk drive is the guest's /dev/vda). */
void config_instance_move_first(struct volt_config *cfg, const char *kind, const char *id);

void config_free(struct volt_config *cfg);

/* Parse argv into cfg, starting from config_init(): --config FILE is read
 * first, then every other flag overrides it, then config_validate(). Returns
 * 0 to run, 1 if --help or --version was printed (exit 0), or -errno with
 * err set (exit 2). Call config_free() in every case. */
int config_from_args(struct volt_config *cfg, int argc, char **argv, struct volt_err *err);

/* The --help text. */
void config_print_help(const char *argv0);

/* A value that must be one of a fixed set of words (NULL-ended), as for
 * [vm] kernel_pages and --log-level: the index of value among words, or -1;
 * and the words as "a, b, c" for the message that refuses another. */
int config_word_index(const char *const *words, const char *value);
void config_word_list(const char *const *words, char *buf, size_t size);

#endif
