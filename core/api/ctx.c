/* The API's view of the VM: the configuration being filled, what
 * Firecracker's resources hold beyond it, and the VM's state. */
#include "api/handlers.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/path.h"

int api_ctx_init(struct api_ctx *ctx, struct volt_config *cfg, uint64_t start_ns)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->start_ns = start_ns;
	ctx->huge_pages = "None";
	ctx->metrics_fd = -1;
	ctx->state = API_VM_NOT_STARTED;
	/* The INI file's (or the default) command line is the boot args until
	 * PUT /boot-source says otherwise. */
	ctx->boot_args = strdup(cfg->cmdline ? cfg->cmdline : "");
	ctx->cwd = getcwd(NULL, 0); /* NULL (deleted, say): paths stay as given */
	return ctx->boot_args ? 0 : -ENOMEM;
}

static void api_drive_meta_free(struct api_drive_meta *d)
{
	free(d->id);
	free(d->partuuid);
}

void api_ctx_fini(struct api_ctx *ctx)
{
	api_metrics_detach(ctx);
	for (size_t i = 0; i < ctx->ndrives; i++)
		api_drive_meta_free(&ctx->drives[i]);
	free(ctx->drives);
	free(ctx->boot_args);
	free(ctx->cwd);
	free(ctx->logger.log_path);
	free(ctx->logger.module);
	free(ctx->metrics_path);
	free(ctx->plugins_json);
	if (ctx->metrics_fd >= 0)
		close(ctx->metrics_fd);
	memset(ctx, 0, sizeof(*ctx));
	ctx->metrics_fd = -1;
}

struct api_drive_meta *api_drive_meta(struct api_ctx *ctx, const char *id, bool create)
{
	struct api_drive_meta *arr, *d;

	for (size_t i = 0; i < ctx->ndrives; i++)
		if (!strcmp(ctx->drives[i].id, id))
			return &ctx->drives[i];
	if (!create)
		return NULL;
	arr = realloc(ctx->drives, (ctx->ndrives + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	ctx->drives = arr;
	d = &arr[ctx->ndrives];
	memset(d, 0, sizeof(*d));
	d->id = strdup(id);
	if (!d->id)
		return NULL;
	d->cache_type = "Unsafe";
	d->io_engine = "Sync";
	ctx->ndrives++;
	return d;
}

char *api_abs_path(const struct api_ctx *ctx, const char *path)
{
	return path_resolve(ctx->cwd, path);
}

void api_ctx_boot_done(struct api_ctx *ctx, struct machine *m, const char *msg,
		       struct api_response *resp)
{
	resp->pending = false;
	if (!m) {
		ctx->state = API_VM_NOT_STARTED;
		ctx->counters.errors++;
		api_fault(resp, 400, "Cannot start the microVM: %s", msg ? msg : "unknown error");
		return;
	}
	ctx->machine = m;
	api_metrics_attach(ctx, m);
	ctx->state = API_VM_RUNNING;
	ctx->counters.actions++;
	api_reply_empty(resp);
}
