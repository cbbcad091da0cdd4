/* Keyboard input through the i8042: say READY, then read scancodes from
 * the controller's output buffer (polling its status port, as no interrupt
 * is taken) and print each, until Ctrl-Alt-Del's four set-1 make codes have
 * come; then return, and the runtime resets the machine through the i8042.
 * The host sends them (SIGUSR2, or the API's SendCtrlAltDel). */
#include "guest.h"
#include "io.h"
#include "serial.h"

#define I8042_DATA   0x60
#define I8042_STATUS 0x64
#define STR_OBF      0x01

static const uint8_t cad[] = { 0x1d, 0x38, 0xe0, 0x53 }; /* Ctrl, Alt, Del (extended) */

void guest_main(void)
{
	unsigned matched = 0;

	serial_puts("READY\n");
	serial_puts("KEYS");
	while (matched < sizeof(cad)) {
		uint8_t c;

		while (!(inb(I8042_STATUS) & STR_OBF))
			;
		c = inb(I8042_DATA);
		serial_puts(" ");
		serial_hex(c);
		matched = c == cad[matched] ? matched + 1 : c == cad[0];
	}
	serial_puts("\nCTRL-ALT-DEL\n");
}
