/* Declares a key whose name is not [a-z0-9_]. */
#include "test_plugin.h"

static const struct volt_key keys[] = {
	{ .name = "Bad Key", .type = VOLT_KEY_STRING, .help = "not a valid name" },
};

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-badkey"),
	.keys = keys,
	.nkeys = 1,
};

VOLT_PLUGIN_DEFINE(test_badkey, desc)
