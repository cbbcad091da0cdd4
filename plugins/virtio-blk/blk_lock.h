/* Locking a drive's image against other users, as QEMU does: a second VM
 * (or a second drive of the same VM) writing an image another one uses
 * corrupts it, and nothing else would notice. */
#ifndef VOLT_PLUGIN_BLK_LOCK_H
#define VOLT_PLUGIN_BLK_LOCK_H

#include <stdbool.h>

/* Lock the whole of fd's file: shared for a read-only drive, exclusive
 * otherwise. An open-file-description lock (F_OFD_SETLK), so it also
 * conflicts with the process's own other opens of the file, and goes with
 * the fd. 0, -EBUSY if someone else holds a conflicting lock, -ENOTSUP if
 * the filesystem has no locks, or another -errno. */
int blk_lock(int fd, bool shared);

#endif
