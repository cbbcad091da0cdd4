/* Landlock: the rights each ABI handles, the rights a path rule grants, and
 * in a forked child that only the policy's paths open after lockdown, with
 * only the access asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/landlock.h>

#include "sandbox/landlock.h"

static void test_handled_by_abi(void **state)
{
	struct sb_landlock_rights r;

	sb_landlock_handled(0, &r);
	assert_true(r.fs == 0 && r.net == 0 && r.scoped == 0);
	sb_landlock_handled(1, &r);
	assert_int_equal(r.fs, (1ull << 13) - 1);
	assert_false(r.fs & LANDLOCK_ACCESS_FS_REFER);
	sb_landlock_handled(3, &r);
	assert_true(r.fs & (1ull << 14)); /* truncate */
	assert_int_equal(r.net, 0);
	sb_landlock_handled(4, &r);
	assert_int_equal(r.net, 3);
	sb_landlock_handled(6, &r);
	assert_true(r.fs & (1ull << 15)); /* ioctl_dev */
	assert_int_equal(r.scoped, 3);
}

static void test_path_rights(void **state)
{
	uint64_t ro = sb_landlock_path_rights(7, VOLT_PATH_READ, false, false);
	uint64_t rw = sb_landlock_path_rights(7, VOLT_PATH_READ | VOLT_PATH_WRITE, false, false);
	uint64_t dir = sb_landlock_path_rights(7, VOLT_PATH_READ, true, false);
	uint64_t dev = sb_landlock_path_rights(7, VOLT_PATH_READ, false, true);
	char names[256];

	assert_int_equal(ro, LANDLOCK_ACCESS_FS_READ_FILE);
	assert_int_equal(rw, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				     (1ull << 14));
	assert_int_equal(dir, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
	assert_int_equal(dev, LANDLOCK_ACCESS_FS_READ_FILE | (1ull << 15));
	/* An ABI 1 kernel has no truncate right to grant. */
	assert_int_equal(sb_landlock_path_rights(1, VOLT_PATH_WRITE, false, false),
			 LANDLOCK_ACCESS_FS_WRITE_FILE);
	sb_landlock_fs_names(rw, names, sizeof(names));
	assert_string_equal(names, "write_file, read_file, truncate");
}

static char allowed[64], denied[64];

static int child_open(void)
{
	struct sb_policy p;
	struct volt_err err = { 0 };
	int abi = sb_landlock_abi();

	sb_policy_init(&p);
	if (sb_policy_add_path(&p, allowed, VOLT_PATH_READ, "test", &err) ||
	    sb_landlock_apply(&p, abi, NULL, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 100;
	}
	if (open(allowed, O_RDONLY | O_CLOEXEC) < 0)
		return 1;  /* declared, read-only: must open */
	if (open(allowed, O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return 2;  /* declared read-only: no write */
	if (open(denied, O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return 3;  /* undeclared */
	if (open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return 4;
	return 0;
}

static void test_only_declared_paths_open(void **state)
{
	int fd, st;
	pid_t pid;

	if (!sb_landlock_abi()) {
		skip();
		return;
	}
	snprintf(allowed, sizeof(allowed), "/tmp/volt-ll-allowed.XXXXXX");
	snprintf(denied, sizeof(denied), "/tmp/volt-ll-denied.XXXXXX");
	fd = mkstemp(allowed);
	assert_true(fd >= 0);
	close(fd);
	fd = mkstemp(denied);
	assert_true(fd >= 0);
	close(fd);
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(child_open());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	unlink(allowed);
	unlink(denied);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handled_by_abi),
		cmocka_unit_test(test_path_rights),
		cmocka_unit_test(test_only_declared_paths_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
