/* Declares execve, which no plugin may make. */
#include "test_plugin.h"

static const struct volt_syscall syscalls[] = {
	{ .name = "read", .threads = VOLT_THREAD_IO, .fd_slot = VOLT_FD_ANY,
	  .reason = "reads its input" },
	{ .name = "execve", .threads = VOLT_THREAD_MAIN, .fd_slot = VOLT_FD_ANY,
	  .reason = "runs a helper program" },
};

static const struct volt_plugin_desc desc = {
	TEST_PLUGIN_DESC("test-denied"),
	.syscalls = syscalls,
	.nsyscalls = 2,
};

VOLT_PLUGIN_DEFINE(test_denied, desc)
