#include "blk_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

int blk_lock(int fd, bool shared)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl)); /* l_pid must be 0 for an OFD lock */
	fl.l_type = shared ? F_RDLCK : F_WRLCK;
	fl.l_whence = SEEK_SET;     /* l_start 0, l_len 0: the whole file */
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return -EBUSY;
	if (errno == ENOLCK || errno == EOPNOTSUPP || errno == EINVAL)
		return -ENOTSUP;
	return -errno;
}
