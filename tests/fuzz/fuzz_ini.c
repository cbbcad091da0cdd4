/* libFuzzer target for the INI path: arbitrary bytes go through inih, the
 * line reader, every key setter and instance bookkeeping, then config_free();
 * ASan/LSan catch overflows and leaks, including on half-loaded configs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct volt_config cfg;
	struct volt_err err = { 0 };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	/* config_load_string takes C text: an embedded NUL just ends it early. */
	memcpy(text, data, size);
	text[size] = '\0';
	config_init(&cfg);
	config_load_string(&cfg, "fuzz.ini", text, &err);
	config_free(&cfg);
	free(text);
	return 0;
}
