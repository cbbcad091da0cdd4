/* Logging to stderr, one line per call, prefixed "volt: <level>: ".
 * Thread-safe (one write(2) per line). */
#ifndef VOLT_UTIL_LOG_H
#define VOLT_UTIL_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The guest's console is written to stderr's file too (one pipe, one
 * terminal, one file): a log line then starts on a line of its own. The
 * console writer brackets each write with log_console_begin/end, which
 * keeps log lines out of it, and gives the last byte it wrote (-1: none),
 * which tells whether it left a line unfinished. */
void log_console_shared(bool shared);
void log_console_begin(void);
void log_console_end(int last_byte);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
