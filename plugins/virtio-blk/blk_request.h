/* Parsing one virtio-blk request (virtio 1.2 section 5.2.6) from a chain
 * the core has already walked: a pure function of the element and the
 * drive's limits, with no I/O, so it can be tested and fuzzed alone.
 *
 * Layout: the 16-byte struct virtio_blk_outhdr in the device-readable part;
 * then data (readable for OUT, DISCARD, WRITE_ZEROES; writable for IN and
 * GET_ID); the status byte is the last byte of the device-writable part.
 *
 * A request with no device-writable byte cannot be answered at all (the
 * device must not write a readable buffer, section 2.7.4): it is dropped,
 * its chain returned with 0 bytes written. Every other malformed request
 * is answered: VIRTIO_BLK_S_IOERR for a driver error the specification
 * forbids (short header, bad length, beyond capacity, longer than the
 * size_max and seg_max offered, a write to a read-only drive),
 * VIRTIO_BLK_S_UNSUPP for what the device does not do. */
#ifndef VOLT_PLUGIN_BLK_REQUEST_H
#define VOLT_PLUGIN_BLK_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <volt/virtqueue.h>

#define BLK_SECTOR_SIZE 512u
#define BLK_SECTOR_SHIFT 9

/* What the drive accepts. */
struct blk_limits {
	uint64_t capacity;          /* in 512-byte sectors */
	bool read_only;
	bool discard;               /* VIRTIO_BLK_F_DISCARD offered */
	bool write_zeroes;          /* VIRTIO_BLK_F_WRITE_ZEROES offered */
	uint32_t max_discard_sectors;
	uint32_t max_write_zeroes_sectors;
	/* IN and OUT: no data segment (a buffer's data bytes, header and
	 * status left out) longer than size_max bytes, and no more data than
	 * seg_max * size_max in all, as the configuration space says. The
	 * bound is what keeps one request short: the I/O thread serves it in
	 * one go, and volt's exit waits for the one it holds. */
	uint32_t size_max;
	uint32_t seg_max;
	/* The driver did not accept VIRTIO_BLK_F_SIZE_MAX, so size_max does
	 * not bind its segments (virtio 1.2 5.2.3): only the total does. */
	bool any_segment;
	/* cache = none (O_DIRECT): offsets, lengths and guest buffer
	 * addresses must be multiples of this; 0 when any alignment does. */
	uint32_t dio_align;
};

struct blk_request {
	uint32_t type;              /* VIRTIO_BLK_T_* */
	uint64_t sector;
	uint8_t *status;            /* where the answer goes; NULL: unanswerable */
	uint8_t result;             /* VIRTIO_BLK_S_OK: run it; else answer this */
	const char *why;            /* reason for result != OK or status == NULL */
	/* IN/OUT: the byte range on the image and the guest buffers;
	 * GET_ID: the buffers to fill. */
	uint64_t offset;
	uint64_t len;
	unsigned ndata;
	struct iovec data[VOLT_VQ_MAX_SIZE];
	/* DISCARD and WRITE_ZEROES: the one segment (max_*_seg is 1). */
	uint64_t range_offset;
	uint64_t range_len;
	bool unmap;
};

/* Parse elem into req. Returns 0 when the request can be answered
 * (req->status set; req->result says whether to run it), -EINVAL when it
 * cannot (req->why says why). Never touches memory outside elem's iovecs. */
int blk_request_parse(const struct volt_vq_elem *elem, const struct blk_limits *lim,
		      struct blk_request *req);

#endif
