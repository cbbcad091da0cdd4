/* What the command line can tell about plugins without running a VM:
 * --list-plugins (every plugin this volt can load, one line each) and
 * --help-plugin NAME (what one plugin is and every key its section takes,
 * from the keys it declares). Both load plugins exactly as a VM would, so
 * a refused plugin shows the loader's reason. */
#ifndef VOLT_PLUGIN_HELP_H
#define VOLT_PLUGIN_HELP_H

#include <stdio.h>

#include "util/err.h"

/* dir: the plugin directory ([plugins] dir, --plugin-dir), NULL = default.
 * 0, or -errno with err set (-ENOENT: no such plugin). */
int plugin_help_list(const char *dir, FILE *out, struct volt_err *err);
int plugin_help_show(const char *dir, const char *name, FILE *out, struct volt_err *err);

#endif
