#include "util/fdwait.h"

#include <errno.h>
#include <poll.h>

bool fd_wait_writable(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int n;

	do
		n = poll(&p, 1, wait_ms);
	while (n < 0 && errno == EINTR);
	return n != 0;
}
