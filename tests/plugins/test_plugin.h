/* Shared by the test plugins: a minimal valid device, which each broken
 * plugin then breaks in exactly one way. */
#ifndef VOLT_TEST_PLUGIN_H
#define VOLT_TEST_PLUGIN_H

#include <volt/volt.h>

static const struct volt_device_ops test_plugin_ops = {
	.struct_size = sizeof(struct volt_device_ops),
	.virtio_id = 0,
};

#define TEST_PLUGIN_DESC(plugin_name)                                          \
	.struct_size = sizeof(struct volt_plugin_desc),                        \
	.abi_major = VOLT_ABI_MAJOR,                                           \
	.abi_minor = VOLT_ABI_MINOR,                                           \
	.kind = VOLT_PLUGIN_DEVICE,                                            \
	.name = plugin_name,                                                   \
	.version = "0",                                                        \
	.license = "MIT",                                                      \
	.description = "a test plugin for the loader",                         \
	.ops = &test_plugin_ops

#endif
