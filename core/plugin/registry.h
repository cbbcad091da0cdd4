/* The plugin registry: finds a plugin by the name the configuration uses,
 * loads it (a .so in the plugin directory, or a row of the slim build's
 * static table), and checks everything its descriptor says before any of
 * its code beyond the entry function runs (a .so's ELF constructors aside:
 * dlopen runs them, so the plugin directory must hold trusted files only).
 * Both link modes go through plugin_desc_accept(), so they are refused for
 * the same reasons with the same words. Plugins are loaded only when the
 * configuration names them. */
#ifndef VOLT_PLUGIN_REGISTRY_H
#define VOLT_PLUGIN_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <volt/device.h>
#include <volt/net.h>
#include <volt/plugin.h>

#include "plugin/static_plugins.h"
#include "util/err.h"

/* Sizes of the v1.0 structs: a plugin reporting less is refused. */
#define PLUGIN_DESC_V1_0_SIZE 128u
#define PLUGIN_DEVICE_OPS_V1_0_SIZE 64u
#define PLUGIN_NET_OPS_V1_0_SIZE 64u
#define PLUGIN_NET_OPS_V1_3_SIZE 72u /* + ifname */

/* A loaded plugin. The core reads its descriptor and ops only through these
 * copies, normalised to the core's own struct sizes (fields a plugin built
 * against an older minor lacks are zero). */
struct plugin {
	char *name;
	char *file;                    /* its .so, or "built-in NAME" (slim) */
	void *dl;                      /* dlopen handle, NULL if built in */
	struct volt_plugin_desc desc;  /* desc.ops points at the copy below */
	union {
		struct volt_device_ops device;
		struct volt_net_backend_ops net;
	} ops;
	struct plugin *next;
};

struct plugin_registry {
	char *dir;                               /* where NAME.so is looked for; NULL: */
	char dir_error[576];                     /* ... why: no default dir, or static */
	const struct volt_static_plugin *statics;
	unsigned nstatics;
	struct plugin *plugins;                  /* loaded so far */
};

/* The default plugin directory: <dir of /proc/self/exe>/../lib/volt/plugins,
 * which is right both in the build tree and under an install prefix.
 * Returns a malloc'd string, or NULL with err set. */
char *plugin_default_dir(struct volt_err *err);

/* dir NULL = plugin_default_dir(). statics is the slim build's table
 * (volt_static_plugins); a plugin found there is not looked for on disk. */
int plugin_registry_init(struct plugin_registry *reg, const char *dir,
			 const struct volt_static_plugin *statics, unsigned nstatics,
			 struct volt_err *err);
void plugin_registry_fini(struct plugin_registry *reg);

/* The plugin called `name`, loading it on first use. Errors name the file
 * and the reason in one line; -ENOENT if there is no such plugin at all
 * (a configuration error), another -errno if the file was refused. */
int plugin_registry_get(struct plugin_registry *reg, const char *name, struct plugin **out,
			struct volt_err *err);

/* The names of every plugin reg can load, without loading any: the static
 * table's, then NAME of each NAME.so in the plugin directory (a missing
 * directory holds none), sorted, each once. Up to cap malloc'd strings go
 * to names; returns how many. */
size_t plugin_registry_names(const struct plugin_registry *reg, char **names, size_t cap);

/* True if name is a well-formed plugin name: [a-z0-9-]+, at most 64 bytes,
 * not starting with '-'. */
bool plugin_name_valid(const char *name);

/* Check a descriptor returned by an entry function and fill p->desc and
 * p->ops with normalised copies; `entry_major` is the major in the entry
 * symbol's name. Messages are the reason alone: the caller prefixes the
 * file. (Whether the name matches the file is the registry's check.) */
int plugin_desc_accept(struct plugin *p, const struct volt_plugin_desc *raw, unsigned entry_major,
		       struct volt_err *err);

/* The descriptor's data, once normalised: name, kind, keys, syscalls, ops. */
int plugin_desc_validate(const struct volt_plugin_desc *desc, struct volt_err *err);

/* "device" or "network backend", for messages. */
const char *plugin_kind_name(uint32_t kind);

#endif
