/* i8042: a controller with a keyboard behind it and no mouse. The keyboard
 * acknowledges every command so Linux's atkbd driver binds; its output
 * buffer also carries injected scancodes (Ctrl-Alt-Del).
 *
 * The AUX port is there but dead, so that Linux drops it at once
 * (i8042_check_aux): its loop command answers, as AUX data, a byte that
 * is not the one written, and its test reports a line fault (0x02). A
 * working loop would make Linux test AUX interrupt delivery next and wait
 * 250 ms for an interrupt that never comes; no answer at all would make
 * it wait 500 ms for the byte. */
#include "devices/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vm/layout.h"

/* Controller commands (port 0x64), from the 8042 data sheet. */
#define I8042_CMD_READ_CTR   0x20
#define I8042_CMD_WRITE_CTR  0x60
#define I8042_CMD_AUX_DIS    0xa7
#define I8042_CMD_AUX_EN     0xa8
#define I8042_CMD_AUX_TEST   0xa9
#define I8042_CMD_SELF_TEST  0xaa
#define I8042_CMD_KBD_TEST   0xab
#define I8042_CMD_KBD_DIS    0xad
#define I8042_CMD_KBD_EN     0xae
#define I8042_CMD_READ_OUTP  0xd0
#define I8042_CMD_WRITE_OUTP 0xd1
#define I8042_CMD_WRITE_KBD_OBUF 0xd2 /* Linux's KBD_LOOP */
#define I8042_CMD_WRITE_AUX_OBUF 0xd3 /* Linux's AUX_LOOP */
#define I8042_CMD_WRITE_AUX  0xd4
#define I8042_CMD_RESET_CPU  0xfe

/* Status register bits. */
#define I8042_STR_OBF    0x01 /* output buffer full */
#define I8042_STR_SYS    0x04 /* system flag: self-test passed */
#define I8042_STR_CMDDAT 0x08 /* last write was a command */
#define I8042_STR_KEYLOCK 0x10 /* set: keyboard not inhibited (Linux warns otherwise) */
#define I8042_STR_AUXDATA 0x20 /* the byte in the output buffer is the AUX port's */

#define I8042_CTR_KBDINT 0x01 /* keyboard interrupt enabled */
#define I8042_CTR_SYS    0x04
#define I8042_CTR_XLATE  0x40 /* translate set 2 to set 1 */

/* The dead AUX port's answers (see the top). */
#define AUX_LOOP_ANSWER 0xff /* the line floats high */
#define AUX_TEST_FAULT  0x02 /* "clock line stuck high" */

/* Keyboard replies. */
#define KBD_ACK        0xfa
#define KBD_RESET      0xff
#define KBD_GET_ID     0xf2
#define KBD_SELFTEST_OK 0xaa

#define I8042_BUF_SIZE 16

struct i8042 {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t status;
	uint8_t ctr;
	uint8_t outp;
	uint8_t pending_cmd;      /* command waiting for its data byte, 0 if none */
	uint8_t buf[I8042_BUF_SIZE];
	bool aux[I8042_BUF_SIZE]; /* that byte came from the AUX port */
	unsigned head, len;
};

/* Caller holds the lock. A keyboard byte raises IRQ 1 when the keyboard
 * interrupt is on; an AUX byte raises nothing (no IRQ 12 is wired). */
static void i8042_push_from(struct i8042 *k, uint8_t byte, bool aux)
{
	unsigned at = (k->head + k->len) % I8042_BUF_SIZE;

	if (k->len == I8042_BUF_SIZE)
		return;
	k->buf[at] = byte;
	k->aux[at] = aux;
	k->len++;
	k->status |= I8042_STR_OBF;
	if (!aux && (k->ctr & I8042_CTR_KBDINT))
		vm_irq_pulse(k->vm, LAYOUT_I8042_IRQ);
}

static void i8042_push(struct i8042 *k, uint8_t byte)
{
	i8042_push_from(k, byte, false);
}

/* The status register, AUXDATA for the byte the guest would read next. */
static uint8_t i8042_status(const struct i8042 *k)
{
	return k->status | (k->len && k->aux[k->head] ? I8042_STR_AUXDATA : 0);
}

static uint8_t i8042_pop(struct i8042 *k)
{
	uint8_t byte;

	if (!k->len)
		return 0;
	byte = k->buf[k->head];
	k->head = (k->head + 1) % I8042_BUF_SIZE;
	if (--k->len == 0)
		k->status &= ~I8042_STR_OBF;
	else if (k->ctr & I8042_CTR_KBDINT)
		vm_irq_pulse(k->vm, LAYOUT_I8042_IRQ);
	return byte;
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	k->status |= I8042_STR_CMDDAT;
	/* A new command drops one still waiting for its data byte, as a real
	 * 8042 does: the next byte on 0x60 is not that command's any more. */
	k->pending_cmd = 0;
	switch (cmd) {
	case I8042_CMD_READ_CTR: i8042_push(k, k->ctr); break;
	case I8042_CMD_READ_OUTP: i8042_push(k, k->outp); break;
	case I8042_CMD_SELF_TEST: i8042_push(k, 0x55); break;
	case I8042_CMD_KBD_TEST: i8042_push(k, 0x00); break;
	case I8042_CMD_AUX_TEST: i8042_push(k, AUX_TEST_FAULT); break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTP:
	case I8042_CMD_WRITE_KBD_OBUF:
	case I8042_CMD_WRITE_AUX_OBUF:
	case I8042_CMD_WRITE_AUX:
		k->pending_cmd = cmd;
		break;
	case I8042_CMD_RESET_CPU:
		log_info("i8042: guest requested a reset; stopping the VM");
		vm_request_exit(k->vm, VM_EXIT_OK);
		break;
	default: break; /* enable/disable ports and the rest: accepted, no effect */
	}
}

/* A byte written to port 0x60 goes to the keyboard unless it is the data of
 * a controller command. */
static void i8042_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->status &= ~I8042_STR_CMDDAT;
	k->pending_cmd = 0;
	switch (cmd) {
	case I8042_CMD_WRITE_CTR: k->ctr = v; return;
	case I8042_CMD_WRITE_OUTP: k->outp = v; return;
	case I8042_CMD_WRITE_KBD_OBUF: i8042_push(k, v); return;
	case I8042_CMD_WRITE_AUX_OBUF: i8042_push_from(k, AUX_LOOP_ANSWER, true); return;
	case I8042_CMD_WRITE_AUX: return; /* nobody there */
	default: break;
	}
	i8042_push(k, KBD_ACK);
	if (v == KBD_RESET)
		i8042_push(k, KBD_SELFTEST_OK);
	else if (v == KBD_GET_ID) {
		i8042_push(k, 0xab); /* MF2 keyboard, translated */
		i8042_push(k, 0x83);
	}
}

static void i8042_access_data(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	if (is_write) {
		i8042_data(k, data[0]);
	} else {
		/* An 8-bit port: the rest of a wider read floats high. */
		memset(data, 0xff, len);
		data[0] = i8042_pop(k);
	}
	pthread_mutex_unlock(&k->lock);
}

static void i8042_access_cmd(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			     bool is_write)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	if (is_write) {
		i8042_command(k, data[0]);
	} else {
		memset(data, 0xff, len);
		data[0] = i8042_status(k);
	}
	pthread_mutex_unlock(&k->lock);
}

void i8042_send_ctrl_alt_del(struct i8042 *k)
{
	/* Set 2 make codes: the controller translates to set 1 when XLATE is on,
	 * which is Linux's default; push the set-1 codes in that case. */
	static const uint8_t set1[] = { 0x1d, 0x38, 0xe0, 0x53 };
	static const uint8_t set2[] = { 0x14, 0x11, 0xe0, 0x71 };
	const uint8_t *codes;

	pthread_mutex_lock(&k->lock);
	codes = (k->ctr & I8042_CTR_XLATE) ? set1 : set2;
	for (unsigned i = 0; i < 4; i++)
		i8042_push(k, codes[i]);
	pthread_mutex_unlock(&k->lock);
}

int i8042_create(struct vm *vm, struct i8042 **out, struct volt_err *err)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int r;

	if (!k)
		return verr_set(err, ENOMEM, "i8042: out of memory");
	k->vm = vm;
	k->status = I8042_STR_SYS | I8042_STR_KEYLOCK;
	k->ctr = I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE;
	k->outp = 0x03; /* bit 0: CPU not in reset, bit 1: A20 enabled */
	pthread_mutex_init(&k->lock, NULL);
	/* Two one-byte ports: 0x61 between them is the PC speaker, which KVM's
	 * in-kernel PIT handles (KVM_PIT_SPEAKER_DUMMY, vm/vm.c). */
	r = bus_register(&vm->pio, LAYOUT_I8042_DATA_PORT, 1, i8042_access_data, k, "i8042 data", err);
	if (!r)
		r = bus_register(&vm->pio, LAYOUT_I8042_CMD_PORT, 1, i8042_access_cmd, k, "i8042 command", err);
	if (r) {
		i8042_destroy(k);
		return r;
	}
	*out = k;
	return 0;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}
