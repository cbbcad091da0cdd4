/* Syscalls no plugin may declare, refused when the plugin is loaded. */
#ifndef VOLT_PLUGIN_SYSCALL_CHECK_H
#define VOLT_PLUGIN_SYSCALL_CHECK_H

#include <volt/plugin.h>

#include "util/err.h"

/* -EPERM with "declares syscall X, which no plugin may make: <why>" if the
 * declaration (its name set) is of a denied syscall, or "declares syscall
 * X unpinned: <why>" for an ioctl rule without an fd slot or a request
 * list, else 0. The loader and the sandbox both ask this. */
int plugin_check_syscall(const struct volt_syscall *s, struct volt_err *err);

/* plugin_check_syscall for each of the descriptor's declarations. */
int plugin_check_syscalls(const struct volt_plugin_desc *desc, struct volt_err *err);

/* Why `name` is denied, or NULL if a plugin may declare it. */
const char *plugin_syscall_denied(const char *name);

#endif
