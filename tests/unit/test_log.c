/* Log lines and the guest's console on one stderr pipe: a line that finds
 * the pipe full once it holds the console lock is dropped and counted, not
 * written blocking, so the console writer behind the lock (the main loop)
 * is never stuck behind a log line whose reader stopped reading. */
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

static atomic_bool logged;

static void *log_one(void *opaque)
{
	log_warn("a line from another thread");
	atomic_store(&logged, true);
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

static void test_full_pipe_under_the_lock(void **state)
{
	int p[2], saved = dup(STDERR_FILENO);
	char buf[65536];
	pthread_t t;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	log_console_shared(true);
	/* The console holds the lock; the other thread's line waits for it
	 * with the pipe still empty (its first check passes). */
	log_console_begin();
	pthread_create(&t, NULL, log_one, NULL);
	usleep(100 * 1000);
	assert_false(atomic_load(&logged));
	/* Meanwhile the console fills the pipe, then lets the line go. */
	fill(STDERR_FILENO);
	log_console_end('\n');
	for (int i = 0; i < 2000 && !atomic_load(&logged); i++)
		usleep(1000);
	assert_true(atomic_load(&logged)); /* dropped, not blocked */
	pthread_join(t, NULL);
	/* The reader drains; the next line says one was lost. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	log_warn("the next line");
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "1 log line(s) lost"));
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
