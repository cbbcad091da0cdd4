#include "blk_io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define BLK_ZERO_CHUNK (64u * 1024)

/* Zeros for WRITE_ZEROES where the file system cannot zero a range itself;
 * page-aligned so an O_DIRECT write accepts it. */
static const uint8_t blk_zeros[BLK_ZERO_CHUNK] __attribute__((aligned(4096)));

static ssize_t blk_xfer(int fd, bool write, const struct iovec *iov, int n, off_t off)
{
	ssize_t r;

	do
		r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Transfer all of [off, off + len), resuming after a short transfer (rare:
 * only then is the iovec array copied). A read that meets the end of the
 * file (shrunk under us) is an I/O error. *done: the bytes moved, also
 * when it fails, from the start of iov on. */
static int blk_rw_all(int fd, bool write, const struct iovec *iov, unsigned n, uint64_t off,
		      uint64_t len, uint64_t *done)
{
	struct iovec rest[VOLT_VQ_MAX_SIZE];
	unsigned first = 0;
	ssize_t r;

	*done = 0;
	if (!len)
		return 0;
	r = blk_xfer(fd, write, iov, (int)n, (off_t)off);
	if (r >= 0 && (uint64_t)r == len) {
		*done = len;
		return 0;
	}
	memcpy(rest, iov, n * sizeof(*iov));
	for (;;) {
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		*done += (uint64_t)r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
		if (!len)
			return 0;
		while ((size_t)r >= rest[first].iov_len) {
			r -= (ssize_t)rest[first].iov_len;
			first++;
		}
		rest[first].iov_base = (uint8_t *)rest[first].iov_base + r;
		rest[first].iov_len -= (size_t)r;
		r = blk_xfer(fd, write, rest + first, (int)(n - first), (off_t)off);
	}
}

static int blk_fallocate(int fd, int mode, uint64_t off, uint64_t len)
{
	int r;

	do
		r = fallocate(fd, mode, (off_t)off, (off_t)len);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static int blk_write_zeroes_by_hand(int fd, uint64_t off, uint64_t len)
{
	while (len) {
		uint64_t chunk = len < BLK_ZERO_CHUNK ? len : BLK_ZERO_CHUNK;
		struct iovec v = { (void *)blk_zeros, chunk };
		uint64_t done;
		int r = blk_rw_all(fd, true, &v, 1, off, chunk, &done);

		if (r)
			return r;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

static bool blk_unsupported(int r)
{
	return r == -EOPNOTSUPP || r == -ENOSYS || r == -EINVAL;
}

/* Reads of the range must give zeros afterwards. With unmap the blocks may
 * be deallocated (a hole); without, they stay allocated. */
static int blk_write_zeroes(int fd, const struct blk_request *req)
{
	int r = -EOPNOTSUPP;

	if (req->unmap)
		r = blk_fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, req->range_offset,
				  req->range_len);
	if (blk_unsupported(r))
		r = blk_fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, req->range_offset,
				  req->range_len);
	if (blk_unsupported(r))
		r = blk_write_zeroes_by_hand(fd, req->range_offset, req->range_len);
	return r;
}

/* Discarding is a hint: a file system that cannot punch holes keeps the data. */
static int blk_discard(int fd, const struct blk_request *req)
{
	int r = blk_fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, req->range_offset,
			      req->range_len);

	return blk_unsupported(r) ? 0 : r;
}

/* Returns the bytes copied: 20, or fewer if the buffers hold fewer. */
static size_t blk_get_id(const struct blk_image *img, const struct blk_request *req)
{
	size_t done = 0;

	for (unsigned i = 0; i < req->ndata && done < sizeof(img->serial); i++) {
		size_t take = sizeof(img->serial) - done;

		if (take > req->data[i].iov_len)
			take = req->data[i].iov_len;
		memcpy(req->data[i].iov_base, img->serial + done, take);
		done += take;
	}
	return done;
}

static int blk_flush(int fd)
{
	int r;

	do
		r = fdatasync(fd);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* The requests that change the image. */
static bool blk_writes(uint32_t type)
{
	return type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_WRITE_ZEROES ||
	       type == VIRTIO_BLK_T_DISCARD;
}

uint8_t blk_io_run(const struct blk_image *img, const struct blk_request *req, int *err,
		   uint32_t *to_guest)
{
	uint64_t done;
	int r = 0;

	*to_guest = 0;
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		r = blk_rw_all(img->fd, false, req->data, req->ndata, req->offset, req->len, &done);
		*to_guest = (uint32_t)done; /* at most the chain's writable bytes */
		break;
	case VIRTIO_BLK_T_OUT:
		r = blk_rw_all(img->fd, true, req->data, req->ndata, req->offset, req->len, &done);
		break;
	case VIRTIO_BLK_T_FLUSH:
		r = blk_flush(img->fd);
		break;
	case VIRTIO_BLK_T_GET_ID:
		*to_guest = (uint32_t)blk_get_id(img, req);
		break;
	case VIRTIO_BLK_T_DISCARD:
		r = req->range_len ? blk_discard(img->fd, req) : 0;
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		r = req->range_len ? blk_write_zeroes(img->fd, req) : 0;
		break;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
	if (!r && blk_writes(req->type) && atomic_load(&img->write_through))
		r = blk_flush(img->fd);
	*err = -r;
	return r ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}
