/* The merged sandbox policy: the core's allowlist, plugin declarations with
 * their fd slots and ioctls, per-thread-type counts, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox/policy.h"
#include "sandbox/sandbox.h"
#include "vm/vcpu.h"

static const uint64_t blk_ioctls[] = { 0x1234, 0x80045678 };

static const struct volt_syscall blk_sys[] = {
	{ "pread64", VOLT_THREAD_IO, 0, NULL, 0, "read sectors" },
	{ "pwrite64", VOLT_THREAD_IO, 0, NULL, 0, "write sectors" },
	{ "fdatasync", VOLT_THREAD_IO, 1, NULL, 0, "flush (slot 1 never bound)" },
	{ "ioctl", VOLT_THREAD_MAIN | VOLT_THREAD_IO, 0, blk_ioctls, 2, "two requests" },
	{ "getuid", VOLT_THREAD_VCPU, VOLT_FD_ANY, NULL, 0, "a test of an unpinned one" },
};

static const struct sb_rule *find_rule(const struct sb_policy *p, const char *name,
				       const char *who)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].name, name) && !strcmp(p->rules[i].who, who))
			return &p->rules[i];
	return NULL;
}

static void test_core_rules_have_reasons(void **state)
{
	struct sb_policy p;
	int vcpus[2] = { 10, 11 };
	struct sb_core_fds fds = { .vm_fd = 9, .vcpu_fds = vcpus, .nvcpus = 2 };

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_core(&p, &fds, false, NULL), 0);
	assert_true(p.nrules > 10);
	for (size_t i = 0; i < p.nrules; i++) {
		const struct sb_rule *r = &p.rules[i];

		assert_true(r->nr >= 0);
		assert_non_null(r->why);
		assert_true(strlen(r->why) > 10);
		/* "core", or "core (sanitizer build)" for the runtime's own. */
		assert_int_equal(strncmp(r->who, "core", 4), 0);
		assert_true(r->threads != 0);
	}
	/* Nothing that creates a thread, a process, or opens a file. */
	const char *never[] = { "clone", "clone3", "fork", "vfork", "execve", "open", "openat",
				"openat2", "socket", "ptrace" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		assert_null(find_rule(&p, never[i], "core"));
	sb_policy_fini(&p);
}

static void test_core_ioctls_pinned(void **state)
{
	struct sb_policy p;
	int vcpus[3] = { 10, 11, 12 };
	struct sb_core_fds fds = { .vm_fd = 9, .vcpu_fds = vcpus, .nvcpus = 3 };
	bool saw_run = false, saw_irq = false;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_core(&p, &fds, false, NULL), 0);
	for (size_t i = 0; i < p.nrules; i++) {
		const struct sb_rule *r = &p.rules[i];

		if (strcmp(r->name, "ioctl"))
			continue;
		/* Every core ioctl rule names its fds and its requests. */
		assert_true(r->pin_arg0);
		assert_true(r->nioctls > 0);
		for (unsigned k = 0; k < r->nioctls; k++) {
			if (r->ioctls[k].req == KVM_RUN) {
				saw_run = true;
				assert_int_equal(r->narg0, 3);
				assert_int_equal(r->arg0_vals[2], 12);
				assert_int_equal(r->threads, VOLT_THREAD_VCPU);
			}
			if (r->ioctls[k].req == KVM_IRQ_LINE) {
				saw_irq = true;
				assert_int_equal(r->narg0, 1);
				assert_int_equal(r->arg0_vals[0], 9);
			}
		}
	}
	assert_true(saw_run && saw_irq);
	sb_policy_fini(&p);
}

/* What a core rule's arg0 is pinned to in test_core_allowlist_exact. */
enum want_arg0 { W_ANY, W_VM, W_VCPUS, W_STDIN, W_PID };

struct want_rule {
	const char *name;
	uint32_t threads;          /* with the API thread */
	enum want_arg0 arg0;
	const uint64_t *ioctls;    /* the requests, in order */
	unsigned nioctls;
	unsigned nargs;
	struct sb_arg args[SB_ARGS_MAX];
	bool global_only;
	bool api_only;
};

#define M VOLT_THREAD_MAIN
#define V VOLT_THREAD_VCPU
#define I VOLT_THREAD_IO
#define A SB_THREAD_API
#define ALL VOLT_THREAD_ALL

static const uint64_t want_vcpu_ioctls[] = { KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS };
static const uint64_t want_vm_ioctls[] = { KVM_IRQ_LINE };
static const uint64_t want_teardown_ioctls[] = { KVM_IOEVENTFD, KVM_IRQFD };
static const uint64_t want_tty_ioctls[] = { TCSETS, TCGETS };

/* The core's allowlist, rule by rule, as docs/sandbox.md describes it: a
 * rule that reaches another thread type or loses a constraint is a wider
 * sandbox, and must be a deliberate change here too. */
static const struct want_rule want_core[] = {
	{ .name = "epoll_wait", .threads = M | I | A },
	{ .name = "epoll_ctl", .threads = ALL | A },
	{ .name = "poll", .threads = ALL | A },
	{ .name = "read", .threads = M | I | A },
	{ .name = "write", .threads = ALL | A },
	{ .name = "clock_gettime", .threads = ALL | A },
	{ .name = "futex", .threads = ALL | A },
	{ .name = "ioctl", .threads = V, .arg0 = W_VCPUS, .ioctls = want_vcpu_ioctls,
	  .nioctls = 3 },
	{ .name = "ioctl", .threads = ALL | A, .arg0 = W_VM, .ioctls = want_vm_ioctls,
	  .nioctls = 1 },
	{ .name = "ioctl", .threads = M, .arg0 = W_VM, .ioctls = want_teardown_ioctls,
	  .nioctls = 2 },
	{ .name = "ioctl", .threads = M, .arg0 = W_STDIN, .ioctls = want_tty_ioctls,
	  .nioctls = 2 },
	{ .name = "tgkill", .threads = M | A, .arg0 = W_PID, .nargs = 1,
	  .args = { { 2, ~0ull, VCPU_KICK_SIGNAL } } },
	{ .name = "getpid", .threads = M | A },
	{ .name = "rt_sigprocmask", .threads = ALL | A },
	{ .name = "rt_sigreturn", .threads = V },
	{ .name = "madvise", .threads = ALL | A, .nargs = 1,
	  .args = { { 2, ~0ull, MADV_DONTNEED } } },
	{ .name = "exit", .threads = V | I | A },
	{ .name = "exit_group", .threads = ALL | A },
	{ .name = "close", .threads = M | A },
	{ .name = "mmap", .threads = ALL | A, .nargs = 1, .args = { { 2, PROT_EXEC, 0 } } },
	{ .name = "mprotect", .threads = ALL | A, .nargs = 1, .args = { { 2, PROT_EXEC, 0 } } },
	{ .name = "munmap", .threads = ALL | A },
	{ .name = "brk", .threads = M },
	{ .name = "accept4", .threads = A, .api_only = true },
	{ .name = "recvfrom", .threads = A, .api_only = true },
	{ .name = "sendto", .threads = A, .api_only = true },
	{ .name = "sendmsg", .threads = A, .api_only = true },
	{ .name = "shutdown", .threads = M | A, .api_only = true },
	{ .name = "seccomp", .threads = ALL | A, .nargs = 2,
	  .args = { { 0, ~0ull, SECCOMP_SET_MODE_FILTER }, { 1, ~0ull, 0 } }, .global_only = true },
};

#undef M
#undef V
#undef I
#undef A
#undef ALL

static void check_core_rules(bool api)
{
	int vcpus[2] = { 10, 11 };
	struct sb_core_fds fds = { .vm_fd = 9, .vcpu_fds = vcpus, .nvcpus = 2 };
	struct sb_policy p;
	size_t next = 0;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_core(&p, &fds, api, NULL), 0);
	for (size_t w = 0; w < sizeof(want_core) / sizeof(want_core[0]); w++) {
		const struct want_rule *want = &want_core[w];
		uint32_t threads = api ? want->threads : want->threads & ~SB_THREAD_API;
		const struct sb_rule *r;

		if (!threads || (want->api_only && !api))
			continue;
		/* The sanitizer build's own rules ("core (sanitizer build)") come last. */
		assert_true(next < p.nrules);
		r = &p.rules[next++];
		assert_string_equal(r->who, "core");
		assert_string_equal(r->name, want->name);
		assert_int_equal(r->threads, threads);
		assert_int_equal(r->global_only, want->global_only);
		assert_int_equal(r->plugin, false);
		assert_int_equal(r->pin_arg0, want->arg0 != W_ANY);
		switch (want->arg0) {
		case W_ANY:
			break;
		case W_VM:
			assert_int_equal(r->narg0, 1);
			assert_int_equal(r->arg0_vals[0], 9);
			break;
		case W_VCPUS:
			assert_int_equal(r->narg0, 2);
			assert_int_equal(r->arg0_vals[0], 10);
			assert_int_equal(r->arg0_vals[1], 11);
			break;
		case W_STDIN:
			assert_int_equal(r->narg0, 1);
			assert_int_equal(r->arg0_vals[0], STDIN_FILENO);
			break;
		case W_PID:
			assert_int_equal(r->narg0, 1);
			assert_int_equal(r->arg0_vals[0], getpid());
			break;
		}
		assert_int_equal(r->nioctls, want->nioctls);
		for (unsigned k = 0; k < want->nioctls; k++)
			assert_int_equal(r->ioctls[k].req, want->ioctls[k]);
		assert_int_equal(r->nargs, want->nargs);
		for (unsigned a = 0; a < want->nargs; a++) {
			assert_int_equal(r->args[a].arg, want->args[a].arg);
			assert_int_equal(r->args[a].mask, want->args[a].mask);
			assert_int_equal(r->args[a].value, want->args[a].value);
		}
	}
	for (; next < p.nrules; next++)
		assert_string_equal(p.rules[next].who, "core (sanitizer build)");
	sb_policy_fini(&p);
}

static void test_core_allowlist_exact(void **state)
{
	check_core_rules(false);
	check_core_rules(true);
}

static void test_plugin_merge(void **state)
{
	struct sb_policy p;
	int slots[VOLT_FD_SLOTS] = { 42, -1, -1, -1, -1, -1, -1, -1 };
	const struct sb_rule *r;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_plugin(&p, "virtio-blk (drive rootfs)", blk_sys, 5, slots,
					      NULL), 0);
	assert_int_equal(p.nrules, 5);
	r = find_rule(&p, "pread64", "virtio-blk (drive rootfs)");
	assert_non_null(r);
	assert_true(r->pin_arg0);
	assert_int_equal(r->narg0, 1);
	assert_int_equal(r->arg0_vals[0], 42);
	assert_string_equal(r->arg0_what, "fd slot 0");
	assert_string_equal(r->why, "read sectors");
	assert_true(sb_rule_live(r));
	/* Slot 1 was never bound: the rule can never match and stays out. */
	r = find_rule(&p, "fdatasync", "virtio-blk (drive rootfs)");
	assert_non_null(r);
	assert_false(sb_rule_live(r));
	r = find_rule(&p, "ioctl", "virtio-blk (drive rootfs)");
	assert_int_equal(r->nioctls, 2);
	assert_int_equal(r->ioctls[1].req, 0x80045678);
	assert_null(r->ioctls[1].name);
	r = find_rule(&p, "getuid", "virtio-blk (drive rootfs)");
	assert_false(r->pin_arg0);
	/* Counts per thread type: io has pread64, pwrite64, ioctl. */
	assert_int_equal(sb_policy_count(&p, VOLT_THREAD_IO), 3);
	assert_int_equal(sb_policy_count(&p, VOLT_THREAD_MAIN), 1);
	assert_int_equal(sb_policy_count(&p, VOLT_THREAD_VCPU), 1);
	assert_int_equal(sb_policy_count(&p, 0), 4);
	sb_policy_fini(&p);
}

static void test_print_mode_slots(void **state)
{
	struct sb_policy p;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_plugin(&p, "blk", blk_sys, 5, NULL, NULL), 0);
	/* Not bound yet, but counted: realize will bind them. */
	assert_int_equal(find_rule(&p, "pread64", "blk")->arg0_vals[0], SB_FD_AT_REALIZE);
	assert_true(sb_rule_live(find_rule(&p, "fdatasync", "blk")));
	sb_policy_fini(&p);
}

static void test_denied_and_unknown(void **state)
{
	static const struct volt_syscall exec[] = {
		{ "execve", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "run a helper" },
	};
	static const struct volt_syscall unknown[] = {
		{ "no_such_syscall", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "typo" },
	};
	/* The loader refuses this too; a policy built from a descriptor it
	 * never saw must not be weaker. */
	static const struct volt_syscall any_ioctl[] = {
		{ "ioctl", VOLT_THREAD_ALL, VOLT_FD_ANY, NULL, 0, "anything" },
	};
	struct volt_err err = { 0 };
	struct sb_policy p;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_plugin(&p, "evil (drive x)", exec, 1, NULL, &err), -EPERM);
	assert_non_null(strstr(err.msg, "execve"));
	assert_non_null(strstr(err.msg, "evil (drive x)"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(sb_policy_add_plugin(&p, "typo (drive x)", unknown, 1, NULL, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "no_such_syscall"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(sb_policy_add_plugin(&p, "wide (device w)", any_ioctl, 1, NULL, &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "declares syscall ioctl unpinned"));
	assert_false(sandbox_syscall_known("no_such_syscall"));
	/* libseccomp knows these on i386 only: a pseudo number, not a syscall here. */
	assert_false(sandbox_syscall_known("socketcall"));
	assert_false(sandbox_syscall_known("ipc"));
	assert_true(sandbox_syscall_known("pread64"));
	sb_policy_fini(&p);
}

static void test_global_only(void **state)
{
	struct sb_policy p;
	unsigned all, sum_max = 0;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_core(&p, NULL, false, NULL), 0);
	all = sb_policy_count(&p, 0);
	/* seccomp (to narrow) is only in the process-wide filter. */
	for (size_t i = 0; i < p.nrules; i++)
		if (!strcmp(p.rules[i].name, "seccomp")) {
			assert_true(p.rules[i].global_only);
			assert_false(sb_rule_applies(&p.rules[i], VOLT_THREAD_MAIN));
			assert_true(sb_rule_applies(&p.rules[i], 0));
		}
	for (uint32_t t = 1; t <= VOLT_THREAD_IO; t <<= 1) {
		unsigned n = sb_policy_count(&p, t);

		assert_true(n < all);
		sum_max = n > sum_max ? n : sum_max;
	}
	assert_true(sum_max > 5);
	sb_policy_fini(&p);
}

static void test_paths(void **state)
{
	struct sb_policy p;
	struct volt_err err = { 0 };

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_path(&p, "relative/file", VOLT_PATH_READ, "x", &err),
			 -EINVAL);
	assert_int_equal(sb_policy_add_path(&p, "/tmp/x", 0x10, "x", NULL), -EINVAL);
	assert_int_equal(sb_policy_add_path(&p, "/tmp/x", 0, "x", NULL), -EINVAL);
	assert_int_equal(sb_policy_add_path(&p, "/tmp/x", VOLT_PATH_READ, "blk", NULL), 0);
	assert_int_equal(p.npaths, 1);
	assert_string_equal(p.paths[0].who, "blk");
	sb_policy_fini(&p);
}

static void test_plugin_opens_need_paths(void **state)
{
	static const struct volt_syscall opener[] = {
		{ "openat", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "reopen its log" },
	};
	static const struct volt_syscall reader[] = {
		{ "read", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "read what it opened at realize" },
		{ "pwrite64", VOLT_THREAD_IO, 0, NULL, 0, "write its file" },
	};
	static const char *const opens[] = { "open", "openat", "openat2", "creat" };
	struct volt_err err = { 0 };
	struct sb_policy p;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_core(&p, NULL, false, NULL), 0);
	assert_int_equal(sb_policy_check_opens(&p, NULL), 0);
	/* A plugin that opens nothing after lockdown needs no path. */
	assert_int_equal(sb_policy_add_plugin(&p, "quiet (drive q)", reader, 2, NULL, NULL), 0);
	assert_int_equal(sb_policy_check_opens(&p, NULL), 0);
	assert_int_equal(sb_policy_add_plugin(&p, "log (drive a)", opener, 1, NULL, NULL), 0);
	assert_int_equal(sb_policy_check_opens(&p, &err), -EPERM);
	assert_non_null(strstr(err.msg, "log (drive a): declares openat but allowed no path"));
	/* Another instance's path does not count. */
	assert_int_equal(sb_policy_add_path(&p, "/tmp/x", VOLT_PATH_READ, "log (drive b)", NULL), 0);
	assert_int_equal(sb_policy_check_opens(&p, NULL), -EPERM);
	assert_int_equal(sb_policy_add_path(&p, "/tmp/y", VOLT_PATH_READ, "log (drive a)", NULL), 0);
	assert_int_equal(sb_policy_check_opens(&p, NULL), 0);
	sb_policy_fini(&p);

	/* Every syscall that opens a path, not only openat. */
	for (size_t i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		const struct volt_syscall s = { opens[i], VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0,
						"open a file" };

		assert_true(sb_syscall_opens(opens[i]));
		sb_policy_init(&p);
		assert_int_equal(sb_policy_add_plugin(&p, "o (device o)", &s, 1, NULL, NULL), 0);
		memset(&err, 0, sizeof(err));
		assert_int_equal(sb_policy_check_opens(&p, &err), -EPERM);
		assert_non_null(strstr(err.msg, opens[i]));
		sb_policy_fini(&p);
	}
	assert_false(sb_syscall_opens("read"));
}

static void test_plugin_never_exec(void **state)
{
	static const struct volt_syscall mem[] = {
		{ "mmap", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "map a buffer" },
		{ "mprotect", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "guard page" },
		{ "pkey_mprotect", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0, "guard page, keyed" },
	};
	struct sb_policy p;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_plugin(&p, "m", mem, 3, NULL, NULL), 0);
	assert_int_equal(p.nrules, 3);
	for (size_t i = 0; i < p.nrules; i++) {
		assert_int_equal(p.rules[i].nargs, 1);
		assert_int_equal(p.rules[i].args[0].arg, 2);
		assert_int_equal(p.rules[i].args[0].mask, PROT_EXEC);
		assert_int_equal(p.rules[i].args[0].value, 0);
	}
	sb_policy_fini(&p);
}

/* The loader refuses these at load time; a policy built from a descriptor
 * it never saw must not be weaker. */
static void test_plugin_rule_checked_again(void **state)
{
	static const struct volt_syscall api_too[] = {
		{ "getuid", VOLT_THREAD_IO | SB_THREAD_API, VOLT_FD_ANY, NULL, 0, "asks on the API" },
	};
	static const struct volt_syscall last_slot[] = {
		{ "pread64", VOLT_THREAD_IO, VOLT_FD_SLOTS - 1, NULL, 0, "the last slot" },
	};
	static const struct volt_syscall past_slots[] = {
		{ "pread64", VOLT_THREAD_IO, VOLT_FD_SLOTS, NULL, 0, "one slot too far" },
	};
	int slots[VOLT_FD_SLOTS] = { -1, -1, -1, -1, -1, -1, -1, 77 };
	struct volt_err err = { 0 };
	struct sb_policy p;

	sb_policy_init(&p);
	/* No plugin rule reaches the API thread, whatever bits it sets. */
	assert_int_equal(sb_policy_add_plugin(&p, "t", api_too, 1, NULL, NULL), 0);
	assert_int_equal(p.rules[0].threads, VOLT_THREAD_IO);
	assert_false(sb_rule_applies(&p.rules[0], SB_THREAD_API));
	assert_int_equal(sb_policy_count(&p, SB_THREAD_API), 0);
	assert_int_equal(sb_policy_add_plugin(&p, "t", last_slot, 1, slots, NULL), 0);
	assert_int_equal(p.rules[1].arg0_vals[0], 77);
	assert_int_equal(sb_policy_add_plugin(&p, "t", past_slots, 1, slots, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "fd slot 8 (slots are 0..7)"));
	sb_policy_fini(&p);
}

static void test_api_thread_rules(void **state)
{
	struct sb_policy p;

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_core(&p, NULL, false, NULL), 0);
	/* No API: no rule names its thread, none of its socket calls. */
	assert_int_equal(sb_policy_count(&p, SB_THREAD_API), 0);
	assert_null(find_rule(&p, "accept4", "core"));
	assert_null(find_rule(&p, "shutdown", "core"));
	assert_null(find_rule(&p, "unlink", "core"));
	sb_policy_fini(&p);

	sb_policy_init(&p);
	assert_int_equal(sb_policy_add_core(&p, NULL, true, NULL), 0);
	assert_non_null(find_rule(&p, "accept4", "core"));
	assert_int_equal(find_rule(&p, "accept4", "core")->threads, SB_THREAD_API);
	assert_true(sb_policy_count(&p, SB_THREAD_API) > 5);
	assert_true(sb_policy_count(&p, SB_THREAD_API) < 31); /* Firecracker's api: 31 */
	sb_policy_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_rules_have_reasons),
		cmocka_unit_test(test_core_ioctls_pinned),
		cmocka_unit_test(test_core_allowlist_exact),
		cmocka_unit_test(test_plugin_merge),
		cmocka_unit_test(test_print_mode_slots),
		cmocka_unit_test(test_denied_and_unknown),
		cmocka_unit_test(test_global_only),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_plugin_opens_need_paths),
		cmocka_unit_test(test_plugin_never_exec),
		cmocka_unit_test(test_plugin_rule_checked_again),
		cmocka_unit_test(test_api_thread_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
