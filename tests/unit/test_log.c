/* Log lines and the guest's console on one stderr pipe: a line that finds
 * the pipe full once it holds the console lock is dropped and counted, not
 * written blocking, so the console writer behind the lock (the main loop)
 * is never stuck behind a log line whose reader stopped reading; and the
 * count of lines lost survives a notice that is itself dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

static atomic_int logged;

static void *log_one(void *opaque)
{
	log_warn("a line from another thread");
	atomic_fetch_add(&logged, 1);
	return NULL;
}

/* Fill the pipe's write end until it would block. */
static void fill(int wfd)
{
	static const char junk[4096];
	int fl = fcntl(wfd, F_GETFL);

	fcntl(wfd, F_SETFL, fl | O_NONBLOCK);
	while (write(wfd, junk, sizeof(junk)) > 0 || write(wfd, junk, 1) > 0)
		;
	fcntl(wfd, F_SETFL, fl);
}

/* The console holds the lock while n other threads' lines wait for it
 * with the pipe still open to them (their first check passes); meanwhile
 * the console fills the pipe, then lets them go: dropped, not blocked. */
static void drop_lines(int n)
{
	pthread_t t[4];

	atomic_store(&logged, 0);
	log_console_begin();
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, log_one, NULL);
	usleep(100 * 1000);
	assert_int_equal(atomic_load(&logged), 0);
	fill(STDERR_FILENO);
	log_console_end('\n');
	for (int i = 0; i < 2000 && atomic_load(&logged) < n; i++)
		usleep(1000);
	assert_int_equal(atomic_load(&logged), n);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void drain(int rfd)
{
	char buf[65536];

	while (read(rfd, buf, sizeof(buf)) > 0)
		;
}

static void test_full_pipe_under_the_lock(void **state)
{
	int p[2], saved = dup(STDERR_FILENO);
	char buf[65536];
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	log_console_shared(true);
	drop_lines(2);
	/* Again: this time the line's "lost" notice goes first and is dropped
	 * too; the count it carried (2) is kept, with the line itself. */
	drain(p[0]);
	drop_lines(1);
	drain(p[0]);
	log_warn("the next line");
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "3 log line(s) lost"));
	assert_non_null(strstr(buf, "the next line"));
	assert_null(strstr(buf, "a line from another thread"));
	log_console_shared(false);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_pipe_under_the_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
