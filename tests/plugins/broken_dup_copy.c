/* test-dup-copy.so claims the name of test-dup.so, loaded before it. */
#include "test_plugin.h"

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-dup"),
};

VOLT_PLUGIN_DEFINE(test_dup, desc)
