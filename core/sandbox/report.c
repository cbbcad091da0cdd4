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

#include "sandbox/policy.h"
#include "sandbox/sandbox.h"

#define SB_NAMES_MAX 512        /* x86_64 syscall numbers end near 470 */
#define SB_NAMES_BUF 8192
#define SB_DECLS_MAX 512        /* plugin rules remembered for the report */
#define SB_DECL_NAME 65         /* a plugin's name: up to 64 of [a-z0-9-] (desc.c) */

static const char *sb_names[SB_NAMES_MAX];
static char sb_names_buf[SB_NAMES_BUF];
static bool sb_names_filled;

/* What each plugin declared, copied out of the policy (which is freed at
 * teardown, while the filters stay): the report says whether the plugin
 * it blames declared the call, and for which threads. */
struct sb_decl {
	char plugin[SB_DECL_NAME];
	int nr;
	uint32_t threads;
};
static struct sb_decl sb_decls[SB_DECLS_MAX];
static size_t sb_ndecls;
static bool sb_decls_partial;  /* more than fit: "not declared" is unknown */

static __thread char sb_thread_name[32];
static __thread uint32_t sb_thread_type = VOLT_THREAD_MAIN;
static __thread const char *sb_plugin;

void sandbox_thread_set_name(const char *name)
{
	size_t n = strlen(name);

	if (n >= sizeof(sb_thread_name))
		n = sizeof(sb_thread_name) - 1;
	memcpy(sb_thread_name, name, n);
	sb_thread_name[n] = '\0';
}

void sb_report_set_thread_type(uint32_t type)
{
	sb_thread_type = type;
}

/* The plugin's own name: "virtio-blk (drive rootfs)" -> "virtio-blk". */
static size_t sb_plugin_len(const char *who)
{
	size_t n = 0;

	while (who[n] && who[n] != ' ')
		n++;
	return n;
}

void sb_report_note_policy(const struct sb_policy *p)
{
	sb_ndecls = 0;
	sb_decls_partial = false;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct sb_rule *r = &p->rules[i];
		struct sb_decl *d = &sb_decls[sb_ndecls];
		size_t n;

		if (!r->plugin)
			continue;
		n = sb_plugin_len(r->who);
		if (sb_ndecls == SB_DECLS_MAX || n >= sizeof(d->plugin)) {
			sb_decls_partial = true;
			continue;
		}
		memcpy(d->plugin, r->who, n);
		d->plugin[n] = '\0';
		d->nr = r->nr;
		d->threads = r->threads;
		sb_ndecls++;
	}
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

static bool sb_same_plugin(const char *decl, const char *who)
{
	size_t n = sb_plugin_len(who);

	for (size_t i = 0; i < n; i++)
		if (decl[i] != who[i])
			return false;
	return decl[n] == '\0';
}

static void sb_put_threads(struct sb_line *l, uint32_t threads)
{
	const char *sep = "";

	for (uint32_t t = VOLT_THREAD_MAIN; t <= VOLT_THREAD_IO; t <<= 1) {
		if (threads & t) {
			sb_put(l, sep);
			sb_put(l, sb_thread_type_name(t));   /* a switch: signal-safe */
			sep = "+";
		}
	}
}

/* ", which does not declare it", "..., which declares it only for main",
 * or, declared for this thread type, that an argument did not match. */
static void sb_put_declared(struct sb_line *l, int nr, const char *plugin, uint32_t type)
{
	uint32_t threads = 0;

	for (size_t i = 0; i < sb_ndecls; i++)
		if (sb_decls[i].nr == nr && sb_same_plugin(sb_decls[i].plugin, plugin))
			threads |= sb_decls[i].threads;
	if (!threads && sb_decls_partial) {
		return;         /* it may be among those not remembered */
	} else if (!threads) {
		sb_put(l, ", which does not declare it");
	} else if (!(threads & type)) {
		sb_put(l, ", which declares it only for ");
		sb_put_threads(l, threads);
	} else {
		sb_put(l, ", which declares it for this thread: an argument (fd or ioctl "
			  "request) was not the declared one");
	}
}

size_t sb_report_format(char *out, size_t cap, int nr, const char *thread, uint32_t type,
			const char *plugin, unsigned long long arg0, unsigned long long arg1)
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
		sb_put_declared(&l, nr, plugin, type);
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
	n = sb_report_format(line, sizeof(line), si->si_syscall, sb_thread_name, sb_thread_type,
			     sb_plugin,
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
