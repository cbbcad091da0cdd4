/* Calls a function no library defines: it must be refused when it is
 * loaded (RTLD_NOW), not found missing when its hook first runs. */
#include "test_plugin.h"

int test_undef_no_such_function(void);

static int undef_create(const struct volt_host_api *host, struct volt_instance *inst,
			void **state)
{
	return test_undef_no_such_function();
}

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-undef"),
	.create = undef_create,
};

VOLT_PLUGIN_DEFINE(test_undef, desc)
