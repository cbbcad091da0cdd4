/* Adaptive polling (loop/poll.c): the window's growth, shrinking, cap and
 * the disabled case, as QEMU's adjust_polling_time; and the poller's turn
 * with fake handlers: poll until work or the window ends, then end (one
 * more look) before sleeping; an fd's event ends polling early. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop/evloop.h"
#include "loop/poll.h"

static void test_window_grows_to_cap(void **state)
{
	struct poll_window w = { .ns = 0, .max_ns = 32000 };

	/* An event soon after sleeping: start at 4 us, then double, capped. */
	poll_window_update(&w, 10000);
	assert_int_equal(w.ns, 4000);
	poll_window_update(&w, 10000);
	assert_int_equal(w.ns, 8000);
	poll_window_update(&w, 10000);
	assert_int_equal(w.ns, 16000);
	poll_window_update(&w, 20000);
	assert_int_equal(w.ns, 32000);
	poll_window_update(&w, 31000);   /* inside the window: stays */
	assert_int_equal(w.ns, 32000);
	poll_window_update(&w, 32000);   /* == max: no growth beyond it */
	assert_int_equal(w.ns, 32000);
	/* A cap that is not a power-of-two multiple of 4 us. */
	w = (struct poll_window){ .ns = 16000, .max_ns = 20000 };
	poll_window_update(&w, 19000);
	assert_int_equal(w.ns, 20000);
}

static void test_window_sweet_spot(void **state)
{
	struct poll_window w = { .ns = 8000, .max_ns = 32000 };

	/* The event came while polling: no change. */
	poll_window_update(&w, 5000);
	assert_int_equal(w.ns, 8000);
	poll_window_update(&w, 8000);
	assert_int_equal(w.ns, 8000);
}

static void test_window_shrinks_on_long_sleep(void **state)
{
	struct poll_window w = { .ns = 32000, .max_ns = 32000 };

	/* Slept longer than we could ever poll: polling was wasted, stop. */
	poll_window_update(&w, 32001);
	assert_int_equal(w.ns, 0);
	poll_window_update(&w, 5 * 1000000000ULL);  /* idle VM: stays off */
	assert_int_equal(w.ns, 0);
}

static void test_window_disabled(void **state)
{
	struct poll_window w = { .ns = 0, .max_ns = 0 };
	struct poller p;

	for (int i = 0; i < 4; i++) {
		poll_window_update(&w, 100);
		assert_int_equal(w.ns, 0);
	}
	/* Lowering the maximum clamps the window at once. */
	poller_init(&p, 32000);
	p.window.ns = 32000;
	poller_set_max(&p, 8000);
	assert_int_equal(p.window.ns, 8000);
	poller_set_max(&p, 0);
	assert_int_equal(p.window.ns, 0);
}

/* A fake handler: work appears after `work_after` polls. */
struct fake {
	int polls, ends, runs;
	int work_after;         /* -1: never */
	bool work_at_end;       /* end's last look finds work */
};

static bool fake_poll(void *opaque)
{
	struct fake *f = opaque;

	f->polls++;
	if (f->work_after >= 0 && f->polls > f->work_after) {
		f->runs++;
		f->work_after = -1;
		return true;
	}
	return false;
}

static bool fake_end(void *opaque)
{
	struct fake *f = opaque;

	f->ends++;
	if (f->work_at_end) {
		f->work_at_end = false;
		f->runs++;
		return true;
	}
	return false;
}

static void test_poller_turns(void **state)
{
	struct fake f = { .work_after = 3 };
	struct poller p;

	poller_init(&p, 1000000);
	assert_int_equal(poller_add(&p, &(struct poll_handler){ fake_poll, fake_end, &f }), 0);
	/* Window 0: no poll at all, and nothing to end. */
	assert_false(poller_run(&p, poll_now_ns()));
	assert_int_equal(f.polls, 0);
	assert_int_equal(f.ends, 0);
	/* Window open: work on the 4th look, polling stays on. */
	p.window.ns = 1000000000ULL;
	assert_true(poller_run(&p, poll_now_ns()));
	assert_int_equal(f.polls, 4);
	assert_int_equal(f.runs, 1);
	assert_int_equal(f.ends, 0);
	assert_true(p.active);
	/* No more work: the window runs out, then end (notifications on). */
	p.window.ns = 200000;
	assert_false(poller_run(&p, poll_now_ns()));
	assert_true(f.polls > 4);
	assert_int_equal(f.ends, 1);
	assert_false(p.active);
	/* The window shrank to 0 while polling was on: end still runs. */
	p.window.ns = 1000000000ULL;
	f.work_after = f.polls;
	assert_true(poller_run(&p, poll_now_ns()));
	p.window.ns = 0;
	f.work_at_end = true;
	assert_true(poller_run(&p, poll_now_ns()));   /* end's last look found work */
	assert_int_equal(f.ends, 2);
	assert_false(poller_run(&p, poll_now_ns()));  /* not active: end not called again */
	assert_int_equal(f.ends, 2);
	poller_del(&p, &f);
	assert_int_equal(p.nhandlers, 0);
}

static void test_poller_wait_sees_fds(void **state)
{
	struct fake f = { .work_after = -1 };
	struct poller p;
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK);
	uint64_t one = 1, t0;

	assert_true(ep >= 0 && efd >= 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), 0);
	poller_init(&p, 1000000000ULL);
	poller_add(&p, &(struct poll_handler){ fake_poll, fake_end, &f });
	p.window.ns = 1000000000ULL;  /* 1 s: an fd event must not wait for it */
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	t0 = poll_now_ns();
	assert_int_equal(poller_wait(&p, ep, out, 4), 1);
	assert_true(poll_now_ns() - t0 < 500000000ULL);
	assert_true(f.polls >= 1);
	assert_int_equal(f.ends, 0);     /* still polling */
	/* Disabled (max 0) and not active: a plain blocking wait, no poll. */
	poller_end(&p);
	poller_set_max(&p, 0);
	f.polls = 0;
	assert_int_equal(poller_wait(&p, ep, out, 4), 1);  /* efd still readable */
	assert_int_equal(f.polls, 0);
	close(efd);
	close(ep);
}

static void test_poller_full(void **state)
{
	struct poller p;
	struct fake f[POLL_HANDLERS_MAX + 1];

	poller_init(&p, 0);
	for (int i = 0; i < POLL_HANDLERS_MAX; i++)
		assert_int_equal(poller_add(&p, &(struct poll_handler){ fake_poll, fake_end, &f[i] }), 0);
	assert_int_equal(poller_add(&p, &(struct poll_handler){ fake_poll, fake_end, &f[POLL_HANDLERS_MAX] }),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_grows_to_cap),
		cmocka_unit_test(test_window_sweet_spot),
		cmocka_unit_test(test_window_shrinks_on_long_sleep),
		cmocka_unit_test(test_window_disabled),
		cmocka_unit_test(test_poller_turns),
		cmocka_unit_test(test_poller_wait_sees_fds),
		cmocka_unit_test(test_poller_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
