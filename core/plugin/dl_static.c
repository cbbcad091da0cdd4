/* Plugin files in a static volt: there is no dynamic loader to open them
 * (util/build.h), so the registry never looks for any. */
#ifdef VOLT_STATIC
#include "plugin/dl.h"

#include <errno.h>

#include "util/build.h"

const char *plugin_dl_unavailable(void)
{
	return VOLT_STATIC_NO_PLUGIN_FILES;
}

int plugin_dl_open(const char *file, void **dl, volt_plugin_entry_fn *entry,
		   struct volt_err *err)
{
	*dl = NULL;
	*entry = NULL;
	return verr_set(err, ENOTSUP, "%s", VOLT_STATIC_NO_PLUGIN_FILES);
}

void plugin_dl_close(void *dl)
{
}
#endif
