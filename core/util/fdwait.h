/* Waiting for an fd to take a write, without ever blocking in the write:
 * used where the reader on the other side may stop reading (stderr, the
 * guest's console output) and a thread must not hang on it. */
#ifndef VOLT_UTIL_FDWAIT_H
#define VOLT_UTIL_FDWAIT_H

#include <stdbool.h>

/* Does fd poll writable within wait_ms (0: now)? An error or hang-up counts
 * as yes: the write that follows then says what is wrong. */
bool fd_wait_writable(int fd, int wait_ms);

#endif
