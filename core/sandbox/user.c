#include "sandbox/user.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

/* Users and groups by name or id. A static volt (util/build.h) reads
 * /etc/passwd and /etc/group itself: static glibc reaches any NSS module
 * but "files" by loading it as a shared object, and in a static-pie volt
 * that crashed (a name not in /etc/passwd made it load nss_systemd). */
#ifdef VOLT_STATIC
static struct passwd *sandbox_pw_find(const char *name, uint32_t uid)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw = NULL;

	/* fgetpwent's record outlives the file: it is libc's static buffer. */
	while (f && (pw = fgetpwent(f)) && (name ? strcmp(pw->pw_name, name) : pw->pw_uid != uid))
		;
	if (f)
		fclose(f);
	return pw;
}

static struct passwd *sandbox_pw_by_name(const char *name)
{
	return sandbox_pw_find(name, 0);
}

static struct passwd *sandbox_pw_by_uid(uint32_t uid)
{
	return sandbox_pw_find(NULL, uid);
}

static struct group *sandbox_gr_by_name(const char *name)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr = NULL;

	while (f && (gr = fgetgrent(f)) && strcmp(gr->gr_name, name))
		;
	if (f)
		fclose(f);
	return gr;
}
#else
static struct passwd *sandbox_pw_by_name(const char *name)
{
	return getpwnam(name);
}

static struct passwd *sandbox_pw_by_uid(uint32_t uid)
{
	return getpwuid(uid);
}

static struct group *sandbox_gr_by_name(const char *name)
{
	return getgrnam(name);
}
#endif

/* A decimal id with nothing after it (no sign, no spaces, no hex), at most
 * ten digits. */
static bool sandbox_id_number(const char *text, uint32_t *id)
{
	size_t len = strlen(text);
	unsigned long long v;

	if (!len || len > 10 || strspn(text, "0123456789") != len)
		return false;
	v = strtoull(text, NULL, 10);
	if (v >= UINT32_MAX) /* (uid_t)-1 means "unchanged" to setresuid */
		return false;
	*id = (uint32_t)v;
	return true;
}

/* The part before any ':', copied so that it ends in a NUL. */
static int sandbox_user_part(const char *spec, size_t len, struct sandbox_user *u, char *why,
			     size_t why_size)
{
	char name[256];
	struct passwd *pw;
	uint32_t id;

	if (len >= sizeof(name))
		return snprintf(why, why_size, "not a user name or number"), -EINVAL;
	memcpy(name, spec, len);
	name[len] = '\0';
	if (sandbox_id_number(name, &id)) {
		pw = sandbox_pw_by_uid(id);
		u->uid = id;
		u->gid = pw ? pw->pw_gid : id;
		return 0;
	}
	pw = sandbox_pw_by_name(name);
	if (!pw)
		return snprintf(why, why_size, "no user '%s' on this host", name), -EINVAL;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

static int sandbox_group_part(const char *name, struct sandbox_user *u, char *why,
			      size_t why_size)
{
	struct group *gr;
	uint32_t id;

	if (sandbox_id_number(name, &id)) {
		u->gid = id;
		return 0;
	}
	gr = sandbox_gr_by_name(name);
	if (!gr)
		return snprintf(why, why_size, "no group '%s' on this host", name), -EINVAL;
	u->gid = gr->gr_gid;
	return 0;
}

int sandbox_user_parse(const char *spec, struct sandbox_user *u, char *why, size_t why_size)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	int r = sandbox_user_part(spec, len, u, why, why_size);

	if (!r && colon)
		r = sandbox_group_part(colon + 1, u, why, why_size);
	if (!r && (u->uid == 0 || u->gid == 0)) {
		snprintf(why, why_size, "root (uid or gid 0) is what volt leaves: name another user");
		r = -EINVAL;
	}
	return r;
}

/* Does the process hold any capability, effective or permitted? */
static int sandbox_has_caps(bool *any)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*any = false;
	for (unsigned i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		*any = *any || d[i].effective || d[i].permitted;
	return 0;
}

int sandbox_become_user(const struct sandbox_user *u, struct volt_err *err)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	bool caps = true;
	int r;

	/* glibc applies each of these to every thread of the process. */
	if (setgroups(0, NULL) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0)
		return verr_set(err, errno, "sandbox: cannot become uid %u gid %u: %s (volt must "
				"start as root to run the guest as another user)", (unsigned)u->uid,
				(unsigned)u->gid, strerror(errno));
	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0 ||
	    ruid != u->uid || euid != u->uid || suid != u->uid || rgid != u->gid ||
	    egid != u->gid || sgid != u->gid)
		return verr_set(err, EPERM, "sandbox: the switch to uid %u gid %u did not take",
				(unsigned)u->uid, (unsigned)u->gid);
	r = sandbox_has_caps(&caps);
	if (r)
		return verr_set(err, -r, "sandbox: reading the capabilities left (capget): %s",
				strerror(-r));
	if (caps)
		return verr_set(err, EPERM, "sandbox: uid %u still holds capabilities after the "
				"switch (SECBIT_KEEP_CAPS or file capabilities?)", (unsigned)u->uid);
	return 0;
}
