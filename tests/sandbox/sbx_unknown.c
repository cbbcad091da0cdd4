/* sbx-unknown: declares a syscall libseccomp does not know; refused before
 * its instance is created. */
#include <volt/volt.h>

static const struct volt_syscall unknown_syscalls[] = {
	{ "no_such_syscall", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "a typo in a declaration" },
};

static const struct volt_device_ops unknown_ops = {
	.struct_size = sizeof(struct volt_device_ops),
};

static const struct volt_plugin_desc unknown_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_DEVICE,
	.name = "sbx-unknown",
	.version = "0",
	.license = "MIT",
	.description = "the sandbox's test: an unknown syscall name",
	.syscalls = unknown_syscalls,
	.nsyscalls = 1,
	.ops = &unknown_ops,
};

VOLT_PLUGIN_DEFINE(sbx_unknown, unknown_desc)
