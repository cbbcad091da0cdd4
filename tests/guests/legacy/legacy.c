/* What Linux's legacy probes see: the i8042's AUX port check, in the
 * order of drivers/input/serio/i8042.c (i8042_check_aux), and the PC
 * speaker port 0x61 that the PIT's channel 2 gate and NMI status live on.
 * Each result is one line; legacy.sh says what it must be and why. */
#include "guest.h"
#include "io.h"
#include "serial.h"

#define I8042_DATA       0x60
#define I8042_STATUS     0x64
#define STR_OBF          0x01
#define STR_AUXDATA      0x20
#define CMD_AUX_TEST     0xa9
#define CMD_KBD_LOOP     0xd2
#define CMD_AUX_LOOP     0xd3
#define PORT_SPEAKER     0x61
#define WAIT_POLLS       100000

/* A byte from the controller, or -1 if none comes (Linux waits 500 ms). */
static int i8042_read(uint8_t *status)
{
	*status = 0;
	for (unsigned i = 0; i < WAIT_POLLS; i++) {
		*status = inb(I8042_STATUS);
		if (*status & STR_OBF)
			return inb(I8042_DATA);
	}
	return -1;
}

/* Read a byte (status first, as Linux does) and print it. */
static void read_and_print(const char *what)
{
	uint8_t status;
	int byte = i8042_read(&status);

	serial_puts(what);
	if (byte < 0) {
		serial_puts(" none\n");
		return;
	}
	serial_puts(" ");
	serial_hex((uint8_t)byte);
	serial_puts(status & STR_AUXDATA ? " aux\n" : " kbd\n");
}

static void probe_i8042(void)
{
	while (inb(I8042_STATUS) & STR_OBF) /* i8042_flush */
		inb(I8042_DATA);
	outb(I8042_STATUS, CMD_AUX_LOOP);
	outb(I8042_DATA, 0x5a);
	read_and_print("AUX-LOOP");
	outb(I8042_STATUS, CMD_AUX_TEST);
	read_and_print("AUX-TEST");
	outb(I8042_STATUS, CMD_KBD_LOOP);
	outb(I8042_DATA, 0x42);
	read_and_print("KBD-LOOP");
	serial_puts(inb(I8042_STATUS) & STR_OBF ? "I8042-LEFT yes\n" : "I8042-LEFT no\n");
}

static void probe_speaker(void)
{
	uint8_t before = inb(PORT_SPEAKER), after;

	outb(PORT_SPEAKER, (uint8_t)((before & 0x0c) | 0x01)); /* gate channel 2 on */
	after = inb(PORT_SPEAKER);
	serial_puts("SPEAKER ");
	serial_hex(before);
	serial_puts(" ");
	serial_hex(after);
	serial_puts("\n");
}

void guest_main(void)
{
	probe_i8042();
	probe_speaker();
}
