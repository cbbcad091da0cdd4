/* Landlock with the best ABI the kernel offers: every access right that ABI
 * knows is handled, so anything no rule allows is denied, including opening
 * any file at all when the policy has no paths (the usual case: everything
 * is opened before lockdown). Older kernels get fewer rights handled; no
 * Landlock at all is a warning, not an error. */
#include "sandbox/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Debian 12's UAPI header (Linux 6.1) stops at ABI 2. What later ABIs
 * added, with the kernel's values: */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)      /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)     /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)      /* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6 (Linux 6.12); the 6.1 header
 * has only the first field. The kernel takes a larger struct as long as
 * the fields it does not know are zero, so this one size fits every ABI. */
struct sb_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;
	__u64 scoped;
};

#define SB_FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */

/* Rights that apply to a file that is not a directory. */
#define SB_FS_FILE_RIGHTS                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                       \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                       \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

static const char *const sb_fs_names[] = {
	"execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file",
	"make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block",
	"make_sym", "refer", "truncate", "ioctl_dev",
};

int sb_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (abi <= 0)
		return 0;
	return abi > SB_LANDLOCK_ABI_MAX ? SB_LANDLOCK_ABI_MAX : (int)abi;
}

void sb_landlock_handled(int abi, struct sb_landlock_rights *out)
{
	memset(out, 0, sizeof(*out));
	if (abi < 1)
		return;
	out->fs = SB_FS_ABI1;
	if (abi >= 2)
		out->fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		out->fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 4)
		out->net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi >= 5)
		out->fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (abi >= 6)
		out->scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
}

uint64_t sb_landlock_path_rights(int abi, uint32_t access, bool is_dir, bool is_dev)
{
	struct sb_landlock_rights h;
	uint64_t r = 0;

	sb_landlock_handled(abi, &h);
	if (access & VOLT_PATH_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | (is_dir ? LANDLOCK_ACCESS_FS_READ_DIR : 0);
	if (access & VOLT_PATH_WRITE)
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
		     (is_dir ? LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE : 0);
	/* A device node opened after lockdown is opened to be driven; which
	 * requests it gets is the seccomp filter's business. */
	if (is_dev && (access & (VOLT_PATH_READ | VOLT_PATH_WRITE)))
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if ((access & VOLT_PATH_REMOVE) && is_dir)
		r |= LANDLOCK_ACCESS_FS_REMOVE_FILE;
	if (!is_dir)
		r &= SB_FS_FILE_RIGHTS;
	return r & h.fs;
}

void sb_landlock_fs_names(uint64_t mask, char *buf, size_t cap)
{
	size_t used = 0;

	if (cap)
		buf[0] = '\0';
	for (unsigned i = 0; i < sizeof(sb_fs_names) / sizeof(sb_fs_names[0]); i++) {
		int n;

		if (!(mask & (1ULL << i)))
			continue;
		n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", sb_fs_names[i]);
		if (n < 0 || (size_t)n >= cap - used)
			return;
		used += (size_t)n;
	}
}

static int sb_landlock_add_path(int ruleset, int abi, const struct sb_path *sp,
				struct volt_err *err)
{
	struct landlock_path_beneath_attr pb = { 0 };
	struct stat st;
	int fd = open(sp->path, O_PATH | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return verr_set(err, errno, "sandbox: %s: allowed path %s: %s", sp->who, sp->path,
				strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = verr_set(err, errno, "sandbox: %s: %s: %s", sp->who, sp->path, strerror(errno));
		goto out;
	}
	if ((sp->access & VOLT_PATH_REMOVE) && !S_ISDIR(st.st_mode)) {
		rc = verr_set(err, ENOTDIR, "sandbox: %s: %s: removing files is allowed in a "
			      "directory, and this is not one", sp->who, sp->path);
		goto out;
	}
	pb.parent_fd = fd;
	pb.allowed_access = sb_landlock_path_rights(abi, sp->access, S_ISDIR(st.st_mode),
						    S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		rc = verr_set(err, errno, "sandbox: %s: Landlock rule for %s: %s", sp->who,
			      sp->path, strerror(errno));
out:
	close(fd);
	return rc;
}

int sb_landlock_restrict(int ruleset, struct volt_err *err)
{
	/* Landlock needs NO_NEW_PRIVS (or CAP_SYS_ADMIN); seccomp sets it too. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return verr_set(err, errno, "sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return verr_set(err, errno, "sandbox: landlock_restrict_self: %s", strerror(errno));
	return 0;
}

int sb_landlock_apply(const struct sb_policy *p, int abi, int *keep, struct volt_err *err)
{
	struct sb_landlock_rights h;
	struct sb_ruleset_attr attr;
	int ruleset, rc = 0;

	sb_landlock_handled(abi, &h);
	attr = (struct sb_ruleset_attr){
		.handled_access_fs = h.fs,
		.handled_access_net = h.net,
		.scoped = h.scoped,
	};
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return verr_set(err, errno, "sandbox: Landlock ABI %d ruleset: %s", abi,
				strerror(errno));
	for (size_t i = 0; !rc && i < p->npaths; i++)
		rc = sb_landlock_add_path(ruleset, abi, &p->paths[i], err);
	if (!rc)
		rc = sb_landlock_restrict(ruleset, err);
	if (!rc && keep)
		*keep = ruleset;
	else
		close(ruleset);
	return rc;
}
