/* The main thread's event loop: epoll over registered fds, each with a
 * callback. Only the main thread calls into it, except evloop_stop_async(),
 * which any thread may call. */
#ifndef VOLT_LOOP_EVLOOP_H
#define VOLT_LOOP_EVLOOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "loop/poll.h"
#include "util/err.h"

typedef void (*evloop_fn)(void *opaque, uint32_t events);

struct evloop_handler;

struct evloop {
	int epfd;
	int stop_efd;               /* eventfd: any thread asks the loop to stop */
	atomic_int status;          /* exit status of the first stop request */
	atomic_bool stop_claimed;   /* a first request came (it sets status) */
	atomic_bool stop_requested; /* ... and status is set: the loop may stop */
	bool running;
	struct evloop_handler *handlers;   /* all registered, for cleanup */
	struct poller poller;       /* adaptive polling before each sleep (loop/poll.h) */
};

int evloop_init(struct evloop *loop, struct volt_err *err);
void evloop_fini(struct evloop *loop);

/* Watch fd for events (EPOLLIN ...); fn runs on the main thread. */
int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn, void *opaque,
	       struct volt_err *err);
void evloop_del(struct evloop *loop, int fd);

/* Change the events a watched fd waits for (0: none for now, EPOLLHUP and
 * EPOLLERR still arrive). Main thread only. */
int evloop_mod(struct evloop *loop, int fd, uint32_t events);

/* Poll handlers (loop/poll.h), run on the loop's thread before it sleeps.
 * Set them up before the loop runs and remove them after it stopped; the
 * maximum window is 0 (no polling) until evloop_set_poll_max. */
int evloop_add_poll(struct evloop *loop, const struct poll_handler *h, struct volt_err *err);
void evloop_del_poll(struct evloop *loop, void *opaque);
void evloop_set_poll_max(struct evloop *loop, uint64_t max_ns);

/* Run until a stop is requested; returns the status given to the first stop. */
int evloop_run(struct evloop *loop);

/* Ask the loop to stop with status; the first request wins. Thread-safe and
 * async-signal-safe. */
void evloop_stop_async(struct evloop *loop, int status);

#endif
