/* libmicrohttpd through the dynamic loader (every build but a static one). */
#ifndef VOLT_STATIC
#include "api/mhd.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#ifndef VOLT_MHD_SONAME
#define VOLT_MHD_SONAME "libmicrohttpd.so.12"
#endif

struct api_mhd_sym {
	const char *name;
	size_t offset;
};

#define API_MHD_SYM(field, sym) { #sym, offsetof(struct api_mhd, field) }

static const struct api_mhd_sym api_mhd_syms[] = {
	API_MHD_SYM(start_daemon, MHD_start_daemon),
	API_MHD_SYM(stop_daemon, MHD_stop_daemon),
	API_MHD_SYM(get_daemon_info, MHD_get_daemon_info),
	API_MHD_SYM(get_timeout, MHD_get_timeout),
	API_MHD_SYM(run, MHD_run),
	API_MHD_SYM(lookup_connection_value, MHD_lookup_connection_value),
	API_MHD_SYM(create_response_from_buffer, MHD_create_response_from_buffer),
	API_MHD_SYM(add_response_header, MHD_add_response_header),
	API_MHD_SYM(queue_response, MHD_queue_response),
	API_MHD_SYM(destroy_response, MHD_destroy_response),
	API_MHD_SYM(suspend_connection, MHD_suspend_connection),
	API_MHD_SYM(resume_connection, MHD_resume_connection),
};

static struct api_mhd api_mhd;
static void *api_mhd_dl;   /* kept for the life of the process */

int api_mhd_load(const struct api_mhd **out, struct volt_err *err)
{
	void *dl;

	*out = &api_mhd;
	if (api_mhd_dl)
		return 0;
	dl = dlopen(VOLT_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		return verr_set(err, ENOENT, "api: cannot load %s (libmicrohttpd, which serves the "
				"API): %s", VOLT_MHD_SONAME, dlerror());
	for (size_t i = 0; i < sizeof(api_mhd_syms) / sizeof(api_mhd_syms[0]); i++) {
		void *fn = dlsym(dl, api_mhd_syms[i].name);

		if (!fn) {
			dlclose(dl);
			return verr_set(err, ENOENT, "api: %s has no %s", VOLT_MHD_SONAME,
					api_mhd_syms[i].name);
		}
		*(void **)((char *)&api_mhd + api_mhd_syms[i].offset) = fn;
	}
	api_mhd_dl = dl;
	return 0;
}
#endif
