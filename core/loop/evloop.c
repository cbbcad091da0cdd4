#include "loop/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

struct evloop_handler {
	int fd;
	bool dead;                  /* removed while a batch may still point at it */
	evloop_fn fn;
	void *opaque;
	struct evloop_handler *next;
};

static void evloop_on_stop(void *opaque, uint32_t events)
{
	struct evloop *loop = opaque;
	uint64_t v;

	if (read(loop->stop_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("event loop: reading the stop eventfd: %s", strerror(errno));
	loop->running = false;
}

int evloop_init(struct evloop *loop, struct volt_err *err)
{
	int r;

	memset(loop, 0, sizeof(*loop));
	loop->stop_efd = -1;
	poller_init(&loop->poller, 0);
	loop->poller.cancel = &loop->stop_requested;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return verr_set(err, errno, "event loop: epoll_create1: %s", strerror(errno));
	loop->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->stop_efd < 0) {
		int e = errno;

		close(loop->epfd);
		return verr_set(err, e, "event loop: eventfd: %s", strerror(e));
	}
	r = evloop_add(loop, loop->stop_efd, EPOLLIN, evloop_on_stop, loop, err);
	if (r) {
		/* Callers treat a failed init as nothing to tear down. */
		close(loop->stop_efd);
		close(loop->epfd);
		loop->stop_efd = loop->epfd = -1;
	}
	return r;
}

static void evloop_reap(struct evloop *loop)
{
	struct evloop_handler **pp = &loop->handlers;

	while (*pp) {
		struct evloop_handler *h = *pp;

		if (h->dead) {
			*pp = h->next;
			free(h);
		} else {
			pp = &h->next;
		}
	}
}

void evloop_fini(struct evloop *loop)
{
	for (struct evloop_handler *h = loop->handlers; h; h = h->next)
		h->dead = true;
	evloop_reap(loop);
	if (loop->stop_efd >= 0)
		close(loop->stop_efd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = loop->stop_efd = -1;
}

int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn, void *opaque,
	       struct volt_err *err)
{
	struct evloop_handler *h = calloc(1, sizeof(*h));
	struct epoll_event ev = { .events = events };

	if (!h)
		return verr_set(err, ENOMEM, "event loop: out of memory");
	*h = (struct evloop_handler){ .fd = fd, .fn = fn, .opaque = opaque, .next = loop->handlers };
	ev.data.ptr = h;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		free(h);
		return verr_set(err, e, "event loop: watching fd %d: %s", fd, strerror(e));
	}
	loop->handlers = h;
	return 0;
}

void evloop_del(struct evloop *loop, int fd)
{
	for (struct evloop_handler *h = loop->handlers; h; h = h->next) {
		if (h->fd == fd && !h->dead) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			h->dead = true;
		}
	}
}

int evloop_mod(struct evloop *loop, int fd, uint32_t events)
{
	for (struct evloop_handler *h = loop->handlers; h; h = h->next) {
		if (h->fd == fd && !h->dead) {
			struct epoll_event ev = { .events = events, .data.ptr = h };

			return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
		}
	}
	errno = ENOENT;
	return -1;
}

int evloop_add_poll(struct evloop *loop, const struct poll_handler *h, struct volt_err *err)
{
	if (poller_add(&loop->poller, h))
		return verr_set(err, ENOSPC, "event loop: more than %d poll handlers",
				POLL_HANDLERS_MAX);
	return 0;
}

void evloop_del_poll(struct evloop *loop, void *opaque)
{
	poller_del(&loop->poller, opaque);
}

void evloop_set_poll_max(struct evloop *loop, uint64_t max_ns)
{
	poller_set_max(&loop->poller, max_ns);
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event events[16];

	loop->running = !atomic_load(&loop->stop_requested);
	while (loop->running) {
		/* With poll handlers and a maximum window, poll first: a kick
		 * may then be picked up without the thread ever sleeping. */
		int n = poller_wait(&loop->poller, loop->epfd, events, 16);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("event loop: epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct evloop_handler *h = events[i].data.ptr;

			if (!h->dead)
				h->fn(h->opaque, events[i].events);
		}
		evloop_reap(loop);
	}
	return atomic_load(&loop->status);
}

void evloop_stop_async(struct evloop *loop, int status)
{
	uint64_t one = 1;
	bool expected = false;

	if (!atomic_compare_exchange_strong(&loop->stop_claimed, &expected, true))
		return;
	/* status first: evloop_run may see stop_requested before it ever
	 * waits, and returns status at once. */
	atomic_store(&loop->status, status);
	atomic_store(&loop->stop_requested, true);
	if (write(loop->stop_efd, &one, sizeof(one)) < 0)
		return; /* the counter cannot overflow from one write; nothing to do */
}
