/* Every thread volt starts goes through here, with an explicit stack size.
 *
 * glibc's default stack is RLIMIT_STACK, usually 8 MiB. On a host whose
 * transparent huge pages are set to "always", a stack that large can have
 * a 2 MiB huge page behind the few KiB a thread uses: seen in the rig, where
 * the kernel loader's thread left 2 MiB of RSS in about one run in four. A
 * stack smaller than 2 MiB cannot hold a huge page, so each size here is. */
#ifndef VOLT_UTIL_THREAD_H
#define VOLT_UTIL_THREAD_H

#include <pthread.h>
#include <stddef.h>

/* vCPU, I/O and loader threads: shallow call paths, no recursion. */
#define THREAD_STACK_SMALL (256u * 1024)
/* The API thread parses JSON (jansson recurses per nesting level). */
#define THREAD_STACK_API   (1024u * 1024)

/* pthread_create with a stack of `stack` bytes; 0 or a positive errno, as
 * pthread_create returns it. */
int thread_create(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg);

#endif
