/* Adaptive polling before an event loop sleeps, as QEMU's IOThreads do
 * (util/aio-posix.c, "poll-max-ns"): instead of blocking in epoll_wait at
 * once, the loop runs its poll handlers for up to a window of time; a
 * handler that finds work (a virtqueue's driver added buffers) runs it,
 * and the loop goes round without sleeping. While a handler polls, it
 * tells the driver not to notify; before the loop sleeps it asks for
 * notifications again and looks once more, so nothing made available in
 * between is missed.
 *
 * The window adapts to the traffic: it starts at 0 (an idle VM burns no
 * CPU), grows (from 4 us, doubling, up to the maximum) when an event
 * arrived within the maximum after the loop went to sleep, and drops back
 * to 0 when the loop slept longer than the maximum. Maximum 0: never poll.
 *
 * Single-threaded: one poller belongs to one loop's thread. */
#ifndef VOLT_LOOP_POLL_H
#define VOLT_LOOP_POLL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define POLL_NS_START       4000ULL   /* QEMU's first step up from 0 */
#define POLL_HANDLERS_MAX   4

/* A poll handler (both hooks run on the loop's thread).
 * poll: suppress notifications if not yet done, look for work and run it;
 *   true if it found some.
 * end: the loop is about to sleep: ask for notifications again, look once
 *   more, and run what arrived meanwhile; true if it found some. */
struct poll_handler {
	bool (*poll)(void *opaque);
	bool (*end)(void *opaque);
	void *opaque;
};

struct poll_window {
	uint64_t ns;       /* current window, 0 .. max_ns */
	uint64_t max_ns;   /* 0: polling off */
};

struct poller {
	struct poll_window window;
	struct poll_handler handlers[POLL_HANDLERS_MAX];
	unsigned nhandlers;
	const atomic_bool *cancel; /* if set and true: stop polling (the loop is stopping) */
	bool active;       /* handlers were polled since the last end */
	uint64_t polls, hits, sleeps;  /* counters, for tests and benchmarks */
};

/* CLOCK_MONOTONIC in ns (the vDSO: no syscall on the usual clocksources). */
uint64_t poll_now_ns(void);

/* The window after a wait of block_ns (from the loop's turn start to the
 * end of its blocking wait): QEMU's adjust_polling_time with grow 2 and
 * shrink to 0. */
void poll_window_update(struct poll_window *w, uint64_t block_ns);

void poller_init(struct poller *p, uint64_t max_ns);
void poller_set_max(struct poller *p, uint64_t max_ns);
/* -ENOSPC beyond POLL_HANDLERS_MAX. */
int poller_add(struct poller *p, const struct poll_handler *h);
void poller_del(struct poller *p, void *opaque);

/* Before the loop sleeps; t0 is its turn's start (poll_now_ns). Polls the
 * handlers for up to the window; if nothing turns up, ends polling (each
 * handler re-enables notifications and looks once more). True if work was
 * found and run: the loop must then not block. */
bool poller_run(struct poller *p, uint64_t t0);

/* End polling now if it is on (each handler's end); true if work was
 * found and run. */
bool poller_end(struct poller *p);

struct epoll_event;
/* One turn of an epoll loop with polling: poll the handlers and, between
 * two looks, the epoll set without blocking (so an fd's event does not
 * wait for the window to end); return at the first work or event found
 * (polling stays on); else end polling, block, and adapt the window to how
 * long it slept.
 * Without handlers or a maximum it is a plain blocking epoll_wait (no
 * clock read). Returns what epoll_wait returns. */
int poller_wait(struct poller *p, int epfd, struct epoll_event *events, int max);

#endif
