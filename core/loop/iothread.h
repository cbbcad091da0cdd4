/* An I/O thread: an event loop of its own on its own thread. Each device
 * instance gets one, so queue work and backend I/O never run on a vCPU or
 * on the main thread.
 *
 * The thread is created before the sandbox locks the process down (no
 * thread can be created after it) and parked: iothread_spawn creates it,
 * it passes the sandbox's gate and stacks the I/O threads' filter, then
 * waits for iothread_start to run its loop. Before the loop sleeps it may
 * poll (loop/poll.h): evloop_set_poll_max on io->loop before spawning. */
#ifndef VOLT_LOOP_IOTHREAD_H
#define VOLT_LOOP_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>

#include "loop/evloop.h"
#include "util/err.h"

enum iothread_go { IOTHREAD_PARKED, IOTHREAD_RUN, IOTHREAD_QUIT };

struct iothread {
	struct evloop loop;
	pthread_t thread;
	char name[16];           /* the kernel's thread name: "io-rootfs" */
	char label[48];          /* in a sandbox report: "io:drive rootfs" */
	char owner[96];          /* the plugin its callbacks belong to, "" = core */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum iothread_go go;
	bool spawned;            /* the thread exists */
	bool started;            /* its loop was told to run */
	void (*on_fail)(void *opaque); /* the thread could not enter the sandbox */
	void *fail_opaque;
};

/* Create the loop (no thread yet); fds may be added before iothread_start. */
int iothread_init(struct iothread *io, const char *name, struct volt_err *err);

/* Name the thread for the sandbox's report and the plugin whose code it
 * runs ("io:drive rootfs", "virtio-blk (drive rootfs)"); before spawning. */
void iothread_set_owner(struct iothread *io, const char *label, const char *plugin);

/* Call fn(opaque) on the thread if it cannot install its sandbox filter
 * (it then runs nothing): the owner stops the VM, as a vCPU thread does,
 * rather than run on with a device nobody serves. Before spawning. */
void iothread_on_fail(struct iothread *io, void (*fn)(void *opaque), void *opaque);

/* Create the thread, parked (before lockdown). */
int iothread_spawn(struct iothread *io, struct volt_err *err);

/* Run the loop: spawns the thread first if that was not done. */
int iothread_start(struct iothread *io, struct volt_err *err);

/* Stop the loop and join the thread (safe if never spawned or started). */
void iothread_stop(struct iothread *io);

void iothread_fini(struct iothread *io);

#endif
