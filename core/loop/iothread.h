/* An I/O thread: an event loop of its own on its own thread. Each device
 * instance gets one, so queue work and backend I/O never run on a vCPU or
 * on the main thread. */
#ifndef VOLT_LOOP_IOTHREAD_H
#define VOLT_LOOP_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>

#include "loop/evloop.h"
#include "util/err.h"

struct iothread {
	struct evloop loop;
	pthread_t thread;
	char name[16];
	bool started;
};

/* Create the loop (no thread yet); fds may be added before iothread_start. */
int iothread_init(struct iothread *io, const char *name, struct volt_err *err);

/* Start the thread; it runs the loop until iothread_stop. */
int iothread_start(struct iothread *io, struct volt_err *err);

/* Stop the loop and join the thread (safe if never started). */
void iothread_stop(struct iothread *io);

void iothread_fini(struct iothread *io);

#endif
