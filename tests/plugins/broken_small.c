/* A descriptor that claims to be smaller than a v1.0 descriptor. */
#include "test_plugin.h"

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-small"),
	.struct_size = 16,
};

VOLT_PLUGIN_DEFINE(test_small, desc)
