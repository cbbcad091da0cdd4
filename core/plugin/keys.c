#include "plugin/keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/path.h"

#define KEYS_LIST_MAX 256 /* room for "a, b, c" in a message */

bool keys_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

bool keys_reserved(const char *name)
{
	return !strcmp(name, "plugin") || !strcmp(name, "backend");
}

bool keys_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(text, yes[i]))
			return *out = true, true;
		if (!strcasecmp(text, no[i]))
			return *out = false, true;
	}
	return false;
}

/* Decimal or 0x hex; no sign, no spaces, no octal, no overflow. */
bool keys_parse_u64(const char *text, uint64_t *out)
{
	int base = 10;
	char *end;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		base = 16;
		text += 2;
	}
	if (!isxdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	*out = strtoull(text, &end, base);
	return !errno && !*end;
}

bool keys_parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    p[2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)strtoul((char[3]){ p[0], p[1], '\0' }, NULL, 16);
	}
	return true;
}

static int keys_check_u64(const struct volt_key *key, const char *value, struct volt_err *err)
{
	uint64_t v;

	if (!keys_parse_u64(value, &v))
		return verr_set(err, EINVAL, "'%s' is not a number (decimal or 0x hex)", value);
	if ((key->min || key->max) && (v < key->min || v > key->max))
		return verr_set(err, ERANGE, "'%s' is out of range [%llu, %llu]", value,
				(unsigned long long)key->min, (unsigned long long)key->max);
	return 0;
}

static int keys_check_path(const struct volt_key *key, const char *path, struct volt_err *err)
{
	int mode = (key->flags & VOLT_KEY_PATH_WRITE) ? R_OK | W_OK : R_OK;

	if (!path[0])
		return verr_set(err, EINVAL, "an empty path");
	if (access(path, F_OK) < 0 || access(path, mode) < 0)
		return verr_set(err, errno, "%s: %s", path, strerror(errno));
	return 0;
}

/* A relative path in the INI file is relative to the file's directory. */
static char *keys_resolve(const struct volt_key *key, const char *value, const char *base_dir)
{
	if (key->type != VOLT_KEY_PATH || !value[0])
		return strdup(value);
	return path_resolve(base_dir, value);
}

int keys_check_value(const struct volt_key *key, const char *value, const char *base_dir,
		     struct volt_err *err)
{
	uint8_t mac[6];
	bool b;
	char *path;
	int r;

	switch (key->type) {
	case VOLT_KEY_STRING:
		return 0;
	case VOLT_KEY_BOOL:
		if (!keys_parse_bool(value, &b))
			return verr_set(err, EINVAL, "'%s' is not a boolean (true/false, yes/no, "
					"on/off, 1/0)", value);
		return 0;
	case VOLT_KEY_U64:
		return keys_check_u64(key, value, err);
	case VOLT_KEY_MAC:
		if (!keys_parse_mac(value, mac))
			return verr_set(err, EINVAL, "'%s' is not a MAC address "
					"(aa:bb:cc:dd:ee:ff)", value);
		if (mac[0] & 1)
			return verr_set(err, EINVAL, "'%s' is a multicast address (the lowest bit "
					"of the first byte is set)", value);
		return 0;
	case VOLT_KEY_PATH:
		path = keys_resolve(key, value, base_dir);
		if (!path)
			return verr_set(err, ENOMEM, "out of memory");
		r = keys_check_path(key, path, err);
		free(path);
		return r;
	}
	return verr_set(err, EINVAL, "key of unknown type %u", key->type);
}

static const struct volt_key *keys_find(const struct keys_user *u, const char *name,
					uint32_t *index)
{
	for (uint32_t i = 0; i < u->nkeys; i++) {
		if (!strcmp(u->keys[i].name, name)) {
			*index = i;
			return &u->keys[i];
		}
	}
	return NULL;
}

/* "path, read_only, serial": every key the users accept, once each. */
static void keys_list(const struct keys_user *users, unsigned nusers, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned u = 0; u < nusers; u++) {
		for (uint32_t i = 0; i < users[u].nkeys; i++) {
			const char *name = users[u].keys[i].name;
			uint32_t dummy;
			bool seen = false;

			for (unsigned v = 0; v < u && !seen; v++)
				seen = keys_find(&users[v], name, &dummy) != NULL;
			if (!seen && n < size)
				n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", name);
		}
	}
}

const char *keys_where(char *buf, size_t size, const char *file, unsigned line,
		       const struct config_instance *sec)
{
	if (line)
		snprintf(buf, size, "%s:%u", file, line);
	else if (sec->origin)
		snprintf(buf, size, "%s", sec->origin);
	else
		snprintf(buf, size, "[%s \"%s\"]", sec->kind, sec->id);
	return buf;
}

static int keys_unknown(const struct config_instance *sec, const struct config_kv *kv,
			const char *file, const struct keys_user *users, unsigned nusers,
			struct volt_err *err)
{
	char list[KEYS_LIST_MAX], where[KEYS_WHERE_MAX];

	keys_list(users, nusers, list, sizeof(list));
	keys_where(where, sizeof(where), file, kv->line, sec);
	if (nusers == 2)
		return verr_set(err, EINVAL, "%s: %s: not a key of plugin %s or its backend %s "
				"(they accept: %s)", where, kv->key, users[0].plugin,
				users[1].plugin, list[0] ? list : "no keys");
	if (!list[0])
		return verr_set(err, EINVAL, "%s: %s: not a key of plugin %s (it accepts no "
				"keys)", where, kv->key, users[0].plugin);
	return verr_set(err, EINVAL, "%s: %s: not a key of plugin %s (it accepts: %s)", where,
			kv->key, users[0].plugin, list);
}

/* Give kv's value to every user that declares its key. */
static int keys_assign(const struct config_instance *sec, const struct config_kv *kv,
		       const struct keys_origin *origin, const char *file,
		       struct keys_user *users, unsigned nusers, struct volt_err *err)
{
	char where[KEYS_WHERE_MAX];
	bool claimed = false;

	for (unsigned u = 0; u < nusers; u++) {
		uint32_t i;
		const struct volt_key *key = keys_find(&users[u], kv->key, &i);
		int r;

		if (!key)
			continue;
		r = keys_check_value(key, kv->value, origin->base_dir, err);
		if (r) {
			verr_prefix(err, "%s: %s: ", keys_where(where, sizeof(where), file,
								 kv->line, sec), kv->key);
			return r;
		}
		users[u].values[i] = keys_resolve(key, kv->value, origin->base_dir);
		if (!users[u].values[i])
			return verr_set(err, ENOMEM, "out of memory");
		claimed = true;
	}
	return claimed ? 0 : keys_unknown(sec, kv, file, users, nusers, err);
}

/* Required keys that were not set, and defaults for the rest. */
static int keys_fill_defaults(const struct config_instance *sec, const char *file,
			      struct keys_user *u, struct volt_err *err)
{
	char where[KEYS_WHERE_MAX];

	keys_where(where, sizeof(where), file, sec->line, sec);
	for (uint32_t i = 0; i < u->nkeys; i++) {
		const struct volt_key *key = &u->keys[i];
		int r;

		if (u->values[i])
			continue;
		if (key->flags & VOLT_KEY_REQUIRED)
			return verr_set(err, EINVAL, "%s: [%s \"%s\"]: %s is required by %s",
					where, sec->kind, sec->id, key->name, u->plugin);
		if (!key->default_value)
			continue;
		if (key->type == VOLT_KEY_PATH) {
			r = keys_check_value(key, key->default_value, NULL, err);
			if (r) {
				verr_prefix(err, "%s: [%s \"%s\"]: %s: default of %s: ", where,
					    sec->kind, sec->id, key->name, u->plugin);
				return r;
			}
		}
		u->values[i] = strdup(key->default_value);
		if (!u->values[i])
			return verr_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int keys_check_section(const struct config_instance *sec, const struct keys_origin *origin,
		       struct keys_user *users, unsigned nusers, struct volt_err *err)
{
	const char *file = origin->file ? origin->file : "<config>";
	int r = 0;

	for (unsigned u = 0; u < nusers; u++) {
		users[u].values = calloc(users[u].nkeys ? users[u].nkeys : 1, sizeof(char *));
		if (!users[u].values)
			return verr_set(err, ENOMEM, "out of memory");
	}
	for (size_t k = 0; !r && k < sec->nkvs; k++)
		if (!keys_reserved(sec->kvs[k].key))
			r = keys_assign(sec, &sec->kvs[k], origin, file, users, nusers, err);
	for (unsigned u = 0; !r && u < nusers; u++)
		r = keys_fill_defaults(sec, file, &users[u], err);
	return r;
}

void keys_values_free(struct keys_user *user)
{
	if (!user->values)
		return;
	for (uint32_t i = 0; i < user->nkeys; i++)
		free(user->values[i]);
	free(user->values);
	user->values = NULL;
}
