/* --print-sandbox-policy's text: per-thread sections with counts, one line
 * per rule with its constraints, who and why, and the Landlock part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/sandbox.h"

static const uint64_t tap_ioctls[] = { 0x400454ca };

static const struct volt_syscall sys[] = {
	{ "pread64", VOLT_THREAD_IO, 0, NULL, 0, "read sectors from the image" },
	{ "ioctl", VOLT_THREAD_MAIN, 1, tap_ioctls, 1, "set the tap's flags" },
};

/* The policy printed into a string (caller frees). */
static char *print_policy(bool with_fds, bool with_path)
{
	struct sandbox_options opt = { .seccomp = true, .landlock = true };
	int slots[VOLT_FD_SLOTS] = { 12, -1, -1, -1, -1, -1, -1, -1 };
	int vcpus[2] = { 10, 11 };
	struct sb_core_fds fds = { .vm_fd = 9, .vcpu_fds = vcpus, .nvcpus = 2 };
	struct sandbox sb;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	sandbox_init(&sb, &opt);
	assert_int_equal(sandbox_add_core(&sb, with_fds ? &fds : NULL, false, NULL), 0);
	assert_int_equal(sandbox_add_plugin(&sb, "virtio-blk (drive rootfs)", sys, 2,
					    with_fds ? slots : NULL, NULL), 0);
	if (with_path)
		assert_int_equal(sandbox_add_path(&sb, "/var/lib/volt/disk.img", VOLT_PATH_READ,
						  "virtio-blk (drive rootfs)", NULL), 0);
	sandbox_print(&sb, out);
	fclose(out);
	sandbox_fini(&sb);
	return text;
}

/* The line of section `title` that starts with "  <name> " and contains
 * `part`, or NULL. */
static const char *find_line(const char *text, const char *title, const char *name,
			     const char *part)
{
	const char *sec = strstr(text, title);
	const char *end;
	char head[64];

	if (!sec)
		return NULL;
	end = strstr(sec + 1, "\n\n");
	snprintf(head, sizeof(head), "\n  %s ", name);
	for (const char *l = strstr(sec, head); l && (!end || l < end); l = strstr(l + 1, head)) {
		const char *eol = strchr(l + 1, '\n');
		const char *hit = strstr(l, part);

		if (hit && (!eol || hit < eol))
			return l;
	}
	return NULL;
}

static void test_sections_and_rules(void **state)
{
	char *t = print_policy(true, false);

	assert_non_null(strstr(t, "seccomp: on;"));
	assert_non_null(strstr(t, "exits with status 3"));
	assert_non_null(strstr(t, "\nprocess-wide filter (every thread, loaded with TSYNC): "));
	assert_non_null(strstr(t, "\nmain thread"));
	assert_non_null(strstr(t, "\nvcpu threads"));
	assert_non_null(strstr(t, "\nio threads"));
	/* A plugin rule: its fd slot with the bound fd, who and why. */
	assert_non_null(find_line(t, "\nio threads", "pread64",
				  "arg0 = fd slot 0 (12)"));
	assert_non_null(find_line(t, "\nio threads", "pread64",
				  "virtio-blk (drive rootfs): read sectors from the image"));
	assert_null(find_line(t, "\nmain thread", "pread64", "virtio-blk"));
	/* Slot 1 was never bound: printed, and said to be left out. */
	assert_non_null(find_line(t, "\nmain thread", "ioctl", "arg1 in {0x400454ca}"));
	assert_non_null(find_line(t, "\nmain thread", "ioctl", "left out"));
	/* The core's KVM ioctls by name, pinned to the vCPU fds. */
	assert_non_null(find_line(t, "\nvcpu threads", "ioctl",
				  "arg0 = a vCPU fd (10, 11); arg1 in {KVM_RUN, KVM_GET_REGS, "
				  "KVM_GET_SREGS}"));
	/* seccomp (narrowing) only process-wide. */
	assert_non_null(find_line(t, "process-wide", "seccomp", "SECCOMP_SET_MODE_FILTER"));
	assert_null(find_line(t, "\nmain thread", "seccomp", "core"));
	assert_non_null(strstr(t, "\nLandlock: "));
	free(t);
}

static void test_print_mode_and_paths(void **state)
{
	char *t = print_policy(false, true);

	/* Without the VM, fds are named, not numbered. */
	assert_non_null(find_line(t, "\nio threads", "pread64", "arg0 = fd slot 0 "));
	assert_null(strstr(t, "fd slot 0 ("));
	assert_null(strstr(t, "left out"));
	assert_non_null(find_line(t, "\nvcpu threads", "ioctl", "arg0 = a vCPU fd; arg1 in"));
	if (!strstr(t, "not available")) {
		assert_non_null(strstr(t, "/var/lib/volt/disk.img"));
		assert_non_null(strstr(t, "read-only"));
	}
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_rules),
		cmocka_unit_test(test_print_mode_and_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
