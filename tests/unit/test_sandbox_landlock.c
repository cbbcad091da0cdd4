/* Landlock: the rights each ABI handles, the rights a path rule grants, and
 * in a forked child that only the policy's paths open after lockdown, with
 * only the access asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/landlock.h>

#include "sandbox/landlock.h"
#include "sandbox/sandbox.h"

static void test_handled_by_abi(void **state)
{
	/* What each ABI added: refer (2), truncate (3), TCP bind/connect (4),
	 * ioctl_dev (5), abstract sockets and signals scoped (6); 7 adds
	 * nothing a ruleset handles. */
	static const struct {
		uint64_t fs, net, scoped;
	} want[] = {
		[1] = { (1ull << 13) - 1, 0, 0 },
		[2] = { (1ull << 14) - 1, 0, 0 },
		[3] = { (1ull << 15) - 1, 0, 0 },
		[4] = { (1ull << 15) - 1, 3, 0 },
		[5] = { (1ull << 16) - 1, 3, 0 },
		[6] = { (1ull << 16) - 1, 3, 3 },
		[7] = { (1ull << 16) - 1, 3, 3 },
	};
	struct sb_landlock_rights r;

	sb_landlock_handled(0, &r);
	assert_true(r.fs == 0 && r.net == 0 && r.scoped == 0);
	sb_landlock_handled(1, &r);
	assert_false(r.fs & LANDLOCK_ACCESS_FS_REFER);
	for (int abi = 1; abi <= 7; abi++) {
		sb_landlock_handled(abi, &r);
		assert_int_equal(r.fs, want[abi].fs);
		assert_int_equal(r.net, want[abi].net);
		assert_int_equal(r.scoped, want[abi].scoped);
	}
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
	/* A writable directory: files in it are written, made and removed;
	 * never directories, links, devices, nor a device's ioctls. */
	assert_int_equal(sb_landlock_path_rights(7, VOLT_PATH_READ | VOLT_PATH_WRITE, true, false),
			 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
				 LANDLOCK_ACCESS_FS_WRITE_FILE | (1ull << 14) |
				 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE);
	assert_int_equal(sb_landlock_path_rights(7, VOLT_PATH_REMOVE, true, false),
			 LANDLOCK_ACCESS_FS_REMOVE_FILE);
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

/* Run fn in a forked child; its exit status. */
static int run_child(int (*fn)(void))
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Beyond opening files: what each ABI the kernel has also takes away. A
 * directory the policy names gives no ioctls on the devices in it; TCP
 * and signals to processes outside the domain are refused. */
static int child_beyond_files(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct sb_policy p;
	struct volt_err err = { 0 };
	struct termios t;
	int abi = sb_landlock_abi(), fd, s;

	sb_policy_init(&p);
	if (sb_policy_add_path(&p, "/dev", VOLT_PATH_READ, "test", &err) ||
	    sb_landlock_apply(&p, abi, NULL, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 100;
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;  /* under the directory, read: must open */
	if (abi >= 5 && (ioctl(fd, TCGETS, &t) == 0 || errno != EACCES))
		return 2;  /* not ENOTTY: the ioctl never reached the device */
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 3;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (abi >= 4 && (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 || errno != EACCES))
		return 4;  /* not ECONNREFUSED: the connect never left */
	if (abi >= 6 && (kill(getppid(), 0) == 0 || errno != EPERM))
		return 5;
	return 0;
}

static void test_beyond_files(void **state)
{
	if (!sb_landlock_abi()) {
		skip();
		return;
	}
	assert_int_equal(run_child(child_beyond_files), 0);
}

/* A thread that existed before Landlock (the control API's) joins the
 * domain with sandbox_adopt_landlock. */
static int adopt_pipe[2], adopt_result;
static struct sandbox adopt_sb;

static void *adopting_thread(void *arg)
{
	char c;

	if (read(adopt_pipe[0], &c, 1) != 1)
		return NULL;
	adopt_result = sandbox_adopt_landlock(&adopt_sb) ? 10 : 0;
	if (!adopt_result && open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0)
		adopt_result = 11;  /* the thread was left out of the domain */
	else if (!adopt_result && errno != EACCES)
		adopt_result = 12;
	return NULL;
}

static int child_adopt(void)
{
	struct sandbox_options opt = { .seccomp = false, .landlock = true };
	struct volt_err err = { 0 };
	pthread_t t;

	if (pipe(adopt_pipe) || pthread_create(&t, NULL, adopting_thread, NULL))
		return 100;
	sandbox_init(&adopt_sb, &opt);
	if (sandbox_add_core(&adopt_sb, NULL, true, &err) ||
	    sandbox_landlock(&adopt_sb, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 101;
	}
	if (open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0)
		return 1;  /* the main thread is in */
	if (write(adopt_pipe[1], "x", 1) != 1 || pthread_join(t, NULL))
		return 102;
	return adopt_result;
}

static void test_existing_thread_adopts(void **state)
{
	if (!sb_landlock_abi()) {
		skip();
		return;
	}
	assert_int_equal(run_child(child_adopt), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handled_by_abi),
		cmocka_unit_test(test_path_rights),
		cmocka_unit_test(test_only_declared_paths_open),
		cmocka_unit_test(test_beyond_files),
		cmocka_unit_test(test_existing_thread_adopts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
