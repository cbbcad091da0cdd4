/* A valid plugin, test-dup; test-dup-copy.so then claims its name. */
#include "test_plugin.h"

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-dup"),
};

VOLT_PLUGIN_DEFINE(test_dup, desc)
