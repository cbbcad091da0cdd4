/* A deferred call on the device's I/O thread: an eventfd that the device
 * writes (from any thread) and the I/O thread watches, and whose callback
 * runs under a lock, so a reset on a vCPU can wait for a call in progress
 * (lock, unlock) or keep it out while it changes what the call uses.
 * virtio-net has two: the data plane's start (activate asks, the I/O
 * thread starts it) and the rest of a transmit run that used up its
 * budget. */
#ifndef VOLT_PLUGIN_NET_WAKE_H
#define VOLT_PLUGIN_NET_WAKE_H

#include <pthread.h>
#include <stdbool.h>

struct net;

struct net_wake {
	int fd;                          /* the eventfd, or -1 */
	pthread_mutex_t lock;            /* held around fn */
	bool inited;
	void (*fn)(struct net *n);
	struct net *n;
};

/* Before anything can fail: nothing to close. */
void net_wake_preinit(struct net_wake *w);
/* Realize (before lockdown): the eventfd, watched, bound to the instance's
 * sandbox fd slot; `what` names it in an error. 0 or -errno (logged). */
int net_wake_init(struct net *n, struct net_wake *w, unsigned slot, void (*fn)(struct net *n),
		  const char *what);
/* Have the I/O thread call fn after the fds it has ready now. */
void net_wake_signal(const struct net_wake *w);
/* Keep fn out, after waiting for a call in progress: false (nothing
 * held) if the wake was never set up. */
bool net_wake_hold(struct net_wake *w);
void net_wake_release(struct net_wake *w);
/* Add one to an eventfd (a wake's, or a queue's kick fd). */
void net_wake_fd(int fd);
void net_wake_fini(struct net_wake *w);

#endif
