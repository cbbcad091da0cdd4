#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "util/fdwait.h"

/* How long a line waits for stderr to take it. Whatever reads stderr may
 * stop reading (a stuck collector, often one pipe with the guest's console
 * output); a thread must not then block for ever on its next line: the main
 * loop, and SIGTERM with it, or a vCPU. */
#define LOG_WAIT_MS 250

/* Set by the API thread (PUT /logger) while every thread logs: atomic. */
static atomic_int log_level = LOG_INFO;
static atomic_bool log_stuck;       /* the last line found stderr full: wait no more */
static atomic_ulong log_lost;       /* lines dropped since the last one written */

/* The console on stderr's file (log_console_shared): its writes and log
 * lines take turns under console_lock, and console_midline says the
 * console's last byte did not end a line. */
static bool console_shared;
static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;
static bool console_midline;

static const char *const log_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warning",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

/* Can stderr take a line? An error counts as yes (the write then fails
 * quietly, as it always did). */
static bool log_stderr_ready(void)
{
	bool ready = fd_wait_writable(STDERR_FILENO, atomic_load(&log_stuck) ? 0 : LOG_WAIT_MS);

	atomic_store(&log_stuck, !ready);
	return ready;
}

void log_console_shared(bool shared)
{
	console_shared = shared;
}

void log_console_begin(void)
{
	if (console_shared)
		pthread_mutex_lock(&console_lock);
}

void log_console_end(int last_byte)
{
	if (!console_shared)
		return;
	if (last_byte >= 0)
		console_midline = last_byte != '\n';
	pthread_mutex_unlock(&console_lock);
}

/* One write so lines from different threads never interleave mid-line.
 * line has a byte of room in front: a newline goes there when the guest's
 * console, on the same file, left its line unfinished. With the console on
 * the same file, stderr is asked again under the lock: the console's write
 * may have filled it since the caller's wait, and a write that blocks here
 * would block the console (the main loop) behind it. */
static bool log_write(char *line, size_t n)
{
	log_console_begin();
	if (console_shared && !fd_wait_writable(STDERR_FILENO, 0)) {
		log_console_end(-1);
		return false;
	}
	if (console_midline) { /* only ever set while the console is shared */
		line--;
		n++;
		line[0] = '\n';
		console_midline = false;
	}
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nothing to do: stderr is where we would say so. */
	}
	log_console_end(-1);
	return true;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[1 + 1024], *line = buf + 1; /* buf[0]: log_write's newline */
	unsigned long lost;
	va_list ap;
	int n;

	if (level > log_get_level())
		return;
	if (!log_stderr_ready()) {
		atomic_fetch_add(&log_lost, 1);
		return;
	}
	lost = atomic_exchange(&log_lost, 0);
	if (lost) {
		n = snprintf(line, sizeof(buf) - 1, "volt: %s: %lu log line(s) lost: stderr was "
			     "full (its reader fell behind)\n", log_names[LOG_WARN], lost);
		if (!log_write(line, (size_t)n)) {
			atomic_fetch_add(&log_lost, lost + 1); /* those it counted, and this one */
			return;
		}
	}
	n = snprintf(line, sizeof(buf) - 1, "volt: %s: ", log_names[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(buf) - 1 - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf) - 2)
		n = sizeof(buf) - 3;
	line[n++] = '\n';
	if (!log_write(line, (size_t)n))
		atomic_fetch_add(&log_lost, 1);
}
