/* Polled output on COM1 (8250 at 0x3f8). */
#ifndef VOLT_GUEST_SERIAL_H
#define VOLT_GUEST_SERIAL_H

#include <stdint.h>

#define COM1_PORT 0x3f8
#define COM1_THR  (COM1_PORT + 0)
#define COM1_IER  (COM1_PORT + 1)
#define COM1_IIR  (COM1_PORT + 2)
#define COM1_LSR  (COM1_PORT + 5)
#define LSR_THRE  0x20

void serial_putc(char c);
void serial_puts(const char *s);
void serial_hex(uint64_t v);  /* "0x..." without leading zeros */
void serial_dec(uint64_t v);

#endif
