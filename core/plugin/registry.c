/* Finding and loading plugins: the slim build's static table first, then
 * NAME.so in the plugin directory (never in a static volt, which has no
 * dynamic loader: plugin/dl.h). Every refusal is one line that starts
 * with the file ("/usr/lib/volt/plugins/x.so: ...") and says why. */
#include "plugin/registry.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/dl.h"

char *plugin_default_dir(struct volt_err *err)
{
	char exe[PATH_MAX], *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return verr_set(err, errno, "finding the plugin directory: /proc/self/exe: %s",
				strerror(errno)), NULL;
	exe[n] = '\0';
	if (asprintf(&dir, "%s/../lib/volt/plugins", dirname(exe)) < 0)
		return verr_set(err, ENOMEM, "out of memory"), NULL;
	return dir;
}

int plugin_registry_init(struct plugin_registry *reg, const char *dir,
			 const struct volt_static_plugin *statics, unsigned nstatics,
			 struct volt_err *err)
{
	const char *no_files = plugin_dl_unavailable();
	char *canon;

	memset(reg, 0, sizeof(*reg));
	reg->statics = statics;
	reg->nstatics = nstatics;
	if (no_files) {
		/* Only the built-in plugins, whatever dir says. */
		snprintf(reg->dir_error, sizeof(reg->dir_error), "%s", no_files);
		return 0;
	}
	reg->dir = dir ? strdup(dir) : plugin_default_dir(err);
	if (!reg->dir && dir)
		return verr_set(err, ENOMEM, "out of memory");
	if (!reg->dir) {
		/* No /proc (a jail without it), say: a slim build's own plugins
		 * need no directory; asking for another one says why. */
		snprintf(reg->dir_error, sizeof(reg->dir_error), "%s (--plugin-dir names the "
			 "directory)", err && err->code ? err->msg : "out of memory");
		if (err)
			*err = (struct volt_err){ 0 };
		return 0;
	}
	/* Messages read better without "bin/../lib"; a missing dir stays as is. */
	canon = realpath(reg->dir, NULL);
	if (canon) {
		free(reg->dir);
		reg->dir = canon;
	}
	return 0;
}

static void plugin_free(struct plugin *p)
{
	plugin_dl_close(p->dl);
	free(p->name);
	free(p->file);
	free(p);
}

void plugin_registry_fini(struct plugin_registry *reg)
{
	while (reg->plugins) {
		struct plugin *p = reg->plugins;

		reg->plugins = p->next;
		plugin_free(p);
	}
	free(reg->dir);
	reg->dir = NULL;
}

static struct plugin *plugin_find_loaded(const struct plugin_registry *reg, const char *name)
{
	for (struct plugin *p = reg->plugins; p; p = p->next)
		if (!strcmp(p->desc.name, name))
			return p;
	return NULL;
}

static int plugin_open_file(struct plugin *p, struct volt_err *err)
{
	volt_plugin_entry_fn entry;
	int r = plugin_dl_open(p->file, &p->dl, &entry, err);

	if (!r)
		r = plugin_desc_accept(p, entry(), VOLT_ABI_MAJOR, err);
	return r;
}

static const struct volt_static_plugin *plugin_find_static(const struct plugin_registry *reg,
							   const char *name, unsigned *count)
{
	const struct volt_static_plugin *found = NULL;

	*count = 0;
	for (unsigned i = 0; i < reg->nstatics; i++) {
		if (!strcmp(reg->statics[i].name, name)) {
			found = found ? found : &reg->statics[i];
			(*count)++;
		}
	}
	return found;
}

/* Where `name` comes from: a static row, or NAME.so, which must exist. */
static int plugin_locate(struct plugin_registry *reg, const char *name, struct plugin *p,
			 const struct volt_static_plugin **row, struct volt_err *err)
{
	unsigned count;

	*row = plugin_find_static(reg, name, &count);
	if (*row) {
		if (asprintf(&p->file, "volt (built-in plugin %s)", name) < 0)
			return verr_set(err, ENOMEM, "out of memory");
		if (count > 1)
			return verr_set(err, EEXIST, "the static plugin table lists the name %s "
					"%u times", name, count);
		return 0;
	}
	if (!reg->dir)
		return verr_set(err, ENOENT, "no plugin %s: it is not built in, and %s", name,
				reg->dir_error);
	if (asprintf(&p->file, "%s/%s.so", reg->dir, name) < 0)
		return verr_set(err, ENOMEM, "out of memory");
	if (access(p->file, F_OK) < 0)
		return verr_set(err, ENOENT, "no plugin %s: %s does not exist (plugin directory: "
				"[plugins] dir, --plugin-dir)", name, p->file);
	return 0;
}

static int plugin_load(struct plugin_registry *reg, const char *name, struct plugin *p,
		       struct volt_err *err)
{
	const struct volt_static_plugin *row;
	struct plugin *other;
	int r = plugin_locate(reg, name, p, &row, err);

	if (!r && row)
		r = plugin_desc_accept(p, row->entry(), VOLT_ABI_MAJOR, err);
	else if (!r)
		r = plugin_open_file(p, err);
	if (!r && (other = plugin_find_loaded(reg, p->desc.name)))
		r = verr_set(err, EEXIST, "plugin name '%s' is already taken by %s", p->desc.name,
			     other->file);
	else if (!r && strcmp(p->desc.name, name))
		r = verr_set(err, EINVAL, "its descriptor names it '%s', not '%s' (a plugin's "
			     "file is named after it: %s.so)", p->desc.name, name, p->desc.name);
	if (r && r != -ENOENT && p->file)
		verr_prefix(err, "%s: ", p->file);
	return r;
}

int plugin_registry_get(struct plugin_registry *reg, const char *name, struct plugin **out,
			struct volt_err *err)
{
	struct plugin *p = plugin_find_loaded(reg, name);
	int r;

	*out = p;
	if (p)
		return 0;
	if (!plugin_name_valid(name))
		return verr_set(err, ENOENT, "'%s' is not a plugin name ([a-z0-9-]+)", name);
	p = calloc(1, sizeof(*p));
	if (!p)
		return verr_set(err, ENOMEM, "out of memory");
	r = plugin_load(reg, name, p, err);
	if (!r)
		p->name = strdup(name);
	if (!r && !p->name)
		r = verr_set(err, ENOMEM, "out of memory");
	if (r) {
		plugin_free(p);
		return r;
	}
	p->next = reg->plugins;
	reg->plugins = p;
	*out = p;
	return 0;
}

static int plugin_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add NAME of a NAME.so directory entry; false if it is not one. */
static bool plugin_name_of_file(const char *file, char **out)
{
	size_t len = strlen(file);

	if (len <= 3 || strcmp(file + len - 3, ".so"))
		return false;
	*out = strndup(file, len - 3);
	if (*out && plugin_name_valid(*out))
		return true;
	free(*out);
	return false;
}

size_t plugin_registry_names(const struct plugin_registry *reg, char **names, size_t cap)
{
	size_t n = 0, kept = 0;
	struct dirent *e;
	DIR *dir;

	for (unsigned i = 0; i < reg->nstatics && n < cap; i++)
		if (reg->statics[i].name && (names[n] = strdup(reg->statics[i].name)))
			n++;
	dir = reg->dir ? opendir(reg->dir) : NULL;
	while (dir && n < cap && (e = readdir(dir)))
		n += plugin_name_of_file(e->d_name, &names[n]);
	if (dir)
		closedir(dir);
	qsort(names, n, sizeof(*names), plugin_name_cmp);
	/* A slim build may also find its own plugins' files: list each once. */
	for (size_t i = 0; i < n; i++) {
		if (kept && !strcmp(names[i], names[kept - 1]))
			free(names[i]);
		else
			names[kept++] = names[i];
	}
	return kept;
}
