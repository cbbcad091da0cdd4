/* The plugins linked into a slim volt (VOLT_SLIM): a table the build
 * generates, one {name, entry} row per plugin, calling each plugin's
 * uniquely named entry function (VOLT_PLUGIN_DEFINE with VOLT_PLUGIN_STATIC).
 * No constructors are involved, so the table links the same way every time.
 * A default build has an empty table (static_plugins_none.c). Either way the
 * registry reads it through the same validation as a .so. */
#ifndef VOLT_PLUGIN_STATIC_PLUGINS_H
#define VOLT_PLUGIN_STATIC_PLUGINS_H

#include <volt/abi.h>

struct volt_static_plugin {
	const char *name;           /* what the configuration names: "virtio-blk" */
	volt_plugin_entry_fn entry; /* volt_plugin_entry_v1_virtio_blk */
};

extern const struct volt_static_plugin volt_static_plugins[];
extern const unsigned volt_static_plugin_count;

#endif
