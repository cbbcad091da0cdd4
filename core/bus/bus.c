#include "bus/bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_mutex_init(&bus->unclaimed_lock, NULL);
}

void bus_fini(struct bus *bus)
{
	free(bus->ranges);
	pthread_mutex_destroy(&bus->unclaimed_lock);
	memset(bus, 0, sizeof(*bus));
}

static bool bus_overlaps(const struct bus_range *r, uint64_t base, uint64_t size)
{
	return base < r->base + r->size && r->base < base + size;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t size, bus_access_fn access,
		 void *opaque, const char *name, struct volt_err *err)
{
	struct bus_range *grown;
	size_t pos = 0;

	if (size == 0 || base + size < base)
		return verr_set(err, EINVAL, "%s bus: %s: invalid range 0x%" PRIx64 "+0x%" PRIx64,
				bus->name, name, base, size);
	for (size_t i = 0; i < bus->nranges; i++) {
		const struct bus_range *r = &bus->ranges[i];

		if (bus_overlaps(r, base, size))
			return verr_set(err, EEXIST,
					"%s bus: %s at 0x%" PRIx64 "+0x%" PRIx64 " overlaps %s at 0x%" PRIx64 "+0x%" PRIx64,
					bus->name, name, base, size, r->name, r->base, r->size);
		if (r->base < base)
			pos = i + 1;
	}
	grown = realloc(bus->ranges, (bus->nranges + 1) * sizeof(*grown));
	if (!grown)
		return verr_set(err, ENOMEM, "%s bus: out of memory registering %s", bus->name, name);
	bus->ranges = grown;
	memmove(&grown[pos + 1], &grown[pos], (bus->nranges - pos) * sizeof(*grown));
	grown[pos] = (struct bus_range){ base, size, access, opaque, name };
	bus->nranges++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* Log the first access to each unclaimed address, up to a bound, so a guest
 * probing hardware we do not have leaves a trace without flooding the log. */
static void bus_log_unclaimed(struct bus *bus, uint64_t addr, uint32_t len, bool is_write)
{
	bool first = true;

	pthread_mutex_lock(&bus->unclaimed_lock);
	for (size_t i = 0; i < bus->nunclaimed; i++)
		if (bus->unclaimed_logged[i] == addr)
			first = false;
	if (first && bus->nunclaimed < BUS_UNCLAIMED_LOG_MAX) {
		bus->unclaimed_logged[bus->nunclaimed++] = addr;
		log_info("%s bus: unclaimed %u-byte %s at 0x%" PRIx64 "%s", bus->name, len,
			 is_write ? "write" : "read", addr,
			 bus->nunclaimed == BUS_UNCLAIMED_LOG_MAX ?
				 " (further unclaimed addresses are not logged)" : "");
	}
	pthread_mutex_unlock(&bus->unclaimed_lock);
}

bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct bus_range *r = bus_find(bus, addr);

	/* A handler sees only accesses wholly inside its range, so no device,
	 * a plugin's included, must check offset + len itself: one that runs
	 * past the end (a 4-byte IN at a range's last port) is unclaimed. */
	if (r && len > r->size - (addr - r->base))
		r = NULL;
	if (!r) {
		if (!is_write)
			memset(data, 0xff, len);
		bus_log_unclaimed(bus, addr, len, is_write);
		return false;
	}
	r->access(r->opaque, addr - r->base, data, len, is_write);
	return true;
}
