#include "serial.h"

#include "io.h"

void serial_putc(char c)
{
	/* Bounded: a VMM whose LSR never says "empty" must not hang us. */
	for (int i = 0; i < 1000 && !(inb(COM1_LSR) & LSR_THRE); i++)
		;
	outb(COM1_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	serial_puts("0x");
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		serial_putc(digits[(v >> shift) & 0xf]);
}

void serial_dec(uint64_t v)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	serial_puts(&buf[i]);
}
