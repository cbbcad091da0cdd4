/* The merged sandbox policy: every syscall the process may make after
 * lockdown, as data, each with the threads that make it, its argument
 * constraints, who asked (the core or a plugin instance) and why; plus the
 * paths Landlock lets the process open after lockdown. seccomp.c compiles
 * it, landlock.c applies its paths, print.c shows it. Nothing here touches
 * the kernel. */
#ifndef VOLT_SANDBOX_POLICY_H
#define VOLT_SANDBOX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <volt/host.h>
#include <volt/plugin.h>

#include "util/err.h"

/* Thread types: the SDK's VOLT_THREAD_* bits, and the control API's thread,
 * which only the core's own rules name (no plugin code runs on it). */
#define SB_THREAD_API 0x8u
#define SB_THREAD_TYPES 4
#define SB_FD_MAX 64          /* fds one rule may pin arg0 to (vCPU fds) */
#define SB_ARGS_MAX 2         /* further argument constraints per rule */
#define SB_FD_UNBOUND (-1)     /* a slot the instance never bound */
#define SB_FD_AT_REALIZE (-2)  /* print mode: bound at realize, not known yet */

/* A further argument constraint: (arg & mask) == value. */
struct sb_arg {
	unsigned arg;         /* 0..5 */
	uint64_t mask;        /* ~0 for plain equality */
	uint64_t value;
};

/* An ioctl request a rule allows, with its name when the core knows it. */
struct sb_ioctl {
	uint64_t req;
	const char *name;     /* NULL: printed in hex */
};

/* One allowed syscall. Without constraints it is allowed with any
 * arguments; each constraint narrows it: arg0 is one of arg0_vals[] (an
 * fd, or for tgkill this process's id) AND arg1 is one of ioctls[] AND
 * every args[] holds. arg0 and ioctl requests compare as the kernel reads
 * them, 32 bits wide. */
struct sb_rule {
	const char *name;            /* libseccomp's name: "pread64" */
	int nr;                      /* its number on this architecture */
	uint32_t threads;            /* VOLT_THREAD_* mask */
	bool global_only;            /* only in the process-wide filter */
	bool pin_arg0;               /* arg0 must be one of arg0_vals[] */
	const char *arg0_what;       /* what those values are, for print */
	int arg0_vals[SB_FD_MAX];    /* SB_FD_UNBOUND: a slot never bound */
	unsigned narg0;
	const struct sb_ioctl *ioctls; /* arg1 must be one of these (ioctl) */
	unsigned nioctls;
	struct sb_arg args[SB_ARGS_MAX];
	unsigned nargs;
	const char *args_what;       /* the args[] constraints in words */
	const char *who;             /* "core", "virtio-blk (drive rootfs)" */
	bool plugin;                 /* declared by a plugin instance */
	const char *why;             /* one line */
};

/* A path opened after lockdown (VOLT_PATH_READ | VOLT_PATH_WRITE), or a
 * directory files are removed from (VOLT_PATH_REMOVE: the API socket's, or
 * a plugin's socket's). */
struct sb_path {
	char *path;
	uint32_t access;
	const char *who;
};

struct sb_policy {
	struct sb_rule *rules;
	size_t nrules, cap_rules;
	struct sb_path *paths;
	size_t npaths, cap_paths;
	char **owned;                /* strings the policy allocated (who) */
	size_t nowned, cap_owned;
};

/* What the core's own rules pin their fds to, known once the VM exists. */
struct sb_core_fds {
	int vm_fd;                   /* KVM VM fd, -1 if none (print mode) */
	const int *vcpu_fds;         /* one per vCPU */
	unsigned nvcpus;
};

void sb_policy_init(struct sb_policy *p);
void sb_policy_fini(struct sb_policy *p);

/* The core's own allowlist (allowlist.c), with its fds resolved; fds NULL
 * (print mode) leaves them SB_FD_AT_REALIZE, printed by name. api: the
 * process serves the control API (--api-sock): its thread's rules too. */
int sb_policy_add_core(struct sb_policy *p, const struct sb_core_fds *fds, bool api,
		       struct volt_err *err);

/* One plugin instance's declarations. slot_fds[VOLT_FD_SLOTS] holds the
 * fds bound at realize (SB_FD_UNBOUND if not), or is NULL (print mode:
 * every slot reads SB_FD_AT_REALIZE).
 * Refuses a name libseccomp does not know and a syscall the plugin
 * denylist names (checked again here, though the loader refused it
 * first). `who` is copied. */
int sb_policy_add_plugin(struct sb_policy *p, const char *who, const struct volt_syscall *sys,
			 uint32_t nsys, const int *slot_fds, struct volt_err *err);

/* True for the syscalls that open a path (open, openat, openat2, creat). */
bool sb_syscall_opens(const char *name);

/* A plugin instance that declares an open syscall must have allowed at
 * least one path (with the same `who`); else -EPERM naming it. */
int sb_policy_check_opens(const struct sb_policy *p, struct volt_err *err);

/* A path a plugin instance opens after lockdown; both strings copied. */
int sb_policy_add_path(struct sb_policy *p, const char *path, uint32_t access,
		       const char *who, struct volt_err *err);

/* Add a rule (copied); policy.c and allowlist.c build them. */
int sb_policy_add_rule(struct sb_policy *p, const struct sb_rule *r, struct volt_err *err);

/* The syscall number libseccomp gives name on this architecture, or -1. */
int sb_syscall_nr(const char *name);

/* Whether a rule can ever match: a pinned rule whose values are all
 * unbound cannot (and is left out of the filter). */
bool sb_rule_live(const struct sb_rule *r);

/* Whether r goes into the filter for `type` (a thread type bit), or
 * into the process-wide one for type 0 (every rule, global_only too). */
bool sb_rule_applies(const struct sb_rule *r, uint32_t type);

/* Distinct syscalls allowed to threads of `type` (as above), counting
 * live rules only. */
unsigned sb_policy_count(const struct sb_policy *p, uint32_t type);

/* "main", "vcpu", "io", "api" for one thread type bit. */
const char *sb_thread_type_name(uint32_t type);

#endif
