#include "net_wake.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net.h"

void net_wake_preinit(struct net_wake *w)
{
	w->fd = -1;
	w->inited = false;
}

/* I/O thread: the eventfd was written. */
static void net_wake_on_fd(void *opaque, int fd, uint32_t events)
{
	struct net_wake *w = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		return; /* EAGAIN: a call already took it */
	pthread_mutex_lock(&w->lock);
	w->fn(w->n);
	pthread_mutex_unlock(&w->lock);
}

int net_wake_init(struct net *n, struct net_wake *w, unsigned slot, void (*fn)(struct net *n),
		  const char *what)
{
	int r;

	w->n = n;
	w->fn = fn;
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0) {
		r = -errno;
		n->host->log(n->inst, VOLT_LOG_ERROR, "eventfd for %s: %s", what, strerror(-r));
		return r;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->inited = true;
	r = n->host->fd_watch(n->inst, w->fd, EPOLLIN, net_wake_on_fd, w);
	if (!r)
		r = n->host->sandbox_bind_fd(n->inst, slot, w->fd);
	if (r)
		n->host->log(n->inst, VOLT_LOG_ERROR, "setting up the eventfd for %s: %s", what,
			     strerror(-r));
	return r;
}

void net_wake_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* Only a full counter fails, and it is readable already. */
	}
}

void net_wake_signal(const struct net_wake *w)
{
	net_wake_fd(w->fd);
}

bool net_wake_hold(struct net_wake *w)
{
	if (!w->inited)
		return false;
	pthread_mutex_lock(&w->lock);
	return true;
}

void net_wake_release(struct net_wake *w)
{
	pthread_mutex_unlock(&w->lock);
}

void net_wake_fini(struct net_wake *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->inited)
		pthread_mutex_destroy(&w->lock);
	w->inited = false;
}
