/* The i8042 keyboard controller, as much as a guest needs to reset the
 * machine (command 0xfe, Linux's reboot=k) and to receive Ctrl-Alt-Del. */
#ifndef VOLT_DEVICES_I8042_H
#define VOLT_DEVICES_I8042_H

#include "util/err.h"
#include "vm/vm.h"

struct i8042;

int i8042_create(struct vm *vm, struct i8042 **out, struct volt_err *err);
void i8042_destroy(struct i8042 *dev);

/* Type Ctrl-Alt-Del on the keyboard (any thread). */
void i8042_send_ctrl_alt_del(struct i8042 *dev);

#endif
