/* Loaded as test-mismatch.so, but its descriptor names it test-other. */
#include "test_plugin.h"

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-other"),
};

VOLT_PLUGIN_DEFINE(test_mismatch, desc)
