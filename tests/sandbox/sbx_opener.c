/* sbx-opener: opens files after lockdown, in its start hook. At realize it
 * allows `allowed` read-only (unless allow = false); it never allows
 * `other`. It logs what became of each open, so the sandbox's test sees
 * Landlock at work:
 *   "sbx-opener: allowed for reading: opened"
 *   "sbx-opener: allowed for writing: refused (Permission denied)"
 *   "sbx-opener: other for reading: refused (Permission denied)"
 * With remove_dir, it allows that directory VOLT_PATH_REMOVE (ABI 1.2) and
 * then tries, in it, to remove `victim`, to create `new` and to read
 * `victim2`: "sbx-opener: remove_dir: removing victim: done",
 * "... creating new: refused (...)", "... reading victim2: refused (...)". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <volt/volt.h>

struct opener {
	const struct volt_host_api *host;
	struct volt_instance *inst;
};

static const struct volt_key opener_keys[] = {
	{ .name = "allowed", .type = VOLT_KEY_PATH, .flags = VOLT_KEY_REQUIRED,
	  .help = "a file it allows itself (read-only) and opens after lockdown" },
	{ .name = "other", .type = VOLT_KEY_PATH, .flags = VOLT_KEY_REQUIRED,
	  .help = "a file it never allows, and tries to open after lockdown" },
	{ .name = "allow", .type = VOLT_KEY_BOOL, .default_value = "true",
	  .help = "false: allow no path at all (the sandbox then refuses its openat)" },
	{ .name = "remove_dir", .type = VOLT_KEY_PATH,
	  .help = "a directory it may only remove files from (victim, not new nor victim2)" },
};

static int opener_create(const struct volt_host_api *host, struct volt_instance *inst,
			 void **state)
{
	struct opener *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->host = host;
	o->inst = inst;
	*state = o;
	return 0;
}

static int opener_realize(void *state)
{
	struct opener *o = state;

	const char *dir = o->host->config_get(o->inst, "remove_dir");
	int r;

	if (!o->host->config_get_bool(o->inst, "allow"))
		return 0;
	r = o->host->sandbox_allow_path(o->inst, o->host->config_get(o->inst, "allowed"),
					VOLT_PATH_READ);
	if (!r && dir && dir[0])
		r = o->host->sandbox_allow_path(o->inst, dir, VOLT_PATH_REMOVE);
	return r;
}

/* In remove_dir: `what` on `name`, done or refused and why. */
static void opener_in_dir(struct opener *o, const char *what, const char *name, int r)
{
	if (r < 0)
		o->host->log(o->inst, VOLT_LOG_INFO, "sbx-opener: remove_dir: %s %s: refused (%s)",
			     what, name, strerror(errno));
	else
		o->host->log(o->inst, VOLT_LOG_INFO, "sbx-opener: remove_dir: %s %s: done", what,
			     name);
	if (r > 0)
		close(r);
}

static void opener_try_dir(struct opener *o, const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/victim", dir);
	opener_in_dir(o, "removing", "victim", unlinkat(AT_FDCWD, path, 0));
	snprintf(path, sizeof(path), "%s/new", dir);
	opener_in_dir(o, "creating", "new", open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	snprintf(path, sizeof(path), "%s/victim2", dir);
	opener_in_dir(o, "reading", "victim2", open(path, O_RDONLY | O_CLOEXEC));
}

static void opener_try(struct opener *o, const char *key, int flags, const char *how)
{
	int fd = open(o->host->config_get(o->inst, key), flags | O_CLOEXEC);

	if (fd < 0) {
		o->host->log(o->inst, VOLT_LOG_INFO, "sbx-opener: %s for %s: refused (%s)", key,
			     how, strerror(errno));
		return;
	}
	o->host->log(o->inst, VOLT_LOG_INFO, "sbx-opener: %s for %s: opened", key, how);
	close(fd);
}

static int opener_start(void *state)
{
	struct opener *o = state;

	opener_try(o, "allowed", O_RDONLY, "reading");
	opener_try(o, "allowed", O_WRONLY, "writing");
	opener_try(o, "other", O_RDONLY, "reading");
	if (o->host->config_get(o->inst, "remove_dir") &&
	    o->host->config_get(o->inst, "remove_dir")[0])
		opener_try_dir(o, o->host->config_get(o->inst, "remove_dir"));
	return 0;
}

static void opener_destroy(void *state)
{
	free(state);
}

static const struct volt_syscall opener_syscalls[] = {
	{ "openat", VOLT_THREAD_MAIN, VOLT_FD_ANY, NULL, 0,
	  "open the file it allowed at realize, in its start hook" },
	{ "unlinkat", VOLT_THREAD_MAIN, VOLT_FD_ANY, NULL, 0,
	  "remove a file in remove_dir, in its start hook" },
};

static const struct volt_device_ops opener_ops = {
	.struct_size = sizeof(struct volt_device_ops),
};

static const struct volt_plugin_desc opener_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_DEVICE,
	.name = "sbx-opener",
	.version = "0",
	.license = "MIT",
	.description = "the sandbox's test: opens files after lockdown",
	.keys = opener_keys,
	.nkeys = sizeof(opener_keys) / sizeof(opener_keys[0]),
	.syscalls = opener_syscalls,
	.nsyscalls = sizeof(opener_syscalls) / sizeof(opener_syscalls[0]),
	.create = opener_create,
	.realize = opener_realize,
	.start = opener_start,
	.destroy = opener_destroy,
	.ops = &opener_ops,
};

VOLT_PLUGIN_DEFINE(sbx_opener, opener_desc)
