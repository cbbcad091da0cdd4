/* A shared object with exported code but no volt_plugin_entry_v1. */
#include "test_plugin.h"

VOLT_EXPORT int test_noentry_answer(void);
VOLT_EXPORT int test_noentry_answer(void)
{
	return 42;
}
