/* Bytes at an offset of a scattered buffer, and a range of it as iovecs:
 * a virtqueue element's iovecs, in which a driver may split a header
 * across descriptors. Header-only, so
 * every device gets the same checked loop without an ABI symbol. */
#ifndef VOLT_IOV_H
#define VOLT_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

/* Copy up to len bytes at offset of iov[0..n) into dst (to_iov false), or
 * from src into it (to_iov true); returns the bytes copied, less than len
 * if the iovecs end first. */
static inline size_t volt_iov_copy(const struct iovec *iov, unsigned n, size_t offset,
				   void *buf, size_t len, int to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, take;
		uint8_t *at;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		at = (uint8_t *)iov[i].iov_base + offset;
		take = seg - offset < len - done ? seg - offset : len - done;
		if (to_iov)
			memcpy(at, (const uint8_t *)buf + done, take);
		else
			memcpy((uint8_t *)buf + done, at, take);
		done += take;
		offset = 0;
	}
	return done;
}

static inline size_t volt_iov_read(const struct iovec *iov, unsigned n, size_t offset,
				   void *dst, size_t len)
{
	return volt_iov_copy(iov, n, offset, dst, len, 0);
}

static inline size_t volt_iov_write(const struct iovec *iov, unsigned n, size_t offset,
				    const void *src, size_t len)
{
	return volt_iov_copy(iov, n, offset, (void *)src, len, 1);
}

/* The iovecs for bytes [skip, skip + len) of iov[0..n), without empty
 * pieces, into out, which has room for n; returns how many. A piece may
 * start inside a segment (a header that shares it with data, say). */
static inline unsigned volt_iov_slice(const struct iovec *iov, unsigned n, uint64_t skip,
				      uint64_t len, struct iovec *out)
{
	unsigned nout = 0;

	for (unsigned i = 0; i < n && len; i++) {
		uint64_t l = iov[i].iov_len, take;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		take = l - skip < len ? l - skip : len;
		out[nout++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, take };
		len -= take;
		skip = 0;
	}
	return nout;
}

#endif
