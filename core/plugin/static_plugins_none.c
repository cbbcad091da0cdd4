/* The static plugin table of a default build: empty, every plugin is a .so.
 * A VOLT_SLIM build defines VOLT_SLIM and compiles a generated table
 * instead, so this one must stay out of it. */
#ifndef VOLT_SLIM

#include "plugin/static_plugins.h"

#include <stddef.h>

/* C has no empty arrays: one unused row, and a count of zero. */
const struct volt_static_plugin volt_static_plugins[1] = { { NULL, NULL } };
const unsigned volt_static_plugin_count = 0;

#endif
