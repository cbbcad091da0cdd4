#include "loop/poll.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

uint64_t poll_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void poll_window_update(struct poll_window *w, uint64_t block_ns)
{
	if (!w->max_ns) {
		w->ns = 0;
	} else if (block_ns <= w->ns) {
		/* the event came inside the window: the sweet spot */
	} else if (block_ns > w->max_ns) {
		w->ns = 0;               /* we would have polled for nothing: stop */
	} else if (w->ns < w->max_ns) {
		w->ns = w->ns ? w->ns * 2 : POLL_NS_START;
		if (w->ns > w->max_ns)
			w->ns = w->max_ns;
	}
}

void poller_init(struct poller *p, uint64_t max_ns)
{
	memset(p, 0, sizeof(*p));
	p->window.max_ns = max_ns;
}

void poller_set_max(struct poller *p, uint64_t max_ns)
{
	p->window.max_ns = max_ns;
	if (p->window.ns > max_ns)
		p->window.ns = max_ns;
}

int poller_add(struct poller *p, const struct poll_handler *h)
{
	if (p->nhandlers >= POLL_HANDLERS_MAX)
		return -ENOSPC;
	p->handlers[p->nhandlers++] = *h;
	return 0;
}

void poller_del(struct poller *p, void *opaque)
{
	for (unsigned i = 0; i < p->nhandlers; i++) {
		if (p->handlers[i].opaque == opaque) {
			p->handlers[i] = p->handlers[--p->nhandlers];
			i--;
		}
	}
}

static bool poller_poll_once(struct poller *p)
{
	bool found = false;

	for (unsigned i = 0; i < p->nhandlers; i++)
		found |= p->handlers[i].poll(p->handlers[i].opaque);
	return found;
}

bool poller_end(struct poller *p)
{
	bool found = false;

	if (!p->active)
		return false;
	/* About to sleep: notifications back on, and one more look. */
	p->active = false;
	for (unsigned i = 0; i < p->nhandlers; i++)
		found |= p->handlers[i].end(p->handlers[i].opaque);
	return found;
}

/* Polls the handlers for up to the window and, between two looks, the
 * epoll set without blocking if there is one (epfd >= 0): a receive fd,
 * another queue's kick or a stop then need not wait for the window to end.
 * Returns epoll_wait's count if the set had events (polling stays on);
 * else 0, with *work true if a handler found work (polling stays on too). */
static int poller_spin(struct poller *p, uint64_t t0, int epfd, struct epoll_event *events,
		       int max, bool *work)
{
	int n;

	*work = false;
	if (!p->window.ns || !p->nhandlers)
		return 0;
	p->active = true;
	do {
		p->polls++;
		if (poller_poll_once(p)) {
			p->hits++;
			*work = true;
			return 0;
		}
		n = epfd >= 0 ? epoll_wait(epfd, events, max, 0) : 0;
		if (n)
			return n;
	} while (poll_now_ns() - t0 < p->window.ns &&
		 !(p->cancel && atomic_load_explicit(p->cancel, memory_order_relaxed)));
	return 0;
}

bool poller_run(struct poller *p, uint64_t t0)
{
	bool work;

	poller_spin(p, t0, -1, NULL, 0, &work);
	return work || poller_end(p);
}

/* After a blocking wait that began its turn at t0: adapt the window. */
static void poller_slept(struct poller *p, uint64_t t0)
{
	p->sleeps++;
	if (p->window.max_ns || p->window.ns)
		poll_window_update(&p->window, poll_now_ns() - t0);
}

int poller_wait(struct poller *p, int epfd, struct epoll_event *events, int max)
{
	uint64_t t0;
	bool work;
	int n;

	if (!p->nhandlers || (!p->window.max_ns && !p->active))
		return epoll_wait(epfd, events, max, -1);
	t0 = poll_now_ns();
	n = poller_spin(p, t0, epfd, events, max, &work);
	if (n)
		return n;
	if (work || poller_end(p))
		return epoll_wait(epfd, events, max, 0);
	n = epoll_wait(epfd, events, max, -1);
	poller_slept(p, t0);
	return n;
}
