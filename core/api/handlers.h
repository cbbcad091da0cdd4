/* The API's request layer, below HTTP: a request is a method, a path and a
 * body; a handler checks the JSON, applies it to the VM's configuration
 * (before boot) or to the running machine, and fills a response. The HTTP
 * server, the unit tests and the fuzzers all come in through
 * api_dispatch(). Everything here runs on the API thread only, so the
 * context needs no lock. */
#ifndef VOLT_API_HANDLERS_H
#define VOLT_API_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bus/bus.h"
#include "config/config.h"

struct machine;

#define API_BODY_MAX 51200           /* Firecracker's default payload limit */
#define API_INSTANCE_ID "anonymous-instance"

enum api_method {
	API_OTHER = 0,   /* anything but the three Firecracker uses */
	API_GET = 1,
	API_PUT = 2,
	API_PATCH = 4,
};

/* What GET / calls "state". */
enum api_vm_state {
	API_VM_NOT_STARTED,   /* the configuration is editable */
	API_VM_STARTING,      /* InstanceStart accepted, the machine is being built */
	API_VM_RUNNING,
	API_VM_PAUSED,
};

struct api_request {
	enum api_method method;
	const char *method_name;   /* as sent, for messages */
	const char *path;          /* "/drives/rootfs" */
	const char *body;          /* not NUL-terminated; NULL if none */
	size_t body_len;
};

struct api_response {
	unsigned status;           /* 200, 204, 400, ... */
	char *body;                /* malloc'd JSON text, or NULL */
	bool pending;              /* InstanceStart handed over; the answer
				    * comes from api_ctx_boot_done() */
};

/* Firecracker's drive properties that no plugin key holds. */
struct api_drive_meta {
	char *id;
	bool is_root_device;
	char *partuuid;            /* NULL if none */
	const char *cache_type;    /* "Unsafe" or "Writeback" (static) */
	const char *io_engine;     /* "Sync" or "Async" (static) */
};

struct api_logger {
	bool set;
	char *log_path;            /* NULL: stderr stays where it was */
	char level[8];             /* as Firecracker spells it: "Info" */
	bool show_level, show_log_origin;
	char *module;
};

struct api_counters {
	uint64_t requests, errors;    /* every request; those answered >= 400 */
	uint64_t by_method[3];        /* GET, PUT, PATCH */
	uint64_t actions;             /* PUT /actions done */
	uint64_t flushes;             /* FlushMetrics done */
};

/* Accesses of one bus range (a device's registers), counted on the vCPU
 * threads by a wrapper around its handler (metrics.c). */
struct api_bus_count {
	struct bus_range *range;
	bus_access_fn fn;          /* the device's own handler and opaque */
	void *opaque;
	const char *bus;           /* "pio" or "mmio" */
	_Atomic uint64_t reads, writes;
};

struct api_ctx {
	struct volt_config *cfg;   /* what the machine will be built from */
	char *boot_args;           /* as given; cfg->cmdline adds root= at boot */
	bool smt, track_dirty_pages;
	const char *huge_pages;    /* "None" */
	struct api_drive_meta *drives;
	size_t ndrives;
	struct api_logger logger;
	char *metrics_path;        /* NULL until PUT /metrics */
	int metrics_fd;
	enum api_vm_state state;
	struct machine *machine;   /* from boot on */
	uint64_t start_ns;         /* process start, for uptime in metrics */
	char *plugins_json;        /* GET /plugins, listed once before boot */
	char *cwd;                 /* volt's working directory, read before lockdown
				    * (getcwd is not in the API thread's filter) */
	struct api_bus_count *bus_counts;  /* from boot on */
	size_t nbus_counts;
	struct api_counters counters;
	/* InstanceStart: hand cfg over to be built. Returns 0 when the build is
	 * under way (the response is then pending) or -errno. NULL in tests:
	 * InstanceStart then only checks the configuration. */
	int (*boot)(void *opaque);
	void *boot_opaque;
	/* Fuzzers: log_path and metrics_path open this file instead, and
	 * standard error is left alone. NULL in volt. */
	const char *outputs_to;
};

/* Take cfg as it is (flags and INI file) as the starting point. */
int api_ctx_init(struct api_ctx *ctx, struct volt_config *cfg, uint64_t start_ns);
void api_ctx_fini(struct api_ctx *ctx);

/* Answer one request. Never fails: every problem is a response. */
void api_dispatch(struct api_ctx *ctx, const struct api_request *req,
		  struct api_response *resp);

/* The pending InstanceStart is over: m built (RUNNING), or NULL and msg. */
void api_ctx_boot_done(struct api_ctx *ctx, struct machine *m, const char *msg,
		       struct api_response *resp);

/* ---- for handlers ---- */

/* 204, no body. */
void api_reply_empty(struct api_response *resp);
/* status with the JSON value as body (taken over; NULL means out of memory). */
void api_reply_json(struct api_response *resp, unsigned status, json_t *body);
/* {"fault_message": "..."}; bytes that are not printable ASCII become '?'. */
void api_fault(struct api_response *resp, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Firecracker's answers for an operation in the wrong phase. Each returns
 * true if the VM is in the phase wanted, else fills resp with the 400. */
bool api_require_preboot(const struct api_ctx *ctx, struct api_response *resp);
bool api_require_postboot(const struct api_ctx *ctx, struct api_response *resp);

/* A path from the API as the VMM will open it: relative paths become
 * absolute against the working directory (INI paths are relative to their
 * file; API paths are the client's). malloc'd, NULL on out of memory. */
char *api_abs_path(const struct api_ctx *ctx, const char *path);

/* The metadata of drive id (created if create), or NULL. */
struct api_drive_meta *api_drive_meta(struct api_ctx *ctx, const char *id, bool create);

/* ---- plugin instances from JSON (instances.c) ---- */

#define API_KVS_MAX 32

/* The key = value lines of one `[drive "id"]` or `[net "id"]` section
 * being made from a request. Values are copied. */
struct api_kvs {
	struct config_kv kv[API_KVS_MAX];
	size_t n;
};

bool api_kvs_add(struct api_kvs *k, const char *key, const char *value,
		 struct api_response *resp);
/* volt_keys: {"key": "value", ...} for plugin keys no Firecracker field
 * maps to; strings, booleans and whole numbers are taken as their text.
 * Keys in `mapped` (NULL-terminated) are refused: a field sets them. */
bool api_kvs_add_extra(struct api_kvs *k, json_t *extra, const char *const *mapped,
		       struct api_response *resp);
void api_kvs_free(struct api_kvs *k);
/* Store them as the instance, replacing one of the same kind and id;
 * `route` is the API's path for the kind ("drives"), for messages. */
bool api_kvs_commit(struct api_ctx *ctx, const char *kind, const char *route, const char *id,
		    const struct api_kvs *k, struct api_response *resp);

/* A key's value in an instance, or NULL. */
const char *api_inst_get(const struct config_instance *inst, const char *key);
/* A boolean value of an instance, in any spelling the plugin takes ("yes",
 * "on", "1", ...); false if unset or not a boolean. */
bool api_inst_bool(const struct config_instance *inst, const char *key);
/* A path value of an instance, absolute (an INI file's relative paths are
 * relative to its directory), malloc'd; NULL if unset or out of memory. */
char *api_inst_path(const struct api_ctx *ctx, const struct config_instance *inst,
		    const char *key);
/* The instance's keys not in `mapped`, as a JSON object (NULL if none). */
json_t *api_inst_extra_json(const struct config_instance *inst, const char *const *mapped);

/* A handler gets the id from the path (NULL for paths without one) and the
 * body as a JSON object (NULL for GET). */
typedef void api_handler_fn(struct api_ctx *ctx, const char *id, json_t *body,
			    struct api_response *resp);

api_handler_fn api_get_instance_info;   /* info.c */
api_handler_fn api_get_version;
api_handler_fn api_get_vm_config;
api_handler_fn api_get_plugins;
api_handler_fn api_get_machine_config;  /* machine_config.c */
api_handler_fn api_put_machine_config;
api_handler_fn api_patch_machine_config;
api_handler_fn api_put_boot_source;     /* boot_source.c */
api_handler_fn api_put_drive;           /* drives.c */
api_handler_fn api_patch_drive;
api_handler_fn api_put_net;             /* network.c */
api_handler_fn api_patch_net;
api_handler_fn api_put_actions;         /* actions.c */
api_handler_fn api_patch_vm;            /* vm_state.c */
api_handler_fn api_put_logger;          /* logger_metrics.c */
api_handler_fn api_put_metrics;

/* The JSON renderings GET /vm/config is made of. */
json_t *api_machine_config_json(const struct api_ctx *ctx);
json_t *api_boot_source_json(const struct api_ctx *ctx);
json_t *api_drives_json(const struct api_ctx *ctx);
json_t *api_nets_json(const struct api_ctx *ctx);
json_t *api_logger_json(const struct api_ctx *ctx);

/* InstanceStart's preparation (boot_source.c): cfg->cmdline from the boot
 * args and the root drive, the root drive first, then config_validate().
 * Returns false with resp filled if the configuration cannot boot. */
bool api_prepare_boot(struct api_ctx *ctx, struct api_response *resp);

/* FlushMetrics (metrics.c): one JSON line to the metrics file. Returns 0,
 * or -errno with msg saying why. */
int api_metrics_flush(struct api_ctx *ctx, char *msg, size_t msg_size);
/* Count the accesses of every device on m's buses (before any vCPU runs
 * guest code), and stop counting (after every vCPU stopped). */
void api_metrics_attach(struct api_ctx *ctx, struct machine *m);
void api_metrics_detach(struct api_ctx *ctx);

/* PATCH /vm's work (vm_state.c): hold or release every vCPU. */
void api_vm_pause(struct api_ctx *ctx);
void api_vm_resume(struct api_ctx *ctx);

#endif
