/* Strict JSON for the API (jansson): a body is one object, duplicate keys
 * are refused, every field must be one the resource declares and of its
 * type, and null stands for an absent optional field (as Firecracker's
 * deserializer reads it). Errors fill a 400 response with Firecracker's
 * words: "An error occurred when deserializing the json body of a
 * request: ...". */
#ifndef VOLT_API_JSON_H
#define VOLT_API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/handlers.h"

enum apij_type {
	APIJ_STRING,
	APIJ_BOOL,
	APIJ_UINT,     /* a whole number in [min, max] */
	APIJ_OBJECT,   /* any object (rate limiters: refused by the handler) */
};

/* One field of a resource and where its value goes. Fields left out of
 * the body keep what their destination held, and *present says whether
 * the body had it. */
struct apij_field {
	const char *name;
	enum apij_type type;
	bool required;
	void *out;          /* const char **, bool *, uint64_t * or json_t ** */
	bool *present;      /* optional */
	uint64_t min, max;  /* APIJ_UINT */
};

/* Parse text as one JSON object; NULL with a 400 in resp otherwise. */
json_t *apij_parse_object(const char *text, size_t len, struct api_response *resp);

/* Check obj against fields (nothing else allowed) and fill their outs.
 * Returns false with a 400 in resp on the first problem. */
bool apij_unpack(json_t *obj, const struct apij_field *fields, size_t nfields,
		 struct api_response *resp);

/* Firecracker's rule for resource IDs: [A-Za-z0-9_]+. */
bool apij_id_valid(const char *id);

/* A JSON string for text that may not be UTF-8 (it came from an INI file):
 * invalid bytes become '?'. Never NULL unless out of memory. */
json_t *apij_string(const char *text);

/* Set key to value in obj, taking value over; a NULL value (out of memory)
 * is skipped. */
void apij_set(json_t *obj, const char *key, json_t *value);

#endif
