/* A device ops table smaller than a v1.0 one. */
#include "test_plugin.h"

static const struct volt_device_ops small_ops = {
	.struct_size = 8,
};

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-opsize"),
	.ops = &small_ops,
};

VOLT_PLUGIN_DEFINE(test_opsize, desc)
