/* libFuzzer target for the strict JSON unpacker on its own: arbitrary
 * bytes as a body, unpacked against a field table with one field of every
 * type, required and optional, bounded and not. Whatever the bytes, the
 * answer is a response (never a crash, a leak or an unbounded message),
 * and a success leaves every present field of its declared type.
 *
 * 0x01 and two bytes n repeat the byte before n times (fuzz_expand, up to
 * the API's 51200-byte body limit): nesting past jansson's depth limit
 * (2048), keys and strings of tens of kilobytes (in every message the
 * answer may quote), which libFuzzer's usual 4 KiB inputs rarely or never
 * reach. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/json.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = NULL;
	bool b = false, has_s = false, has_n = false;
	uint64_t n = 0, big = 0;
	json_t *obj = NULL, *o;
	const struct apij_field fields[] = {
		{ "id", APIJ_STRING, true, &s, &has_s, 0, 0 },
		{ "flag", APIJ_BOOL, false, &b, NULL, 0, 0 },
		{ "n", APIJ_UINT, false, &n, &has_n, 1, 32 },
		{ "big", APIJ_UINT, false, &big, NULL, 0, UINT64_MAX >> 20 },
		{ "obj", APIJ_OBJECT, false, &obj, NULL, 0, 0 },
	};
	struct api_response resp = { 0 };
	size_t len;
	char *body = fuzz_expand(data, size, API_BODY_MAX, &len);

	if (!body)
		return 0;
	o = apij_parse_object(body, len, &resp);
	if (o && apij_unpack(o, fields, sizeof(fields) / sizeof(fields[0]), &resp)) {
		if (!has_s || !s || (has_n && (n < 1 || n > 32)) || (obj && !json_is_object(obj)))
			abort();
		apij_id_valid(s);
		json_decref(apij_string(s));
	} else if (!resp.body || resp.status != 400 || strlen(resp.body) > 1024) {
		abort();
	}
	json_decref(o);
	free(resp.body);
	free(body);
	return 0;
}
