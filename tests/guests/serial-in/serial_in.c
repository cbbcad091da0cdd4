/* Console input: say READY, then count the bytes that arrive on COM1 until
 * a newline, and report the count and a checksum. The host side types more
 * than the UART's receive FIFO holds in one go, so nothing may be dropped. */
#include "guest.h"
#include "io.h"
#include "serial.h"

#define COM1_RBR (COM1_PORT + 0)
#define LSR_DR   0x01

void guest_main(void)
{
	uint64_t count = 0, sum = 0;

	serial_puts("READY\n");
	for (;;) {
		uint8_t c;

		while (!(inb(COM1_LSR) & LSR_DR))
			;
		c = inb(COM1_RBR);
		if (c == '\n' || c == '\r')
			break;
		count++;
		sum += c;
	}
	serial_puts("GOT count=");
	serial_dec(count);
	serial_puts(" sum=");
	serial_dec(sum);
	serial_puts("\n");
}
