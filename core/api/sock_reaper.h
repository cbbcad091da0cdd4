/* The API socket's remover: a small process, forked when the socket is
 * bound, that removes the socket file when volt is done with it.
 *
 * Why not volt itself: after lockdown Landlock would have to let volt
 * remove files in the socket's directory, and a Landlock rule covers the
 * whole tree beneath it: /run, /tmp, or / for a socket given as a bare
 * name from /. volt often runs as root, so a guest that took it over could
 * delete any host file there. The remover holds that power instead, and it
 * runs no code a guest can reach: it waits for one byte (volt's exit) or
 * end of file (volt killed) on a socket pair whose other end only volt
 * holds, removes the file if it is still the socket volt bound (the same
 * device and inode), answers, and exits. As net-macvtap's reaper it is
 * forked twice (init adopts it), leaves volt's session, blocks every
 * signal and closes every fd but its end of the pair and stderr. It also
 * removes the socket when volt is killed (SIGKILL, the sandbox's kill),
 * which volt itself never could. */
#ifndef VOLT_API_SOCK_REAPER_H
#define VOLT_API_SOCK_REAPER_H

#include <sys/types.h>

#include "util/err.h"

/* Start the remover of the socket file at path (device dev, inode ino):
 * volt's end of the pair, or -errno with err set. Only the calling thread
 * may exist (the fork copies no other). */
int api_reaper_start(const char *path, dev_t dev, ino_t ino, struct volt_err *err);

/* Have the remover remove the file now, waiting at most wait_ms: 0, or
 * -errno from its unlink, or -ECHILD if it did not answer. Closes fd. */
int api_reaper_remove(int fd, int wait_ms);

#endif
