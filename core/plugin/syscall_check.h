/* Syscalls no plugin may declare, refused when the plugin is loaded. */
#ifndef VOLT_PLUGIN_SYSCALL_CHECK_H
#define VOLT_PLUGIN_SYSCALL_CHECK_H

#include <volt/plugin.h>

#include "util/err.h"

/* -EPERM with "declares syscall X, which no plugin may make: <why>" if the
 * descriptor declares a denied syscall, or "declares syscall X unpinned:
 * <why>" for an unpinned ioctl rule, else 0. */
int plugin_check_syscalls(const struct volt_plugin_desc *desc, struct volt_err *err);

/* Why `name` is denied, or NULL if a plugin may declare it. */
const char *plugin_syscall_denied(const char *name);

/* Why the declaration is too wide to add to the filter (an ioctl rule
 * without an fd slot or a request list), or NULL. */
const char *plugin_syscall_unpinned(const struct volt_syscall *s);

#endif
