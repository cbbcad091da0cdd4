/* The fd watches of a device's I/O thread (plugin/instance_io.c): a watch
 * removed is only marked dead until the I/O thread has an event batch, so
 * watching and unwatching an idle fd over and over (what a guest makes
 * virtio-net do by resetting and restarting the device) must reuse the
 * record instead of growing the list; a watch put back still fires. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/instance.h"
#include "plugin/instance_io.h"

static unsigned watches(const struct instance_io *io, unsigned *dead)
{
	unsigned n = 0;

	*dead = 0;
	for (const struct instance_watch *w = io->watches; w; w = w->next, n++)
		*dead += w->dead;
	return n;
}

/* The same, under the lock: the I/O thread runs and reaps meanwhile. */
static unsigned live_watches(struct instance_io *io)
{
	unsigned n, dead;

	pthread_mutex_lock(&io->lock);
	n = watches(io, &dead);
	pthread_mutex_unlock(&io->lock);
	return n;
}

static int fired;

static void on_fd(void *opaque, int fd, uint32_t events)
{
	fired++;
}

static void test_unwatch_rewatch_bounded(void **state)
{
	struct volt_instance *inst = (struct volt_instance *)&fired; /* only compared */
	struct volt_err err = { 0 };
	struct instance_io io;
	struct epoll_event ev;
	unsigned dead;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(instance_io_init(&io, "io-test", &err), 0);
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(instance_io_watch(&io, inst, p[0], EPOLLIN, on_fd, NULL), 0);
		instance_io_unwatch(&io, p[0]);
	}
	assert_int_equal(watches(&io, &dead), 1);
	assert_int_equal(dead, 1);
	/* Watched again, the reused record is live and its fd reported. */
	assert_int_equal(instance_io_watch(&io, inst, p[0], EPOLLIN, on_fd, NULL), 0);
	assert_int_equal(watches(&io, &dead), 1);
	assert_int_equal(dead, 0);
	assert_int_equal(instance_io_watch(&io, inst, p[0], EPOLLIN, on_fd, NULL), -EEXIST);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(epoll_wait(io.epfd, &ev, 1, 0), 1);
	assert_ptr_equal(ev.data.ptr, io.watches);
	/* Another fd gets a record of its own. */
	assert_int_equal(instance_io_watch(&io, inst, p[1], EPOLLOUT, on_fd, NULL), 0);
	assert_int_equal(watches(&io, &dead), 2);
	instance_io_fini(&io);
	close(p[0]);
	close(p[1]);
}

/* A broken instance's readable fd is dropped from the set at its first
 * event, its callback never called: left in the level-triggered set with
 * nobody draining it, it kept the I/O thread spinning. */
static void test_broken_instance_dropped(void **state)
{
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	struct volt_err err = { 0 };
	struct instance_io io;
	int p[2];

	assert_non_null(inst);
	atomic_store(&inst->broken, true);
	fired = 0;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(instance_io_init(&io, "io-broken", &err), 0);
	assert_int_equal(instance_io_watch(&io, inst, p[0], EPOLLIN, on_fd, NULL), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(instance_io_start(&io, &err), 0);
	for (int i = 0; i < 500 && live_watches(&io); i++)
		usleep(1000);
	assert_int_equal(live_watches(&io), 0);
	assert_int_equal(fired, 0);
	instance_io_fini(&io);
	close(p[0]);
	close(p[1]);
	free(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwatch_rewatch_bounded),
		cmocka_unit_test(test_broken_instance_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
