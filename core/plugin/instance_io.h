/* A device instance's I/O thread and the fds its plugins watch on it.
 *
 * Plugins call fd_watch/fd_unwatch from any thread: at realize (main), in
 * activate or reset (a vCPU), or in a callback (the I/O thread itself). The
 * thread's evloop is for its own thread only, so plugin watches live in a
 * separate epoll set under a lock, nested in the evloop as one fd. A watch
 * removed while the I/O thread may still hold its event is only marked
 * dead; the I/O thread frees dead watches after each batch, and watching
 * the same fd again reuses its dead record (the list stays bounded even
 * when no event ever comes). */
#ifndef VOLT_PLUGIN_INSTANCE_IO_H
#define VOLT_PLUGIN_INSTANCE_IO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <volt/host.h>

#include "loop/iothread.h"
#include "util/err.h"

struct volt_instance;

struct instance_watch {
	struct volt_instance *inst;
	int fd;
	bool dead;
	volt_fd_fn fn;
	void *opaque;
	struct instance_watch *next;
};

struct instance_io {
	struct iothread thread;      /* the transport's notifications run here too */
	int epfd;                    /* plugin watches */
	pthread_mutex_t lock;        /* watches */
	struct instance_watch *watches;
	bool inited;
};

int instance_io_init(struct instance_io *io, const char *name, struct volt_err *err);
int instance_io_start(struct instance_io *io, struct volt_err *err);
/* Stop and join the thread: no callback runs after this returns. */
void instance_io_stop(struct instance_io *io);
void instance_io_fini(struct instance_io *io);

/* Watch fd for epoll events; fn(opaque, fd, events) runs on the I/O thread
 * unless inst is broken. -EEXIST if fd is already watched. */
int instance_io_watch(struct instance_io *io, struct volt_instance *inst, int fd,
		      uint32_t events, volt_fd_fn fn, void *opaque);
/* Stop watching fd (a no-op if it is not watched). */
void instance_io_unwatch(struct instance_io *io, int fd);
/* Unwatch everything inst watches (at destroy). */
void instance_io_unwatch_all(struct instance_io *io, struct volt_instance *inst);

#endif
