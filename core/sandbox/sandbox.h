/* The sandbox: once every plugin is realized and before any vCPU runs
 * guest code, Landlock limits the filesystem to the paths the policy
 * allows, then one seccomp filter (the core's allowlist plus the
 * declarations of the plugin instances this VM has) goes onto every
 * thread, and each thread the core created stacks the narrower filter of
 * its type on itself. No thread or process is created after that.
 *
 * The machine drives it in this order (docs/sandbox.md):
 *   sandbox_init, sandbox_add_core, sandbox_add_plugin/_path per instance
 *   sandbox_prepare      compile (and export) the filters, SIGSYS handler
 *   sandbox_landlock     on the main thread, before any other thread exists
 *   sandbox_gate_arm     then create every thread; each creator calls
 *                        sandbox_gate_expect, each thread sandbox_thread_enter
 *   sandbox_lockdown     waits for them, loads the filters
 *   (plugin start hooks)
 *   sandbox_gate_open    the threads narrow their filters and run
 * A syscall outside the filter ends the process with one line on stderr
 * and SANDBOX_EXIT_STATUS. */
#ifndef VOLT_SANDBOX_SANDBOX_H
#define VOLT_SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <volt/plugin.h>

#include "sandbox/policy.h"
#include "sandbox/seccomp.h"
#include "util/err.h"

/* Exit status after a sandbox violation. */
#define SANDBOX_EXIT_STATUS 3

struct sandbox_options {
	bool seccomp;            /* on unless --no-seccomp */
	bool landlock;           /* on unless --no-landlock */
	const char *export_dir;  /* hidden --debug-export-seccomp DIR: write the
				  * filters' BPF there (process.bpf, main.bpf,
				  * vcpu.bpf, io.bpf, api.bpf) and the pid */
};

struct sandbox {
	struct sandbox_options opt;
	struct sb_policy policy;
	bool api;                /* the process serves the control API */
	bool plugins_unrealized; /* printout only: plugins that may add paths at
				  * realize were not realized */
	/* [0] process-wide, then main, vcpu, io, api (thread bit order) */
	struct sb_filter filters[1 + SB_THREAD_TYPES];
	bool prepared;
	bool applied;            /* Landlock or seccomp is on: the process can no
				  * longer open files or build another VM */
	int landlock_abi;        /* the ABI applied, 0 if none */
	int landlock_fd;         /* the ruleset, for a thread that existed before
				  * (sandbox_adopt_landlock); -1 once locked down */
};

/* ---- thread identity, for the violation report ---- */

/* This thread's name in a report ("main", "vcpu0", "io:drive rootfs"). */
void sandbox_thread_set_name(const char *name);
/* The plugin instance whose code this thread runs ("virtio-blk (drive
 * rootfs)"), or NULL for the core. The string must outlive the setting.
 * The core sets it around plugin hooks, and for good on an instance's I/O
 * thread. */
void sandbox_set_current_plugin(const char *name);
const char *sandbox_current_plugin(void);

/* ---- building the policy ---- */

void sandbox_init(struct sandbox *sb, const struct sandbox_options *opt);
void sandbox_fini(struct sandbox *sb);

/* api: the control API's thread exists (--api-sock) and gets its rules. */
int sandbox_add_core(struct sandbox *sb, const struct sb_core_fds *fds, bool api,
		     struct volt_err *err);
/* who: "virtio-blk (drive rootfs)"; slot_fds: VOLT_FD_SLOTS fds bound at
 * realize (-1 if not), or NULL when printing the policy. */
int sandbox_add_plugin(struct sandbox *sb, const char *who, const struct volt_syscall *sys,
		       uint32_t nsys, const int *slot_fds, struct volt_err *err);
int sandbox_add_path(struct sandbox *sb, const char *path, uint32_t access, const char *who,
		     struct volt_err *err);

/* True if libseccomp knows name on this architecture (the loader refuses
 * a declaration of an unknown name at load time). */
bool sandbox_syscall_known(const char *name);

/* ---- locking down ---- */

int sandbox_prepare(struct sandbox *sb, struct volt_err *err);
int sandbox_landlock(struct sandbox *sb, struct volt_err *err);
int sandbox_lockdown(struct sandbox *sb, struct volt_err *err);

/* The gate every thread the core creates waits at until lockdown is done.
 * It is open unless armed, so code that never locks down (unit tests) is
 * not held up. */
void sandbox_gate_arm(void);
void sandbox_gate_expect(void);
void sandbox_gate_open(bool run);

/* In a new thread, first thing: name it (for the kernel and the report),
 * wait at the gate, then stack the filter of `type` (a thread type bit).
 * Returns 0 to go on, 1 if the VM stops before running (gate opened with
 * run = false), -errno if the filter could not be installed (logged). */
int sandbox_thread_enter(uint32_t type, const char *name);

/* A thread that existed before lockdown (the control API's) joins in by
 * running these on itself, the first right after sandbox_landlock (the
 * same rules, a Landlock domain of its own), the second right after
 * sandbox_lockdown (its type's narrower filter; name is for reports). */
int sandbox_adopt_landlock(struct sandbox *sb);
int sandbox_adopt_filter(struct sandbox *sb, uint32_t type, const char *name);

/* ---- printing ---- */

/* --print-sandbox-policy: the merged policy per thread type, with
 * constraints, who and why, and the Landlock rules. */
void sandbox_print(const struct sandbox *sb, FILE *out);

#endif
