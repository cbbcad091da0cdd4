/* What the backend tests share to reach failure paths: an out-of-memory
 * switch for the next calloc (the test links with -Wl,--wrap=calloc), a
 * sandbox that refuses a backend's second fd, and a count of the process's
 * open fds, to see that nothing is left open. */
#ifndef VOLT_TESTS_NET_FAULT_H
#define VOLT_TESTS_NET_FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct volt_instance;

/* The next calloc returns NULL, once. */
extern bool fail_calloc;

/* A host's sandbox_bind_fd that takes slot 0 and refuses slot 1 with
 * -ENOSPC: realize must fail after binding its first fd, and undo it. */
int bind_refused_slot1(struct volt_instance *inst, uint32_t slot, int fd);

/* Entries of /proc/self/fd. */
int open_fds(void);

#endif
