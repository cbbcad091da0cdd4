/* libmicrohttpd, loaded when the API starts rather than linked: a volt
 * without --api-sock never maps it, nor the GnuTLS it pulls in (about a
 * millisecond of every start, measured in docs/benchmarks.md). The server
 * calls it only through this table. */
#ifndef VOLT_API_MHD_H
#define VOLT_API_MHD_H

#include <microhttpd.h>

#include "util/err.h"

struct api_mhd {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_suspend_connection) *suspend_connection;
	__typeof__(MHD_resume_connection) *resume_connection;
};

/* Load it (once; later calls return at once) and fill *out. */
int api_mhd_load(const struct api_mhd **out, struct volt_err *err);

#endif
