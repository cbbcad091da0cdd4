/* PIO and MMIO dispatch by address range.
 *
 * Ranges are registered before any vCPU runs and never change afterwards, so
 * vCPU threads look them up without a lock. An access that no range claims,
 * or that runs past the end of the range it starts in, is answered as an
 * empty bus would answer (reads all ones, writes dropped) and logged once
 * per address. */
#ifndef VOLT_BUS_BUS_H
#define VOLT_BUS_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Called on a vCPU thread. offset is relative to the range's base and
 * offset + len is within the range; data holds len bytes (1, 2, 4 or 8) to
 * write, or receives what is read. */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, uint8_t *data,
			      uint32_t len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t size;
	bus_access_fn access;
	void *opaque;
	const char *name;
};

#define BUS_UNCLAIMED_LOG_MAX 32

struct bus {
	const char *name;          /* "PIO" or "MMIO", for messages */
	struct bus_range *ranges;  /* sorted by base, non-overlapping */
	size_t nranges;
	pthread_mutex_t unclaimed_lock;
	uint64_t unclaimed_logged[BUS_UNCLAIMED_LOG_MAX];
	size_t nunclaimed;
};

void bus_init(struct bus *bus, const char *name);
void bus_fini(struct bus *bus);

/* Claim [base, base+size) for a device; -EEXIST if it overlaps a claimed range. */
int bus_register(struct bus *bus, uint64_t base, uint64_t size, bus_access_fn access,
		 void *opaque, const char *name, struct volt_err *err);

/* Dispatch one access. Returns true if a device claimed it. */
bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

/* The range that contains addr, or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr);

#endif
