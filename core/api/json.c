#include "api/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APIJ_PREFIX "An error occurred when deserializing the json body of a request: "

json_t *apij_parse_object(const char *text, size_t len, struct api_response *resp)
{
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!v) {
		api_fault(resp, 400, APIJ_PREFIX "%s at line %d column %d.", jerr.text, jerr.line,
			  jerr.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		api_fault(resp, 400, APIJ_PREFIX "expected a JSON object.");
		return NULL;
	}
	return v;
}

static const char *apij_type_name(enum apij_type t)
{
	switch (t) {
	case APIJ_STRING: return "a string";
	case APIJ_BOOL: return "a boolean";
	case APIJ_UINT: return "a whole number";
	case APIJ_OBJECT: return "an object";
	}
	return "?";
}

static const struct apij_field *apij_find(const struct apij_field *f, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].name, key))
			return &f[i];
	return NULL;
}

/* "unknown field `x`, expected one of `a`, `b`" (serde's words). */
static void apij_unknown(const char *key, const struct apij_field *f, size_t n,
			 struct api_response *resp)
{
	char list[512];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s`%s`",
					 i ? ", " : "", f[i].name);
	api_fault(resp, 400, APIJ_PREFIX "unknown field `%.64s`, expected one of %s.", key, list);
}

static bool apij_store(const struct apij_field *f, json_t *v, struct api_response *resp)
{
	json_int_t n;

	switch (f->type) {
	case APIJ_STRING:
		if (!json_is_string(v))
			break;
		*(const char **)f->out = json_string_value(v);
		return true;
	case APIJ_BOOL:
		if (!json_is_boolean(v))
			break;
		*(bool *)f->out = json_is_true(v);
		return true;
	case APIJ_UINT:
		if (!json_is_integer(v))
			break;
		n = json_integer_value(v);
		if (n < 0) {
			/* Not the type's range: the field's own check names that. */
			api_fault(resp, 400, APIJ_PREFIX "field `%s`: %lld is negative; expected "
				  "a whole number.", f->name, (long long)n);
			return false;
		}
		if ((uint64_t)n < f->min || (uint64_t)n > f->max) {
			api_fault(resp, 400, APIJ_PREFIX "field `%s`: %lld is out of range "
				  "(%llu to %llu).", f->name, (long long)n,
				  (unsigned long long)f->min, (unsigned long long)f->max);
			return false;
		}
		*(uint64_t *)f->out = (uint64_t)n;
		return true;
	case APIJ_OBJECT:
		if (!json_is_object(v))
			break;
		*(json_t **)f->out = v;
		return true;
	}
	api_fault(resp, 400, APIJ_PREFIX "field `%s`: expected %s.", f->name,
		  apij_type_name(f->type));
	return false;
}

bool apij_unpack(json_t *obj, const struct apij_field *fields, size_t nfields,
		 struct api_response *resp)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (!apij_find(fields, nfields, key)) {
			apij_unknown(key, fields, nfields, resp);
			return false;
		}
	}
	for (size_t i = 0; i < nfields; i++) {
		const struct apij_field *f = &fields[i];

		v = json_object_get(obj, f->name);
		if (v && json_is_null(v))
			v = NULL;
		if (f->present)
			*f->present = v != NULL;
		if (!v && f->required) {
			api_fault(resp, 400, APIJ_PREFIX "missing field `%s`.", f->name);
			return false;
		}
		if (v && !apij_store(f, v, resp))
			return false;
	}
	return true;
}

bool apij_id_valid(const char *id)
{
	if (!id || !id[0])
		return false;
	for (const char *p = id; *p; p++)
		if (!isascii((unsigned char)*p) || (!isalnum((unsigned char)*p) && *p != '_'))
			return false;
	return true;
}

json_t *apij_string(const char *text)
{
	json_t *s = json_string(text);
	char *copy;

	if (s || !text)
		return s;
	/* Not UTF-8: keep the ASCII, mark the rest. */
	copy = strdup(text);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(copy);
	free(copy);
	return s;
}

void apij_set(json_t *obj, const char *key, json_t *value)
{
	if (value)
		json_object_set_new(obj, key, value);
}
