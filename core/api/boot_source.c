/* PUT /boot-source (pre-boot): the kernel, initrd and boot args, checked
 * when they are given as Firecracker checks them (the files must be
 * readable), and InstanceStart's last step before the machine is built:
 * the command line with the root drive, the root drive first. */
#include "api/handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/json.h"

/* Firecracker replaces the whole boot source, so boot args left out go
 * back to Volt's default command line. */
#define API_DEFAULT_BOOT_ARGS "console=ttyS0 reboot=k panic=-1"

static bool api_readable_file(const char *what, const char *path, struct api_response *resp)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		api_fault(resp, 400, "Invalid %s path: %s: %s", what, path, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		api_fault(resp, 400, "Invalid %s path: %s: not a regular file", what, path);
		return false;
	}
	return true;
}

json_t *api_boot_source_json(const struct api_ctx *ctx)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	apij_set(o, "kernel_image_path", apij_string(ctx->cfg->kernel));
	apij_set(o, "boot_args", apij_string(ctx->boot_args));
	if (ctx->cfg->initrd)
		apij_set(o, "initrd_path", apij_string(ctx->cfg->initrd));
	return o;
}

static void api_clear_initrd(struct volt_config *cfg)
{
	free(cfg->initrd);
	free(cfg->origin.initrd);
	cfg->initrd = NULL;
	cfg->origin.initrd = NULL;
}

void api_put_boot_source(struct api_ctx *ctx, const char *id, json_t *body,
			 struct api_response *resp)
{
	const char *kernel = NULL, *args = API_DEFAULT_BOOT_ARGS, *initrd = NULL;
	const struct apij_field fields[] = {
		{ "kernel_image_path", APIJ_STRING, true, &kernel, NULL, 0, 0 },
		{ "boot_args", APIJ_STRING, false, &args, NULL, 0, 0 },
		{ "initrd_path", APIJ_STRING, false, &initrd, NULL, 0, 0 },
	};
	char *kernel_abs = NULL, *initrd_abs = NULL, *args_copy = NULL;
	struct volt_err err = { 0 };

	if (!apij_unpack(body, fields, sizeof(fields) / sizeof(fields[0]), resp) ||
	    !api_require_preboot(ctx, resp))
		goto out;
	args_copy = strdup(args);
	kernel_abs = api_abs_path(ctx, kernel);
	initrd_abs = initrd ? api_abs_path(ctx, initrd) : NULL;
	if (!args_copy || !kernel_abs || (initrd && !initrd_abs)) {
		api_fault(resp, 500, "Out of memory.");
		goto out;
	}
	if (!api_readable_file("kernel", kernel_abs, resp) ||
	    (initrd_abs && !api_readable_file("initrd", initrd_abs, resp)))
		goto out;
	if (config_set_from(ctx->cfg, "boot-source: kernel_image_path", "vm", "kernel",
			    kernel_abs, &err) ||
	    (initrd_abs && config_set_from(ctx->cfg, "boot-source: initrd_path", "vm", "initrd",
					   initrd_abs, &err))) {
		api_fault(resp, 400, "%s", err.msg);
		goto out;
	}
	if (!initrd_abs)
		api_clear_initrd(ctx->cfg);
	free(ctx->boot_args);
	ctx->boot_args = args_copy;
	args_copy = NULL;
	api_reply_empty(resp);
out:
	free(args_copy);
	free(kernel_abs);
	free(initrd_abs);
}

/* The root drive, if one was marked: put first (the guest's /dev/vda) and
 * named on the command line, read-only or not, as Firecracker does. */
static int api_root_args(struct api_ctx *ctx, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < ctx->ndrives; i++) {
		const struct api_drive_meta *d = &ctx->drives[i];
		const struct config_instance *inst;
		bool ro;

		if (!d->is_root_device || !(inst = config_instance_find(ctx->cfg, "drive", d->id)))
			continue;
		ro = api_inst_bool(inst, "read_only");
		config_instance_move_first(ctx->cfg, "drive", d->id);
		if (d->partuuid)
			return snprintf(buf, size, "root=PARTUUID=%s %s", d->partuuid, ro ? "ro" : "rw");
		return snprintf(buf, size, "root=/dev/vda %s", ro ? "ro" : "rw");
	}
	return 0;
}

bool api_prepare_boot(struct api_ctx *ctx, struct api_response *resp)
{
	struct volt_err err = { 0 };
	char root[160], *cmdline;
	int r;

	if (!ctx->cfg->kernel) {
		api_fault(resp, 400, "Cannot start microvm without kernel configuration.");
		return false;
	}
	api_root_args(ctx, root, sizeof(root));
	if (asprintf(&cmdline, "%s%s%s", ctx->boot_args, ctx->boot_args[0] && root[0] ? " " : "",
		     root) < 0) {
		api_fault(resp, 500, "Out of memory.");
		return false;
	}
	r = config_set_from(ctx->cfg, "boot-source: boot_args", "vm", "cmdline", cmdline, &err);
	free(cmdline);
	if (!r)
		r = config_validate(ctx->cfg, &err);
	if (r) {
		api_fault(resp, 400, "Cannot start the microVM: %s", err.msg);
		return false;
	}
	return true;
}
