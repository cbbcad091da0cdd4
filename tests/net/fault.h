/* What the backend tests share to reach failure paths: an out-of-memory
 * switch for the next calloc (the test links with -Wl,--wrap=calloc), and
 * a count of the process's open fds, to see that nothing is left open. */
#ifndef VOLT_TESTS_NET_FAULT_H
#define VOLT_TESTS_NET_FAULT_H

#include <stdbool.h>

/* The next calloc returns NULL, once. */
extern bool fail_calloc;

/* Entries of /proc/self/fd. */
int open_fds(void);

#endif
