/* Configuration keys: a [drive]/[net] section's values checked against the
 * keys its plugins declare (name, type, required, default, bounds), before
 * any KVM call. Errors read "FILE:LINE: key: reason". */
#ifndef VOLT_PLUGIN_KEYS_H
#define VOLT_PLUGIN_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <volt/plugin.h>

#include "config/config.h"
#include "util/err.h"

/* One plugin a section configures: its declared keys, and (filled by
 * keys_check_section) the value of each, in the order of `keys`: the
 * configured text (a relative path made absolute), else the default, else
 * NULL. Free with keys_values_free(). */
struct keys_user {
	const char *plugin;          /* its name, for messages */
	const struct volt_key *keys;
	uint32_t nkeys;
	char **values;
};

/* Where a section came from, for messages and relative paths. */
struct keys_origin {
	const char *file;      /* the INI file as named; NULL = "<config>" */
	const char *base_dir;  /* relative paths are relative to it; NULL = cwd */
};

/* Check every key = value of `sec` except the core's own (plugin, backend):
 * each must be declared by at least one user and hold a value of that type;
 * every required key of every user must be set. A value goes to each user
 * that declares its key (a [net] section's keys may belong to the device or
 * to its backend). */
int keys_check_section(const struct config_instance *sec, const struct keys_origin *origin,
		       struct keys_user *users, unsigned nusers, struct volt_err *err);
void keys_values_free(struct keys_user *user);

/* Check one value against its key's type and bounds. The message is the
 * reason alone ("'maybe' is not a boolean"). For a PATH the file must
 * exist (and be writable with VOLT_KEY_PATH_WRITE); base_dir as above. */
int keys_check_value(const struct volt_key *key, const char *value, const char *base_dir,
		     struct volt_err *err);

/* Typed parsing, shared with the host API's config_get_*. */
bool keys_parse_bool(const char *text, bool *out);
bool keys_parse_u64(const char *text, uint64_t *out);
bool keys_parse_mac(const char *text, uint8_t mac[6]);

/* Where a section's value on `line` came from, for messages: "FILE:LINE",
 * or for one from no file (line 0) the section's origin, which the control
 * API sets to the request that made it ("PUT /drives/ID"). Returns buf. */
#define KEYS_WHERE_MAX 320
const char *keys_where(char *buf, size_t size, const char *file, unsigned line,
		       const struct config_instance *sec);

/* [a-z0-9_]+ */
bool keys_name_valid(const char *name);
/* The core's own keys in plugin sections: plugin, backend. */
bool keys_reserved(const char *name);

#endif
