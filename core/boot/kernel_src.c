/* Image sources: a buffer, or a file read with pread. */
#include "boot/kernel_src.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int src_mem_read(const struct kernel_src *src, uint64_t off, void *dst, size_t n,
			struct volt_err *err)
{
	memcpy(dst, src->buf + off, n);
	return 0;
}

/* pread may stop short (a signal, a huge request): go on from there. Zero
 * bytes before the end means the file is shorter than it was when opened. */
static int src_fd_read(const struct kernel_src *src, uint64_t off, void *dst, size_t n,
		       struct volt_err *err)
{
	uint8_t *p = dst;
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(src->fd, p + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return verr_set(err, errno, "read failed at offset %llu: %s",
					(unsigned long long)(off + done), strerror(errno));
		if (r == 0)
			return verr_set(err, EIO, "file shrank to %llu bytes while being read (expected %zu)",
					(unsigned long long)(off + done), src->len);
		done += (size_t)r;
	}
	return 0;
}

struct kernel_src kernel_src_mem(const uint8_t *buf, size_t len)
{
	return (struct kernel_src){ .len = len, .read = src_mem_read, .buf = buf, .fd = -1 };
}

struct kernel_src kernel_src_fd(int fd, size_t len)
{
	return (struct kernel_src){ .len = len, .read = src_fd_read, .fd = fd };
}

int kernel_src_read(const struct kernel_src *src, uint64_t off, void *dst, size_t n,
		    struct volt_err *err)
{
	if (off > src->len || n > src->len - off)
		return verr_set(err, EIO, "read of %zu bytes at offset %llu is outside the %zu-byte image",
				n, (unsigned long long)off, src->len);
	return n ? src->read(src, off, dst, n, err) : 0;
}
