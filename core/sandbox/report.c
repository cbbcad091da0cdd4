/* The violation report. A syscall outside the filter traps (SIGSYS); the
 * handler writes one line naming the syscall, the thread and the plugin
 * most likely responsible, then exits with SANDBOX_EXIT_STATUS. It runs
 * inside the sandbox, so it only formats into a stack buffer, write()s and
 * _exit()s: syscall names come from a table filled before lockdown, the
 * thread and plugin from thread-local pointers set by the core. */
#include "sandbox/report.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

#define SB_NAMES_MAX 512        /* x86_64 syscall numbers end near 470 */
#define SB_NAMES_BUF 8192

static const char *sb_names[SB_NAMES_MAX];
static char sb_names_buf[SB_NAMES_BUF];
static bool sb_names_filled;

static __thread char sb_thread_name[32];
static __thread const char *sb_plugin;

void sandbox_thread_set_name(const char *name)
{
	size_t n = strlen(name);

	if (n >= sizeof(sb_thread_name))
		n = sizeof(sb_thread_name) - 1;
	memcpy(sb_thread_name, name, n);
	sb_thread_name[n] = '\0';
}

void sandbox_set_current_plugin(const char *name)
{
	sb_plugin = name;
}

const char *sandbox_current_plugin(void)
{
	return sb_plugin;
}

/* Every name libseccomp knows for this architecture, copied out of its
 * allocations into static storage (about 100 us, once). */
static void sb_names_fill(void)
{
	size_t used = 0;

	if (sb_names_filled)
		return;
	for (int nr = 0; nr < SB_NAMES_MAX; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		size_t n = s ? strlen(s) + 1 : 0;

		if (s && used + n <= sizeof(sb_names_buf)) {
			memcpy(sb_names_buf + used, s, n);
			sb_names[nr] = sb_names_buf + used;
			used += n;
		}
		free(s);
	}
	sb_names_filled = true;
}

const char *sb_report_syscall_name(int nr)
{
	return nr >= 0 && nr < SB_NAMES_MAX && sb_names[nr] ? sb_names[nr] : "unknown";
}

/* A tiny async-signal-safe line builder. */
struct sb_line {
	char buf[512];
	size_t len;
};

static void sb_put(struct sb_line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void sb_put_num(struct sb_line *l, unsigned long long v, unsigned base)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		sb_put(l, "0x");
	while (i && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = tmp[--i];
}

size_t sb_report_format(char *out, size_t cap, int nr, const char *thread, const char *plugin,
			unsigned long long arg0, unsigned long long arg1)
{
	struct sb_line l = { .len = 0 };

	sb_put(&l, "volt: sandbox: blocked syscall ");
	sb_put(&l, sb_report_syscall_name(nr));
	sb_put(&l, " (");
	sb_put_num(&l, (unsigned)nr, 10);
	sb_put(&l, ", args ");
	sb_put_num(&l, arg0, 16);
	sb_put(&l, ", ");
	sb_put_num(&l, arg1, 16);
	sb_put(&l, ") on thread ");
	sb_put(&l, thread && *thread ? thread : "(unnamed)");
	sb_put(&l, "; most likely ");
	if (plugin) {
		sb_put(&l, "plugin ");
		sb_put(&l, plugin);
	} else {
		sb_put(&l, "the core");
	}
	sb_put(&l, "; exiting with status ");
	sb_put_num(&l, SANDBOX_EXIT_STATUS, 10);
	sb_put(&l, "\n");
	if (cap) {
		size_t n = l.len < cap - 1 ? l.len : cap - 1;

		memcpy(out, l.buf, n);
		out[n] = '\0';
		return n;
	}
	return 0;
}

static void sb_on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	const ucontext_t *uc = uctx;
	char line[512];
	size_t n;

	(void)sig;
	n = sb_report_format(line, sizeof(line), si->si_syscall, sb_thread_name, sb_plugin,
			     (unsigned long long)uc->uc_mcontext.gregs[REG_RDI],
			     (unsigned long long)uc->uc_mcontext.gregs[REG_RSI]);
	/* Raw syscalls: a sanitizer's write/_exit interceptors would make
	 * syscalls of their own (its leak check at exit would clone). */
	syscall(SYS_write, STDERR_FILENO, line, n);
	syscall(SYS_exit_group, SANDBOX_EXIT_STATUS);
}

int sb_report_install(struct volt_err *err)
{
	struct sigaction sa = { .sa_sigaction = sb_on_sigsys, .sa_flags = SA_SIGINFO };
	sigset_t set;

	sb_names_fill();
	/* Every other signal waits: the line comes out whole, then the exit. */
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return verr_set(err, errno, "sandbox: SIGSYS handler: %s", strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}
