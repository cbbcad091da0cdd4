/* Opening a plugin file: dlopen, then the entry symbol of our ABI major.
 * A static volt has no dynamic loader (util/build.h): dl_static.c stands
 * in for dl.c there and refuses. */
#ifndef VOLT_PLUGIN_DL_H
#define VOLT_PLUGIN_DL_H

#include <volt/abi.h>

#include "util/err.h"

/* NULL if this volt can open plugin files, else why it cannot. */
const char *plugin_dl_unavailable(void);

/* Open file and find its entry function. On success *dl is the handle for
 * plugin_dl_close(); an error's message is the reason alone (the caller
 * names the file). */
int plugin_dl_open(const char *file, void **dl, volt_plugin_entry_fn *entry,
		   struct volt_err *err);
void plugin_dl_close(void *dl);

#endif
