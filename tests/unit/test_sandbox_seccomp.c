/* The compiled filters, applied in a forked child: an undeclared syscall
 * is reported on one line and exits with the sandbox's status; a plugin's
 * fd and ioctl constraints hold; a thread's narrower filter wins; the same
 * policy compiles to the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/report.h"
#include "sandbox/sandbox.h"

struct child {
	int status;       /* exit status, or 128 + signal */
	char err[2048];   /* its stderr */
};

/* Run fn in a child with stderr captured. */
static void run_child(void (*fn)(void *), void *arg, struct child *c)
{
	int pipefd[2];
	pid_t pid;
	ssize_t n;
	size_t used = 0;
	int st;

	assert_int_equal(pipe(pipefd), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		fn(arg);
		_exit(0);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], c->err + used, sizeof(c->err) - 1 - used)) > 0)
		used += (size_t)n;
	c->err[used] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const uint64_t pipe_ioctls[] = { FIONREAD };

static const struct volt_syscall test_sys[] = {
	{ "ioctl", VOLT_THREAD_MAIN, 0, pipe_ioctls, 1, "how much is in the pipe" },
	{ "getuid", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "only the I/O thread asks" },
};

static int test_pipe[2];

/* Lock the child down with the core's rules and test_sys. */
static void lock_down(struct sandbox *sb)
{
	struct sandbox_options opt = { .seccomp = true, .landlock = false };
	int slots[VOLT_FD_SLOTS] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	struct volt_err err = { 0 };

	if (pipe(test_pipe))
		_exit(100);
	slots[0] = test_pipe[0];
	sandbox_init(sb, &opt);
	if (sandbox_add_core(sb, NULL, false, &err) ||
	    sandbox_add_plugin(sb, "test-plugin (drive t)", test_sys, 2, slots, &err) ||
	    sandbox_prepare(sb, &err) || sandbox_lockdown(sb, &err)) {
		fprintf(stderr, "lockdown failed: %s\n", err.msg);
		_exit(101);
	}
}

static void child_undeclared(void *arg)
{
	struct sandbox sb;

	lock_down(&sb);
	if (arg)
		sandbox_set_current_plugin("test-plugin (drive t)");
	syscall(SYS_getuid); /* allowed on I/O threads only */
	_exit(0);
}

static void test_undeclared_reported(void **state)
{
	struct child c;

	run_child(child_undeclared, NULL, &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(c.err, "volt: sandbox: blocked syscall getuid (102, args "));
	assert_non_null(strstr(c.err, "on thread main; most likely the core; exiting with "
				      "status 3\n"));
	/* One line. */
	assert_ptr_equal(strchr(c.err, '\n'), c.err + strlen(c.err) - 1);

	run_child(child_undeclared, "plugin", &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	/* getuid is declared, but for the I/O thread: the line says so. */
	assert_non_null(strstr(c.err, "most likely plugin test-plugin (drive t), which declares "
				      "it only for io;"));
}

static void child_allowed(void *arg)
{
	struct sandbox sb;
	int n = -1;

	lock_down(&sb);
	/* The plugin's ioctl on its own fd passes; so does the core's write. */
	if (ioctl(test_pipe[0], FIONREAD, &n) < 0 || n != 0)
		_exit(10);
	if (write(STDERR_FILENO, "still here\n", 11) != 11)
		_exit(11);
	_exit(0);
}

static void test_allowed_passes(void **state)
{
	struct child c;

	run_child(child_allowed, NULL, &c);
	assert_int_equal(c.status, 0);
	assert_string_equal(c.err, "still here\n");
}

static void child_wrong_fd(void *arg)
{
	struct sandbox sb;
	int n;

	lock_down(&sb);
	ioctl(test_pipe[1], FIONREAD, &n); /* the other end: not the bound fd */
	_exit(0);
}

static void child_wrong_request(void *arg)
{
	struct sandbox sb;
	int n = 0;

	lock_down(&sb);
	ioctl(test_pipe[0], FIONBIO, &n); /* the bound fd, another request */
	_exit(0);
}

static void test_constraints_hold(void **state)
{
	struct child c;
	char want[128];

	run_child(child_wrong_fd, NULL, &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(c.err, "blocked syscall ioctl (16, args "));
	run_child(child_wrong_request, NULL, &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	snprintf(want, sizeof(want), ", 0x%x) on thread main", (unsigned)FIONBIO);
	assert_non_null(strstr(c.err, want));
}

static void *io_thread(void *arg)
{
	long *uid = arg;

	if (sandbox_thread_enter(VOLT_THREAD_IO, "io:drive t"))
		return NULL;
	sandbox_set_current_plugin("test-plugin (drive t)");
	*uid = syscall(SYS_getuid);
	return NULL;
}

static void child_narrower(void *arg)
{
	struct sandbox sb;
	pthread_t t;
	long uid = -1, before = getuid();

	sandbox_gate_arm();
	if (pthread_create(&t, NULL, io_thread, &uid))
		_exit(20);
	sandbox_gate_expect();
	lock_down(&sb);
	sandbox_gate_open(true);
	pthread_join(t, NULL);
	if (uid != before)
		_exit(21);
	fprintf(stderr, "io thread ok\n");
	syscall(SYS_getuid); /* allowed process-wide, not on main */
	_exit(0);
}

static void test_narrower_filter_wins(void **state)
{
	struct child c;

	run_child(child_narrower, NULL, &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(c.err, "io thread ok\n"));
	assert_non_null(strstr(c.err, "blocked syscall getuid"));
	assert_non_null(strstr(c.err, "on thread main"));
}

static void child_exec_memory(void *arg)
{
	struct sandbox sb;
	void *p;

	lock_down(&sb);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(30);  /* malloc's kind of mmap passes */
	fprintf(stderr, "plain mmap ok\n");
	if (arg)
		mprotect(p, 4096, PROT_READ | PROT_EXEC);
	else
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	_exit(0);
}

/* The argument constraints reach the filter: no executable memory. */
static void test_no_exec_memory(void **state)
{
	struct child c;

	run_child(child_exec_memory, NULL, &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(c.err, "plain mmap ok\n"));
	assert_non_null(strstr(c.err, "blocked syscall mmap (9, args "));
	run_child(child_exec_memory, "mprotect", &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(c.err, "blocked syscall mprotect (10, args "));
}

static int wake_pipe[2], ready_pipe[2];

/* A thread that existed before lockdown and installs nothing itself. */
static void *bystander(void *arg)
{
	char ch = 'r';

	/* Out of glibc's thread start-up (which the filter would trap) first. */
	if (write(ready_pipe[1], &ch, 1) != 1 || read(wake_pipe[0], &ch, 1) != 1)
		return NULL;
	syscall(SYS_getpgrp); /* in no rule of any thread */
	return NULL;
}

static void child_every_thread(void *arg)
{
	struct sandbox sb;
	pthread_t t;
	char ch;

	if (pipe(wake_pipe) || pipe(ready_pipe) || pthread_create(&t, NULL, bystander, NULL) ||
	    read(ready_pipe[0], &ch, 1) != 1)
		_exit(40);
	lock_down(&sb);
	if (write(wake_pipe[1], "x", 1) != 1)
		_exit(41);
	pthread_join(t, NULL);
	_exit(0);
}

/* The process-wide filter reaches every thread there is (TSYNC). */
static void test_every_thread_filtered(void **state)
{
	struct child c;

	run_child(child_every_thread, NULL, &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(c.err, "blocked syscall getpgrp"));
}

static void *io_thread_main_only(void *arg)
{
	int n;

	if (sandbox_thread_enter(VOLT_THREAD_IO, "io:drive t"))
		return NULL;
	ioctl(test_pipe[0], FIONREAD, &n); /* the plugin declared it for main only */
	return NULL;
}

static void child_io_narrower(void *arg)
{
	struct sandbox sb;
	pthread_t t;

	sandbox_gate_arm();
	if (pthread_create(&t, NULL, io_thread_main_only, NULL))
		_exit(20);
	sandbox_gate_expect();
	lock_down(&sb);
	sandbox_gate_open(true);
	pthread_join(t, NULL);
	_exit(0);
}

/* A thread that passes the gate gets its own type's filter, not only the
 * process-wide one. */
static void test_gate_gives_type_filter(void **state)
{
	struct child c;

	run_child(child_io_narrower, NULL, &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(c.err, "blocked syscall ioctl (16, args "));
	assert_non_null(strstr(c.err, "on thread io:drive t"));
}

static struct sandbox api_sb;

/* The API thread: it exists before lockdown, and stacks its filter itself. */
static void *api_thread(void *arg)
{
	char ch = 'r';

	if (write(ready_pipe[1], &ch, 1) != 1 || read(wake_pipe[0], &ch, 1) != 1)
		return NULL;
	if (sandbox_adopt_filter(&api_sb, SB_THREAD_API, "api"))
		_exit(50);
	syscall(SYS_brk, 0); /* main's, not the API thread's */
	return NULL;
}

static void child_api_adopts(void *arg)
{
	struct sandbox_options opt = { .seccomp = true, .landlock = true };
	struct volt_err err = { 0 };
	int ruleset;
	pthread_t t;
	char ch;

	if (pipe(wake_pipe) || pipe(ready_pipe) || pthread_create(&t, NULL, api_thread, NULL) ||
	    read(ready_pipe[0], &ch, 1) != 1)
		_exit(51);
	sandbox_init(&api_sb, &opt);
	if (sandbox_add_core(&api_sb, NULL, true, &err) || sandbox_prepare(&api_sb, &err) ||
	    sandbox_landlock(&api_sb, &err)) {
		fprintf(stderr, "lockdown failed: %s\n", err.msg);
		_exit(52);
	}
	ruleset = api_sb.landlock_fd;
	if (sandbox_lockdown(&api_sb, &err)) {
		fprintf(stderr, "lockdown failed: %s\n", err.msg);
		_exit(52);
	}
	/* The Landlock ruleset was kept for the API thread until now only. */
	if (api_sb.landlock_fd != -1 || (ruleset >= 0 && (close(ruleset) == 0 || errno != EBADF)))
		_exit(53);
	if (write(wake_pipe[1], "x", 1) != 1)
		_exit(54);
	pthread_join(t, NULL);
	_exit(0);
}

static void test_api_thread_adopts_filter(void **state)
{
	struct child c;

	run_child(child_api_adopts, NULL, &c);
	assert_int_equal(c.status, SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(c.err, "blocked syscall brk"));
	assert_non_null(strstr(c.err, "on thread api"));
}

static int gate_result = -1;

static void *gate_thread(void *arg)
{
	gate_result = sandbox_thread_enter(VOLT_THREAD_IO, "io:gate");
	return NULL;
}

/* A start-up that fails before running tells the waiting threads to end. */
static void test_gate_abort(void **state)
{
	pthread_t t;

	sandbox_gate_arm();
	assert_int_equal(pthread_create(&t, NULL, gate_thread, NULL), 0);
	sandbox_gate_expect();
	sandbox_gate_open(false);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(gate_result, 1);
	sandbox_gate_open(true);
}

/* A rule libseccomp refuses fails the build, naming it; it is not dropped. */
static void test_refused_rule_fails(void **state)
{
	struct sb_rule r = { .name = "getuid", .nr = sb_syscall_nr("getuid"),
			     .threads = VOLT_THREAD_IO, .nargs = 1, .args = { { 6, ~0ull, 1 } },
			     .who = "t", .why = "an argument syscalls do not have" };
	struct volt_err err = { 0 };
	struct sb_filter f;
	struct sb_policy p;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_rule(&p, &r, NULL), 0);
	assert_true(sb_filter_compile(&p, 0, &f, &err) < 0);
	assert_non_null(strstr(err.msg, "sandbox: t: rule for getuid: "));
	sb_policy_fini(&p);
}

static void test_same_policy_same_bytes(void **state)
{
	struct sb_filter a[1 + SB_THREAD_TYPES], b[1 + SB_THREAD_TYPES];
	int slots[VOLT_FD_SLOTS] = { 7, -1, -1, -1, -1, -1, -1, -1 };
	int vcpus[2] = { 10, 11 };
	struct sb_core_fds fds = { .vm_fd = 9, .vcpu_fds = vcpus, .nvcpus = 2 };
	struct sb_policy p;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_core(&p, &fds, false, NULL), 0);
	assert_int_equal(sb_policy_add_plugin(&p, "t", test_sys, 2, slots, NULL), 0);
	for (unsigned i = 0; i <= SB_THREAD_TYPES; i++) {
		uint32_t type = i ? 1u << (i - 1) : 0;

		assert_int_equal(sb_filter_compile(&p, type, &a[i], NULL), 0);
		assert_int_equal(sb_filter_compile(&p, type, &b[i], NULL), 0);
		assert_int_equal(a[i].prog.len, b[i].prog.len);
		assert_memory_equal(a[i].prog.filter, b[i].prog.filter,
				    a[i].prog.len * sizeof(struct sock_filter));
	}
	/* Each thread's filter is smaller than the process-wide one. */
	for (unsigned i = 1; i <= SB_THREAD_TYPES; i++)
		assert_true(a[i].prog.len < a[0].prog.len);
	for (unsigned i = 0; i <= SB_THREAD_TYPES; i++) {
		sb_filter_free(&a[i]);
		sb_filter_free(&b[i]);
	}
	sb_policy_fini(&p);
}

static void test_report_format(void **state)
{
	char line[512];
	size_t n;

	static const struct volt_syscall decl[] = {
		{ "getuid", VOLT_THREAD_MAIN | VOLT_THREAD_VCPU, VOLT_FD_ANY, NULL, 0, "asks" },
		{ "getgid", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "asks too" },
	};
	struct sb_policy p;

	assert_int_equal(sb_report_install(NULL), 0);
	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_plugin(&p, "virtio-blk (drive rootfs)", decl, 2, NULL, NULL), 0);
	sb_report_note_policy(&p);
	sb_policy_fini(&p);   /* the report keeps its own copy */

	n = sb_report_format(line, sizeof(line), 59, "io:drive rootfs", VOLT_THREAD_IO,
			     "virtio-blk (drive rootfs)", 0x5, 0xdeadbeef);
	assert_string_equal(line, "volt: sandbox: blocked syscall execve (59, args 0x5, 0xdeadbeef) "
			    "on thread io:drive rootfs; most likely plugin virtio-blk (drive "
			    "rootfs), which does not declare it; exiting with status 3\n");
	assert_int_equal(n, strlen(line));
	/* Declared for other threads; declared for this one (an argument failed). */
	sb_report_format(line, sizeof(line), SYS_getuid, "io:drive rootfs", VOLT_THREAD_IO,
			 "virtio-blk (drive rootfs)", 0, 0);
	assert_non_null(strstr(line, "virtio-blk (drive rootfs), which declares it only for "
				     "main+vcpu; exiting"));
	sb_report_format(line, sizeof(line), SYS_getgid, "io:drive rootfs", VOLT_THREAD_IO,
			 "virtio-blk", 0, 0);
	assert_non_null(strstr(line, "plugin virtio-blk, which declares it for this thread: an "
				     "argument (fd or ioctl request) was not the declared one; "));
	/* Another plugin's declaration is not this one's. */
	sb_report_format(line, sizeof(line), SYS_getgid, "io:drive x", VOLT_THREAD_IO,
			 "virtio-blkx (drive x)", 0, 0);
	assert_non_null(strstr(line, "virtio-blkx (drive x), which does not declare it;"));
	sb_report_format(line, sizeof(line), 9999, "", VOLT_THREAD_MAIN, NULL, 0, 0);
	assert_non_null(strstr(line, "blocked syscall unknown (9999, args 0x0, 0x0) on thread "
				     "(unnamed); most likely the core"));
	assert_string_equal(sb_report_syscall_name(0), "read");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_format),
		cmocka_unit_test(test_same_policy_same_bytes),
		cmocka_unit_test(test_undeclared_reported),
		cmocka_unit_test(test_allowed_passes),
		cmocka_unit_test(test_constraints_hold),
		cmocka_unit_test(test_narrower_filter_wins),
		cmocka_unit_test(test_no_exec_memory),
		cmocka_unit_test(test_every_thread_filtered),
		cmocka_unit_test(test_gate_gives_type_filter),
		cmocka_unit_test(test_api_thread_adopts_filter),
		cmocka_unit_test(test_gate_abort),
		cmocka_unit_test(test_refused_rule_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
