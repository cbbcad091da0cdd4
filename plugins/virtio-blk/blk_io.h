/* Running a parsed virtio-blk request against the image file, on the
 * drive's I/O thread: preadv/pwritev straight between the file and the
 * guest's buffers (no bounce copy), fdatasync for FLUSH (and after every
 * write when the driver declined FLUSH), fallocate for DISCARD and
 * WRITE_ZEROES. */
#ifndef VOLT_PLUGIN_BLK_IO_H
#define VOLT_PLUGIN_BLK_IO_H

#include <stdatomic.h>
#include <stdint.h>

#include <linux/virtio_blk.h>

#include "blk_request.h"

struct blk_image {
	int fd;
	/* VIRTIO_BLK_F_FLUSH not negotiated: the driver cannot ask for a
	 * flush, so each write is made durable before it is answered. Set at
	 * FEATURES_OK on a vCPU thread, read on the I/O thread. */
	atomic_bool write_through;
	char serial[VIRTIO_BLK_ID_BYTES]; /* NUL-padded, no terminator at 20 */
};

/* Run req (req->result == VIRTIO_BLK_S_OK) and return the status to
 * answer. On VIRTIO_BLK_S_IOERR, *err holds the host errno. With
 * img->write_through, a write is OK only once fdatasync has succeeded.
 * *to_guest: the bytes of data put into the guest's buffers (IN, GET_ID),
 * which begin at the chain's first writable byte; also set on failure,
 * and 0 for the other types. */
uint8_t blk_io_run(const struct blk_image *img, const struct blk_request *req, int *err,
		   uint32_t *to_guest);

#endif
