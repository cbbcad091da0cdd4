/* The event loop's stop request (loop/evloop.c) against a loop that is
 * just starting: a vCPU or I/O thread may ask for a stop with an error
 * status as the gate opens, before the main thread ever waits, and the
 * loop must return that status, not the zero it started with. A stress
 * test: the window is a few instructions wide, so the two threads meet
 * many times with the main thread entering the loop a little later each
 * time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <cmocka.h>

#include "loop/evloop.h"

#define ROUNDS 300000

struct meet {
	struct evloop loop;
	atomic_uint round;          /* odd: the stopper's turn in round (n + 1) / 2 */
};

static void *stopper(void *opaque)
{
	struct meet *m = opaque;

	for (unsigned i = 1; i <= ROUNDS; i++) {
		while (atomic_load(&m->round) != 2 * i - 1)
			;
		evloop_stop_async(&m->loop, 7);
		atomic_store(&m->round, 2 * i);
	}
	return NULL;
}

static void test_stop_before_run_keeps_status(void **state)
{
	struct meet m = { 0 };
	struct volt_err err = { 0 };
	unsigned wrong = 0;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, stopper, &m), 0);
	for (unsigned i = 1; i <= ROUNDS; i++) {
		int status;

		assert_int_equal(evloop_init(&m.loop, &err), 0);
		atomic_store(&m.round, 2 * i - 1);
		/* Enter the loop a varying moment after the stopper starts. */
		for (volatile unsigned spin = 0; spin < (i * 7919u) % 400; spin++)
			;
		status = evloop_run(&m.loop);
		while (atomic_load(&m.round) != 2 * i)
			;
		wrong += status != 7;
		evloop_fini(&m.loop);
	}
	pthread_join(t, NULL);
	assert_int_equal(wrong, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_before_run_keeps_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
