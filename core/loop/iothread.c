#include "loop/iothread.h"

#include <stdio.h>
#include <string.h>

#define IOTHREAD_STACK_SIZE (256 * 1024)

int iothread_init(struct iothread *io, const char *name, struct volt_err *err)
{
	memset(io, 0, sizeof(*io));
	snprintf(io->name, sizeof(io->name), "%s", name);
	return evloop_init(&io->loop, err);
}

static void *iothread_main(void *opaque)
{
	struct iothread *io = opaque;

	evloop_run(&io->loop);
	return NULL;
}

int iothread_start(struct iothread *io, struct volt_err *err)
{
	pthread_attr_t attr;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, IOTHREAD_STACK_SIZE);
	r = pthread_create(&io->thread, &attr, iothread_main, io);
	pthread_attr_destroy(&attr);
	if (r)
		return verr_set(err, r, "I/O thread %s: %s", io->name, strerror(r));
	pthread_setname_np(io->thread, io->name);
	io->started = true;
	return 0;
}

void iothread_stop(struct iothread *io)
{
	if (!io->started)
		return;
	evloop_stop_async(&io->loop, 0);
	pthread_join(io->thread, NULL);
	io->started = false;
}

void iothread_fini(struct iothread *io)
{
	iothread_stop(io);
	evloop_fini(&io->loop);
}
