/* Merging the core's allowlist and the plugin instances' declarations into
 * one policy. A plugin's rule keeps its constraints: arg0 pinned to the fd
 * its instance bound to the declared slot, arg1 to its ioctl list. */
#include "sandbox/policy.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "plugin/syscall_check.h"

void sb_policy_init(struct sb_policy *p)
{
	memset(p, 0, sizeof(*p));
}

void sb_policy_fini(struct sb_policy *p)
{
	for (size_t i = 0; i < p->npaths; i++)
		free(p->paths[i].path);
	for (size_t i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	free(p->rules);
	free(p->paths);
	free(p->owned);
	memset(p, 0, sizeof(*p));
}

/* Make room for one more element of size `size` in *arr. */
static int sb_grow(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *a;

	if (n < *cap)
		return 0;
	a = realloc(*arr, ncap * size);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = ncap;
	return 0;
}

/* A copy of s the policy frees with itself. */
static const char *sb_own(struct sb_policy *p, const char *s)
{
	char *c;

	if (sb_grow((void **)&p->owned, p->nowned, &p->cap_owned, sizeof(*p->owned)))
		return NULL;
	c = strdup(s);
	if (c)
		p->owned[p->nowned++] = c;
	return c;
}

int sb_syscall_nr(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	return nr == __NR_SCMP_ERROR || nr < 0 ? -1 : nr;
}

int sb_policy_add_rule(struct sb_policy *p, const struct sb_rule *r, struct volt_err *err)
{
	if (sb_grow((void **)&p->rules, p->nrules, &p->cap_rules, sizeof(*p->rules)))
		return verr_set(err, ENOMEM, "sandbox: out of memory");
	p->rules[p->nrules++] = *r;
	return 0;
}

int sb_policy_add_path(struct sb_policy *p, const char *path, uint32_t access,
		       const char *who, struct volt_err *err)
{
	struct sb_path *sp;

	if (!path || path[0] != '/')
		return verr_set(err, EINVAL, "sandbox: %s: allowed path '%s' is not absolute", who,
				path ? path : "(null)");
	if (!access || (access & ~(VOLT_PATH_READ | VOLT_PATH_WRITE | VOLT_PATH_REMOVE)))
		return verr_set(err, EINVAL, "sandbox: %s: path %s: access 0x%x is not "
				"VOLT_PATH_READ, _WRITE and/or _REMOVE", who, path, access);
	if (sb_grow((void **)&p->paths, p->npaths, &p->cap_paths, sizeof(*p->paths)))
		return verr_set(err, ENOMEM, "sandbox: out of memory");
	sp = &p->paths[p->npaths];
	sp->path = strdup(path);
	sp->who = sb_own(p, who);
	sp->access = access;
	if (!sp->path || !sp->who) {
		free(sp->path);
		return verr_set(err, ENOMEM, "sandbox: out of memory");
	}
	p->npaths++;
	return 0;
}

/* Syscalls that open a path: a plugin instance may have them only with
 * the paths it allowed at realize (sandbox_allow_path), which Landlock
 * then holds it to. */
static const char *const sb_open_syscalls[] = { "open", "openat", "openat2", "creat" };

bool sb_syscall_opens(const char *name)
{
	for (size_t i = 0; i < sizeof(sb_open_syscalls) / sizeof(sb_open_syscalls[0]); i++)
		if (!strcmp(sb_open_syscalls[i], name))
			return true;
	return false;
}

/* A plugin never gets executable memory: its mmap and mprotect rules
 * carry the same no-PROT_EXEC constraint as the core's. */
static void sb_plugin_no_exec(struct sb_rule *r)
{
	if (strcmp(r->name, "mmap") && strcmp(r->name, "mprotect") &&
	    strcmp(r->name, "pkey_mprotect"))
		return;
	r->args[0] = (struct sb_arg){ .arg = 2, .mask = PROT_EXEC, .value = 0 };
	r->nargs = 1;
	r->args_what = "no PROT_EXEC (never for a plugin)";
}

/* One declaration, checked again (the loader refused the same things at
 * load time; a policy built from a descriptor it never saw must not be
 * weaker) and turned into a rule. */
static int sb_plugin_rule(const char *who, const struct volt_syscall *s, const int *slot_fds,
			  struct sb_rule *r, struct volt_err *err)
{
	if (!s->name || !s->reason)
		return verr_set(err, EINVAL, "sandbox: %s: a syscall declaration lacks its name or "
				"reason", who);
	if (plugin_check_syscall(s, err)) {
		verr_prefix(err, "sandbox: %s: ", who);
		return -err->code;
	}
	memset(r, 0, sizeof(*r));
	r->name = s->name;
	r->nr = sb_syscall_nr(s->name);
	if (r->nr < 0)
		return verr_set(err, EINVAL, "sandbox: %s: declares syscall '%s', which libseccomp "
				"does not know on this architecture", who, s->name);
	r->threads = s->threads & VOLT_THREAD_ALL;
	r->why = s->reason;
	sb_plugin_no_exec(r);
	if (s->fd_slot != VOLT_FD_ANY) {
		if (s->fd_slot >= VOLT_FD_SLOTS)
			return verr_set(err, EINVAL, "sandbox: %s: syscall %s: fd slot %u (slots "
					"are 0..%d)", who, s->name, s->fd_slot, VOLT_FD_SLOTS - 1);
		r->pin_arg0 = true;
		r->narg0 = 1;
		r->arg0_vals[0] = slot_fds ? slot_fds[s->fd_slot] : SB_FD_AT_REALIZE;
	}
	return 0;
}

/* The ioctl list as sb_ioctl rows (numbers only), owned by the policy. */
static const struct sb_ioctl *sb_plugin_ioctls(struct sb_policy *p, const struct volt_syscall *s)
{
	struct sb_ioctl *v = calloc(s->nioctls, sizeof(*v));

	if (!v || sb_grow((void **)&p->owned, p->nowned, &p->cap_owned, sizeof(*p->owned))) {
		free(v);
		return NULL;
	}
	for (uint32_t i = 0; i < s->nioctls; i++)
		v[i].req = s->ioctls[i];
	p->owned[p->nowned++] = (char *)v;
	return v;
}

int sb_policy_add_plugin(struct sb_policy *p, const char *who, const struct volt_syscall *sys,
			 uint32_t nsys, const int *slot_fds, struct volt_err *err)
{
	const char *owho = sb_own(p, who);
	char slot_what[VOLT_FD_SLOTS][16];

	if (!owho)
		return verr_set(err, ENOMEM, "sandbox: out of memory");
	for (unsigned i = 0; i < VOLT_FD_SLOTS; i++)
		snprintf(slot_what[i], sizeof(slot_what[i]), "fd slot %u", i);
	for (uint32_t i = 0; i < nsys; i++) {
		struct sb_rule r;
		int rc = sb_plugin_rule(owho, &sys[i], slot_fds, &r, err);

		if (rc)
			return rc;
		r.who = owho;
		r.plugin = true;
		if (r.pin_arg0 && !(r.arg0_what = sb_own(p, slot_what[sys[i].fd_slot])))
			return verr_set(err, ENOMEM, "sandbox: out of memory");
		if (sys[i].nioctls) {
			r.ioctls = sb_plugin_ioctls(p, &sys[i]);
			r.nioctls = sys[i].nioctls;
			if (!r.ioctls)
				return verr_set(err, ENOMEM, "sandbox: out of memory");
		}
		rc = sb_policy_add_rule(p, &r, err);
		if (rc)
			return rc;
	}
	return 0;
}

int sb_policy_check_opens(const struct sb_policy *p, struct volt_err *err)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct sb_rule *r = &p->rules[i];
		bool has_path = false;

		if (!r->plugin || !sb_syscall_opens(r->name))
			continue;
		for (size_t j = 0; j < p->npaths && !has_path; j++)
			has_path = !strcmp(p->paths[j].who, r->who);
		if (!has_path)
			return verr_set(err, EPERM, "sandbox: %s: declares %s but allowed no path at "
					"realize (host->sandbox_allow_path); a plugin opens no file "
					"after lockdown except those", r->who, r->name);
	}
	return 0;
}

bool sb_rule_live(const struct sb_rule *r)
{
	if (!r->pin_arg0)
		return true;
	for (unsigned i = 0; i < r->narg0; i++)
		if (r->arg0_vals[i] != SB_FD_UNBOUND)
			return true;
	return false;
}

bool sb_rule_applies(const struct sb_rule *r, uint32_t type)
{
	if (!type)
		return true;
	return !r->global_only && (r->threads & type);
}

unsigned sb_policy_count(const struct sb_policy *p, uint32_t type)
{
	unsigned n = 0;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct sb_rule *r = &p->rules[i];
		bool seen = false;

		if (!sb_rule_applies(r, type) || !sb_rule_live(r))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = p->rules[j].nr == r->nr && sb_rule_applies(&p->rules[j], type) &&
			       sb_rule_live(&p->rules[j]);
		n += !seen;
	}
	return n;
}

const char *sb_thread_type_name(uint32_t type)
{
	switch (type) {
	case VOLT_THREAD_MAIN: return "main";
	case VOLT_THREAD_VCPU: return "vcpu";
	case VOLT_THREAD_IO: return "io";
	case SB_THREAD_API: return "api";
	}
	return "any";
}
