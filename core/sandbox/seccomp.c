/* Compiling the policy with libseccomp. No BPF is written here: libseccomp
 * generates it, and seccomp_export_bpf() hands its bytes back so a thread
 * can stack its own filter after lockdown without libseccomp's allocations,
 * and so tests can compare the filters two builds produce. */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* arg0 (an fd or a pid) and ioctl requests are 32 bits wide in the kernel;
 * compare them as it reads them. */
#define SB_MASK32 0xffffffffull

/* Add one rule, for one arg0 value (or none) and one ioctl (or none). */
static int sb_add(scmp_filter_ctx ctx, const struct sb_rule *r, const int *arg0,
		  const struct sb_ioctl *ioc)
{
	struct scmp_arg_cmp cmp[2 + SB_ARGS_MAX];
	unsigned n = 0;
	int rc;

	if (arg0)
		cmp[n++] = SCMP_CMP(0, SCMP_CMP_MASKED_EQ, SB_MASK32, (uint64_t)(uint32_t)*arg0);
	if (ioc)
		cmp[n++] = SCMP_CMP(1, SCMP_CMP_MASKED_EQ, SB_MASK32, ioc->req & SB_MASK32);
	for (unsigned i = 0; i < r->nargs; i++)
		cmp[n++] = SCMP_CMP(r->args[i].arg, SCMP_CMP_MASKED_EQ, r->args[i].mask,
				    r->args[i].value);
	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, n, cmp);
	/* A rule another one already covers is not an error. */
	return rc == -EEXIST ? 0 : rc;
}

static int sb_add_rule(scmp_filter_ctx ctx, const struct sb_rule *r)
{
	unsigned na = r->pin_arg0 ? r->narg0 : 1;
	unsigned ni = r->nioctls ? r->nioctls : 1;

	for (unsigned a = 0; a < na; a++) {
		const int *arg0 = r->pin_arg0 ? &r->arg0_vals[a] : NULL;

		if (arg0 && *arg0 < 0)
			continue; /* unbound: nothing can match it */
		for (unsigned i = 0; i < ni; i++) {
			int rc = sb_add(ctx, r, arg0, r->nioctls ? &r->ioctls[i] : NULL);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/* libseccomp's bytes, read back through a memfd. */
static int sb_filter_bytes(struct sb_filter *f, struct volt_err *err)
{
	int fd = memfd_create("volt-seccomp", MFD_CLOEXEC);
	struct stat st;
	int rc;

	if (fd < 0)
		return verr_set(err, errno, "sandbox: memfd_create: %s", strerror(errno));
	rc = seccomp_export_bpf(f->ctx, fd);
	if (rc) {
		close(fd);
		return verr_set(err, -rc, "sandbox: exporting the seccomp filter: %s",
				strerror(-rc));
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(fd);
		return verr_set(err, E2BIG, "sandbox: the seccomp filter is %lld bytes, not a "
				"BPF program the kernel takes", (long long)st.st_size);
	}
	f->prog.filter = malloc((size_t)st.st_size);
	f->prog.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	if (!f->prog.filter || pread(fd, f->prog.filter, (size_t)st.st_size, 0) != st.st_size) {
		close(fd);
		return verr_set(err, EIO, "sandbox: reading the seccomp filter back failed");
	}
	close(fd);
	return 0;
}

int sb_filter_compile(const struct sb_policy *p, uint32_t type, struct sb_filter *f,
		      struct volt_err *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = 0;

	memset(f, 0, sizeof(*f));
	if (!ctx)
		return verr_set(err, ENOMEM, "sandbox: seccomp_init failed");
	f->ctx = ctx;
	/* Binary-tree dispatch: a KVM_RUN does not walk a list of syscalls. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!rc && !type)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; !rc && i < p->nrules; i++) {
		const struct sb_rule *r = &p->rules[i];

		if (sb_rule_applies(r, type) && sb_rule_live(r)) {
			rc = sb_add_rule(ctx, r);
			if (rc) {
				sb_filter_free(f);
				return verr_set(err, -rc, "sandbox: %s: rule for %s: %s", r->who,
						r->name, strerror(-rc));
			}
		}
	}
	if (rc) {
		sb_filter_free(f);
		return verr_set(err, -rc, "sandbox: seccomp attributes: %s", strerror(-rc));
	}
	rc = sb_filter_bytes(f, err);
	if (rc)
		sb_filter_free(f);
	return rc;
}

void sb_filter_free(struct sb_filter *f)
{
	if (f->ctx)
		seccomp_release(f->ctx);
	free(f->prog.filter);
	memset(f, 0, sizeof(*f));
}

int sb_filter_export(const struct sb_filter *f, const char *path, struct volt_err *err)
{
	size_t len = (size_t)f->prog.len * sizeof(struct sock_filter);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t w;

	if (fd < 0)
		return verr_set(err, errno, "sandbox: %s: %s", path, strerror(errno));
	w = write(fd, f->prog.filter, len);
	close(fd);
	if (w != (ssize_t)len)
		return verr_set(err, EIO, "sandbox: %s: short write", path);
	return 0;
}

int sb_filter_load_all(const struct sb_filter *f, struct volt_err *err)
{
	int rc = seccomp_load(f->ctx);

	if (rc)
		return verr_set(err, -rc, "sandbox: loading the seccomp filter on every thread: %s",
				strerror(-rc));
	return 0;
}

int sb_filter_load_self(const struct sock_fprog *prog)
{
	/* No flags: this thread only. NO_NEW_PRIVS came with the TSYNC load. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}
