/* An 8250/16550A UART (COM1): guest output is buffered and written out by
 * the main thread when the output can take it, so a slow or stalled reader
 * blocks neither a vCPU nor the main loop (output beyond the buffer is
 * dropped and counted); guest input
 * comes from stdin when stdin is a terminal. */
#ifndef VOLT_DEVICES_SERIAL_H
#define VOLT_DEVICES_SERIAL_H

#include <stdint.h>

#include "util/err.h"
#include "vm/vm.h"

struct serial;

/* output: NULL or "stdout" (standard output), "none" (discard), or a file
 * path (created or truncated). Registers on the PIO bus at COM1 and hooks
 * the output and input fds into the VM's event loop. */
int serial_create(struct vm *vm, const char *output, struct serial **out, struct volt_err *err);

/* Write out what is buffered, waiting at most a moment for a reader that
 * takes nothing; report dropped bytes; free. */
void serial_destroy(struct serial *s);

/* Queue bytes as if typed on the console (main thread). */
void serial_receive(struct serial *s, const uint8_t *buf, size_t len);

#endif
