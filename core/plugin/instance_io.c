#include "plugin/instance_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "plugin/instance.h"

#define INSTANCE_IO_BATCH 16

static void instance_io_reap(struct instance_io *io)
{
	struct instance_watch **pp = &io->watches;

	while (*pp) {
		struct instance_watch *w = *pp;

		if (w->dead) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static void instance_io_drop(struct instance_io *io, struct instance_watch *w);

/* I/O thread: the nested epoll set is ready. A broken instance's fds are
 * dropped, not skipped: nobody would drain them, and a level-triggered
 * fd left in the set would keep the thread from ever sleeping. */
static void instance_io_dispatch(void *opaque, uint32_t events)
{
	struct instance_io *io = opaque;
	struct epoll_event ev[INSTANCE_IO_BATCH];
	int n = epoll_wait(io->epfd, ev, INSTANCE_IO_BATCH, 0);

	for (int i = 0; i < n; i++) {
		struct instance_watch *w = ev[i].data.ptr;
		struct instance_watch call;

		pthread_mutex_lock(&io->lock);
		if (!w->dead && instance_is_broken(w->inst))
			instance_io_drop(io, w);
		call = *w;
		pthread_mutex_unlock(&io->lock);
		if (!call.dead)
			call.fn(call.opaque, call.fd, ev[i].events);
	}
	pthread_mutex_lock(&io->lock);
	instance_io_reap(io);
	pthread_mutex_unlock(&io->lock);
}

int instance_io_init(struct instance_io *io, const char *name, struct volt_err *err)
{
	int r;

	memset(io, 0, sizeof(*io));
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (io->epfd < 0)
		return verr_set(err, errno, "I/O thread %s: epoll_create1: %s", name,
				strerror(errno));
	r = iothread_init(&io->thread, name, err);
	if (r) {
		close(io->epfd);
		return r;
	}
	r = evloop_add(&io->thread.loop, io->epfd, EPOLLIN, instance_io_dispatch, io, err);
	if (r) {
		iothread_fini(&io->thread);
		close(io->epfd);
		return r;
	}
	pthread_mutex_init(&io->lock, NULL);
	io->inited = true;
	return 0;
}

int instance_io_start(struct instance_io *io, struct volt_err *err)
{
	return iothread_start(&io->thread, err);
}

void instance_io_stop(struct instance_io *io)
{
	if (io->inited)
		iothread_stop(&io->thread);
}

void instance_io_fini(struct instance_io *io)
{
	if (!io->inited)
		return;
	iothread_fini(&io->thread);
	for (struct instance_watch *w = io->watches; w; w = w->next)
		w->dead = true;
	instance_io_reap(io);
	close(io->epfd);
	pthread_mutex_destroy(&io->lock);
	io->inited = false;
}

/* A watch of (inst, fd) that was removed but not yet freed: the I/O thread
 * frees dead watches only after a batch of events, so a guest that makes
 * a plugin watch and unwatch an idle fd over and over (reset, DRIVER_OK)
 * would otherwise grow the list without bound. */
static struct instance_watch *instance_io_find_dead(struct instance_io *io,
						    const struct volt_instance *inst, int fd)
{
	for (struct instance_watch *w = io->watches; w; w = w->next)
		if (w->dead && w->inst == inst && w->fd == fd)
			return w;
	return NULL;
}

int instance_io_watch(struct instance_io *io, struct volt_instance *inst, int fd,
		      uint32_t events, volt_fd_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct instance_watch *w;
	bool reused;
	int r = 0;

	pthread_mutex_lock(&io->lock);
	w = instance_io_find_dead(io, inst, fd);
	reused = w != NULL;
	if (!w && !(w = calloc(1, sizeof(*w)))) {
		pthread_mutex_unlock(&io->lock);
		return -ENOMEM;
	}
	/* A reused record keeps its address: an event of its old life still
	 * in the I/O thread's batch then calls the new callback once, which a
	 * callback on a non-blocking fd must bear anyway. */
	w->inst = inst;
	w->fd = fd;
	w->fn = fn;
	w->opaque = opaque;
	ev.data.ptr = w;
	if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		if (!reused)
			free(w);
	} else if (reused) {
		w->dead = false;
	} else {
		w->next = io->watches;
		io->watches = w;
	}
	pthread_mutex_unlock(&io->lock);
	return r;
}

static void instance_io_drop(struct instance_io *io, struct instance_watch *w)
{
	/* The fd may already be closed, which removed it from the set. */
	epoll_ctl(io->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
}

void instance_io_unwatch(struct instance_io *io, int fd)
{
	pthread_mutex_lock(&io->lock);
	for (struct instance_watch *w = io->watches; w; w = w->next)
		if (w->fd == fd && !w->dead)
			instance_io_drop(io, w);
	pthread_mutex_unlock(&io->lock);
}

void instance_io_unwatch_all(struct instance_io *io, struct volt_instance *inst)
{
	if (!io->inited)
		return;
	pthread_mutex_lock(&io->lock);
	for (struct instance_watch *w = io->watches; w; w = w->next)
		if (w->inst == inst && !w->dead)
			instance_io_drop(io, w);
	pthread_mutex_unlock(&io->lock);
}
