/* The user volt runs the guest as ([sandbox] user, --user): volt starts as
 * root to open what it needs (/dev/net/tun, a macvtap link, images owned by
 * root), then, just before Landlock and seccomp, becomes this user, and
 * with the change of user the kernel takes every capability away. A guest
 * that took over the VMM then holds neither root's files nor
 * CAP_NET_ADMIN, CAP_SYS_ADMIN and the rest on the syscalls the filters
 * still allow (a netlink socket, for one). As Firecracker's jailer does
 * with --uid and --gid. */
#ifndef VOLT_SANDBOX_USER_H
#define VOLT_SANDBOX_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

struct sandbox_user {
	uid_t uid;
	gid_t gid;
};

/* "NAME", "UID", "NAME:GROUP" or "UID:GID" (a name's or a known UID's
 * group is its primary one; an unknown UID alone gets GID = UID). Root is
 * refused: it is what volt leaves. 0, or -EINVAL with why set. */
int sandbox_user_parse(const char *spec, struct sandbox_user *u, char *why, size_t why_size);

/* Become u, supplementary groups dropped; then check that the process
 * holds no capability. 0 or -errno (err says which step). */
int sandbox_become_user(const struct sandbox_user *u, struct volt_err *err);

#endif
