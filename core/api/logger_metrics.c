/* PUT /logger and PUT /metrics, both pre-boot only. The logger's level is
 * volt's log level (Trace reads as Debug; Off keeps errors, which volt
 * always reports); its log_path takes over volt's standard error, where
 * every log line goes. Volt's lines always carry their level and never
 * their source line, so show_level and show_log_origin are kept for GET
 * /vm/config but change nothing; module is kept likewise. The metrics file
 * receives one JSON line per FlushMetrics. */
#include "api/handlers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/json.h"
#include "util/log.h"

struct api_level {
	const char *name;
	enum log_level level;
};

static const struct api_level api_levels[] = {
	{ "Error", LOG_ERROR }, { "Warning", LOG_WARN }, { "Info", LOG_INFO },
	{ "Debug", LOG_DEBUG }, { "Trace", LOG_DEBUG },  { "Off", LOG_ERROR },
};

/* A file (created 0600 if missing, appended to) or a named pipe (opened
 * read-write and non-blocking, so a pipe nobody reads yet neither blocks
 * the open nor, once full, a writer). */
static int api_open_output(const struct api_ctx *ctx, const char *path,
			   struct api_response *resp, const char *what)
{
	struct stat st;
	int fd;

	if (ctx->outputs_to)
		path = ctx->outputs_to;
	if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode))
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	else
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		api_fault(resp, 400, "%s: cannot open %s: %s", what, path, strerror(errno));
	return fd;
}

json_t *api_logger_json(const struct api_ctx *ctx)
{
	const struct api_logger *l = &ctx->logger;
	json_t *o = json_pack("{s:s, s:b, s:b}", "level", l->level, "show_level", l->show_level,
			      "show_log_origin", l->show_log_origin);

	if (o && l->log_path)
		apij_set(o, "log_path", apij_string(l->log_path));
	if (o && l->module)
		apij_set(o, "module", apij_string(l->module));
	return o;
}

static const struct api_level *api_level_find(const char *name)
{
	for (size_t i = 0; i < sizeof(api_levels) / sizeof(api_levels[0]); i++)
		if (!strcasecmp(api_levels[i].name, name))
			return &api_levels[i];
	return NULL;
}

/* Point standard error at the log file; the old one is gone for good. */
static bool api_logger_redirect(const struct api_ctx *ctx, const char *path,
				struct api_response *resp)
{
	int fd = api_open_output(ctx, path, resp, "log_path");

	if (fd < 0)
		return false;
	if (!ctx->outputs_to && dup2(fd, STDERR_FILENO) < 0) {
		api_fault(resp, 400, "log_path: %s", strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

void api_put_logger(struct api_ctx *ctx, const char *id, json_t *body,
		    struct api_response *resp)
{
	const char *level = "Info", *path = NULL, *module = NULL;
	bool show_level = false, show_origin = false;
	const struct apij_field fields[] = {
		{ "level", APIJ_STRING, false, &level, NULL, 0, 0 },
		{ "log_path", APIJ_STRING, false, &path, NULL, 0, 0 },
		{ "show_level", APIJ_BOOL, false, &show_level, NULL, 0, 0 },
		{ "show_log_origin", APIJ_BOOL, false, &show_origin, NULL, 0, 0 },
		{ "module", APIJ_STRING, false, &module, NULL, 0, 0 },
	};
	struct api_logger *l = &ctx->logger;
	const struct api_level *lv;
	char *path_abs = NULL, *module_copy = NULL;

	if (!apij_unpack(body, fields, sizeof(fields) / sizeof(fields[0]), resp))
		return;
	lv = api_level_find(level);
	if (!lv) {
		api_fault(resp, 400, "An error occurred when deserializing the json body of a "
			  "request: unknown variant `%.32s`, expected one of `Error`, `Warning`, "
			  "`Info`, `Debug`, `Trace`, `Off`.", level);
		return;
	}
	if (!api_require_preboot(ctx, resp))
		return;
	if ((path && !(path_abs = api_abs_path(ctx, path))) || (module && !(module_copy = strdup(module)))) {
		api_fault(resp, 500, "Out of memory.");
		goto fail;
	}
	if (path_abs && !api_logger_redirect(ctx, path_abs, resp))
		goto fail;
	log_set_level(lv->level);
	/* Without a new path, standard error stays where the last one put it. */
	if (path_abs) {
		free(l->log_path);
		l->log_path = path_abs;
	}
	free(l->module);
	l->module = module_copy;
	l->set = true;
	strcpy(l->level, lv->name);
	l->show_level = show_level;
	l->show_log_origin = show_origin;
	api_reply_empty(resp);
	return;
fail:
	free(path_abs);
	free(module_copy);
}

void api_put_metrics(struct api_ctx *ctx, const char *id, json_t *body,
		     struct api_response *resp)
{
	const char *path = NULL;
	const struct apij_field fields[] = {
		{ "metrics_path", APIJ_STRING, true, &path, NULL, 0, 0 },
	};
	char *abs;
	int fd;

	if (!apij_unpack(body, fields, 1, resp) || !api_require_preboot(ctx, resp))
		return;
	if (ctx->metrics_path) {
		api_fault(resp, 400, "Reinitialization of metrics not allowed.");
		return;
	}
	abs = api_abs_path(ctx, path);
	if (!abs) {
		api_fault(resp, 500, "Out of memory.");
		return;
	}
	fd = api_open_output(ctx, abs, resp, "metrics_path");
	if (fd < 0) {
		free(abs);
		return;
	}
	ctx->metrics_path = abs;
	ctx->metrics_fd = fd;
	api_reply_empty(resp);
}
