/* thread_create: every volt thread gets the stack size asked for, and each
 * size stays below a 2 MiB huge page (util/thread.h says why). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <pthread.h>

#include "util/thread.h"

static void *thread_report_stack(void *opaque)
{
	size_t *size = opaque;
	pthread_attr_t attr;

	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, size);
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

static void check_stack(size_t want)
{
	pthread_t t;
	size_t got = 0;

	assert_int_equal(thread_create(&t, want, thread_report_stack, &got), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
#ifdef __SANITIZE_THREAD__
	/* ThreadSanitizer adds room for its own shadow stack. */
	assert_true(got >= want);
#else
	assert_int_equal(got, want);
#endif
}

static void test_small_stack(void **state)
{
	check_stack(THREAD_STACK_SMALL);
}

static void test_api_stack(void **state)
{
	check_stack(THREAD_STACK_API);
}

static void test_sizes_below_huge_page(void **state)
{
	assert_true(THREAD_STACK_SMALL < (2u << 20));
	assert_true(THREAD_STACK_API < (2u << 20));
}

/* A size pthread refuses comes back as its errno, and no thread starts. */
static void test_refused_size(void **state)
{
	pthread_t t;
	size_t got = 0;

	assert_int_equal(thread_create(&t, 1, thread_report_stack, &got), EINVAL);
	assert_int_equal(got, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_stack),
		cmocka_unit_test(test_api_stack),
		cmocka_unit_test(test_sizes_below_huge_page),
		cmocka_unit_test(test_refused_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
