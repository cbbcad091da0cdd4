/* Bytes at an offset of a scattered buffer (a chain's iovecs), for the
 * 12-byte virtio-net header, which a driver may split across descriptors. */
#ifndef VOLT_PLUGIN_NET_IOV_H
#define VOLT_PLUGIN_NET_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Copy len bytes at offset of iov[0..n) into dst; the bytes copied (less
 * than len if the iovecs end first). */
size_t net_iov_read(const struct iovec *iov, unsigned n, size_t offset, void *dst, size_t len);

/* Copy len bytes from src to offset of iov[0..n); the bytes copied. */
size_t net_iov_write(const struct iovec *iov, unsigned n, size_t offset, const void *src,
		     size_t len);

#endif
