/* Plugin files through the dynamic loader (every build but a static one). */
#ifndef VOLT_STATIC
#include "plugin/dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Majors probed when our entry symbol is missing, to say which ABI a
 * plugin was built for instead of only "no entry symbol". */
#define PLUGIN_MAJOR_PROBE_MAX 16

const char *plugin_dl_unavailable(void)
{
	return NULL;
}

/* dlerror() often starts with the path again: keep only the reason. */
static const char *plugin_dl_reason(const char *file)
{
	const char *msg = dlerror();
	size_t n = strlen(file);

	if (!msg)
		return "unknown error";
	if (!strncmp(msg, file, n) && msg[n] == ':' && msg[n + 1] == ' ')
		msg += n + 2;
	return msg;
}

/* The entry symbol for our major, or a refusal naming the major the
 * plugin was built for. */
static int plugin_dl_entry(void *dl, volt_plugin_entry_fn *entry, struct volt_err *err)
{
	char sym[64];

	*(void **)entry = dlsym(dl, VOLT_PLUGIN_ENTRY_NAME);
	if (*entry)
		return 0;
	for (unsigned major = 0; major < PLUGIN_MAJOR_PROBE_MAX; major++) {
		if (major == VOLT_ABI_MAJOR)
			continue;
		snprintf(sym, sizeof(sym), "volt_plugin_entry_v%u", major);
		if (dlsym(dl, sym))
			return verr_set(err, EPROTO, "built for Volt plugin ABI %u, this volt "
					"speaks %d (it exports %s, not %s)", major, VOLT_ABI_MAJOR,
					sym, VOLT_PLUGIN_ENTRY_NAME);
	}
	return verr_set(err, ENOEXEC, "not a Volt plugin: no %s", VOLT_PLUGIN_ENTRY_NAME);
}

int plugin_dl_open(const char *file, void **dl, volt_plugin_entry_fn *entry,
		   struct volt_err *err)
{
	int r;

	dlerror();
	*dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!*dl)
		return verr_set(err, ENOEXEC, "not a Volt plugin: cannot load it (%s)",
				plugin_dl_reason(file));
	r = plugin_dl_entry(*dl, entry, err);
	if (r) {
		dlclose(*dl);
		*dl = NULL;
	}
	return r;
}

void plugin_dl_close(void *dl)
{
	if (dl)
		dlclose(dl);
}
#endif
