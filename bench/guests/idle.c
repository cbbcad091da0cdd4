/* Memory benchmark guest: say IDLE, then halt for good. With interrupts off
 * the vCPU sleeps in the kernel and the VMM sits idle in its event loop. */
#include "guest.h"
#include "serial.h"

void guest_main(void)
{
	guest_boot_timer(0x01);
	serial_puts("IDLE\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
