/* Frames between the queues and the backend, on the device's I/O thread.
 *
 * TX: every chain the guest made available is sent (or lost, counted) and
 * returned; the returns are published (and the guest interrupted, if it
 * asked) every few chains (NET_TX_PUBLISH*) and at the end of the batch.
 * A run ends after NET_TX_BUDGET chains or NET_TX_BUDGET_BYTES, so a guest
 * that keeps its transmit ring full cannot hold the I/O thread, and with
 * it the rx fd, for ever. The chains left have notifications suppressed
 * (and poll_us may be 0), so the device comes back on its own: it writes
 * tx_wake, and the thread runs the rest after the other fds it has ready.
 * That run is outside queue_notify, so its queue calls take the
 * transport's lock each, and the transport does not wait for it; the
 * device's reset does (net_io_tx_quiesce), so no chain is read
 * once the guest's reset returns; the transport drops the push of a chain
 * taken before a reset or a queue disable (which no hook reports: the
 * one chain in hand may still be sent after it).
 * RX: returns are published once per wake-up, and after any large frame
 * (NET_RX_PUBLISH_BYTES), never inside a frame, so a frame's merged
 * buffers reach the guest together (Linux drops a frame whose buffers it
 * cannot all see). The backend's rx fd is watched while the guest has
 * receive buffers. When they run out, the fd is no longer watched (epoll
 * would otherwise wake the thread again and again for a frame it cannot
 * deliver) until the guest adds buffers and notifies the receive queue.
 * A receive run holds rx_lock and stops at its next frame once a reset
 * clears `active`; the reset waits for it (net_io_rx_quiesce), so no
 * frame lands in a buffer taken before the reset once the guest's reset
 * returns. Each fill takes at most NET_RX_FILL_MAX_POPS chains, so a guest
 * that keeps posting chains no frame fits cannot hold the thread. A frame
 * the backend fails to give is lost and the run goes on; only a run of
 * such failures (a dead fd) stops receive, until the guest's reset. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/epoll.h>

#include "net.h"

#define NET_RX_BUDGET 64 /* frames per wake-up, so TX gets its turn */
/* Backend errors in a row (no frame, and no "nothing waiting", between)
 * that make a dead fd rather than lost frames: below one wake-up's budget,
 * so a dead fd is found in the wake-up it first fails. */
#define NET_RX_MAX_ERRORS 16
/* Errors of another kind (a frame the backend could not describe, which it
 * has dropped) end receive only after this many in a row, which no run of
 * bad frames reaches but a backend failing without taking a frame, and so
 * readable for ever, reaches within a few wake-ups. */
#define NET_RX_MAX_FRAME_ERRORS 1024
/* Chains, or bytes of them, per transmit run, so RX gets its turn. The
 * chains are vhost-net's weight (VHOST_NET_PKT_WEIGHT), after which it
 * requeues its own work as this does through tx_wake. Its byte weight
 * (VHOST_NET_WEIGHT, 512 KiB) is 8 TSO frames, and coming back costs us
 * three syscalls (vhost a list insert): 4 MiB is RX's own bound for
 * those frames (NET_RX_BUDGET of 64 KiB), and about the time 256 small
 * frames take. Measured in docs/benchmarks.md. */
#define NET_TX_BUDGET 256
#define NET_TX_BUDGET_BYTES (4u << 20)
/* Transmitted chains are published back to the guest every NET_TX_PUBLISH
 * chains, or sooner once NET_TX_PUBLISH_BYTES of frames wait. Linux asks for
 * its transmit interrupt when 3/4 of what it has outstanding is used
 * (virtqueue_enable_cb_delayed), and TCP Small Queues can leave it only 16
 * TSO frames out: returns held for a long batch (64 chains, as vhost-net's
 * VHOST_NET_BATCH) made it wait for the whole batch, and the device then sat
 * idle while it woke up. Whether a publish interrupts is the guest's choice
 * (its used_event with EVENT_IDX, which Linux negotiates; else its
 * NO_INTERRUPT flag), so publishing often costs a few stores, not
 * interrupts. Measured in docs/benchmarks.md. */
#define NET_TX_PUBLISH 4
#define NET_TX_PUBLISH_BYTES (32 * 1024)
/* A received frame this large (a GSO frame) is published at once: 64 KiB
 * frames use up the receive ring in a dozen frames, and the guest refills
 * it only as it takes them. Smaller frames keep one publish, and so at most
 * one interrupt, per wake-up: publishing each costs the guest an interrupt
 * per frame (NAPI re-arms after every poll that runs dry). */
#define NET_RX_PUBLISH_BYTES (16 * 1024)

static void net_tx_event(struct net *n, enum net_event ev, int err)
{
	const struct net_tx_frame *f = &n->tx_frame;

	if (!net_stats_count(&n->stats, ev))
		return;
	if (ev == NET_TX_BACKEND_ERROR)
		n->host->log(n->inst, VOLT_LOG_WARN, "transmit: sending to %s: %s; further ones "
			     "are counted, not logged", net_backend_name(n), strerror(-err));
	else if (ev == NET_TX_NO_READABLE || ev == NET_TX_SHORT_HDR)
		n->host->log(n->inst, VOLT_LOG_WARN, "transmit: chain dropped: %s (%zu readable "
			     "bytes); further ones are counted, not logged", net_event_text(ev),
			     f->chain_len);
	else
		n->host->log(n->inst, VOLT_LOG_WARN, "transmit: frame dropped: %s (%zu-byte frame, "
			     "gso_type %u, flags 0x%x); further ones are counted, not logged",
			     net_event_text(ev), f->frame_len, f->hdr.gso_type, f->hdr.flags);
}

void net_io_tx(struct net *n)
{
	struct net_tx_limits lim;
	unsigned waiting = 0;   /* chains pushed, not yet published */
	uint64_t bytes = 0;     /* their readable bytes */
	unsigned chains = 0;    /* this run's, against the budget */
	uint64_t run_bytes = 0;
	bool more = false;

	net_tx_limits_init(&lim, atomic_load(&n->features), n->mtu);
	while (!more && n->host->vq_pop(n->inst, NET_QUEUE_TX, &n->tx_elem) == 1) {
		int err;
		enum net_event ev = net_tx_send(&n->tx_elem, &lim, &n->port, &n->tx_frame, &err);

		if (ev == NET_OK) {
			n->stats.tx_frames++;
			n->stats.tx_bytes += n->tx_frame.frame_len;
		} else {
			net_tx_event(n, ev, err);
		}
		n->host->vq_push(n->inst, NET_QUEUE_TX, &n->tx_elem, 0);
		waiting++;
		bytes += n->tx_elem.out_len;
		if (waiting >= NET_TX_PUBLISH || bytes >= NET_TX_PUBLISH_BYTES) {
			n->host->vq_notify(n->inst, NET_QUEUE_TX);
			waiting = 0;
			bytes = 0;
		}
		run_bytes += n->tx_elem.out_len;
		more = ++chains >= NET_TX_BUDGET || run_bytes >= NET_TX_BUDGET_BYTES;
	}
	/* Else vq_pop found the queue empty (notifications are on again),
	 * was turned away (a reset or queue change: the transport kicks
	 * again if it must), or the driver broke the ring (the core has
	 * flagged the device). */
	if (waiting)
		n->host->vq_notify(n->inst, NET_QUEUE_TX);
	if (more)
		net_wake_signal(&n->tx_wake); /* back after the other fds */
}

/* I/O thread, under tx_wake's lock: the rest of a transmit run that used
 * up its budget. */
static void net_io_tx_on_wake(struct net *n)
{
	if (atomic_load(&n->active))
		net_io_tx(n);
}

void net_io_tx_quiesce(struct net *n)
{
	/* active is false: a run that had begun ends at its next vq_pop,
	 * which the transport answers "empty" after its reset; one that
	 * has not begun does nothing. */
	if (net_wake_hold(&n->tx_wake))
		net_wake_release(&n->tx_wake);
}

int net_io_init(struct net *n)
{
	return net_wake_init(n, &n->tx_wake, NET_FD_SLOT_TX, net_io_tx_on_wake, "transmit");
}

void net_io_fini(struct net *n)
{
	net_wake_fini(&n->tx_wake);
}

static void net_on_rx_fd(void *opaque, int fd, uint32_t events)
{
	net_io_rx(opaque);
}

void net_io_rx_arm(struct net *n)
{
	int r;

	if (n->rx_fd < 0 || atomic_exchange(&n->rx_armed, true))
		return;
	r = n->host->fd_watch(n->inst, n->rx_fd, EPOLLIN, net_on_rx_fd, n);
	if (r && r != -EEXIST) {
		atomic_store(&n->rx_armed, false);
		n->host->device_broken(n->inst, "watching %s's fd: %s", net_backend_name(n),
				       strerror(-r));
	}
}

void net_io_rx_disarm(struct net *n)
{
	if (n->rx_fd < 0)
		return;
	n->host->fd_unwatch(n->inst, n->rx_fd);
	atomic_store(&n->rx_armed, false);
}

/* A reset since the stash was filled: its chains are gone. */
static void net_rx_check_gen(struct net *n)
{
	unsigned gen = atomic_load(&n->gen);

	if (gen != n->rx_gen) {
		net_rx_forget(&n->rx);
		n->rx_errors = 0;
		n->rx_gen = gen;
	}
}

/* One frame from the backend into the stash's buffers (net_rx_one), and a
 * large one published at once (NET_RX_PUBLISH_BYTES). */
static int net_io_rx_frame(struct net *n, const struct net_rx_limits *lim)
{
	uint64_t before = n->stats.rx_bytes;
	int r = net_rx_one(&n->rx, lim, &n->port, &n->stats);

	if (r > 0 && n->stats.rx_bytes - before >= NET_RX_PUBLISH_BYTES)
		n->host->vq_notify(n->inst, NET_QUEUE_RX);
	return r;
}

/* Errors that say the fd itself is gone (the tap deleted: -EBADFD), not
 * that one frame was bad. */
static bool net_rx_error_dead_fd(int err)
{
	return err == -EBADFD || err == -EBADF || err == -EIO || err == -ENODEV || err == -ENXIO;
}

/* The backend could not give a frame: that frame is lost (counted), and
 * the run goes on. Stopping instead would leave the fd unwatched until the
 * guest's next receive notification, which a guest with a full receive
 * ring never sends: one error (tun's -EINVAL for an skb it cannot describe
 * in a vnet header, which it has consumed) would end receive for good.
 * NET_RX_MAX_ERRORS dead-fd errors in a row, though, are a dead fd, which
 * stays readable and would keep the thread busy: the fd is dropped and the
 * device marked broken (Linux never resets a device for that, so only for
 * a fd that cannot recover; other errors need NET_RX_MAX_FRAME_ERRORS).
 * True if the run must stop. */
static bool net_io_rx_failed(struct net *n, int err)
{
	unsigned max = net_rx_error_dead_fd(err) ? NET_RX_MAX_ERRORS : NET_RX_MAX_FRAME_ERRORS;

	if (net_stats_count(&n->stats, NET_RX_BACKEND_ERROR))
		n->host->log(n->inst, VOLT_LOG_WARN, "receive: reading from %s: %s; the frame "
			     "is lost; further ones are counted, not logged", net_backend_name(n),
			     strerror(-err));
	if (++n->rx_errors < max)
		return false;
	net_io_rx_disarm(n);
	n->host->device_broken(n->inst, "receive: reading from %s failed %u times in a row, "
			       "last with: %s", net_backend_name(n), n->rx_errors, strerror(-err));
	return true;
}

/* Under rx_lock. A reset stops the run at its next frame (active), and
 * net_io_rx_quiesce waits for that: after the guest's reset no frame is
 * written into a buffer taken before it. */
static void net_io_rx_run(struct net *n)
{
	struct net_rx_limits lim;
	unsigned pushes = n->rx.pushes;

	net_rx_check_gen(n);
	net_rx_limits_init(&lim, atomic_load(&n->features), n->mtu);
	for (int i = 0; i < NET_RX_BUDGET && atomic_load(&n->active); i++) {
		int r = net_rx_fill(&n->rx, &lim, &n->stats);

		if (r < 0) {
			/* The ring is broken: the device waits for a reset, which
			 * watches the fd again at activation. Left watched, a
			 * waiting frame nobody reads would wake the thread for ever. */
			net_io_rx_disarm(n);
			break;
		}
		if (r == NET_RX_FILL_MORE)
			break; /* a guest posting unusable chains: the fd brings us back */
		if (!net_rx_ready(&n->rx, &lim)) {
			/* The queue is empty and notifications are on again: the
			 * guest's next buffer brings us back (net_io_rx_arm). */
			net_io_rx_disarm(n);
			break;
		}
		r = net_io_rx_frame(n, &lim);
		if (r >= 0)
			n->rx_errors = 0;
		if (r == 0 || (r < 0 && net_io_rx_failed(n, r)))
			break;
	}
	/* Frames, and chains returned unused: the guest sees them now, each
	 * frame's buffers together (vq_notify publishes what is pushed; a
	 * publish after a large frame above left nothing, or later frames). */
	if (n->rx.pushes != pushes)
		n->host->vq_notify(n->inst, NET_QUEUE_RX);
}

void net_io_rx(struct net *n)
{
	if (!atomic_load(&n->active))
		return;
	pthread_mutex_lock(&n->rx_lock);
	net_io_rx_run(n);
	pthread_mutex_unlock(&n->rx_lock);
}

void net_io_rx_quiesce(struct net *n)
{
	pthread_mutex_lock(&n->rx_lock);
	pthread_mutex_unlock(&n->rx_lock);
}
