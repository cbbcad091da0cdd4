#include "net_iov.h"

#include <stdint.h>
#include <string.h>

size_t net_iov_read(const struct iovec *iov, unsigned n, size_t offset, void *dst, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, take;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		take = seg - offset < len - done ? seg - offset : len - done;
		memcpy((uint8_t *)dst + done, (const uint8_t *)iov[i].iov_base + offset, take);
		done += take;
		offset = 0;
	}
	return done;
}

size_t net_iov_write(const struct iovec *iov, unsigned n, size_t offset, const void *src,
		     size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, take;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		take = seg - offset < len - done ? seg - offset : len - done;
		memcpy((uint8_t *)iov[i].iov_base + offset, (const uint8_t *)src + done, take);
		done += take;
		offset = 0;
	}
	return done;
}
