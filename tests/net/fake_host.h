/* A fake host API for the virtio-net and backend unit tests: the plugins'
 * sources are compiled into the test and driven in-process. Configuration
 * keys are set by the test (else the plugin's declared defaults); log lines
 * are kept; each queue is a FIFO of chains the test (the "driver") makes
 * available, and what the device returns through it is recorded; fd watches
 * are recorded and their callbacks run when the test says. A queue's
 * notifications are on (notify_on) from the device finding it empty until
 * it takes the next chain, as with the core's virtqueues. */
#ifndef VOLT_TEST_NET_FAKE_HOST_H
#define VOLT_TEST_NET_FAKE_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <volt/volt.h>

#define FAKE_QUEUES   2
#define FAKE_ELEMS    64
#define FAKE_USED     1024
#define FAKE_WATCHES  8
#define FAKE_KEYS     16

struct fake_used {
	uint16_t head;
	uint32_t written;
};

struct fake_vq {
	struct volt_vq_elem *elems;   /* FAKE_ELEMS, a ring */
	unsigned first, count;
	struct fake_used used[FAKE_USED];
	unsigned nused;
	unsigned notifies;
	int pop_error;                /* returned by vq_pop when set */
	bool notify_on;               /* the device asked to be notified */
	uint16_t size;
	int kick_fd, call_fd;
};

struct fake_watch {
	int fd;
	uint32_t events;
	volt_fd_fn fn;
	void *opaque;
	bool on;
};

struct fake_host;

struct volt_instance {
	struct fake_host *fh;
};

struct fake_host {
	struct volt_host_api api;
	struct volt_instance inst;
	const struct volt_plugin_desc *desc;
	const char *keys[FAKE_KEYS], *values[FAKE_KEYS];
	unsigned nkeys;
	char log[16384];
	size_t loglen;
	struct fake_vq vq[FAKE_QUEUES];
	struct fake_watch watch[FAKE_WATCHES];
	unsigned watches, unwatches;
	int slots[VOLT_FD_SLOTS];
	char broken[512];
	struct volt_net_port port;
	bool has_port;
	struct volt_mem_region regions[2];
	unsigned nregions;
	/* Called after the device takes a chain (a driver refilling, say). */
	void (*on_pop)(struct fake_host *fh, unsigned queue);
};

/* A host for the plugin `desc` (its keys' defaults apply). */
struct fake_host *fake_host_new(const struct volt_plugin_desc *desc);
void fake_host_free(struct fake_host *fh);

void fake_host_set(struct fake_host *fh, const char *key, const char *value);

/* The driver makes a chain available: `nout` readable then `nin` writable
 * segments, from iov. Returns its head. */
uint16_t fake_vq_add(struct fake_host *fh, unsigned queue, const struct iovec *iov,
		     unsigned nout, unsigned nin);

/* The watch of fd, or NULL if fd is not watched. */
struct fake_watch *fake_watched(struct fake_host *fh, int fd);

/* Run fd's callback once if it is watched; true if it ran. */
bool fake_fire(struct fake_host *fh, int fd);

bool fake_log_has(const struct fake_host *fh, const char *text);

#endif
