#include "devices/boot_timer.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <time.h>

#include "util/log.h"
#include "vm/layout.h"

#define BOOT_TIMER_POST_PORT 0x80
/* Writes logged at info; the rest at debug, so a guest writing the port in
 * a loop cannot fill the host's log. Boot markers are the first few. */
#define BOOT_TIMER_INFO_WRITES 16

static uint64_t boot_timer_start_ns;
static _Atomic unsigned boot_timer_writes;

uint64_t boot_timer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void boot_timer_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write)
{
	uint64_t now = boot_timer_now_ns();
	uint32_t value = 0;
	unsigned n;

	if (!is_write) {
		for (uint32_t i = 0; i < len; i++)
			data[i] = 0;
		return;
	}
	for (uint32_t i = 0; i < len && i < 4; i++)
		value |= (uint32_t)data[i] << (8 * i);
	n = atomic_fetch_add(&boot_timer_writes, 1);
	if (n == BOOT_TIMER_INFO_WRITES)
		log_info("boot-timer: further guest writes are logged at debug level only");
	/* Info level and a fixed format: benchmarks parse this line. */
	log_msg(n < BOOT_TIMER_INFO_WRITES ? LOG_INFO : LOG_DEBUG, "boot-timer: guest wrote 0x%x at "
		"%" PRIu64 " us after volt started (monotonic %" PRIu64 " ns)", value,
		(now - boot_timer_start_ns) / 1000, now);
}

static void boot_timer_post_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
				   bool is_write)
{
	if (!is_write)
		for (uint32_t i = 0; i < len; i++)
			data[i] = 0xff;
}

int boot_timer_create(struct vm *vm, uint64_t start_ns, struct volt_err *err)
{
	int r;

	boot_timer_start_ns = start_ns;
	atomic_store(&boot_timer_writes, 0);
	r = bus_register(&vm->pio, LAYOUT_BOOT_TIMER_PORT, 4, boot_timer_access, NULL, "boot timer", err);
	if (!r)
		r = bus_register(&vm->pio, BOOT_TIMER_POST_PORT, 1, boot_timer_post_access, NULL,
				 "POST port", err);
	return r;
}
