/* libFuzzer target for the INI path: arbitrary bytes go through inih, the
 * line reader, every key setter and instance bookkeeping, then config_free();
 * ASan/LSan catch overflows and leaks, including on half-loaded configs.
 *
 * 0x01 and two bytes n repeat the byte before n times (fuzz_expand, up to
 * 256 KiB in all): lines reach the reader's 8192-byte limit and inih's
 * growing buffer (8195) from either side, which libFuzzer's usual 4 KiB
 * inputs never could; 0x02-0x1f still test the control-character check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct volt_config cfg;
	struct volt_err err = { 0 };
	size_t len;
	/* config_load_string takes C text: an embedded NUL just ends it early. */
	char *text = fuzz_expand(data, size, 256 * 1024, &len);

	if (!text)
		return 0;
	config_init(&cfg);
	config_load_string(&cfg, "fuzz.ini", text, &err);
	config_free(&cfg);
	free(text);
	return 0;
}
