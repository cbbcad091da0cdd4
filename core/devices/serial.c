/* 8250 UART: the register file of a 16550A as Linux's 8250 driver probes and
 * drives it. Register names and bits come from <linux/serial_reg.h>. */
#include "devices/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <linux/serial_reg.h>

#include "util/fdwait.h"
#include "util/log.h"
#include "vm/layout.h"

#define SERIAL_OUT_SIZE (256 * 1024) /* guest output the main thread has not written yet */
#define SERIAL_IN_SIZE 64            /* receive FIFO */
/* At most PIPE_BUF a write: a pipe that polls writable has room for it. */
#define SERIAL_OUT_CHUNK 4096
/* At exit, how long a reader that takes nothing may hold up the last output. */
#define SERIAL_FLUSH_WAIT_MS 200

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	/* registers */
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_enabled;
	bool thre_pending;  /* THR-empty interrupt raised and not yet read from IIR */
	/* receive FIFO (guest input) */
	uint8_t in[SERIAL_IN_SIZE];
	unsigned in_head, in_len;
	/* output ring drained by the main thread */
	uint8_t *out;
	size_t out_head, out_len;
	uint64_t out_dropped;
	int out_fd;          /* where output goes, -1 for none */
	bool out_on;         /* out_fd takes output (not "none", not failed) */
	bool out_owned;      /* we opened out_fd */
	bool out_pollable;   /* out_fd is in the event loop: written only when it is writable */
	bool out_waiting;    /* ... and waits for EPOLLOUT */
	int out_efd;         /* eventfd: output waiting */
	int in_fd;           /* stdin when it is a terminal, else -1 */
	bool in_paused;      /* receive FIFO full: stdin is not read until it drains */
	bool in_wake_sent;   /* the guest drained some: the main thread was told */
	bool in_closed;      /* stdin hit EOF or an error: no longer watched */
	struct termios saved_tio;
};

/* Interrupt identification with the 16550's priorities: line status, then
 * received data, then THR empty. Caller holds the lock. */
static uint8_t serial_iir(const struct serial *s)
{
	if ((s->ier & UART_IER_RDI) && s->in_len)
		return UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thre_pending)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

/* Raise IRQ 4 when an interrupt becomes pending: the line is edge-triggered
 * on ISA, and the driver reads IIR until nothing is pending. */
static void serial_update_irq(struct serial *s, uint8_t iir_before)
{
	if (iir_before == UART_IIR_NO_INT && serial_iir(s) != UART_IIR_NO_INT)
		vm_irq_pulse(s->vm, LAYOUT_COM1_IRQ);
}

static void serial_out_push(struct serial *s, uint8_t byte)
{
	uint64_t one = 1;

	if (!s->out_on)
		return;
	if (s->out_len == SERIAL_OUT_SIZE) {
		s->out_dropped++;
		return;
	}
	s->out[(s->out_head + s->out_len) % SERIAL_OUT_SIZE] = byte;
	if (s->out_len++ == 0 && write(s->out_efd, &one, sizeof(one)) < 0)
		log_debug("serial: eventfd: %s", strerror(errno));
}

static void serial_in_push(struct serial *s, uint8_t byte)
{
	if (s->in_len < SERIAL_IN_SIZE)
		s->in[(s->in_head + s->in_len++) % SERIAL_IN_SIZE] = byte;
}

/* Room again: wake the main thread (through the output eventfd, which
 * it already watches) to read stdin once more. */
static void serial_in_room(struct serial *s)
{
	uint64_t one = 1;

	if (s->in_paused && !s->in_wake_sent) {
		s->in_wake_sent = true;
		if (write(s->out_efd, &one, sizeof(one)) < 0)
			log_debug("serial: eventfd: %s", strerror(errno));
	}
}

static uint8_t serial_in_pop(struct serial *s)
{
	uint8_t byte;

	if (!s->in_len)
		return 0;
	byte = s->in[s->in_head];
	s->in_head = (s->in_head + 1) % SERIAL_IN_SIZE;
	s->in_len--;
	serial_in_room(s);
	return byte;
}

static void serial_write_thr(struct serial *s, uint8_t byte)
{
	/* In loopback mode the transmitter feeds the receiver (driver self-tests). */
	if (s->mcr & UART_MCR_LOOP)
		serial_in_push(s, byte);
	else
		serial_out_push(s, byte);
	/* Transmission is instant: THR is empty again at once. */
	s->thre_pending = true;
}

static void serial_write(struct serial *s, uint64_t reg, uint8_t v)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (dlab)
			s->dll = v;
		else
			serial_write_thr(s, v);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling the THR-empty interrupt with THR empty raises it. */
		if ((v & UART_IER_THRI) && !(s->ier & UART_IER_THRI))
			s->thre_pending = true;
		s->ier = v & 0x0f;
		break;
	case UART_FCR:
		s->fifo_enabled = v & UART_FCR_ENABLE_FIFO;
		if (v & UART_FCR_CLEAR_RCVR) {
			s->in_len = 0;
			serial_in_room(s);
		}
		break;
	case UART_LCR: s->lcr = v; break;
	case UART_MCR: s->mcr = v & 0x1f; break;
	case UART_SCR: s->scr = v; break;
	default: break; /* LSR and MSR are read-only */
	}
}

/* Modem status: in loopback the outputs come back on the inputs; otherwise
 * the line looks connected (carrier, data set ready, clear to send). */
static uint8_t serial_msr(const struct serial *s)
{
	uint8_t m = 0;

	if (!(s->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	if (s->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (s->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (s->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (s->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

static uint8_t serial_read(struct serial *s, uint64_t reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	uint8_t iir;

	switch (reg) {
	case UART_RX: return dlab ? s->dll : serial_in_pop(s);
	case UART_IER: return dlab ? s->dlm : s->ier;
	case UART_IIR:
		iir = serial_iir(s);
		/* Reading IIR acknowledges a THR-empty interrupt. */
		if (iir == UART_IIR_THRI)
			s->thre_pending = false;
		return iir | (s->fifo_enabled ? 0xc0 : 0);
	case UART_LCR: return s->lcr;
	case UART_MCR: return s->mcr;
	case UART_LSR: return UART_LSR_TEMT | UART_LSR_THRE | (s->in_len ? UART_LSR_DR : 0);
	case UART_MSR: return serial_msr(s);
	case UART_SCR: return s->scr;
	default: return 0xff;
	}
}

static void serial_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;
	uint8_t before;

	pthread_mutex_lock(&s->lock);
	before = serial_iir(s);
	if (is_write)
		serial_write(s, offset, data[0]);
	else
		data[0] = serial_read(s, offset);
	serial_update_irq(s, before);
	pthread_mutex_unlock(&s->lock);
	for (uint32_t i = 1; i < len && !is_write; i++)
		data[i] = 0xff;
}

void serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	uint8_t before;

	pthread_mutex_lock(&s->lock);
	before = serial_iir(s);
	for (size_t i = 0; i < len; i++)
		serial_in_push(s, buf[i]);
	serial_update_irq(s, before);
	pthread_mutex_unlock(&s->lock);
}

/* The run of output at the ring's head, at most a chunk: its length. Only
 * the main thread takes from the ring, so these bytes stay put while it
 * writes them without the lock (vCPUs only append after them). */
static size_t serial_out_peek(struct serial *s, const uint8_t **p)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = SERIAL_OUT_SIZE - s->out_head;
	if (n > s->out_len)
		n = s->out_len;
	if (n > SERIAL_OUT_CHUNK)
		n = SERIAL_OUT_CHUNK;
	*p = s->out + s->out_head;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void serial_out_consume(struct serial *s, size_t n)
{
	pthread_mutex_lock(&s->lock);
	s->out_head = (s->out_head + n) % SERIAL_OUT_SIZE;
	s->out_len -= n;
	pthread_mutex_unlock(&s->lock);
}

/* The output failed: the guest runs on, its output from now on dropped. */
static void serial_out_off(struct serial *s, const char *why)
{
	log_warn("serial: writing guest output: %s; discarding further output", why);
	if (s->out_pollable)
		evloop_del(s->vm->loop, s->out_fd);
	s->out_pollable = s->out_waiting = false;
	pthread_mutex_lock(&s->lock);
	s->out_on = false;
	s->out_len = 0;
	pthread_mutex_unlock(&s->lock);
}

/* Can out_fd take a chunk within wait_ms? A file that cannot be polled
 * (a regular file) never makes a writer wait long. */
static bool serial_out_ready(struct serial *s, int wait_ms)
{
	return !s->out_pollable || fd_wait_writable(s->out_fd, wait_ms);
}

/* Write what the guest produced for as long as out_fd takes it without
 * blocking (waiting up to wait_ms each time): a reader that stops reading
 * must not stall the main loop, or SIGTERM and the API with it. False if
 * output is left because out_fd would block. */
static bool serial_drain(struct serial *s, int wait_ms)
{
	const uint8_t *p;
	size_t n;

	while (s->out_on && (n = serial_out_peek(s, &p))) {
		ssize_t w;

		if (!serial_out_ready(s, wait_ms))
			return false;
		/* Asked again under the lock: a log line on the same file may
		 * have taken the room meanwhile, and a blocked write here would
		 * hold the lock, and the main loop, until the reader reads. */
		log_console_begin();
		if (!serial_out_ready(s, 0)) {
			log_console_end(-1);
			return false;
		}
		w = write(s->out_fd, p, n);
		log_console_end(w > 0 ? p[w - 1] : -1);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			serial_out_off(s, w < 0 ? strerror(errno) : "short write");
			break;
		}
		serial_out_consume(s, (size_t)w);
	}
	return true;
}

/* Drain, and wait for EPOLLOUT only while output is left. */
static void serial_flush(struct serial *s)
{
	bool wait = !serial_drain(s, 0);

	if (s->out_pollable && wait != s->out_waiting) {
		if (evloop_mod(s->vm->loop, s->out_fd, wait ? EPOLLOUT : 0) < 0)
			log_warn("serial: watching the output: %s", strerror(errno));
		s->out_waiting = wait;
	}
}

/* out_fd is writable again, or its reader is gone (EPOLLERR, EPOLLHUP:
 * these come even when nothing is waited for). */
static void serial_on_writable(void *opaque, uint32_t events)
{
	struct serial *s = opaque;

	serial_flush(s);
	if (s->out_on && (events & (EPOLLERR | EPOLLHUP)))
		serial_out_off(s, "its reader went away");
}

/* Read stdin again once the guest has made room in the receive FIFO. */
static void serial_resume_input(struct serial *s)
{
	bool resume;

	pthread_mutex_lock(&s->lock);
	resume = s->in_paused && s->in_len < SERIAL_IN_SIZE;
	if (resume)
		s->in_paused = s->in_wake_sent = false;
	pthread_mutex_unlock(&s->lock);
	if (resume && evloop_mod(s->vm->loop, s->in_fd, EPOLLIN) < 0)
		log_warn("serial: watching stdin again: %s", strerror(errno));
}

static void serial_on_output(void *opaque, uint32_t events)
{
	struct serial *s = opaque;
	uint64_t v;

	if (read(s->out_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("serial: eventfd: %s", strerror(errno));
	if (s->out_on && !s->out_waiting)
		serial_flush(s);
	if (s->in_fd >= 0 && !s->in_closed)
		serial_resume_input(s);
}

/* Take no more from stdin than the FIFO has room for: what the guest has
 * not read yet stays in the terminal's buffer instead of being dropped. */
static void serial_on_input(void *opaque, uint32_t events)
{
	struct serial *s = opaque;
	uint8_t buf[SERIAL_IN_SIZE];
	size_t room;
	ssize_t n;

	pthread_mutex_lock(&s->lock);
	room = SERIAL_IN_SIZE - s->in_len;
	s->in_paused = room == 0;
	pthread_mutex_unlock(&s->lock);
	if (!room && !(events & (EPOLLHUP | EPOLLERR))) {
		if (evloop_mod(s->vm->loop, s->in_fd, 0) < 0)
			log_warn("serial: pausing stdin: %s", strerror(errno));
		return;
	}
	n = room ? read(s->in_fd, buf, room) : 0;
	if (n > 0) {
		serial_receive(s, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EOF, hang-up or error: stop watching stdin, the guest keeps running. */
	evloop_del(s->vm->loop, s->in_fd);
	s->in_closed = true;
}

/* Do a and b lead to one file (one pipe, terminal or file, as 2>&1 makes)? */
static bool serial_same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int serial_open_output(struct serial *s, const char *output, struct volt_err *err)
{
	if (!output || !strcmp(output, "stdout")) {
		s->out_fd = STDOUT_FILENO;
	} else if (!strcmp(output, "none")) {
		return 0;
	} else {
		s->out_fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->out_fd < 0)
			return verr_set(err, errno, "serial: cannot open output %s: %s", output,
					strerror(errno));
		s->out_owned = true;
	}
	s->out_on = true;
	log_console_shared(serial_same_file(s->out_fd, STDERR_FILENO));
	/* A pipe, FIFO, socket or terminal is written only when it polls
	 * writable; epoll refuses a regular file, which never blocks for long. */
	s->out_pollable = !evloop_add(s->vm->loop, s->out_fd, 0, serial_on_writable, s, NULL);
	return 0;
}

/* Raw mode, so keys reach the guest one by one and Ctrl-C is the guest's. */
static void serial_setup_input(struct serial *s)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &s->saved_tio) < 0)
		return;
	raw = s->saved_tio;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR; /* keep our own log lines readable */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
		return;
	s->in_fd = STDIN_FILENO;
	if (evloop_add(s->vm->loop, s->in_fd, EPOLLIN, serial_on_input, s, NULL) < 0) {
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved_tio);
		s->in_fd = -1;
	}
}

int serial_create(struct vm *vm, const char *output, struct serial **out, struct volt_err *err)
{
	struct serial *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return verr_set(err, ENOMEM, "serial: out of memory");
	s->vm = vm;
	s->out_fd = s->in_fd = -1;
	s->out_efd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->out = malloc(SERIAL_OUT_SIZE);
	if (!s->out) {
		r = verr_set(err, ENOMEM, "serial: out of memory");
		goto fail;
	}
	r = serial_open_output(s, output, err);
	if (r)
		goto fail;
	s->out_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->out_efd < 0) {
		r = verr_set(err, errno, "serial: eventfd: %s", strerror(errno));
		goto fail;
	}
	r = evloop_add(vm->loop, s->out_efd, EPOLLIN, serial_on_output, s, err);
	if (!r)
		r = bus_register(&vm->pio, LAYOUT_COM1_PORT, 8, serial_access, s, "serial (COM1)", err);
	if (r)
		goto fail;
	serial_setup_input(s);
	*out = s;
	return 0;
fail:
	serial_destroy(s);
	return r;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	if (s->out_on && !serial_drain(s, SERIAL_FLUSH_WAIT_MS))
		s->out_dropped += s->out_len; /* the reader took nothing for a while */
	if (s->out_dropped)
		log_warn("serial: %llu bytes of guest output were dropped because the output was too slow",
			 (unsigned long long)s->out_dropped);
	if (s->out_pollable)
		evloop_del(s->vm->loop, s->out_fd);
	if (s->in_fd >= 0) {
		evloop_del(s->vm->loop, s->in_fd);
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved_tio);
	}
	if (s->out_efd >= 0) {
		evloop_del(s->vm->loop, s->out_efd);
		close(s->out_efd);
	}
	if (s->out_owned)
		close(s->out_fd); /* still ours after a failure: only out_on was cleared */
	pthread_mutex_destroy(&s->lock);
	free(s->out);
	free(s);
}
