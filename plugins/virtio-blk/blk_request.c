#include "blk_request.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/virtio_blk.h>

#include <volt/iov.h>

static int blk_answer(struct blk_request *req, uint8_t result, const char *why)
{
	req->result = result;
	req->why = why;
	return 0;
}

/* [sector, sector + nsectors) inside the drive? Written so nothing wraps. */
static bool blk_in_range(const struct blk_limits *lim, uint64_t sector, uint64_t nsectors)
{
	return sector <= lim->capacity && nsectors <= lim->capacity - sector;
}

static bool blk_aligned(const struct blk_request *req, uint32_t align)
{
	if (!align)
		return true;
	if (req->offset % align || req->len % align)
		return false;
	for (unsigned i = 0; i < req->ndata; i++)
		if ((uintptr_t)req->data[i].iov_base % align || req->data[i].iov_len % align)
			return false;
	return true;
}

/* A data segment longer than the size_max offered? */
static bool blk_segment_too_long(const struct blk_request *req, uint32_t size_max)
{
	for (unsigned i = 0; i < req->ndata; i++)
		if (req->data[i].iov_len > size_max)
			return true;
	return false;
}

/* IN and OUT: data is [data_skip, data_skip + len) of iovs. */
static int blk_parse_rw(const struct volt_vq_elem *elem, const struct blk_limits *lim,
			struct blk_request *req, const struct iovec *iovs, unsigned n,
			uint64_t data_skip, uint64_t len)
{
	if (req->type == VIRTIO_BLK_T_OUT && lim->read_only)
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "write to a read-only drive");
	if (len % BLK_SECTOR_SIZE)
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "data length is not a multiple of 512 bytes");
	if (len > (uint64_t)lim->seg_max * lim->size_max)
		return blk_answer(req, VIRTIO_BLK_S_IOERR,
				  "data longer than the drive's maximum request (seg_max x size_max)");
	req->ndata = volt_iov_slice(iovs, n, data_skip, len, req->data);
	if (!lim->any_segment && blk_segment_too_long(req, lim->size_max))
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "a data segment longer than size_max");
	if (!blk_in_range(lim, req->sector, len >> BLK_SECTOR_SHIFT))
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "sectors beyond the end of the drive");
	req->offset = req->sector << BLK_SECTOR_SHIFT;
	req->len = len;
	if (!blk_aligned(req, lim->dio_align))
		return blk_answer(req, VIRTIO_BLK_S_IOERR,
				  "buffer, offset or length not aligned for cache = none");
	return blk_answer(req, VIRTIO_BLK_S_OK, NULL);
}

/* DISCARD and WRITE_ZEROES: one struct virtio_blk_discard_write_zeroes. */
static int blk_parse_range(const struct volt_vq_elem *elem, const struct blk_limits *lim,
			   struct blk_request *req)
{
	bool discard = req->type == VIRTIO_BLK_T_DISCARD;
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t payload = elem->out_len - sizeof(struct virtio_blk_outhdr);
	uint32_t flags, nsectors, max;

	if (!(discard ? lim->discard : lim->write_zeroes))
		return blk_answer(req, VIRTIO_BLK_S_UNSUPP, "discard or write-zeroes not offered");
	if (lim->read_only)
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "write to a read-only drive");
	if (payload == 0 || payload % sizeof(seg))
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "segment list is not a multiple of 16 bytes");
	if (payload > sizeof(seg))
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "more segments than the one allowed");
	volt_iov_read(elem->iov, elem->nout, sizeof(struct virtio_blk_outhdr), &seg, sizeof(seg));
	flags = le32toh(seg.flags);
	nsectors = le32toh(seg.num_sectors);
	if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)
		return blk_answer(req, VIRTIO_BLK_S_UNSUPP, "unknown segment flags");
	if (discard && (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
		return blk_answer(req, VIRTIO_BLK_S_UNSUPP, "discard with the unmap flag");
	max = discard ? lim->max_discard_sectors : lim->max_write_zeroes_sectors;
	if (nsectors > max)
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "segment longer than the drive's maximum");
	if (!blk_in_range(lim, le64toh(seg.sector), nsectors))
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "sectors beyond the end of the drive");
	req->range_offset = le64toh(seg.sector) << BLK_SECTOR_SHIFT;
	req->range_len = (uint64_t)nsectors << BLK_SECTOR_SHIFT;
	req->unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	return blk_answer(req, VIRTIO_BLK_S_OK, NULL);
}

/* The status byte: the last byte of the last non-empty writable buffer. */
static uint8_t *blk_status_byte(const struct volt_vq_elem *elem)
{
	for (unsigned i = elem->nout + elem->nin; i > elem->nout; i--) {
		const struct iovec *v = &elem->iov[i - 1];

		if (v->iov_len)
			return (uint8_t *)v->iov_base + v->iov_len - 1;
	}
	return NULL;
}

int blk_request_parse(const struct volt_vq_elem *elem, const struct blk_limits *lim,
		      struct blk_request *req)
{
	const struct iovec *in = elem->iov + elem->nout;
	struct virtio_blk_outhdr hdr;

	req->type = 0;
	req->sector = 0;
	req->why = NULL;
	req->offset = req->len = 0;
	req->ndata = 0;
	req->status = blk_status_byte(elem);
	if (!req->status) {
		req->why = "no device-writable status byte (status in a device-readable buffer?)";
		return -EINVAL;
	}
	if (elem->out_len < sizeof(hdr))
		return blk_answer(req, VIRTIO_BLK_S_IOERR, "request header shorter than 16 bytes");
	volt_iov_read(elem->iov, elem->nout, 0, &hdr, sizeof(hdr));
	req->type = le32toh(hdr.type);
	req->sector = le64toh(hdr.sector);
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		return blk_parse_rw(elem, lim, req, in, elem->nin, 0, elem->in_len - 1);
	case VIRTIO_BLK_T_OUT:
		return blk_parse_rw(elem, lim, req, elem->iov, elem->nout, sizeof(hdr),
				    elem->out_len - sizeof(hdr));
	case VIRTIO_BLK_T_FLUSH:
		return blk_answer(req, VIRTIO_BLK_S_OK, NULL);
	case VIRTIO_BLK_T_GET_ID:
		req->len = elem->in_len - 1;
		req->ndata = volt_iov_slice(in, elem->nin, 0, req->len, req->data);
		return blk_answer(req, VIRTIO_BLK_S_OK, NULL);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_parse_range(elem, lim, req);
	default:
		return blk_answer(req, VIRTIO_BLK_S_UNSUPP, "unsupported request type");
	}
}
