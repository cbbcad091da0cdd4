/* The core's own allowlist: every syscall Volt's own code (and glibc on its
 * behalf) makes after lockdown, per thread type, with one reason each.
 * Found by tracing the test guests (strace -f) through boot, guest reset,
 * SIGTERM, a vCPU error and the exit path; docs/sandbox.md says how to
 * redo that. Anything not here, and not declared by a plugin instance the
 * configuration names, ends the process with a one-line report.
 *
 * Before lockdown the core opens everything it will use (/dev/kvm, the
 * kernel, initrd, serial output, every plugin's files), creates every
 * thread, and maps guest memory; so there is no open, no clone, no
 * socket here, and mmap/mprotect never get PROT_EXEC. */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox/policy.h"
#include "vm/vcpu.h"

#define M VOLT_THREAD_MAIN
#define V VOLT_THREAD_VCPU
#define I VOLT_THREAD_IO
#define A SB_THREAD_API
#define ALL VOLT_THREAD_ALL

/* What a core rule pins arg0 to. */
enum sb_core_arg0 {
	SB_ARG0_ANY,
	SB_ARG0_VM_FD,       /* the KVM VM fd */
	SB_ARG0_VCPU_FDS,    /* any vCPU fd */
	SB_ARG0_STDIN,       /* fd 0 */
	SB_ARG0_SELF_PID,    /* this process's id (tgkill) */
};

struct sb_core_rule {
	const char *name;
	uint32_t threads;
	enum sb_core_arg0 arg0;
	const struct sb_ioctl *ioctls;
	unsigned nioctls;
	struct sb_arg args[SB_ARGS_MAX];
	unsigned nargs;
	const char *args_what;
	bool global_only;
	bool api_only;       /* only when the process serves the control API */
	const char *why;
};

#define SB_IOCTL(req) { (req), #req }
#define SB_IOCTLS(list) (list), sizeof(list) / sizeof((list)[0])
#define SB_NO_EXEC(argi) { .arg = (argi), .mask = PROT_EXEC, .value = 0 }

static const struct sb_ioctl sb_vcpu_ioctls[] = {
	SB_IOCTL(KVM_RUN),
	SB_IOCTL(KVM_GET_REGS),   /* the one-line report of a failed vCPU */
	SB_IOCTL(KVM_GET_SREGS),
};

static const struct sb_ioctl sb_vm_ioctls[] = {
	SB_IOCTL(KVM_IRQ_LINE),
};

static const struct sb_ioctl sb_vm_teardown_ioctls[] = {
	SB_IOCTL(KVM_IOEVENTFD),
	SB_IOCTL(KVM_IRQFD),
};

static const struct sb_ioctl sb_tty_ioctls[] = {
	SB_IOCTL(TCSETS),
	SB_IOCTL(TCGETS), /* glibc's tcsetattr reads the settings back to check them */
};

static const struct sb_core_rule sb_core_rules[] = {
	/* Event loops and thread hand-offs. */
	{ "epoll_wait", M | I | A, .why = "the event loops (main, each I/O thread, the API) "
					  "block here" },
	{ "epoll_ctl", ALL | A, .why = "fd watches come and go at run time (host API fd_watch "
				       "from activate/reset on a vCPU or from callbacks; stdin "
				       "at EOF; API connections)" },
	{ "poll", ALL | A, .why = "is stderr (any thread's log line) or the guest's serial "
				 "output (main) writable: a reader that stops reading must "
				 "not block a thread for ever (util/log.c, devices/serial.c)" },
	{ "read", M | I | A, .why = "event loops drain eventfds, the signalfd and stdin" },
	{ "write", ALL | A, .why = "log lines to stderr, guest serial output, eventfd wake-ups "
				   "between threads" },
	{ "clock_gettime", ALL | A, .why = "the I/O threads' poll window (loop/poll.c), the "
					   "boot-timer port on a vCPU, start-up timing on main, "
					   "the API's metrics and connection timeouts; the vDSO "
					   "answers without a syscall unless the clocksource has "
					   "no vDSO mode (hpet, acpi_pm)" },
	{ "futex", ALL | A, .why = "mutexes and condition variables (UART, I/O watches, joins)" },
	/* KVM after set-up: run, interrupt, report. */
	{ "ioctl", V, SB_ARG0_VCPU_FDS, SB_IOCTLS(sb_vcpu_ioctls),
	  .why = "run the vCPU; read its registers for the report of a failed vCPU" },
	{ "ioctl", ALL | A, SB_ARG0_VM_FD, SB_IOCTLS(sb_vm_ioctls),
	  .why = "pulse an interrupt line (UART, i8042 (Ctrl-Alt-Del from the API too), "
		 "devices that are not virtio)" },
	{ "ioctl", M, SB_ARG0_VM_FD, SB_IOCTLS(sb_vm_teardown_ioctls),
	  .why = "deassign the devices' ioeventfds and irqfds at shutdown" },
	{ "ioctl", M, SB_ARG0_STDIN, SB_IOCTLS(sb_tty_ioctls),
	  .why = "put the terminal back at exit (tcsetattr on stdin)" },
	/* Stopping. */
	{ "tgkill", M | A, SB_ARG0_SELF_PID,
	  .args = { { .arg = 2, .mask = ~0ull, .value = VCPU_KICK_SIGNAL } }, .nargs = 1,
	  .args_what = "signal SIGUSR1",
	  .why = "kick a vCPU thread out of KVM_RUN (pthread_kill): to stop, or to pause "
		 "from the API" },
	{ "getpid", M | A, .why = "pthread_kill asks for the process id" },
	{ "rt_sigprocmask", ALL | A, .why = "glibc masks signals around pthread_kill and thread "
					    "exit" },
	{ "rt_sigreturn", V, .why = "return from the (empty) kick signal handler" },
	{ "madvise", ALL | A, .args = { { .arg = 2, .mask = ~0ull, .value = MADV_DONTNEED } },
	  .nargs = 1, .args_what = "MADV_DONTNEED",
	  .why = "glibc frees a finished thread's stack and trims malloc arenas" },
	{ "exit", V | I | A, .why = "a vCPU, I/O or API thread returns" },
	{ "exit_group", ALL | A, .why = "the process exits (also from the violation report)" },
	{ "close", M | A, .why = "fds released at shutdown; API connections closed" },
	/* Memory: malloc and free, never executable. */
	{ "mmap", ALL | A, .args = { SB_NO_EXEC(2) }, .nargs = 1, .args_what = "no PROT_EXEC",
	  .why = "malloc of large blocks and new arenas" },
	{ "mprotect", ALL | A, .args = { SB_NO_EXEC(2) }, .nargs = 1, .args_what = "no PROT_EXEC",
	  .why = "malloc grows a thread's arena" },
	{ "munmap", ALL | A, .why = "free of large blocks; guest RAM and kvm_run at shutdown" },
	{ "brk", M, .why = "malloc grows the main heap" },
	/* The control API's thread (--api-sock only): HTTP on its Unix socket. */
	{ "accept4", A, .api_only = true, .why = "a client connects to the API socket" },
	{ "recvfrom", A, .api_only = true, .why = "read a request" },
	{ "sendto", A, .api_only = true, .why = "send an answer" },
	{ "sendmsg", A, .api_only = true, .why = "send an answer (header and body together)" },
	{ "shutdown", M | A, .api_only = true,
	  .why = "end a connection (main: the server stops at exit)" },
	/* Narrowing: how each thread installs its own, smaller filter. */
	{ "seccomp", ALL | A, .args = { { .arg = 0, .mask = ~0ull, .value = SECCOMP_SET_MODE_FILTER },
				    { .arg = 1, .mask = ~0ull, .value = 0 } },
	  .nargs = 2, .args_what = "SECCOMP_SET_MODE_FILTER, flags 0 (this thread only)",
	  .global_only = true,
	  .why = "each thread stacks its narrower filter right after lockdown, then has "
		 "no seccomp at all" },
};

/* ---- Sanitizer builds only (VOLT_SANITIZE, VOLT_FUZZ) -------------------
 * The ASan/UBSan/LSan runtime makes syscalls of its own on every thread:
 * an alternate signal stack per thread, its allocator's mappings, and at
 * exit LeakSanitizer's check, which stops the world from a tracer task.
 * These rules exist only in instrumented test builds, never in a release;
 * docs/sandbox.md lists them. */
#if defined(__SANITIZE_ADDRESS__)
#define SB_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_SANITIZER 1
#endif
#endif

#ifdef SB_SANITIZER
static const struct sb_core_rule sb_sanitizer_rules[] = {
	{ "sigaltstack", ALL | A, .why = "each thread's alternate signal stack, set up "
				     "and torn down by the runtime" },
	{ "madvise", ALL | A, .why = "MADV_NOHUGEPAGE/MADV_DONTDUMP on its shadow and "
				 "allocator mappings" },
	{ "gettid", M, .why = "LeakSanitizer's check at exit" },
	{ "prctl", M, .why = "LeakSanitizer's check at exit" },
	{ "sched_yield", ALL | A, .why = "the runtime's spin locks, on any thread: one that "
				    "allocates while LeakSanitizer's exit check holds the "
				    "allocator yields until it is free" },
	{ "clone", M, .args = { { .arg = 0, .mask = ~0ull,
				  .value = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED } },
	  .nargs = 1, .args_what = "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_UNTRACED only",
	  .why = "LeakSanitizer's check at exit: its tracer task" },
	{ "wait4", M, .why = "LeakSanitizer's check at exit" },
	{ "getppid", M, .why = "LeakSanitizer's check at exit" },
	{ "rt_sigaction", M, .why = "LeakSanitizer's check at exit" },
	{ "open", M, .why = "LeakSanitizer's check at exit" },
	{ "lseek", M, .why = "LeakSanitizer's check at exit" },
	{ "ptrace", M, .why = "LeakSanitizer's check at exit" },
	{ "getdents", M, .why = "LeakSanitizer's check at exit" },
	{ "exit", M, .why = "LeakSanitizer's check at exit" },
};
#define SB_NSANITIZER (sizeof(sb_sanitizer_rules) / sizeof(sb_sanitizer_rules[0]))
#else
static const struct sb_core_rule sb_sanitizer_rules[1];
#define SB_NSANITIZER 0
#endif

static void sb_core_arg0(const struct sb_core_rule *c, const struct sb_core_fds *fds,
			 struct sb_rule *r)
{
	static const char *const what[] = {
		[SB_ARG0_VM_FD] = "the VM fd",
		[SB_ARG0_VCPU_FDS] = "a vCPU fd",
		[SB_ARG0_STDIN] = "stdin",
		[SB_ARG0_SELF_PID] = "this process",
	};

	if (c->arg0 == SB_ARG0_ANY)
		return;
	r->pin_arg0 = true;
	r->arg0_what = what[c->arg0];
	r->narg0 = 1;
	r->arg0_vals[0] = SB_FD_AT_REALIZE;
	switch (c->arg0) {
	case SB_ARG0_VM_FD:
		if (fds)
			r->arg0_vals[0] = fds->vm_fd;
		break;
	case SB_ARG0_VCPU_FDS:
		if (!fds)
			break;
		r->narg0 = fds->nvcpus < SB_FD_MAX ? fds->nvcpus : SB_FD_MAX;
		for (unsigned i = 0; i < r->narg0; i++)
			r->arg0_vals[i] = fds->vcpu_fds[i];
		break;
	case SB_ARG0_STDIN:
		r->arg0_vals[0] = STDIN_FILENO;
		break;
	case SB_ARG0_SELF_PID:
		if (fds)
			r->arg0_vals[0] = (int)getpid();
		break;
	case SB_ARG0_ANY:
		break;
	}
}

static int sb_add_table(struct sb_policy *p, const struct sb_core_rule *table, size_t n,
			const char *who, const struct sb_core_fds *fds, bool api,
			struct volt_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct sb_core_rule *c = &table[i];
		struct sb_rule r = {
			.name = c->name,
			.nr = sb_syscall_nr(c->name),
			.threads = api ? c->threads : c->threads & ~SB_THREAD_API,
			.global_only = c->global_only,
			.ioctls = c->ioctls,
			.nioctls = c->nioctls,
			.nargs = c->nargs,
			.args_what = c->args_what,
			.who = who,
			.why = c->why,
		};
		int rc;

		if (!r.threads || (c->api_only && !api))
			continue; /* an API rule, and no API */
		for (unsigned a = 0; a < c->nargs; a++)
			r.args[a] = c->args[a];
		sb_core_arg0(c, fds, &r);
		if (r.nr < 0)
			return verr_set(err, EINVAL, "sandbox: libseccomp does not know the core's "
					"syscall %s", c->name);
		rc = sb_policy_add_rule(p, &r, err);
		if (rc)
			return rc;
	}
	return 0;
}

int sb_policy_add_core(struct sb_policy *p, const struct sb_core_fds *fds, bool api,
		       struct volt_err *err)
{
	int rc = sb_add_table(p, sb_core_rules, sizeof(sb_core_rules) / sizeof(sb_core_rules[0]),
			      "core", fds, api, err);

	if (!rc)
		rc = sb_add_table(p, sb_sanitizer_rules, SB_NSANITIZER, "core (sanitizer build)", fds,
				  api, err);
#ifdef SB_SANITIZER
	/* LeakSanitizer's tracer lists /proc/<pid>/task and reads maps. */
	if (!rc)
		rc = sb_policy_add_path(p, "/proc/self", VOLT_PATH_READ, "core (sanitizer build)",
					err);
#endif
	return rc;
}
