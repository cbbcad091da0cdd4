/* seccomp filters compiled from the policy with libseccomp. The process-wide
 * filter (every rule) is loaded once on every thread with TSYNC; each
 * thread the core created then stacks the filter of its own type (main,
 * vcpu, io) on itself. The default action is SECCOMP_RET_TRAP: report.c
 * turns the SIGSYS into one line and an exit status. */
#ifndef VOLT_SANDBOX_SECCOMP_H
#define VOLT_SANDBOX_SECCOMP_H

#include <linux/filter.h>
#include <stdint.h>

#include "sandbox/policy.h"
#include "util/err.h"

/* A compiled filter: the BPF program libseccomp generated. */
struct sb_filter {
	void *ctx;                  /* scmp_filter_ctx */
	struct sock_fprog prog;     /* libseccomp's own bytes (seccomp_export_bpf) */
};

/* Compile the filter for `type` (VOLT_THREAD_* bit; 0 = process-wide,
 * which also carries the attributes for a TSYNC load). */
int sb_filter_compile(const struct sb_policy *p, uint32_t type, struct sb_filter *f,
		      struct volt_err *err);
void sb_filter_free(struct sb_filter *f);

/* Write the BPF program to path (tests compare builds by it). */
int sb_filter_export(const struct sb_filter *f, const char *path, struct volt_err *err);

/* Load the process-wide filter on every thread (TSYNC, NO_NEW_PRIVS). */
int sb_filter_load_all(const struct sb_filter *f, struct volt_err *err);

/* Stack prog on the calling thread only; 0 or -errno. Async-signal-safe
 * and malloc-free: threads call it right after lockdown. */
int sb_filter_load_self(const struct sock_fprog *prog);

#endif
