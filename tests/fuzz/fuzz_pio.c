/* libFuzzer target: the legacy devices a guest drives through port I/O, the
 * 8250 UART (COM1), the i8042 controller and the boot-timer and POST ports,
 * registered on a PIO bus as machine.c does and reached through
 * bus_access(), item by item as vcpu_exit_io() handles KVM_EXIT_IO (string
 * I/O included). There is no KVM: vm_fd is -1, so IRQ pulses fail (their
 * warnings are silenced). Each access's data is a heap block of exactly its
 * size, so AddressSanitizer catches a device touching bytes beyond it. The
 * UART's console is a pseudo-terminal on stdin, its output a memfd, and the
 * main thread's event loop runs when the input says, as it would between
 * vCPU exits.
 *
 * Beyond "no crash", a shadow model of what the code promises checks every
 * access:
 * - bus: an access is claimed iff it lies wholly inside a registered range
 *   (a wide access at an 8-bit port is not); an unclaimed read returns all
 *   ones, and no device sees it;
 * - UART: its output holds exactly the bytes written to THR outside DLAB
 *   and loopback, less those that found the output ring full (a guest
 *   faster than the main thread); in loopback they come back on RBR in
 *   order; LSR always reports THR empty (output is instant) and DR iff the
 *   receive FIFO holds data; IIR priorities and THR-empty acknowledgement,
 *   register read-back and the loopback MSR as a 16550A (what Linux's 8250
 *   probe tests); bytes above the first of a wide read are all ones (a
 *   wide access at the i8042's 1-port ranges is unclaimed); keys typed on the terminal reach
 *   RBR in order, none lost: the VMM reads no
 *   more than the FIFO has room for, and reads again once the guest has
 *   made room (by reading RBR or clearing the FIFO);
 * - i8042: the status register (AUXDATA on the AUX port's bytes), and the
 *   bytes on the data port as the controller, its dead AUX port and the
 *   keyboard answer each command (a new command drops one still waiting
 *   for its data byte); 0xfe to the command port is
 *   reported as exactly one stop request, and nothing else is;
 * - boot timer: reads return zeros, the POST port all ones.
 * Not checked: IRQ pulses (no irqchip to see them), RBR's value when the
 * FIFO is empty.
 *
 * Input: a sequence of operations, each a control byte and its operands:
 *   ctl bits 0-1  access size: 1, 2, 4, 8 bytes
 *       bit 2     write
 *       bits 3-5  string I/O (rep ins/outs): 0-6 for 1-7 items, each
 *                 write item with its own value; 7 for 8 + n items, n the
 *                 byte after the port, every write item the same value
 *       bits 6-7  0: PIO at a short port (1 byte, see fuzz_port()),
 *                 1: PIO at a full port (2 bytes, little-endian),
 *                 2: bits 3-5 + 1 keys (operands) typed on the terminal,
 *                 3: with bit 3 clear, the host sends Ctrl-Alt-Del to
 *                    the keyboard; with bit 3 set, the main thread takes
 *                    its turn (the UART's output is written out, its
 *                    input read from the terminal).
 * A PIO write's values follow its port, size bytes per item given. An
 * operation cut short by the end of the input is dropped. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <linux/serial_reg.h>

#include "devices/boot_timer.h"
#include "devices/i8042.h"
#include "devices/serial.h"
#include "util/log.h"
#include "vm/layout.h"

#include "fuzz_util.h"

#define FUZZ_POST_PORT 0x80     /* boot_timer.c claims it beside the timer */
#define FUZZ_MAX_INPUT 65536    /* longer inputs are cut */
#define FUZZ_UART_OUT 262144    /* serial.c's SERIAL_OUT_SIZE: output ring */
#define FUZZ_UART_FIFO 64       /* serial.c's SERIAL_IN_SIZE: receive FIFO */
#define FUZZ_KBC_BUF 16         /* i8042.c's I8042_BUF_SIZE: output buffer */
#define FUZZ_TTY_MAX 256        /* keys typed and not yet read, at most (harness's bound) */
#define FUZZ_STALE 0xa5         /* what a read's buffer holds before the device answers */

/* i8042 controller commands (port 0x64) and keyboard bytes, from the 8042
 * data sheet and the AT keyboard protocol. */
#define KBC_CMD_READ_CTR   0x20
#define KBC_CMD_WRITE_CTR  0x60
#define KBC_CMD_AUX_TEST   0xa9
#define KBC_CMD_SELF_TEST  0xaa
#define KBC_CMD_KBD_TEST   0xab
#define KBC_CMD_READ_OUTP  0xd0
#define KBC_CMD_WRITE_OUTP 0xd1
#define KBC_CMD_KBD_LOOP   0xd2 /* write the output buffer, as the keyboard */
#define KBC_CMD_AUX_LOOP   0xd3 /* write the output buffer, as the AUX port */
#define KBC_CMD_WRITE_AUX  0xd4
#define KBC_CMD_RESET_CPU  0xfe
#define KBC_STR_OBF        0x01
#define KBC_STR_SYS        0x04
#define KBC_STR_CMDDAT     0x08
#define KBC_STR_KEYLOCK    0x10
#define KBC_STR_AUXDATA    0x20
#define KBC_CTR_XLATE      0x40
#define KBD_ACK            0xfa
#define KBD_RESET          0xff
#define KBD_GET_ID         0xf2

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A byte FIFO that drops what arrives when it is full, as both devices do. */
struct fifo {
	uint8_t b[FUZZ_TTY_MAX];
	unsigned head, len, cap;
};

/* The UART's registers as the guest should see them. */
struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_on;
	bool thre_pending;
	struct fifo rx;
	struct fifo tty;    /* typed on the terminal, not yet read by the VMM */
	bool in_paused;     /* the terminal is not watched: the FIFO was full */
	bool wake_sent;     /* the guest made room since and woke the main thread */
	bool efd_pending;   /* output or a wake-up waits for the main thread */
	uint8_t *out;       /* what the output must hold since the last flush */
	size_t nout;
	off_t flushed;      /* output checked so far */
};

/* The i8042 as the guest should see it. */
struct kbc {
	uint8_t ctr, outp, pending;
	bool cmddat;
	struct fifo out;
	struct fifo out_aux; /* beside out: 1 where that byte is the AUX port's */
	unsigned resets;    /* reset requests not yet seen as stop requests */
};

struct fuzz {
	struct evloop loop;
	struct vm vm;
	struct serial *serial;
	struct i8042 *i8042;
	struct uart uart;
	struct kbc kbc;
};

/* Bytes of the input not yet consumed. */
/* What a read must return: the first byte and every byte after it; -1 for
 * "anything". */
struct expect {
	int first, rest;
};

static int fuzz_out_fd = -1;    /* memfd behind the UART's output */
static int fuzz_tty_fd = -1;    /* the master of the pseudo-terminal on stdin */
static uint8_t *fuzz_expected_out; /* FUZZ_UART_OUT bytes */

static void fifo_push(struct fifo *f, uint8_t v)
{
	if (f->len < f->cap)
		f->b[(f->head + f->len++) % f->cap] = v;
}

/* The oldest byte, or -1 when empty. */
static int fifo_pop(struct fifo *f)
{
	uint8_t v;

	if (!f->len)
		return -1;
	v = f->b[f->head];
	f->head = (f->head + 1) % f->cap;
	f->len--;
	return v;
}

static bool in_range(uint16_t port, uint16_t base, unsigned n)
{
	return port >= base && port - base < n;
}

/* A short port is what its byte looks like: 0xf0-0xff stand for COM1 and
 * the ports below it, 0x38-0x4f for the boot timer and its neighbours, the
 * rest for themselves (the i8042, the POST port and unclaimed ports). */
static uint16_t fuzz_port(uint8_t p)
{
	if (p >= 0xf0)
		return 0x300 | p;
	if (p >= 0x38 && p < 0x50)
		return 0x400 | p;
	return p;
}

/* The len bytes from port lie wholly in [base, base + n). */
static bool fits(uint16_t port, uint32_t len, uint16_t base, unsigned n)
{
	return in_range(port, base, n) && len <= n - (unsigned)(port - base);
}

/* What machine.c registers, listed apart from the bus to check its lookup:
 * an access is claimed iff it lies wholly inside one range. */
static bool fuzz_claimed(uint16_t port, uint32_t len)
{
	return fits(port, len, LAYOUT_COM1_PORT, 8) || fits(port, len, LAYOUT_I8042_DATA_PORT, 1) ||
	       fits(port, len, LAYOUT_I8042_CMD_PORT, 1) ||
	       fits(port, len, LAYOUT_BOOT_TIMER_PORT, 4) || fits(port, len, FUZZ_POST_PORT, 1);
}

/* ---- the UART's model (16550A, output instant, as serial.c says) ---- */

static void uart_write_thr(struct uart *u, uint8_t v)
{
	if (u->mcr & UART_MCR_LOOP) {
		fifo_push(&u->rx, v);
	} else {
		if (u->nout < FUZZ_UART_OUT)
			u->out[u->nout++] = v;
		u->efd_pending = true;
	}
	u->thre_pending = true;
}

/* The guest made room in a full FIFO: the main thread must read the
 * terminal again, so it is woken (once until it has resumed). */
static void uart_room_made(struct uart *u)
{
	if (u->in_paused && !u->wake_sent)
		u->wake_sent = u->efd_pending = true;
}

static int uart_read_rbr(struct uart *u)
{
	int v = fifo_pop(&u->rx);

	if (v >= 0)
		uart_room_made(u);
	return v;
}

static void uart_write(struct uart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (dlab)
			u->dll = v;
		else
			uart_write_thr(u, v);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thre_pending = true;
		u->ier = v & 0x0f;
		break;
	case UART_FCR:
		u->fifo_on = v & UART_FCR_ENABLE_FIFO;
		if (v & UART_FCR_CLEAR_RCVR) {
			u->rx.len = 0;
			uart_room_made(u);
		}
		break;
	case UART_LCR: u->lcr = v; break;
	case UART_MCR: u->mcr = v & 0x1f; break;
	case UART_SCR: u->scr = v; break;
	default: break;
	}
}

/* Received data first, then THR empty; reading THR empty acknowledges it. */
static uint8_t uart_iir(struct uart *u)
{
	uint8_t fifo = u->fifo_on ? 0xc0 : 0;

	if ((u->ier & UART_IER_RDI) && u->rx.len)
		return UART_IIR_RDI | fifo;
	if ((u->ier & UART_IER_THRI) && u->thre_pending) {
		u->thre_pending = false;
		return UART_IIR_THRI | fifo;
	}
	return UART_IIR_NO_INT | fifo;
}

/* Loopback wires RTS to CTS, DTR to DSR, OUT1 to RI and OUT2 to DCD (Linux's
 * probe expects 0x90 for LOOP|OUT2|RTS); otherwise the line is connected. */
static uint8_t uart_msr(const struct uart *u)
{
	uint8_t m = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	if (u->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

/* What the first byte of a read must be; -1 when the code promises
 * nothing (RBR with the FIFO empty). */
static int uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RX: return dlab ? u->dll : uart_read_rbr(u);
	case UART_IER: return dlab ? u->dlm : u->ier;
	case UART_IIR: return uart_iir(u);
	case UART_LCR: return u->lcr;
	case UART_MCR: return u->mcr;
	case UART_LSR: return UART_LSR_TEMT | UART_LSR_THRE | (u->rx.len ? UART_LSR_DR : 0);
	case UART_MSR: return uart_msr(u);
	default: return u->scr;
	}
}

/* The main thread's turn: the handlers of the fds ready when it looked.
 * The terminal's takes what the FIFO has room for, or stops watching it
 * when there is none; the eventfd's writes the output out and watches the
 * terminal again if the guest has made room. */
static void uart_main_turn(struct uart *u)
{
	bool tty_ready = !u->in_paused && u->tty.len;
	bool efd_ready = u->efd_pending;
	unsigned room = FUZZ_UART_FIFO - u->rx.len;

	if (tty_ready) {
		u->in_paused = !room;
		while (room-- && u->tty.len)
			fifo_push(&u->rx, (uint8_t)fifo_pop(&u->tty));
	}
	if (efd_ready) {
		u->efd_pending = false;
		if (u->in_paused && u->rx.len < FUZZ_UART_FIFO)
			u->in_paused = u->wake_sent = false;
	}
}

/* ---- the i8042's model ---- */

/* Its AUX port is there but dead (devices/i8042.c): the loop answers 0xff
 * as AUX data, whatever was written, and the test a line fault. */
#define KBC_AUX_LOOP_ANSWER 0xff
#define KBC_AUX_TEST_FAULT  0x02

static void kbc_push(struct kbc *k, uint8_t v, bool aux)
{
	fifo_push(&k->out, v);
	fifo_push(&k->out_aux, aux);
}

static int kbc_pop(struct kbc *k)
{
	fifo_pop(&k->out_aux);
	return fifo_pop(&k->out);
}

static void kbc_command(struct kbc *k, uint8_t cmd)
{
	k->cmddat = true;
	k->pending = 0;    /* a new command drops one waiting for its data */
	switch (cmd) {
	case KBC_CMD_READ_CTR: kbc_push(k, k->ctr, false); break;
	case KBC_CMD_READ_OUTP: kbc_push(k, k->outp, false); break;
	case KBC_CMD_SELF_TEST: kbc_push(k, 0x55, false); break;
	case KBC_CMD_KBD_TEST: kbc_push(k, 0x00, false); break;
	case KBC_CMD_AUX_TEST: kbc_push(k, KBC_AUX_TEST_FAULT, false); break;
	case KBC_CMD_WRITE_CTR:
	case KBC_CMD_WRITE_OUTP:
	case KBC_CMD_KBD_LOOP:
	case KBC_CMD_AUX_LOOP:
	case KBC_CMD_WRITE_AUX:
		k->pending = cmd;
		break;
	case KBC_CMD_RESET_CPU: k->resets++; break;
	default: break;
	}
}

/* The data of a pending command, else a byte for the keyboard, which
 * acknowledges everything and answers reset and identify. */
static void kbc_data(struct kbc *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->cmddat = false;
	k->pending = 0;
	if (cmd == KBC_CMD_WRITE_CTR) {
		k->ctr = v;
	} else if (cmd == KBC_CMD_WRITE_OUTP) {
		k->outp = v;
	} else if (cmd == KBC_CMD_KBD_LOOP) {
		kbc_push(k, v, false);
	} else if (cmd == KBC_CMD_AUX_LOOP) {
		kbc_push(k, KBC_AUX_LOOP_ANSWER, true);
	} else if (cmd != KBC_CMD_WRITE_AUX) {
		kbc_push(k, KBD_ACK, false);
		if (v == KBD_RESET)
			kbc_push(k, 0xaa, false);
		if (v == KBD_GET_ID) {
			kbc_push(k, 0xab, false);
			kbc_push(k, 0x83, false);
		}
	}
}

static uint8_t kbc_status(const struct kbc *k)
{
	return KBC_STR_SYS | KBC_STR_KEYLOCK | (k->cmddat ? KBC_STR_CMDDAT : 0) |
	       (k->out.len ? KBC_STR_OBF : 0) |
	       (k->out_aux.len && k->out_aux.b[k->out_aux.head] ? KBC_STR_AUXDATA : 0);
}

/* Left Ctrl, left Alt, Delete: set 1 when the controller translates. */
static void kbc_ctrl_alt_del(struct kbc *k)
{
	static const uint8_t set1[] = { 0x1d, 0x38, 0xe0, 0x53 };
	static const uint8_t set2[] = { 0x14, 0x11, 0xe0, 0x71 };
	const uint8_t *codes = (k->ctr & KBC_CTR_XLATE) ? set1 : set2;

	for (unsigned i = 0; i < 4; i++)
		kbc_push(k, codes[i], false);
}

/* ---- the machine ---- */

static void model_write(struct fuzz *f, uint16_t port, uint8_t v)
{
	if (in_range(port, LAYOUT_COM1_PORT, 8))
		uart_write(&f->uart, port - LAYOUT_COM1_PORT, v);
	else if (port == LAYOUT_I8042_DATA_PORT)
		kbc_data(&f->kbc, v);
	else if (port == LAYOUT_I8042_CMD_PORT)
		kbc_command(&f->kbc, v);
	/* the boot timer only logs; the POST port ignores writes */
}

/* The i8042 fills only the first byte of a wide read: the rest is left as
 * it was, which the code does not promise to be anything. */
static struct expect model_read(struct fuzz *f, uint16_t port)
{
	if (in_range(port, LAYOUT_COM1_PORT, 8))
		return (struct expect){ uart_read(&f->uart, port - LAYOUT_COM1_PORT), 0xff };
	if (port == LAYOUT_I8042_DATA_PORT)
		return (struct expect){ kbc_pop(&f->kbc), 0xff };
	if (port == LAYOUT_I8042_CMD_PORT)
		return (struct expect){ kbc_status(&f->kbc), 0xff };
	if (in_range(port, LAYOUT_BOOT_TIMER_PORT, 4))
		return (struct expect){ 0, 0 };
	return (struct expect){ 0xff, 0xff }; /* POST port, or unclaimed */
}

static void fuzz_check_read(const uint8_t *data, uint32_t len, struct expect e)
{
	fuzz_require(e.first < 0 || data[0] == e.first, "first byte of a read");
	for (uint32_t i = 1; i < len; i++)
		fuzz_require(e.rest < 0 || data[i] == e.rest, "upper bytes of a wide read");
}

/* Stop requests since the last call. evloop keeps only the first request,
 * so the loop and the VM are rearmed for the next one to be seen too. The
 * eventfd is read only when a flag says so (a syscall per access would
 * slow the fuzzer down threefold): a request sets both before writing. */
static unsigned fuzz_take_stops(struct fuzz *f)
{
	bool requested = atomic_load(&f->loop.stop_requested);
	bool stopping = atomic_load(&f->vm.stopping);
	uint64_t n = 0;

	if (!requested && !stopping)
		return 0;
	if (read(f->loop.stop_efd, &n, sizeof(n)) != sizeof(n))
		n = 0; /* EAGAIN: none */
	fuzz_require(requested && stopping && n == 1, "stop request state");
	fuzz_require(!n || atomic_load(&f->loop.status) == VM_EXIT_OK, "reset exit status");
	atomic_store(&f->loop.stop_requested, false);
	atomic_store(&f->loop.stop_claimed, false);
	atomic_store(&f->vm.stopping, false);
	return (unsigned)n;
}

/* Each reset the guest asked for since the last check, once, and nothing
 * else stopped the VM. */
static void fuzz_check_stops(struct fuzz *f)
{
	fuzz_require(fuzz_take_stops(f) == f->kbc.resets, "one stop request per i8042 reset");
	f->kbc.resets = 0;
}

/* One item of an exit: what KVM_EXIT_IO handling does, then the checks. */
static void fuzz_access(struct fuzz *f, uint16_t port, uint8_t *data, uint32_t len,
			bool is_write)
{
	bool claimed = fuzz_claimed(port, len);
	uint8_t v = data[0];
	struct expect e;

	fuzz_require(bus_access(&f->vm.pio, port, data, len, is_write) == claimed,
		     "bus claims exactly the accesses inside a registered range");
	if (!claimed) {
		/* No device saw it: a read is all ones, a write dropped. */
		if (!is_write)
			fuzz_check_read(data, len, (struct expect){ 0xff, 0xff });
	} else if (is_write) {
		model_write(f, port, v);
	} else {
		e = model_read(f, port);
		fuzz_check_read(data, len, e);
	}
	fuzz_check_stops(f);
}

/* One PIO exit of items of `len` bytes in one buffer, as kvm_run holds
 * string I/O (see the input format). A write cut short by the end of the
 * input is dropped. Long runs stop at 263 items, well within KVM's page,
 * so that random inputs stay quick. */
static void fuzz_pio(struct fuzz *f, struct fuzz_in *in, uint16_t port, uint32_t len,
		     unsigned rep_code, bool is_write)
{
	unsigned count = rep_code == 7 ? 8 + (unsigned)fuzz_take(in, 1) : rep_code + 1;
	uint32_t given = len * (rep_code == 7 ? 1 : count);
	uint8_t *buf;

	if (is_write && in->n < given) {
		in->n = 0;
		return;
	}
	buf = malloc(len * count);
	if (!buf)
		abort();
	for (uint32_t i = 0; i < len * count; i++) {
		if (!is_write)
			buf[i] = FUZZ_STALE;
		else
			buf[i] = i < given ? (uint8_t)fuzz_take(in, 1) : buf[i - len];
	}
	for (unsigned i = 0; i < count; i++)
		fuzz_access(f, port, buf + i * len, len, is_write);
	free(buf);
}

/* Keys typed on the terminal and not yet read from it. */
static unsigned fuzz_tty_pending(void)
{
	int n = 0;

	if (ioctl(STDIN_FILENO, FIONREAD, &n) < 0)
		abort();
	return (unsigned)n;
}

/* The pseudo-terminal passes keys on from a kernel worker: wait until all
 * of them are there to be read, so what the UART reads is deterministic. */
static void fuzz_tty_settle(unsigned want)
{
	for (unsigned i = 0; i < 100000; i++) {
		if (fuzz_tty_pending() == want)
			return;
		usleep(10);
	}
	fprintf(stderr, "fuzz_pio: the terminal did not pass %u keys on\n", want);
	abort();
}

/* Keys typed on the terminal, up to what the harness lets wait there. */
static void fuzz_type(struct fuzz *f, struct fuzz_in *in, unsigned n)
{
	uint8_t keys[8];

	if (in->n < n) {
		in->n = 0;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		keys[i] = (uint8_t)fuzz_take(in, 1);
	if (fuzz_tty_fd < 0 || f->uart.tty.len + n > FUZZ_TTY_MAX)
		return;
	if (write(fuzz_tty_fd, keys, n) != (ssize_t)n)
		abort();
	for (unsigned i = 0; i < n; i++)
		fifo_push(&f->uart.tty, keys[i]);
	fuzz_tty_settle(f->uart.tty.len);
}

/* What the main thread does when the VM's fds are ready: run the ready
 * handlers once. A stop request written to the loop's eventfd directly ends
 * evloop_run() after that batch, without marking the VM stopping. All of
 * the output must then be out, and the keys read what the model says. */
/* What the UART wrote out since the last check must be what the model
 * kept since. */
static void fuzz_check_output(struct uart *u)
{
	uint8_t *got = malloc(u->nout + 1);
	struct stat st;

	if (!got || fstat(fuzz_out_fd, &st))
		abort();
	fuzz_require(st.st_size == u->flushed + (off_t)u->nout, "UART output length");
	if (pread(fuzz_out_fd, got, u->nout, u->flushed) != (ssize_t)u->nout)
		abort();
	fuzz_require(!memcmp(got, u->out, u->nout), "UART output bytes");
	u->flushed += (off_t)u->nout;
	u->nout = 0;
	free(got);
}

static void fuzz_main_turn(struct fuzz *f)
{
	uint64_t one = 1;

	if (write(f->loop.stop_efd, &one, sizeof(one)) != sizeof(one))
		abort();
	evloop_run(&f->loop);
	uart_main_turn(&f->uart);
	fuzz_check_output(&f->uart);
	fuzz_require(fuzz_tty_fd < 0 || fuzz_tty_pending() == f->uart.tty.len,
		     "keys read from the terminal as the receive FIFO has room");
}

static void fuzz_ctrl_alt_del(struct fuzz *f)
{
	i8042_send_ctrl_alt_del(f->i8042);
	kbc_ctrl_alt_del(&f->kbc);
}

static void fuzz_op(struct fuzz *f, struct fuzz_in *in)
{
	uint8_t ctl = (uint8_t)fuzz_take(in, 1);
	uint32_t len = 1u << (ctl & 3);
	unsigned rep_code = (ctl >> 3) & 7;
	bool is_write = ctl & 4;

	switch (ctl >> 6) {
	case 0:
		fuzz_pio(f, in, fuzz_port((uint8_t)fuzz_take(in, 1)), len, rep_code, is_write);
		return;
	case 1:
		fuzz_pio(f, in, (uint16_t)fuzz_take(in, 2), len, rep_code, is_write);
		return;
	case 2:
		fuzz_type(f, in, rep_code + 1);
		break;
	default:
		if (ctl & 8)
			fuzz_main_turn(f);
		else
			fuzz_ctrl_alt_del(f);
		break;
	}
	fuzz_check_stops(f);
}

/* ---- set-up ---- */

/* Only what these devices use of a VM (vm_init without guest RAM, no KVM),
 * and the devices as machine.c creates them, the UART writing to the memfd
 * through a path of its own, as it would to a file. Keys left on the
 * terminal by the last input are dropped first. */
static void fuzz_setup(struct fuzz *f)
{
	struct volt_err err = { 0 };
	char path[64];

	memset(f, 0, sizeof(*f));
	if (ftruncate(fuzz_out_fd, 0) || (fuzz_tty_fd >= 0 && tcflush(STDIN_FILENO, TCIFLUSH)))
		abort();
	if (evloop_init(&f->loop, &err))
		abort();
	f->vm.kvm_fd = f->vm.vm_fd = -1;
	f->vm.loop = &f->loop;
	bus_init(&f->vm.pio, "PIO");
	bus_init(&f->vm.mmio, "MMIO");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fuzz_out_fd);
	if (serial_create(&f->vm, path, &f->serial, &err) || i8042_create(&f->vm, &f->i8042, &err) ||
	    boot_timer_create(&f->vm, boot_timer_now_ns(), &err)) {
		fprintf(stderr, "fuzz_pio: %s\n", err.msg);
		abort();
	}
	f->uart.rx.cap = FUZZ_UART_FIFO;
	f->uart.tty.cap = FUZZ_TTY_MAX;
	f->uart.out = fuzz_expected_out;
	f->kbc.out.cap = f->kbc.out_aux.cap = FUZZ_KBC_BUF;
	f->kbc.ctr = 0x45;  /* keyboard interrupt, system flag, translation */
	f->kbc.outp = 0x03; /* CPU out of reset, A20 on */
}

/* Destroying the UART flushes its output: it must be what the guest sent. */
static void fuzz_teardown(struct fuzz *f)
{
	serial_destroy(f->serial);
	i8042_destroy(f->i8042);
	bus_fini(&f->vm.pio);
	bus_fini(&f->vm.mmio);
	evloop_fini(&f->loop);
	fuzz_check_output(&f->uart);
}

/* The UART takes its console input from stdin when it is a terminal: give
 * it a pseudo-terminal of our own, never the user's. Without one, stdin is
 * /dev/null and typing does nothing. */
static void fuzz_open_tty(void)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || grantpt(fd) || unlockpt(fd)) {
		fprintf(stderr, "fuzz_pio: no pseudo-terminal (%s); console input not fuzzed\n",
			strerror(errno));
		fd = -1;
	}
	fuzz_tty_fd = fd;
	fd = open(fuzz_tty_fd >= 0 ? ptsname(fuzz_tty_fd) : "/dev/null", O_RDWR | O_NOCTTY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Every IRQ pulse would warn (no KVM); errors still show. */
	log_set_level(LOG_ERROR);
	fuzz_open_tty();
	fuzz_out_fd = memfd_create("fuzz-pio-serial", MFD_CLOEXEC);
	fuzz_expected_out = malloc(FUZZ_UART_OUT);
	if (fuzz_out_fd < 0 || !fuzz_expected_out)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size < FUZZ_MAX_INPUT ? size : FUZZ_MAX_INPUT };
	struct fuzz *f = malloc(sizeof(*f));

	if (!f)
		abort();
	fuzz_setup(f);
	while (in.n)
		fuzz_op(f, &in);
	fuzz_teardown(f);
	free(f);
	return 0;
}
