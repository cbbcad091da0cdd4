#include "plugin/help.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/instance.h"
#include "plugin/registry.h"
#include "plugin/static_plugins.h"
#include "sandbox/policy.h"
#include "util/build.h"

#define PLUGIN_HELP_MAX 256 /* plugins listed */

static const char *help_text(const char *s)
{
	return s && *s ? s : "-";
}

int plugin_help_list(const char *dir, FILE *out, struct volt_err *err)
{
	struct plugin_registry reg;
	char *names[PLUGIN_HELP_MAX];
	size_t n;
	int r = plugin_registry_init(&reg, dir, volt_static_plugins, volt_static_plugin_count, err);

	if (r)
		return r;
	n = plugin_registry_names(&reg, names, PLUGIN_HELP_MAX);
	if (reg.dir)
		fprintf(out, "Plugins in %s%s:\n", reg.dir,
			volt_static_plugin_count ? " and built in" : "");
	else if (VOLT_BUILD_STATIC)
		fprintf(out, "Plugins built into this static volt (it loads no plugin files):\n");
	else
		fprintf(out, "Plugins built in (no plugin directory: %s):\n", reg.dir_error);
	if (!n)
		fprintf(out, "  none\n");
	for (size_t i = 0; i < n; i++) {
		struct volt_err why = { 0 };
		struct plugin *p;

		if (plugin_registry_get(&reg, names[i], &p, &why) == 0)
			fprintf(out, "  %-14s %-16s %s\n", p->desc.name, plugin_kind_name(p->desc.kind),
				help_text(p->desc.description));
		else
			fprintf(out, "  %-14s refused: %s\n", names[i], why.msg);
		free(names[i]);
	}
	fprintf(out, "Details of one, with the keys its section takes: volt --help-plugin NAME\n");
	plugin_registry_fini(&reg);
	return 0;
}

/* Where the plugin is configured. */
static void help_sections(const struct volt_plugin_desc *d, FILE *out)
{
	bool backend = d->kind == VOLT_PLUGIN_NET_BACKEND;
	const char *dflt = instance_kind_default_for(d->name, backend);

	if (backend)
		fprintf(out, "Configured in a [net \"ID\"] section with backend = %s%s,\n"
			"which also takes its device's keys (volt --help-plugin virtio-net).\n",
			d->name, dflt ? " (the default)" : "");
	else if (dflt)
		fprintf(out, "Configured in a [%s \"ID\"] section (its default plugin; or say\n"
			"plugin = %s).\n", dflt, d->name);
	else
		fprintf(out, "Configured in a [device \"ID\"] section with plugin = %s.\n", d->name);
}

/* "number, 68 to 65535" and the like. */
static void help_key_type(const struct volt_key *k, char *buf, size_t size)
{
	switch (k->type) {
	case VOLT_KEY_PATH:
		snprintf(buf, size, "%s", k->flags & VOLT_KEY_PATH_WRITE ? "path (read-write)" :
			 "path");
		return;
	case VOLT_KEY_BOOL:
		snprintf(buf, size, "true or false");
		return;
	case VOLT_KEY_U64:
		if (k->min || k->max)
			snprintf(buf, size, "number, %" PRIu64 " to %" PRIu64, k->min, k->max);
		else
			snprintf(buf, size, "number");
		return;
	case VOLT_KEY_MAC:
		snprintf(buf, size, "MAC address");
		return;
	default:
		snprintf(buf, size, "text");
	}
}

static void help_key(const struct volt_key *k, FILE *out)
{
	char type[64];

	help_key_type(k, type, sizeof(type));
	fprintf(out, "  %s = %s", k->name, type);
	if (k->flags & VOLT_KEY_REQUIRED)
		fprintf(out, ", required");
	else if (k->default_value)
		fprintf(out, ", default %s", *k->default_value ? k->default_value : "empty");
	fprintf(out, "\n      %s\n", help_text(k->help));
}

/* "  pread64 on io, fd slot 0: reads the image" */
static void help_syscall(const struct volt_syscall *sc, FILE *out)
{
	const char *sep = "";

	fprintf(out, "  %s on ", sc->name);
	for (uint32_t t = VOLT_THREAD_MAIN; t <= VOLT_THREAD_IO; t <<= 1) {
		if (sc->threads & t) {
			fprintf(out, "%s%s", sep, sb_thread_type_name(t));
			sep = "+";
		}
	}
	if (sc->fd_slot != VOLT_FD_ANY)
		fprintf(out, ", fd slot %" PRIu32, sc->fd_slot);
	for (uint32_t i = 0; i < sc->nioctls; i++)
		fprintf(out, "%s0x%" PRIx64, i ? " " : ", requests ", sc->ioctls[i]);
	fprintf(out, "\n      %s\n", help_text(sc->reason));
}

/* What an operator vetting a plugin wants to see: what it may do once the
 * sandbox is on, beyond what the core allows every thread. */
static void help_syscalls(const struct volt_plugin_desc *d, FILE *out)
{
	if (!d->nsyscalls) {
		fprintf(out, "It declares no system calls: after lockdown it has only the core's\n"
			"allowlist (docs/sandbox.md).\n");
		return;
	}
	fprintf(out, "System calls it may make after lockdown, besides the core's allowlist\n"
		"(docs/sandbox.md; thread types main, vcpu, io):\n");
	for (uint32_t i = 0; i < d->nsyscalls; i++)
		help_syscall(&d->syscalls[i], out);
}

int plugin_help_show(const char *dir, const char *name, FILE *out, struct volt_err *err)
{
	struct plugin_registry reg;
	const struct volt_plugin_desc *d;
	struct plugin *p;
	int r = plugin_registry_init(&reg, dir, volt_static_plugins, volt_static_plugin_count, err);

	if (!r)
		r = plugin_registry_get(&reg, name, &p, err);
	if (r) {
		plugin_registry_fini(&reg);
		return r;
	}
	d = &p->desc;
	fprintf(out, "%s %s: %s\n", d->name, help_text(d->version), help_text(d->description));
	fprintf(out, "A %s plugin, licence %s, from %s.\n", plugin_kind_name(d->kind),
		help_text(d->license), p->file);
	help_sections(d, out);
	fprintf(out, d->nkeys ? "Keys:\n" : "It takes no keys.\n");
	for (uint32_t i = 0; i < d->nkeys; i++)
		help_key(&d->keys[i], out);
	help_syscalls(d, out);
	plugin_registry_fini(&reg);
	return 0;
}
