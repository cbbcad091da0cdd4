/* libFuzzer target for the API's request layer: a sequence of requests
 * (method, path, body) through api_dispatch() against one fresh context,
 * so the routes, the strict JSON unpacking, every handler and the state
 * they leave for the next request (InstanceStart, pause, drives replaced)
 * are all reached; then everything is freed, so LSan sees leaks.
 *
 * Input: requests one after another, each
 *   one byte     the method: GET, PUT, PATCH or another, by value % 4
 *   bytes, '\n'  the path
 *   bytes, '\0'  the body (empty: none)
 * In the body, 0x01 and two bytes n repeat the byte before n times
 * (fuzz_expand), up to API_BODY_MAX (51200 bytes), the most the server
 * passes on: strings, keys, arrays and nesting of tens of kilobytes in every
 * handler and in the messages that quote them, which libFuzzer's usual
 * 4 KiB inputs never reach. The body then goes to api_dispatch in a block
 * of exactly its length, not NUL-terminated, as the server hands it over.
 * Files the handlers would write (log_path, metrics_path) all go to one
 * scratch file; standard error is never redirected. A dictionary of paths
 * and field names is beside this file (fuzz_api_dispatch.dict). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"

#include "fuzz_util.h"

#define FUZZ_API_PATH_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum api_method fuzz_methods[] = { API_OTHER, API_GET, API_PUT, API_PATCH };
static const char *const fuzz_method_names[] = { "DELETE", "GET", "PUT", "PATCH" };

/* The next request from data; false at the end. Its body is malloc'd
 * (NULL if out of memory): *body, for the caller to free. */
static bool fuzz_next(const uint8_t **p, const uint8_t *end, struct api_request *req,
		      char *path, char **body)
{
	const uint8_t *nl, *nul;
	size_t n, len = 0;
	char *text;

	if (*p >= end)
		return false;
	req->method = fuzz_methods[**p % 4];
	req->method_name = fuzz_method_names[**p % 4];
	(*p)++;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	n = (size_t)((nl ? nl : end) - *p);
	n = n < FUZZ_API_PATH_MAX ? n : FUZZ_API_PATH_MAX;
	memcpy(path, *p, n);
	path[n] = '\0';   /* a NUL inside just ends the path early, as HTTP would */
	*p = nl ? nl + 1 : end;
	nul = memchr(*p, '\0', (size_t)(end - *p));
	req->path = path;
	text = fuzz_expand(*p, (size_t)((nul ? nul : end) - *p), API_BODY_MAX, &len);
	*p = nul ? nul + 1 : end;
	/* Exactly its length, so that a read past the body's end is caught. */
	*body = text ? malloc(len ? len : 1) : NULL;
	if (*body)
		memcpy(*body, text, len);
	free(text);
	req->body = *body;
	req->body_len = *body ? len : 0;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char path[FUZZ_API_PATH_MAX + 1];
	struct volt_config cfg;
	struct api_request req;
	struct api_ctx ctx;
	char *body;

	config_init(&cfg);
	cfg.api_sock = strdup("/nonexistent/fuzz.sock");
	if (!cfg.api_sock || api_ctx_init(&ctx, &cfg, 0)) {
		config_free(&cfg);
		return 0;
	}
	ctx.outputs_to = "/dev/null";
	while (fuzz_next(&p, end, &req, path, &body)) {
		struct api_response resp;

		api_dispatch(&ctx, &req, &resp);
		free(resp.body);
		free(body);
	}
	api_ctx_fini(&ctx);
	config_free(&cfg);
	return 0;
}
