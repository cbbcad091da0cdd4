/* Volt's configuration: defaults, the INI file (parsed by inih), one setter
 * shared with the command line, validation and cleanup.
 *
 * Relative paths in an INI file ([vm] kernel and initrd, [serial] output,
 * [plugins] dir) are resolved against the INI file's own directory, not the
 * working directory, so a config file and the images beside it work from
 * wherever volt is started. Paths given as flags stay relative to the
 * working directory, as a shell user expects. Keys of [drive "id"] and
 * [net "id"] sections are stored verbatim, with their lines, for the plugin
 * loader; cfg->base_dir tells it where relative paths among them point. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "sandbox/user.h"
#include "util/build.h"

#define CONFIG_FILE_MAX    (1024 * 1024) /* anything bigger is not a config file */
#define CONFIG_LINE_MAX    8192 /* bytes per INI line: room for any path or cmdline */
#define CONFIG_SECTION_MAX 48   /* inih silently cuts section names at 49 bytes */
#define CONFIG_ECHO_MAX    64   /* bytes of a bad value quoted back in a message */

/* A line the INI reader slips in after every [section] header. This inih
 * build has neither INI_CALL_HANDLER_ON_NEW_SECTION nor line numbers, so the
 * marker is how the handler learns that a section starts, and on which line,
 * even when the section is empty or repeats the previous one. User lines
 * cannot contain \001 (the reader refuses control characters). */
#define CONFIG_SECTION_MARK "\001section"

static char config_default_cmdline[] = "console=ttyS0 reboot=k panic=-1";

/* ---- keys of the fixed sections ---- */

enum config_kind {
	CONFIG_U64,      /* whole number stored in a uint64_t */
	CONFIG_UNSIGNED, /* whole number stored in an unsigned */
	CONFIG_PATH,     /* non-empty path, relative to the INI file's directory */
	CONFIG_STRING,   /* any text */
	CONFIG_OUTPUT,   /* "stdout" (stored as NULL), "none" or a path */
	CONFIG_CHOICE,   /* one of k->words, stored as its index (unsigned) */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_kind kind;
	size_t field;  /* offsetof the value in struct volt_config */
	size_t origin; /* offsetof its origin string */
	uint64_t min, max;
	const char *const *words; /* CONFIG_CHOICE: the allowed words, NULL-ended */
};

/* The words go last and variadic: a compound literal's commas would
 * otherwise split the macro argument. */
#define CONFIG_KEY_FULL(sec, key, kind_, member, min_, max_, ...) \
	{ sec, key, kind_, offsetof(struct volt_config, member), \
	  offsetof(struct volt_config, origin.member), min_, max_, __VA_ARGS__ }

#define CONFIG_KEY(sec, key, kind_, member, min_, max_) \
	CONFIG_KEY_FULL(sec, key, kind_, member, min_, max_, NULL)

/* A CONFIG_CHOICE key: the words follow the member, the default first. */
#define CONFIG_CHOICE_KEY(sec, key, member, ...) \
	CONFIG_KEY_FULL(sec, key, CONFIG_CHOICE, member, 0, 0, \
			(const char *const[]){ __VA_ARGS__, NULL })

static const struct config_key config_keys[] = {
	CONFIG_KEY("vm", "memory_mib", CONFIG_U64, memory_mib,
		   CONFIG_MEMORY_MIB_MIN, CONFIG_MEMORY_MIB_MAX),
	CONFIG_KEY("vm", "vcpus", CONFIG_UNSIGNED, vcpus, 1, CONFIG_VCPUS_MAX),
	CONFIG_KEY("vm", "poll_us", CONFIG_UNSIGNED, poll_us, 0, CONFIG_POLL_US_MAX),
	CONFIG_KEY("vm", "kernel", CONFIG_PATH, kernel, 0, 0),
	CONFIG_CHOICE_KEY("vm", "kernel_pages", kernel_pages, "private", "shared"),
	CONFIG_CHOICE_KEY("vm", "huge_pages", huge_pages, "auto", "loaded", "never"),
	CONFIG_KEY("vm", "initrd", CONFIG_PATH, initrd, 0, 0),
	CONFIG_KEY("vm", "cmdline", CONFIG_STRING, cmdline, 0, 0),
	CONFIG_KEY("serial", "output", CONFIG_OUTPUT, serial_output, 0, 0),
	CONFIG_KEY("plugins", "dir", CONFIG_PATH, plugin_dir, 0, 0),
	CONFIG_KEY("api", "socket", CONFIG_PATH, api_sock, 0, 0),
	CONFIG_KEY("sandbox", "user", CONFIG_STRING, sandbox_user, 0, 0),
};

#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static const char *const config_sections[] = { "vm", "serial", "plugins", "api", "sandbox" };
static const char *const config_instance_kinds[] = { "drive", "net", "device" };

#define CONFIG_NSECTIONS (sizeof(config_sections) / sizeof(config_sections[0]))
#define CONFIG_NKINDS (sizeof(config_instance_kinds) / sizeof(config_instance_kinds[0]))

#define CONFIG_KNOWN_SECTIONS "[vm], [serial], [plugins], [api], [sandbox], [drive \"id\"], [net \"id\"], [device \"id\"]"

static char **config_str_slot(struct volt_config *cfg, size_t offset)
{
	return (char **)(void *)((char *)cfg + offset);
}

static void config_str_free(char **slot)
{
	if (*slot != config_default_cmdline)
		free(*slot);
	*slot = NULL;
}

/* Store a copy of value (NULL allowed) in *slot, freeing what was there. */
static int config_str_replace(char **slot, const char *value, struct volt_err *err)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return verr_set(err, ENOMEM, "out of memory");
	config_str_free(slot);
	*slot = copy;
	return 0;
}

/* Keys whose value is a malloc'd string (or NULL) in struct volt_config. */
static bool config_kind_is_text(enum config_kind kind)
{
	return kind == CONFIG_PATH || kind == CONFIG_STRING || kind == CONFIG_OUTPUT;
}

static const struct config_key *config_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		if (!strcmp(config_keys[i].section, section) &&
		    !strcmp(config_keys[i].name, name))
			return &config_keys[i];
	}
	return NULL;
}

static bool config_section_known(const char *section)
{
	for (size_t i = 0; i < CONFIG_NSECTIONS; i++) {
		if (!strcmp(config_sections[i], section))
			return true;
	}
	return false;
}

/* "memory_mib, vcpus, ..." for an "unknown key" message. */
static void config_key_list(const char *section, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < CONFIG_NKEYS && used < size; i++) {
		if (strcmp(config_keys[i].section, section))
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 used ? ", " : "", config_keys[i].name);
	}
}

/* ---- values ---- */

/* Strict decimal: digits only, so "12x", "-1", " 1", "0x10" and "1e3" are
 * refused instead of being half-read the way strtoull() alone would. */
static int config_parse_number(const char *origin, const char *text, uint64_t min,
			       uint64_t max, uint64_t *out, struct volt_err *err)
{
	const char *digits = text[0] == '-' ? text + 1 : text;
	unsigned long long v;

	if (!text[0])
		return verr_set(err, EINVAL, "%s: no value (expected a number from %" PRIu64
				" to %" PRIu64 ")", origin, min, max);
	if (!digits[0] || strspn(digits, "0123456789") != strlen(digits))
		return verr_set(err, EINVAL, "%s: '%.*s' is not a number", origin,
				CONFIG_ECHO_MAX, text);
	errno = 0;
	v = strtoull(digits, NULL, 10);
	if (text[0] == '-' || errno == ERANGE || v < min || v > max)
		return verr_set(err, EINVAL, "%s: %.*s is out of range (%" PRIu64 " to %"
				PRIu64 ")", origin, CONFIG_ECHO_MAX, text, min, max);
	*out = v;
	return 0;
}

static int config_set_number(struct volt_config *cfg, const struct config_key *k,
			     const char *origin, const char *value, struct volt_err *err)
{
	uint64_t v = 0;
	int rc = config_parse_number(origin, value, k->min, k->max, &v, err);

	if (rc < 0)
		return rc;
	if (k->kind == CONFIG_U64)
		*(uint64_t *)(void *)((char *)cfg + k->field) = v;
	else
		*(unsigned *)(void *)((char *)cfg + k->field) = (unsigned)v;
	return 0;
}

static int config_set_text(struct volt_config *cfg, const struct config_key *k,
			   const char *origin, const char *value, struct volt_err *err)
{
	char **slot = config_str_slot(cfg, k->field);

	if (k->kind == CONFIG_PATH && !value[0])
		return verr_set(err, EINVAL, "%s: no path given", origin);
	if (k->kind == CONFIG_OUTPUT && !value[0])
		return verr_set(err, EINVAL, "%s: no value (use stdout, none or a file path)",
				origin);
	/* The serial device reads NULL as stdout; "none" and paths go through. */
	if (k->kind == CONFIG_OUTPUT && !strcmp(value, "stdout"))
		value = NULL;
	return config_str_replace(slot, value, err);
}

int config_word_index(const char *const *words, const char *value)
{
	for (int i = 0; words[i]; i++)
		if (!strcmp(words[i], value))
			return i;
	return -1;
}

void config_word_list(const char *const *words, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; words[i] && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
					 words[i]);
}

static int config_set_choice(struct volt_config *cfg, const struct config_key *k,
			     const char *origin, const char *value, struct volt_err *err)
{
	int i = config_word_index(k->words, value);
	char words[128];

	if (i >= 0) {
		*(unsigned *)(void *)((char *)cfg + k->field) = (unsigned)i;
		return 0;
	}
	config_word_list(k->words, words, sizeof(words));
	if (!value[0])
		return verr_set(err, EINVAL, "%s: no value (expected one of %s)", origin, words);
	return verr_set(err, EINVAL, "%s: '%.*s' is not one of %s", origin, CONFIG_ECHO_MAX,
			value, words);
}

static int config_set_value(struct volt_config *cfg, const struct config_key *k,
			    const char *origin, const char *value, struct volt_err *err)
{
	if (k->kind == CONFIG_CHOICE)
		return config_set_choice(cfg, k, origin, value, err);
	if (config_kind_is_text(k->kind))
		return config_set_text(cfg, k, origin, value, err);
	return config_set_number(cfg, k, origin, value, err);
}

int config_set_from(struct volt_config *cfg, const char *origin, const char *section,
		    const char *key, const char *value, struct volt_err *err)
{
	const struct config_key *k = config_key_find(section, key);
	char known[128];
	char *origin_copy;
	int rc;

	if (!config_section_known(section))
		return verr_set(err, EINVAL, "%s: [%s]: unknown section", origin, section);
	if (!k) {
		config_key_list(section, known, sizeof(known));
		return verr_set(err, EINVAL, "%s: unknown key in [%s] (known: %s)", origin,
				section, known);
	}
	if (!(origin_copy = strdup(origin)))
		return verr_set(err, ENOMEM, "out of memory");
	rc = config_set_value(cfg, k, origin, value, err);
	if (rc < 0) {
		free(origin_copy);
		return rc;
	}
	config_str_free(config_str_slot(cfg, k->origin));
	*config_str_slot(cfg, k->origin) = origin_copy;
	return 0;
}

int config_set(struct volt_config *cfg, const char *section, const char *key,
	       const char *value, struct volt_err *err)
{
	return config_set_from(cfg, key, section, key, value, err);
}

/* ---- INI parsing: inih does the parsing, this part feeds it lines and
 * keeps line numbers ---- */

struct config_ini {
	struct volt_config *cfg;
	struct volt_err *err;
	const char *name;      /* file name for messages */
	const char *base_dir;  /* where relative paths point; NULL = leave them */
	const char *pos;       /* next byte of the text to hand to inih */
	const char *eol;       /* end of the current line ('\n' or NUL) */
	unsigned line;         /* current physical line, 1-based */
	bool in_line;          /* part of the current line is still to be read */
	bool header;           /* the current line is a [section] header */
	bool mark_pending;     /* CONFIG_SECTION_MARK is due next */
	int failed;            /* -errno once the reader or handler failed */
	const char *section;   /* open fixed section, or NULL */
	size_t inst;           /* open instance + 1, or 0 */
	unsigned section_line[CONFIG_NSECTIONS]; /* header line, 0 = not seen */
	unsigned key_line[CONFIG_NKEYS];         /* first line set, 0 = not set */
};

/* inih's run-time knobs in this Debian build are process-wide; they are set
 * for our parse and put back after it. */
struct config_ini_knobs {
	bool use_stack, allow_realloc, multiline, stop_on_first_error;
	int max_line;
};

static struct config_ini_knobs config_ini_knobs_apply(void)
{
	struct config_ini_knobs old = { ini_use_stack, ini_allow_realloc, ini_allow_multiline,
					ini_stop_on_first_error, ini_max_line };

	/* A growable heap buffer, so a long cmdline or path reaches us whole
	 * instead of being split at 200 bytes into a second "line". */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = CONFIG_LINE_MAX + 3;
	/* An indented line is then a line of its own, not a continuation that
	 * would reach the handler as a second value for the same key. */
	ini_allow_multiline = false;
	/* The last line inih read is then the one with the syntax error. */
	ini_stop_on_first_error = true;
	return old;
}

static void config_ini_knobs_restore(const struct config_ini_knobs *old)
{
	ini_use_stack = old->use_stack;
	ini_allow_realloc = old->allow_realloc;
	ini_allow_multiline = old->multiline;
	ini_stop_on_first_error = old->stop_on_first_error;
	ini_max_line = old->max_line;
}

static int config_ini_fail(struct config_ini *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first failure as "file:line: ..." and stop the parse. */
static int config_ini_fail(struct config_ini *st, int code, const char *fmt, ...)
{
	char msg[sizeof(st->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->failed = verr_set(st->err, code, "%s:%u: %s", st->name, st->line, msg);
	return st->failed;
}

/* Does the line start a section for inih? Its rule: the first byte that is
 * not white space (after a UTF-8 BOM on line 1) is '['. */
static bool config_ini_line_is_header(const struct config_ini *st, const char *p)
{
	if (st->line == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (p < st->eol && isspace((unsigned char)*p))
		p++;
	return p < st->eol && *p == '[';
}

/* Start the next physical line: number it and refuse what inih would
 * silently mangle (over-long lines) or what could fake a section mark. */
static int config_ini_begin_line(struct config_ini *st)
{
	const char *nl = strchr(st->pos, '\n');

	st->eol = nl ? nl : st->pos + strlen(st->pos);
	st->line++;
	if (st->eol - st->pos > CONFIG_LINE_MAX)
		return config_ini_fail(st, EINVAL, "line is longer than %d bytes",
				       CONFIG_LINE_MAX);
	for (const char *p = st->pos; p < st->eol; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\t' && !(c == '\r' && p + 1 == st->eol)) || c == 0x7f)
			return config_ini_fail(st, EINVAL, "control character 0x%02x in line", c);
	}
	st->header = config_ini_line_is_header(st, st->pos);
	st->in_line = true;
	return 0;
}

/* inih's fgets-style reader. It hands over one physical line at a time,
 * always ending in '\n' so inih never joins two lines when it grows its
 * buffer, and the section mark after each header. */
static char *config_ini_read(char *buf, int num, void *user)
{
	struct config_ini *st = user;
	size_t room = (size_t)num - 1, n;

	if (!st->in_line && st->mark_pending) {
		st->mark_pending = false;
		snprintf(buf, (size_t)num, "%s=\n", CONFIG_SECTION_MARK);
		return buf;
	}
	if (!st->in_line && (st->failed || !*st->pos || config_ini_begin_line(st) < 0))
		return NULL;
	n = (size_t)(st->eol - st->pos);
	if (n >= room)
		n = room;
	memcpy(buf, st->pos, n);
	st->pos += n;
	if (st->pos == st->eol && n < room) {
		buf[n++] = '\n';
		st->pos += *st->pos == '\n';
		st->in_line = false;
		st->mark_pending = st->header;
	}
	buf[n] = '\0';
	return buf;
}

static bool config_ini_id_valid(const char *id, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)id[i]) && id[i] != '_' && id[i] != '-')
			return false;
	}
	return true;
}

static int config_ini_open_fixed(struct config_ini *st, const char *section)
{
	for (size_t i = 0; i < CONFIG_NSECTIONS; i++) {
		if (strcmp(config_sections[i], section))
			continue;
		if (st->section_line[i])
			return config_ini_fail(st, EINVAL, "[%s]: section appears twice "
					       "(first on line %u)", section, st->section_line[i]);
		st->section_line[i] = st->line;
		st->section = config_sections[i];
		return 0;
	}
	for (size_t i = 0; i < CONFIG_NKINDS; i++) {
		if (!strcmp(config_instance_kinds[i], section))
			return config_ini_fail(st, EINVAL, "[%s]: needs an id, e.g. [%s \"%s0\"]",
					       section, section, section);
	}
	return config_ini_fail(st, EINVAL, "[%s]: unknown section (known: %s)", section,
			       CONFIG_KNOWN_SECTIONS);
}

static const char *config_ini_instance_kind(const char *section, size_t len)
{
	for (size_t i = 0; i < CONFIG_NKINDS; i++) {
		const char *kind = config_instance_kinds[i];

		if (strlen(kind) == len && !strncmp(kind, section, len))
			return kind;
	}
	return NULL;
}

static int config_ini_add_instance(struct config_ini *st, const char *kind, const char *id,
				   size_t id_len)
{
	struct volt_config *cfg = st->cfg;
	struct config_instance *arr, *inst;

	arr = realloc(cfg->instances, (cfg->ninstances + 1) * sizeof(*arr));
	if (!arr)
		return config_ini_fail(st, ENOMEM, "out of memory");
	cfg->instances = arr;
	inst = &arr[cfg->ninstances];
	memset(inst, 0, sizeof(*inst));
	inst->line = st->line;
	inst->kind = strdup(kind);
	inst->id = strndup(id, id_len);
	cfg->ninstances++;
	if (!inst->kind || !inst->id)
		return config_ini_fail(st, ENOMEM, "out of memory");
	st->inst = cfg->ninstances;
	return 0;
}

/* [kind "id"]: exactly one space, the id in double quotes. */
static int config_ini_open_instance(struct config_ini *st, const char *section)
{
	size_t kind_len = strcspn(section, " ");
	const char *kind = config_ini_instance_kind(section, kind_len);
	const char *quoted = section + kind_len + 1; /* just after the space */
	size_t quoted_len = strlen(quoted);
	const char *id = quoted + 1;
	size_t id_len = quoted_len - 2;
	struct volt_config *cfg = st->cfg;

	if (!kind)
		return config_ini_fail(st, EINVAL, "[%s]: unknown section (known: %s)", section,
				       CONFIG_KNOWN_SECTIONS);
	if (quoted_len < 3 || quoted[0] != '"' || quoted[quoted_len - 1] != '"' ||
	    !config_ini_id_valid(id, id_len))
		return config_ini_fail(st, EINVAL, "[%s]: expected [%s \"id\"] with an id made "
				       "of letters, digits, '_' and '-'", section, kind);
	for (size_t i = 0; i < cfg->ninstances; i++) {
		struct config_instance *o = &cfg->instances[i];

		if (!strcmp(o->kind, kind) && strlen(o->id) == id_len &&
		    !strncmp(o->id, id, id_len))
			return config_ini_fail(st, EINVAL, "[%s]: duplicate section "
					       "(first on line %u)", section, o->line);
	}
	return config_ini_add_instance(st, kind, id, id_len);
}

static int config_ini_open_section(struct config_ini *st, const char *section)
{
	st->section = NULL;
	st->inst = 0;
	if (strlen(section) > CONFIG_SECTION_MAX)
		return config_ini_fail(st, EINVAL, "section name is longer than %d bytes",
				       CONFIG_SECTION_MAX);
	if (strchr(section, ' '))
		return config_ini_open_instance(st, section);
	return config_ini_open_fixed(st, section);
}

static int config_ini_add_kv(struct config_ini *st, const char *key, const char *value)
{
	struct config_instance *inst = &st->cfg->instances[st->inst - 1];
	struct config_kv *arr, *kv;

	for (size_t i = 0; i < inst->nkvs; i++) {
		if (!strcmp(inst->kvs[i].key, key))
			return config_ini_fail(st, EINVAL, "%s: duplicate key in [%s \"%s\"] "
					       "(first on line %u)", key, inst->kind, inst->id,
					       inst->kvs[i].line);
	}
	arr = realloc(inst->kvs, (inst->nkvs + 1) * sizeof(*arr));
	if (!arr)
		return config_ini_fail(st, ENOMEM, "out of memory");
	inst->kvs = arr;
	kv = &arr[inst->nkvs++];
	kv->line = st->line;
	kv->key = strdup(key);
	kv->value = strdup(value);
	if (!kv->key || !kv->value)
		return config_ini_fail(st, ENOMEM, "out of memory");
	return 0;
}

static bool config_ini_wants_resolving(const struct config_ini *st,
				       const struct config_key *k, const char *value)
{
	if (!st->base_dir || !value[0] || value[0] == '/')
		return false;
	if (k->kind == CONFIG_OUTPUT)
		return strcmp(value, "stdout") && strcmp(value, "none");
	return k->kind == CONFIG_PATH;
}

/* Set a fixed-section key with origin "file:line: key"; a relative path is
 * first made relative to the file's directory. */
static int config_ini_apply(struct config_ini *st, const struct config_key *k,
			    const char *value)
{
	char *origin, *path = NULL;
	int rc;

	if (asprintf(&origin, "%s:%u: %s", st->name, st->line, k->name) < 0)
		return config_ini_fail(st, ENOMEM, "out of memory");
	if (config_ini_wants_resolving(st, k, value) &&
	    asprintf(&path, "%s/%s", st->base_dir, value) < 0) {
		free(origin);
		return config_ini_fail(st, ENOMEM, "out of memory");
	}
	rc = config_set_from(st->cfg, origin, k->section, k->name, path ? path : value,
			     st->err);
	st->failed = rc;
	free(origin);
	free(path);
	return rc;
}

static int config_ini_set_key(struct config_ini *st, const char *key, const char *value)
{
	const struct config_key *k = config_key_find(st->section, key);
	char known[128];
	size_t idx;

	if (!k) {
		config_key_list(st->section, known, sizeof(known));
		return config_ini_fail(st, EINVAL, "%s: unknown key in [%s] (known: %s)", key,
				       st->section, known);
	}
	idx = (size_t)(k - config_keys);
	if (st->key_line[idx])
		return config_ini_fail(st, EINVAL, "%s: duplicate key in [%s] (first on line %u)",
				       key, st->section, st->key_line[idx]);
	st->key_line[idx] = st->line;
	return config_ini_apply(st, k, value);
}

static int config_ini_on_key(struct config_ini *st, const char *key, const char *value)
{
	if (!key[0])
		return config_ini_fail(st, EINVAL, "missing key name before '='");
	if (st->inst)
		return config_ini_add_kv(st, key, value);
	if (!st->section)
		return config_ini_fail(st, EINVAL, "%s: key outside any section (known: %s)",
				       key, CONFIG_KNOWN_SECTIONS);
	return config_ini_set_key(st, key, value);
}

/* inih's handler: nonzero means carry on. */
static int config_ini_handler(void *user, const char *section, const char *key,
			      const char *value)
{
	struct config_ini *st = user;

	if (st->failed)
		return 0;
	if (!strcmp(key, CONFIG_SECTION_MARK))
		return config_ini_open_section(st, section) == 0;
	return config_ini_on_key(st, key, value ? value : "") == 0;
}

static int config_parse(struct volt_config *cfg, const char *name, const char *base_dir,
			const char *text, struct volt_err *err)
{
	struct config_ini st = { .cfg = cfg, .err = err, .name = name, .base_dir = base_dir,
				 .pos = text };
	struct config_ini_knobs old = config_ini_knobs_apply();
	int rc = ini_parse_stream(config_ini_read, &st, config_ini_handler, &st);

	config_ini_knobs_restore(&old);
	if (st.failed)
		return st.failed;
	if (rc == -2)
		return verr_set(err, ENOMEM, "out of memory");
	if (rc && st.header)
		return verr_set(err, EINVAL, "%s:%u: section header has no closing ']'",
				name, st.line);
	if (rc)
		return verr_set(err, EINVAL, "%s:%u: expected 'key = value', '[section]' or "
				"a ';' comment", name, st.line);
	return 0;
}

int config_load_string(struct volt_config *cfg, const char *name, const char *text,
		       struct volt_err *err)
{
	int rc = config_str_replace(&cfg->path, name, err);

	if (rc < 0)
		return rc;
	config_str_free(&cfg->base_dir);
	return config_parse(cfg, name, NULL, text, err);
}

/* The whole file, NUL-terminated; config files are small. */
static int config_read_file(const char *path, char **out, size_t *len, struct volt_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	struct stat sb;
	int rc = 0;

	if (!f)
		return verr_set(err, errno, "config file %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		rc = verr_set(err, EISDIR, "config file %s: is a directory", path);
		goto out;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		rc = verr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	*len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f))
		rc = verr_set(err, EIO, "config file %s: read error", path);
	else if (*len > CONFIG_FILE_MAX)
		rc = verr_set(err, EFBIG, "config file %s: bigger than %d bytes", path,
			      CONFIG_FILE_MAX);
	else
		buf[*len] = '\0';
out:
	fclose(f);
	if (rc < 0)
		free(buf);
	else
		*out = buf;
	return rc;
}

/* inih would stop at a NUL byte and drop the rest of the file unread. */
static int config_check_nul(const char *path, const char *text, size_t len,
			    struct volt_err *err)
{
	const char *nul = memchr(text, '\0', len);
	unsigned line = 1;

	if (!nul)
		return 0;
	for (const char *p = text; p < nul; p++)
		line += *p == '\n';
	return verr_set(err, EINVAL, "%s:%u: NUL byte in line", path, line);
}

/* Absolute directory of path, so resolved paths survive a later chdir. */
static int config_dir_of(const char *path, char **out, struct volt_err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc = 0;

	if (!slash)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return verr_set(err, ENOMEM, "out of memory");
	*out = realpath(dir, NULL);
	if (!*out)
		rc = verr_set(err, errno, "config file %s: directory %s: %s", path, dir,
			      strerror(errno));
	free(dir);
	return rc;
}

int config_load_file(struct volt_config *cfg, const char *path, struct volt_err *err)
{
	char *text = NULL, *dir = NULL;
	size_t len = 0;
	int rc;

	rc = config_read_file(path, &text, &len, err);
	if (!rc)
		rc = config_check_nul(path, text, len, err);
	if (!rc)
		rc = config_dir_of(path, &dir, err);
	if (!rc)
		rc = config_str_replace(&cfg->path, path, err);
	if (!rc) {
		config_str_free(&cfg->base_dir);
		cfg->base_dir = dir;
		dir = NULL;
		rc = config_parse(cfg, path, cfg->base_dir, text, err);
	}
	free(dir);
	free(text);
	return rc;
}

/* ---- validation ---- */

static const char *config_origin_or(const char *origin, const char *fallback)
{
	return origin ? origin : fallback;
}

/* A file the VMM will read: it must exist, be a regular file and readable. */
static int config_check_file(const char *path, const char *origin, struct volt_err *err)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return verr_set(err, errno, "%s: %s: %s", origin, path, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return verr_set(err, EISDIR, "%s: %s: is a directory, not a file", origin, path);
	if (!S_ISREG(sb.st_mode))
		return verr_set(err, EINVAL, "%s: %s: not a regular file", origin, path);
	if (access(path, R_OK) < 0)
		return verr_set(err, errno, "%s: %s: %s", origin, path, strerror(errno));
	return 0;
}

static int config_check_dir(const char *path, const char *origin, struct volt_err *err)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return verr_set(err, errno, "%s: %s: %s", origin, path, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return verr_set(err, ENOTDIR, "%s: %s: not a directory", origin, path);
	if (access(path, R_OK | X_OK) < 0)
		return verr_set(err, errno, "%s: %s: %s", origin, path, strerror(errno));
	return 0;
}

/* [serial] output names a file volt will create or truncate: check now,
 * without touching it, that it can (a directory, or a missing or
 * read-only parent, is the configuration's fault, not the VM's). */
static int config_check_output(const char *path, const char *origin, struct volt_err *err)
{
	char *dir, *slash;
	struct stat sb;
	int r = 0;

	if (!strcmp(path, "stdout") || !strcmp(path, "none"))
		return 0;
	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return verr_set(err, EISDIR, "%s: %s: is a directory, not a file", origin,
					path);
		if (access(path, W_OK) < 0)
			return verr_set(err, errno, "%s: %s: %s", origin, path, strerror(errno));
		return 0;
	}
	if (errno != ENOENT)
		return verr_set(err, errno, "%s: %s: %s", origin, path, strerror(errno));
	dir = strdup(path);
	if (!dir)
		return verr_set(err, ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0';   /* "/x" -> "/", "a/b" -> "a" */
	if (access(slash ? dir : ".", W_OK | X_OK) < 0)
		r = verr_set(err, errno, "%s: %s: cannot create it in %s: %s", origin, path,
			     slash ? dir : "the working directory", strerror(errno));
	free(dir);
	return r;
}

/* The setters check ranges already; this catches fields set by hand. */
static int config_check_ranges(const struct volt_config *cfg, struct volt_err *err)
{
	if (cfg->memory_mib < CONFIG_MEMORY_MIB_MIN || cfg->memory_mib > CONFIG_MEMORY_MIB_MAX)
		return verr_set(err, EINVAL, "%s: %" PRIu64 " is out of range (%d to %d)",
				config_origin_or(cfg->origin.memory_mib, "memory_mib"),
				cfg->memory_mib, CONFIG_MEMORY_MIB_MIN, CONFIG_MEMORY_MIB_MAX);
	if (cfg->vcpus < 1 || cfg->vcpus > CONFIG_VCPUS_MAX)
		return verr_set(err, EINVAL, "%s: %u is out of range (1 to %d)",
				config_origin_or(cfg->origin.vcpus, "vcpus"), cfg->vcpus,
				CONFIG_VCPUS_MAX);
	if (cfg->poll_us > CONFIG_POLL_US_MAX)
		return verr_set(err, EINVAL, "%s: %u is out of range (0 to %d)",
				config_origin_or(cfg->origin.poll_us, "poll_us"), cfg->poll_us,
				CONFIG_POLL_US_MAX);
	if (!cfg->cmdline)
		return verr_set(err, EINVAL, "cmdline: not set");
	return 0;
}

/* What a static volt cannot do, refused where it was asked for. */
static int config_check_build(const struct volt_config *cfg, struct volt_err *err)
{
	if (!VOLT_BUILD_STATIC)
		return 0;
	if (cfg->api_sock)
		return verr_set(err, ENOTSUP, "%s: %s",
				config_origin_or(cfg->origin.api_sock, "api socket"),
				VOLT_STATIC_NO_API);
	if (cfg->plugin_dir)
		return verr_set(err, ENOTSUP, "%s: %s",
				config_origin_or(cfg->origin.plugin_dir, "plugin dir"),
				VOLT_STATIC_NO_PLUGIN_FILES);
	return 0;
}

/* The user exists (or is a number) and is not root: its ids into u. */
static int config_check_user(const char *spec, const char *origin, struct sandbox_user *u,
			     struct volt_err *err)
{
	char why[160];

	if (sandbox_user_parse(spec, u, why, sizeof(why)))
		return verr_set(err, EINVAL, "%s = %s: %s", origin, spec, why);
	return 0;
}

int config_validate(struct volt_config *cfg, struct volt_err *err)
{
	int rc = config_check_ranges(cfg, err);

	if (!rc)
		rc = config_check_build(cfg, err);
	if (rc < 0)
		return rc;
	/* With the API, the kernel may come later through PUT /boot-source;
	 * questions about plugins need none. */
	if (!cfg->kernel && !cfg->api_sock && !cfg->list_plugins && !cfg->help_plugin)
		return verr_set(err, EINVAL,
				"no kernel: set [vm] kernel in the INI file or pass --kernel");
	if (cfg->kernel)
		rc = config_check_file(cfg->kernel,
				       config_origin_or(cfg->origin.kernel, "kernel"), err);
	if (!rc && cfg->initrd)
		rc = config_check_file(cfg->initrd,
				       config_origin_or(cfg->origin.initrd, "initrd"), err);
	if (!rc && cfg->plugin_dir)
		rc = config_check_dir(cfg->plugin_dir,
				      config_origin_or(cfg->origin.plugin_dir, "plugin dir"), err);
	if (!rc && cfg->serial_output)
		rc = config_check_output(cfg->serial_output,
					 config_origin_or(cfg->origin.serial_output, "serial output"),
					 err);
	if (!rc && cfg->sandbox_user)
		rc = config_check_user(cfg->sandbox_user,
				       config_origin_or(cfg->origin.sandbox_user, "user"),
				       &cfg->sandbox_ids, err);
	return rc;
}

/* ---- instances set from outside a file (the API) ---- */

struct config_instance *config_instance_find(const struct volt_config *cfg, const char *kind,
					     const char *id)
{
	for (size_t i = 0; i < cfg->ninstances; i++) {
		struct config_instance *inst = &cfg->instances[i];

		if (!strcmp(inst->kind, kind) && !strcmp(inst->id, id))
			return inst;
	}
	return NULL;
}

static void config_free_instance(struct config_instance *inst);

/* A deep copy of kvs into inst (kind, id and line already set). */
static int config_instance_fill(struct config_instance *inst, const struct config_kv *kvs,
				size_t nkvs)
{
	inst->kvs = calloc(nkvs ? nkvs : 1, sizeof(*inst->kvs));
	if (!inst->kvs)
		return -ENOMEM;
	for (size_t i = 0; i < nkvs; i++) {
		inst->kvs[i].key = strdup(kvs[i].key);
		inst->kvs[i].value = strdup(kvs[i].value);
		inst->kvs[i].line = kvs[i].line;
		inst->nkvs = i + 1;
		if (!inst->kvs[i].key || !inst->kvs[i].value)
			return -ENOMEM;
	}
	return 0;
}

int config_instance_set(struct volt_config *cfg, const char *kind, const char *id,
			const char *origin, const struct config_kv *kvs, size_t nkvs,
			struct volt_err *err)
{
	struct config_instance fresh = { .kind = strdup(kind), .id = strdup(id),
					 .origin = origin ? strdup(origin) : NULL };
	struct config_instance *slot = config_instance_find(cfg, kind, id), *arr;

	if (!fresh.kind || !fresh.id || (origin && !fresh.origin) ||
	    config_instance_fill(&fresh, kvs, nkvs) < 0)
		goto nomem;
	if (slot) {
		/* Not the file's section any more: with line 0 its messages
		 * name `origin`, as for an instance made from outside. */
		config_free_instance(slot);
		*slot = fresh;
		return 0;
	}
	arr = realloc(cfg->instances, (cfg->ninstances + 1) * sizeof(*arr));
	if (!arr)
		goto nomem;
	cfg->instances = arr;
	arr[cfg->ninstances++] = fresh;
	return 0;
nomem:
	config_free_instance(&fresh);
	return verr_set(err, ENOMEM, "out of memory");
}

void config_instance_move_first(struct volt_config *cfg, const char *kind, const char *id)
{
	struct config_instance *inst = config_instance_find(cfg, kind, id), moved;
	size_t first = 0, at;

	if (!inst)
		return;
	while (strcmp(cfg->instances[first].kind, kind))
		first++;
	at = (size_t)(inst - cfg->instances);
	moved = *inst;
	memmove(&cfg->instances[first + 1], &cfg->instances[first],
		(at - first) * sizeof(*inst));
	cfg->instances[first] = moved;
}

/* ---- life cycle ---- */

void config_init(struct volt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_mib = 128;
	cfg->vcpus = 1;
	cfg->poll_us = CONFIG_POLL_US_DEFAULT;
	cfg->kernel_pages = 0; /* "private": copied, nothing shared between VMs */
	/* "loaded": huge pages for the kernel and initrd volt writes whole, 4 KiB
	 * pages for the rest, which a small guest touches sparsely; on a host
	 * whose THP is "always" that is 4 MiB less per VM than "auto" for the
	 * benchmark's guest (docs/benchmarks.md). */
	cfg->huge_pages = 1;
	cfg->cmdline = config_default_cmdline;
	cfg->log_level = LOG_INFO;
	cfg->seccomp = true;
	cfg->landlock = true;
}

static void config_free_instance(struct config_instance *inst)
{
	for (size_t i = 0; i < inst->nkvs; i++) {
		free(inst->kvs[i].key);
		free(inst->kvs[i].value);
	}
	free(inst->kvs);
	free(inst->kind);
	free(inst->id);
	free(inst->origin);
}

void config_free(struct volt_config *cfg)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		if (config_kind_is_text(config_keys[i].kind))
			config_str_free(config_str_slot(cfg, config_keys[i].field));
		config_str_free(config_str_slot(cfg, config_keys[i].origin));
	}
	for (size_t i = 0; i < cfg->ninstances; i++)
		config_free_instance(&cfg->instances[i]);
	free(cfg->instances);
	config_str_free(&cfg->path);
	config_str_free(&cfg->base_dir);
	config_str_free(&cfg->seccomp_export_dir);
	config_str_free(&cfg->help_plugin);
	cfg->instances = NULL;
	cfg->ninstances = 0;
}
