/* The smallest useful guest: mark the boot timer, greet on COM1, reset. */
#include "guest.h"
#include "serial.h"

void guest_main(void)
{
	guest_boot_timer(0x01);
	serial_puts("Hello from the Volt hello guest\n");
}
