#include "loop/iothread.h"

#include <stdio.h>
#include <string.h>

#include <volt/plugin.h>

#include "sandbox/sandbox.h"
#include "util/thread.h"

int iothread_init(struct iothread *io, const char *name, struct volt_err *err)
{
	memset(io, 0, sizeof(*io));
	snprintf(io->name, sizeof(io->name), "%s", name);
	snprintf(io->label, sizeof(io->label), "%s", name);
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->cond, NULL);
	return evloop_init(&io->loop, err);
}

void iothread_set_owner(struct iothread *io, const char *label, const char *plugin)
{
	snprintf(io->label, sizeof(io->label), "%s", label);
	snprintf(io->owner, sizeof(io->owner), "%s", plugin ? plugin : "");
}

void iothread_on_fail(struct iothread *io, void (*fn)(void *opaque), void *opaque)
{
	io->on_fail = fn;
	io->fail_opaque = opaque;
}

static void *iothread_main(void *opaque)
{
	struct iothread *io = opaque;
	enum iothread_go go;
	int r = sandbox_thread_enter(VOLT_THREAD_IO, io->label);

	if (r) {
		if (r < 0 && io->on_fail)   /* > 0: the start was called off */
			io->on_fail(io->fail_opaque);
		return NULL;
	}
	/* Everything this thread runs is on behalf of its instance. */
	if (io->owner[0])
		sandbox_set_current_plugin(io->owner);
	pthread_mutex_lock(&io->lock);
	while (io->go == IOTHREAD_PARKED)
		pthread_cond_wait(&io->cond, &io->lock);
	go = io->go;
	pthread_mutex_unlock(&io->lock);
	if (go == IOTHREAD_RUN)
		evloop_run(&io->loop);
	return NULL;
}

int iothread_spawn(struct iothread *io, struct volt_err *err)
{
	int r;

	if (io->spawned)
		return 0;
	r = thread_create(&io->thread, THREAD_STACK_SMALL, iothread_main, io);
	if (r)
		return verr_set(err, r, "I/O thread %s: %s", io->name, strerror(r));
	sandbox_gate_expect();
	io->spawned = true;
	return 0;
}

static void iothread_go(struct iothread *io, enum iothread_go go)
{
	pthread_mutex_lock(&io->lock);
	if (io->go == IOTHREAD_PARKED)
		io->go = go;
	pthread_cond_broadcast(&io->cond);
	pthread_mutex_unlock(&io->lock);
}

int iothread_start(struct iothread *io, struct volt_err *err)
{
	int r = iothread_spawn(io, err);

	if (r)
		return r;
	iothread_go(io, IOTHREAD_RUN);
	io->started = true;
	return 0;
}

void iothread_stop(struct iothread *io)
{
	if (!io->spawned)
		return;
	if (io->started)
		evloop_stop_async(&io->loop, 0);
	iothread_go(io, IOTHREAD_QUIT);
	pthread_join(io->thread, NULL);
	io->spawned = false;
	io->started = false;
}

void iothread_fini(struct iothread *io)
{
	iothread_stop(io);
	evloop_fini(&io->loop);
	pthread_cond_destroy(&io->cond);
	pthread_mutex_destroy(&io->lock);
}
