/* flood: writes numbered lines on COM1 for ever, as fast as the UART
 * takes them: console output faster than whatever reads volt's stdout. */
#include "guest.h"
#include "serial.h"

void guest_main(void)
{
	guest_boot_timer(0x01);
	for (uint64_t n = 0;; n++) {
		serial_puts("FLOOD ");
		serial_dec(n);
		serial_puts(" ................................................................\n");
	}
}
