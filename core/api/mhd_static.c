/* A static volt cannot load libmicrohttpd (util/build.h), so it has no API;
 * the configuration refuses --api-sock before this is ever reached. */
#ifdef VOLT_STATIC
#include "api/mhd.h"

#include <errno.h>

#include "util/build.h"

int api_mhd_load(const struct api_mhd **out, struct volt_err *err)
{
	*out = NULL;
	return verr_set(err, ENOTSUP, "api: %s", VOLT_STATIC_NO_API);
}
#endif
