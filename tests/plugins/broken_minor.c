/* Built for a newer minor of the ABI than this volt speaks. */
#include "test_plugin.h"

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-minor"),
	.abi_minor = VOLT_ABI_MINOR + 1,
};

VOLT_PLUGIN_DEFINE(test_minor, desc)
