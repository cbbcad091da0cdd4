/* Lockdown, in order: compile, Landlock, gather the threads at the gate,
 * load the process-wide filter on all of them (TSYNC), stack the main
 * thread's own, and let the others stack theirs as they pass the gate. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox/landlock.h"
#include "sandbox/report.h"
#include "util/log.h"

enum sb_gate_state { SB_GATE_OPEN, SB_GATE_ARMED, SB_GATE_ABORT };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum sb_gate_state state;
	unsigned expected, arrived;
	/* The narrower filters, by VOLT_THREAD_* bit index; NULL = none. */
	const struct sock_fprog *prog[SB_THREAD_TYPES];
} sb_gate = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* 0 for VOLT_THREAD_MAIN, 1 for VCPU, 2 for IO, 3 for SB_THREAD_API. */
static unsigned sb_type_index(uint32_t type)
{
	return (unsigned)__builtin_ctz(type);
}

void sandbox_init(struct sandbox *sb, const struct sandbox_options *opt)
{
	memset(sb, 0, sizeof(*sb));
	sb->opt = *opt;
	sb->landlock_fd = -1;
	sb_policy_init(&sb->policy);
	sandbox_thread_set_name("main");
}

void sandbox_fini(struct sandbox *sb)
{
	pthread_mutex_lock(&sb_gate.lock);
	memset(sb_gate.prog, 0, sizeof(sb_gate.prog));
	pthread_mutex_unlock(&sb_gate.lock);
	for (unsigned i = 0; i <= SB_THREAD_TYPES; i++)
		sb_filter_free(&sb->filters[i]);
	if (sb->landlock_fd >= 0)
		close(sb->landlock_fd);
	sb->landlock_fd = -1;
	sb_policy_fini(&sb->policy);
}

int sandbox_add_core(struct sandbox *sb, const struct sb_core_fds *fds, bool api,
		     struct volt_err *err)
{
	sb->api = api;
	return sb_policy_add_core(&sb->policy, fds, api, err);
}

int sandbox_add_plugin(struct sandbox *sb, const char *who, const struct volt_syscall *sys,
		       uint32_t nsys, const int *slot_fds, struct volt_err *err)
{
	return sb_policy_add_plugin(&sb->policy, who, sys, nsys, slot_fds, err);
}

int sandbox_add_path(struct sandbox *sb, const char *path, uint32_t access, const char *who,
		     struct volt_err *err)
{
	return sb_policy_add_path(&sb->policy, path, access, who, err);
}

bool sandbox_syscall_known(const char *name)
{
	return sb_syscall_nr(name) >= 0;
}

/* The filters' BPF, and the process id the tgkill rule pins (the one
 * value that differs from run to run: a comparison masks it). */
static int sb_export(struct sandbox *sb, struct volt_err *err)
{
	static const char *const names[] = { "process", "main", "vcpu", "io", "api" };
	char path[4096];
	FILE *f;
	int rc = 0;

	for (unsigned i = 0; !rc && i <= SB_THREAD_TYPES; i++) {
		if (!sb->filters[i].prog.len)
			continue; /* no API thread */
		snprintf(path, sizeof(path), "%s/%s.bpf", sb->opt.export_dir, names[i]);
		rc = sb_filter_export(&sb->filters[i], path, err);
	}
	snprintf(path, sizeof(path), "%s/pid", sb->opt.export_dir);
	if (!rc && (!(f = fopen(path, "we")) || fprintf(f, "%d\n", (int)getpid()) < 0 ||
		    fclose(f)))
		rc = verr_set(err, EIO, "sandbox: %s: cannot write it", path);
	return rc;
}

/* glibc's malloc opens files lazily, which the filter would trap: the
 * first arena a new thread gets is sized from /sys/devices/system/cpu/
 * online, and shrinking a thread's heap reads /proc/sys/vm/overcommit_memory.
 * Fix the arena limit now (glibc's own default, 8 per CPU) and never trim
 * thread heaps (memory a thread freed stays in its arena). */
static void sb_malloc_settle(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	mallopt(M_ARENA_MAX, (int)(ncpu > 0 && ncpu < 1024 ? ncpu * 8 : 8));
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

int sandbox_prepare(struct sandbox *sb, struct volt_err *err)
{
	int rc;

	rc = sb_policy_check_opens(&sb->policy, err);
	if (rc || !sb->opt.seccomp)
		return rc;
	sb_malloc_settle();
	rc = sb_report_install(err);
	sb_report_note_policy(&sb->policy);
	for (unsigned i = 0; !rc && i <= SB_THREAD_TYPES; i++) {
		uint32_t type = i ? 1u << (i - 1) : 0;

		if (type != SB_THREAD_API || sb->api)
			rc = sb_filter_compile(&sb->policy, type, &sb->filters[i], err);
	}
	if (!rc && sb->opt.export_dir)
		rc = sb_export(sb, err);
	sb->prepared = !rc;
	return rc;
}

/* Without Landlock, a plugin's declared opens reach any file. */
static void sb_warn_unconfined_opens(const struct sandbox *sb)
{
	for (size_t i = 0; i < sb->policy.nrules; i++) {
		const struct sb_rule *r = &sb->policy.rules[i];

		if (r->plugin && sb_syscall_opens(r->name))
			log_warn("sandbox: %s may call %s and nothing confines it to its paths",
				 r->who, r->name);
	}
	if (sb->api)
		log_warn("sandbox: the API thread may unlink files and nothing confines it to its "
			 "socket's directory");
}

int sandbox_landlock(struct sandbox *sb, struct volt_err *err)
{
	int abi;

	if (!sb->opt.landlock) {
		log_warn("sandbox: Landlock is off (--no-landlock): the filesystem is not "
			 "restricted; for debugging only");
		sb_warn_unconfined_opens(sb);
		return 0;
	}
	abi = sb_landlock_abi();
	if (!abi) {
		log_warn("sandbox: this kernel has no Landlock; the filesystem is not restricted "
			 "(seccomp still applies)");
		sb_warn_unconfined_opens(sb);
		return 0;
	}
	if (sb_landlock_apply(&sb->policy, abi, sb->api ? &sb->landlock_fd : NULL, err))
		return -err->code;
	sb->landlock_abi = abi;
	sb->applied = true;
	log_debug("sandbox: Landlock ABI %d applied, %zu path rule(s)", abi, sb->policy.npaths);
	return 0;
}

void sandbox_gate_arm(void)
{
	pthread_mutex_lock(&sb_gate.lock);
	sb_gate.state = SB_GATE_ARMED;
	sb_gate.expected = sb_gate.arrived = 0;
	pthread_mutex_unlock(&sb_gate.lock);
}

void sandbox_gate_expect(void)
{
	pthread_mutex_lock(&sb_gate.lock);
	sb_gate.expected++;
	pthread_mutex_unlock(&sb_gate.lock);
}

void sandbox_gate_open(bool run)
{
	pthread_mutex_lock(&sb_gate.lock);
	sb_gate.state = run ? SB_GATE_OPEN : SB_GATE_ABORT;
	pthread_cond_broadcast(&sb_gate.cond);
	pthread_mutex_unlock(&sb_gate.lock);
}

/* Every thread created before lockdown has reached the gate: none is left
 * in glibc's thread start-up, which makes syscalls the filter lacks. */
static void sb_gate_gather(void)
{
	pthread_mutex_lock(&sb_gate.lock);
	while (sb_gate.state == SB_GATE_ARMED && sb_gate.arrived < sb_gate.expected)
		pthread_cond_wait(&sb_gate.cond, &sb_gate.lock);
	pthread_mutex_unlock(&sb_gate.lock);
}

int sandbox_lockdown(struct sandbox *sb, struct volt_err *err)
{
	int rc;

	sb_gate_gather();
	if (!sb->opt.seccomp) {
		log_warn("sandbox: seccomp is off (--no-seccomp): every syscall is allowed; for "
			 "debugging only");
		return 0;
	}
	if (!sb->prepared)
		return verr_set(err, EINVAL, "sandbox: lockdown before the filters were compiled");
	/* A thread that existed before has joined Landlock by now. */
	if (sb->landlock_fd >= 0)
		close(sb->landlock_fd);
	sb->landlock_fd = -1;
	rc = sb_filter_load_all(&sb->filters[0], err);
	if (rc)
		return rc;
	sb->applied = true;
	pthread_mutex_lock(&sb_gate.lock);
	for (unsigned i = 0; i < SB_THREAD_TYPES; i++)
		sb_gate.prog[i] = &sb->filters[1 + i].prog;
	pthread_mutex_unlock(&sb_gate.lock);
	rc = sb_filter_load_self(&sb->filters[1].prog);
	if (rc)
		return verr_set(err, -rc, "sandbox: the main thread's filter: %s", strerror(-rc));
	log_debug("sandbox: locked down: %u syscalls process-wide; main %u, vcpu %u, io %u, "
		  "api %u", sb_policy_count(&sb->policy, 0),
		  sb_policy_count(&sb->policy, VOLT_THREAD_MAIN),
		  sb_policy_count(&sb->policy, VOLT_THREAD_VCPU),
		  sb_policy_count(&sb->policy, VOLT_THREAD_IO),
		  sb->api ? sb_policy_count(&sb->policy, SB_THREAD_API) : 0);
	return 0;
}

int sandbox_thread_enter(uint32_t type, const char *name)
{
	const struct sock_fprog *prog;
	enum sb_gate_state state;
	int rc;

	sandbox_thread_set_name(name);
	sb_report_set_thread_type(type);
	prctl(PR_SET_NAME, name, 0, 0, 0); /* the kernel keeps the first 15 bytes */
	pthread_mutex_lock(&sb_gate.lock);
	sb_gate.arrived++;
	pthread_cond_broadcast(&sb_gate.cond);
	while (sb_gate.state == SB_GATE_ARMED)
		pthread_cond_wait(&sb_gate.cond, &sb_gate.lock);
	state = sb_gate.state;
	prog = sb_gate.prog[sb_type_index(type)];
	pthread_mutex_unlock(&sb_gate.lock);
	if (state == SB_GATE_ABORT)
		return 1;
	if (!prog)
		return 0;
	rc = sb_filter_load_self(prog);
	if (rc)
		log_error("sandbox: %s: cannot install its filter: %s", name, strerror(-rc));
	return rc;
}

int sandbox_adopt_landlock(struct sandbox *sb)
{
	struct volt_err err = { 0 };

	if (sb->landlock_fd < 0)
		return 0;
	if (sb_landlock_restrict(sb->landlock_fd, &err)) {
		log_error("%s", err.msg);
		return -err.code;
	}
	return 0;
}

int sandbox_adopt_filter(struct sandbox *sb, uint32_t type, const char *name)
{
	int rc;

	sandbox_thread_set_name(name);
	sb_report_set_thread_type(type);
	if (!sb->opt.seccomp || !sb->prepared)
		return 0;
	rc = sb_filter_load_self(&sb->filters[1 + sb_type_index(type)].prog);
	if (rc)
		log_error("sandbox: %s: cannot install its filter: %s", name, strerror(-rc));
	return rc;
}
