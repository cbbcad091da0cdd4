/* The smallest plugin: a descriptor and its entry, plus the kinds of symbol a
 * real plugin has (a non-static helper, a global, a libc call), built the way
 * volt_add_plugin() builds a .so: hidden visibility, -z defs. The exports
 * test checks that volt_plugin_entry_v1 is the one symbol it exports and
 * that it needs nothing from the volt executable. */
#include <stdio.h>

#include <volt/volt.h>

int min_plugin_global;

int min_plugin_helper(char *buf, size_t size);
int min_plugin_helper(char *buf, size_t size)
{
	return snprintf(buf, size, "min-plugin %d", ++min_plugin_global);
}

static int min_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	char buf[32];

	min_plugin_helper(buf, sizeof(buf));
	host->log(inst, VOLT_LOG_DEBUG, "%s", buf);
	*state = NULL;
	return 0;
}

static const struct volt_device_ops min_ops = {
	.struct_size = sizeof(struct volt_device_ops),
};

static const struct volt_plugin_desc min_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_DEVICE,
	.name = "abi-min",
	.version = "1",
	.license = "MIT",
	.description = "the smallest plugin, for the ABI link test",
	.create = min_create,
	.ops = &min_ops,
};

VOLT_PLUGIN_DEFINE(abi_min, min_desc)
