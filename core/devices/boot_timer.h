/* The boot-timer port: a guest write there logs the time since volt
 * started, so boot latency can be measured from inside the guest. Port 0x80
 * (POST codes, used by Linux for I/O delays) is claimed beside it and
 * ignored. */
#ifndef VOLT_DEVICES_BOOT_TIMER_H
#define VOLT_DEVICES_BOOT_TIMER_H

#include <stdint.h>

#include "util/err.h"
#include "vm/vm.h"

/* start_ns: CLOCK_MONOTONIC when the process started. */
int boot_timer_create(struct vm *vm, uint64_t start_ns, struct volt_err *err);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t boot_timer_now_ns(void);

#endif
