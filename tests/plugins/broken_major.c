/* Built for a Volt plugin ABI 2 that does not exist yet: its entry symbol
 * carries the major, so a volt speaking ABI 1 finds no volt_plugin_entry_v1. */
#include "test_plugin.h"

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-major"),
	.abi_major = 2,
};

VOLT_EXPORT const struct volt_plugin_desc *volt_plugin_entry_v2(void);
VOLT_EXPORT const struct volt_plugin_desc *volt_plugin_entry_v2(void)
{
	return &desc;
}
