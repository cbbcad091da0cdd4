/* For PATCH /vm: a guest that never stops doing visible work. It marks the
 * boot timer, then prints "TICK n" on COM1 every 2.5 million TSC cycles
 * (about a millisecond), forever (volt is stopped with SIGTERM). While the
 * VM is paused the count must not move. */
#include "guest.h"
#include "serial.h"

#define TICK_CYCLES 2500000ULL

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void guest_main(void)
{
	uint64_t next = rdtsc();

	guest_boot_timer(0x01);
	for (uint64_t n = 0;; n++) {
		serial_puts("TICK ");
		serial_dec(n);
		serial_putc('\n');
		next += TICK_CYCLES;
		if (rdtsc() > next)   /* after a pause: no burst to catch up */
			next = rdtsc();
		while (rdtsc() < next)
			;
	}
}
