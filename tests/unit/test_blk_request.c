/* virtio-blk: the request parser on hand-built chains (well-formed and
 * hostile), the I/O it leads to on a real temporary image file, and the
 * whole plugin driven in-process through a fake host API over a simulated
 * driver's rings in guest memory. The plugin's sources are compiled into
 * this test directly (they are not part of volt_core). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#define BLK_VERSION "test"

/* statx, wrapped so a test can give the image any direct-I/O alignment
 * (or none) whatever /tmp's file system says. */
static bool statx_faked, statx_fails;
static struct statx statx_fake;

static int test_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	if (statx_fails) {
		errno = ENOSYS;
		return -1;
	}
	if (statx_faked) {
		*stx = statx_fake;
		return 0;
	}
	return statx(dirfd, path, flags, mask, stx);
}

#define statx(...) test_statx(__VA_ARGS__)
#include "../../plugins/virtio-blk/blk.c"
#undef statx

/* blk_io.c's system calls, wrapped so a test can make the file system do
 * what it seldom does on its own: transfer fewer bytes than asked (at most
 * xfer_cap per call; 0: all), or lack both fallocate modes. */
static size_t xfer_cap;
static unsigned xfer_calls;
static uint64_t xfer_end;   /* the highest file offset a call was offered */
static bool fallocate_unsupported;

static ssize_t xfer_capped(bool write, int fd, const struct iovec *iov, int n, off_t off)
{
	struct iovec v[VOLT_VQ_MAX_SIZE];
	size_t left = xfer_cap;
	int k;

	uint64_t end = (uint64_t)off;

	for (k = 0; k < n; k++)
		end += iov[k].iov_len;
	if (end > xfer_end)
		xfer_end = end;
	xfer_calls++;
	if (!xfer_cap)
		return write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);
	for (k = 0; k < n && left; k++) {
		v[k] = iov[k];
		if (v[k].iov_len > left)
			v[k].iov_len = left;
		left -= v[k].iov_len;
	}
	return write ? pwritev(fd, v, k, off) : preadv(fd, v, k, off);
}

static ssize_t test_preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	return xfer_capped(false, fd, iov, n, off);
}

static ssize_t test_pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	return xfer_capped(true, fd, iov, n, off);
}

static int test_fallocate(int fd, int mode, off_t off, off_t len)
{
	if (fallocate_unsupported) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return fallocate(fd, mode, off, len);
}

/* fdatasync, counted, and made to fail on demand (sync_error: its errno). */
static unsigned sync_calls;
static int sync_error;

static int test_fdatasync(int fd)
{
	sync_calls++;
	if (sync_error) {
		errno = sync_error;
		return -1;
	}
	return fdatasync(fd);
}

#define preadv test_preadv
#define pwritev test_pwritev
#define fallocate test_fallocate
#define fdatasync test_fdatasync
#include "../../plugins/virtio-blk/blk_io.c"
#undef preadv
#undef pwritev
#undef fallocate
#undef fdatasync
#include "../../plugins/virtio-blk/blk_lock.c"
#include "../../plugins/virtio-blk/blk_request.c"

#include "virtio/virtqueue.h"
#include "stdin_fixture.h"

#define CAP 2048 /* sectors: 1 MiB */

static const struct blk_limits lim_rw = {
	.capacity = CAP, .discard = true, .write_zeroes = true,
	.max_discard_sectors = 1024, .max_write_zeroes_sectors = 1024,
	.size_max = BLK_SIZE_MAX, .seg_max = BLK_SEG_MAX,
};

/* ---- building chains by hand ------------------------------------------- */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct chain {
	struct volt_vq_elem elem;
	uint8_t mem[8192] __attribute__((aligned(4096)));
	size_t used;
};

/* Append a buffer of len bytes (readable or writable) carved from mem. */
static uint8_t *add(struct chain *c, size_t len, bool writable)
{
	uint8_t *p = c->mem + c->used;
	unsigned n = c->elem.nout + c->elem.nin;

	assert_true(c->used + len <= sizeof(c->mem));
	assert_true(n < ARRAY_LEN(c->elem.iov)); /* a chain holds no more */
	c->used += len;
	c->elem.iov[n] = (struct iovec){ p, len };
	if (writable) {
		c->elem.nin++;
		c->elem.in_len += len;
	} else {
		assert_int_equal(c->elem.nin, 0);
		c->elem.nout++;
		c->elem.out_len += len;
	}
	return p;
}

static void put_hdr(uint8_t *p, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };

	memcpy(p, &h, sizeof(h));
}

static struct chain *new_chain(void)
{
	/* aligned_alloc: calloc would not honour mem's page alignment. */
	struct chain *c = aligned_alloc(4096, sizeof(*c));

	assert_non_null(c);
	memset(c, 0, sizeof(*c));
	return c;
}

static struct blk_request req;
static uint32_t to_guest; /* what blk_io_run put into the guest's buffers */

static int parse(struct chain *c, const struct blk_limits *lim)
{
	memset(&req, 0xee, sizeof(req));
	return blk_request_parse(&c->elem, lim, &req);
}

static void expect_answer(struct chain *c, const struct blk_limits *lim, uint8_t result,
			  const char *why)
{
	assert_int_equal(parse(c, lim), 0);
	if (req.result != result)
		fail_msg("result %u (%s), want %u", req.result, req.why ? req.why : "-", result);
	assert_non_null(req.status);
	if (why && (!req.why || !strstr(req.why, why)))
		fail_msg("reason \"%s\" lacks \"%s\"", req.why ? req.why : "(none)", why);
}

/* header | data (writable) | status (writable) */
static struct chain *read_chain(uint64_t sector, size_t len)
{
	struct chain *c = new_chain();

	put_hdr(add(c, 16, false), VIRTIO_BLK_T_IN, sector);
	add(c, len, true);
	add(c, 1, true);
	return c;
}

static struct chain *write_chain(uint64_t sector, size_t len)
{
	struct chain *c = new_chain();

	put_hdr(add(c, 16, false), VIRTIO_BLK_T_OUT, sector);
	add(c, len, false);
	add(c, 1, true);
	return c;
}

/* ---- the parser -------------------------------------------------------- */

static void test_parse_read(void **state)
{
	struct chain *c = read_chain(7, 1024);

	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.type, VIRTIO_BLK_T_IN);
	assert_int_equal(req.offset, 7 * 512);
	assert_int_equal(req.len, 1024);
	assert_int_equal(req.ndata, 1);
	assert_ptr_equal(req.data[0].iov_base, c->mem + 16);
	assert_ptr_equal(req.status, c->mem + 16 + 1024);
	free(c);
}

/* Any layout: data and status in one buffer, header split in two. */
static void test_parse_any_layout(void **state)
{
	struct chain *c = new_chain();
	uint8_t *h1 = add(c, 8, false), *h2 = add(c, 8 + 512, false);
	uint8_t hdr[16];

	put_hdr(hdr, VIRTIO_BLK_T_OUT, 3);
	memcpy(h1, hdr, 8);
	memcpy(h2, hdr + 8, 8);
	add(c, 4, true); /* three unused writable bytes, then the status */
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.offset, 3 * 512);
	assert_int_equal(req.ndata, 1);
	assert_ptr_equal(req.data[0].iov_base, h2 + 8);
	assert_int_equal(req.data[0].iov_len, 512);
	assert_ptr_equal(req.status, c->mem + 8 + 520 + 3);
	free(c);

	c = new_chain();
	put_hdr(add(c, 16, false), VIRTIO_BLK_T_IN, 0);
	add(c, 512 + 1, true);
	add(c, 0, true); /* an empty writable buffer at the end */
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.len, 512);
	assert_ptr_equal(req.status, c->mem + 16 + 512);
	free(c);
}

static void test_parse_short_header(void **state)
{
	struct chain *c = new_chain();

	add(c, 8, false);
	add(c, 1, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_IOERR, "shorter than 16 bytes");
	free(c);
	/* No readable part at all. */
	c = new_chain();
	add(c, 17, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_IOERR, "shorter than 16 bytes");
	free(c);
}

static void test_parse_status_not_writable(void **state)
{
	struct chain *c = new_chain();

	put_hdr(add(c, 16, false), VIRTIO_BLK_T_IN, 0);
	add(c, 513, false); /* data and "status" device-readable */
	assert_int_equal(parse(c, &lim_rw), -EINVAL);
	assert_null(req.status);
	assert_non_null(strstr(req.why, "no device-writable status byte"));
	free(c);
	/* Writable buffers that are all empty. */
	c = new_chain();
	put_hdr(add(c, 16, false), VIRTIO_BLK_T_FLUSH, 0);
	add(c, 0, true);
	assert_int_equal(parse(c, &lim_rw), -EINVAL);
	free(c);
}

static void test_parse_bad_lengths_and_ranges(void **state)
{
	struct chain *c;

	c = read_chain(0, 100);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_IOERR, "not a multiple of 512");
	free(c);
	c = read_chain(CAP - 1, 512);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	free(c);
	c = read_chain(CAP - 1, 1024);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_IOERR, "beyond the end");
	free(c);
	c = write_chain(CAP, 512);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_IOERR, "beyond the end");
	free(c);
	/* sector * 512 would overflow 64 bits. */
	c = write_chain(UINT64_MAX, 512);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_IOERR, "beyond the end");
	free(c);
	c = read_chain(1ULL << 55, 512);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_IOERR, "beyond the end");
	free(c);
	/* Zero sectors at the very end: nothing to move, fine. */
	c = read_chain(CAP, 0);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	free(c);
}

static void test_parse_read_only(void **state)
{
	struct blk_limits ro = { .capacity = CAP, .read_only = true, .size_max = BLK_SIZE_MAX,
				 .seg_max = BLK_SEG_MAX };
	struct chain *c = write_chain(0, 512);

	expect_answer(c, &ro, VIRTIO_BLK_S_IOERR, "read-only");
	free(c);
	c = read_chain(0, 512);
	expect_answer(c, &ro, VIRTIO_BLK_S_OK, NULL);
	free(c);
}

static void test_parse_other_types(void **state)
{
	struct chain *c = new_chain();

	put_hdr(add(c, 16, false), VIRTIO_BLK_T_FLUSH, 0);
	add(c, 1, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	free(c);

	c = new_chain();
	put_hdr(add(c, 16, false), VIRTIO_BLK_T_GET_ID, 0);
	add(c, VIRTIO_BLK_ID_BYTES, true);
	add(c, 1, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.len, VIRTIO_BLK_ID_BYTES);
	free(c);

	c = new_chain();
	put_hdr(add(c, 16, false), 0x7777, 0);
	add(c, 1, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_UNSUPP, "unsupported request type");
	free(c);
}

static struct chain *range_chain(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags,
				 unsigned nsegs, size_t extra)
{
	struct chain *c = new_chain();
	uint8_t *p;

	put_hdr(add(c, 16, false), type, 0);
	p = add(c, nsegs * sizeof(struct virtio_blk_discard_write_zeroes) + extra, false);
	for (unsigned i = 0; i < nsegs; i++) {
		struct virtio_blk_discard_write_zeroes s = { .sector = sector, .num_sectors = n,
							     .flags = flags };

		memcpy(p + i * sizeof(s), &s, sizeof(s));
	}
	add(c, 1, true);
	return c;
}

static void expect_range(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags,
			 unsigned nsegs, size_t extra, const struct blk_limits *lim,
			 uint8_t result, const char *why)
{
	struct chain *c = range_chain(type, sector, n, flags, nsegs, extra);

	expect_answer(c, lim, result, why);
	free(c);
}

static void test_parse_discard_write_zeroes(void **state)
{
	const uint32_t D = VIRTIO_BLK_T_DISCARD, W = VIRTIO_BLK_T_WRITE_ZEROES;
	const uint32_t UNMAP = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	struct blk_limits ro = { .capacity = CAP, .read_only = true, .size_max = BLK_SIZE_MAX,
				 .seg_max = BLK_SEG_MAX };

	expect_range(D, 8, 16, 0, 1, 0, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.range_offset, 8 * 512);
	assert_int_equal(req.range_len, 16 * 512);
	assert_false(req.unmap);
	expect_range(W, 8, 16, UNMAP, 1, 0, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_true(req.unmap);
	expect_range(D, 8, 16, UNMAP, 1, 0, &lim_rw, VIRTIO_BLK_S_UNSUPP, "unmap");
	expect_range(W, 8, 16, 0x10, 1, 0, &lim_rw, VIRTIO_BLK_S_UNSUPP, "unknown segment flags");
	expect_range(D, 8, 16, 0, 2, 0, &lim_rw, VIRTIO_BLK_S_IOERR, "more segments");
	expect_range(D, 8, 16, 0, 0, 8, &lim_rw, VIRTIO_BLK_S_IOERR, "multiple of 16");
	expect_range(D, 8, 16, 0, 0, 0, &lim_rw, VIRTIO_BLK_S_IOERR, "multiple of 16");
	expect_range(W, CAP - 8, 16, 0, 1, 0, &lim_rw, VIRTIO_BLK_S_IOERR, "beyond the end");
	expect_range(W, UINT64_MAX, 1, 0, 1, 0, &lim_rw, VIRTIO_BLK_S_IOERR, "beyond the end");
	expect_range(D, 0, 1025, 0, 1, 0, &lim_rw, VIRTIO_BLK_S_IOERR, "maximum");
	expect_range(D, 0, 8, 0, 1, 0, &ro, VIRTIO_BLK_S_UNSUPP, "not offered");
	expect_range(W, 0, 8, 0, 1, 0, &ro, VIRTIO_BLK_S_UNSUPP, "not offered");
	/* Offered, but the drive is read-only. */
	ro.discard = ro.write_zeroes = true;
	ro.max_discard_sectors = ro.max_write_zeroes_sectors = 1024;
	expect_range(D, 0, 8, 0, 1, 0, &ro, VIRTIO_BLK_S_IOERR, "read-only");
	expect_range(W, 0, 8, 0, 1, 0, &ro, VIRTIO_BLK_S_IOERR, "read-only");
}

static void test_parse_direct_alignment(void **state)
{
	struct blk_limits dio = lim_rw;
	struct chain *c = new_chain();

	dio.dio_align = 512;
	put_hdr(add(c, 16, false), VIRTIO_BLK_T_IN, 1);
	add(c, 1024 + 1, true); /* data starts 16 bytes into the page */
	expect_answer(c, &dio, VIRTIO_BLK_S_IOERR, "not aligned for cache = none");
	free(c);

	c = new_chain();
	put_hdr(add(c, 512, false), VIRTIO_BLK_T_IN, 1); /* pad so data is aligned */
	c->elem.iov[0].iov_len = 16;
	c->elem.out_len = 16;
	c->elem.iov[1] = (struct iovec){ c->mem + 512, 1024 };
	c->elem.iov[2] = (struct iovec){ c->mem + 2048, 1 };
	c->elem.nin = 2;
	c->elem.in_len = 1025;
	expect_answer(c, &dio, VIRTIO_BLK_S_OK, NULL);
	free(c);

	/* Aligned buffers, but a file offset that is not (sector 1 of 4 KiB). */
	dio.dio_align = 4096;
	c = new_chain();
	put_hdr(add(c, 16, false), VIRTIO_BLK_T_IN, 1);
	c->elem.iov[1] = (struct iovec){ c->mem + 4096, 4096 };
	c->elem.iov[2] = (struct iovec){ c->mem + 16, 1 };
	c->elem.nin = 2;
	c->elem.in_len = 4097;
	expect_answer(c, &dio, VIRTIO_BLK_S_IOERR, "not aligned for cache = none");
	free(c);
}

/* The data is exactly the bytes before the status byte, also when both
 * share one buffer; and a header one byte short is refused. */
static void test_parse_data_stops_at_status(void **state)
{
	struct chain *c = new_chain();
	uint8_t *in;

	put_hdr(add(c, 16, false), VIRTIO_BLK_T_IN, 0);
	in = add(c, 512 + 1, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.len, 512);
	assert_int_equal(req.ndata, 1);
	assert_ptr_equal(req.data[0].iov_base, in);
	assert_int_equal(req.data[0].iov_len, 512);
	assert_ptr_equal(req.status, in + 512);
	free(c);

	c = new_chain();
	add(c, 15, false);
	add(c, 513, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_IOERR, "shorter than 16 bytes");
	free(c);
}

/* Buffer len carved at offset at of mem: chains whose buffers do not follow
 * one another, as a guest's seldom do. */
static uint8_t *add_at(struct chain *c, size_t at, size_t len, bool writable)
{
	unsigned n = c->elem.nout + c->elem.nin;

	assert_true(at + len <= sizeof(c->mem));
	c->elem.iov[n] = (struct iovec){ c->mem + at, len };
	if (writable) {
		c->elem.nin++;
		c->elem.in_len += len;
	} else {
		assert_int_equal(c->elem.nin, 0);
		c->elem.nout++;
		c->elem.out_len += len;
	}
	return c->mem + at;
}

/* OUT data is the readable part after the 16-byte header: exactly the bytes
 * of the guest's buffers that follow it, in pieces that stay inside those
 * buffers, and no empty piece for a buffer the header fills. */
static void test_parse_out_data_pieces(void **state)
{
	struct chain *c = new_chain();
	uint8_t hdr[16], *h1, *h2, *d;

	/* The header alone in its buffer: one piece, the data buffer. */
	put_hdr(add_at(c, 0, 16, false), VIRTIO_BLK_T_OUT, 2);
	d = add_at(c, 1024, 512, false);
	add_at(c, 4096, 1, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.ndata, 1);
	assert_ptr_equal(req.data[0].iov_base, d);
	assert_int_equal(req.data[0].iov_len, 512);
	free(c);

	/* The header split over two buffers far apart, the second holding the
	 * first 100 data bytes, the rest in a third. */
	c = new_chain();
	put_hdr(hdr, VIRTIO_BLK_T_OUT, 2);
	h1 = add_at(c, 0, 8, false);
	h2 = add_at(c, 256, 8 + 100, false);
	d = add_at(c, 2048, 412, false);
	memcpy(h1, hdr, 8);
	memcpy(h2, hdr + 8, 8);
	add_at(c, 4096, 1, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.offset, 2 * 512);
	assert_int_equal(req.ndata, 2);
	assert_ptr_equal(req.data[0].iov_base, h2 + 8);
	assert_int_equal(req.data[0].iov_len, 100);
	assert_ptr_equal(req.data[1].iov_base, d);
	assert_int_equal(req.data[1].iov_len, 412);
	free(c);

	/* Header and 511 data bytes in one buffer, the last data byte in the
	 * next: the first piece must not run past its buffer's end. */
	c = new_chain();
	h1 = add_at(c, 0, 16 + 511, false);
	put_hdr(h1, VIRTIO_BLK_T_OUT, 2);
	d = add_at(c, 2048, 1, false);
	add_at(c, 4096, 1, true);
	expect_answer(c, &lim_rw, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.len, 512);
	assert_int_equal(req.ndata, 2);
	assert_ptr_equal(req.data[0].iov_base, h1 + 16);
	assert_int_equal(req.data[0].iov_len, 511);
	assert_ptr_equal(req.data[1].iov_base, d);
	assert_int_equal(req.data[1].iov_len, 1);
	free(c);
}

/* Nothing of an earlier request survives into the next parse: a short
 * header is logged as type 0, sector 0, and a write-zeroes without the
 * unmap flag does not unmap. */
static void test_parse_leaves_nothing_stale(void **state)
{
	struct chain *c = range_chain(VIRTIO_BLK_T_WRITE_ZEROES, 8, 16, 0, 1, 0);
	struct chain *s = new_chain();

	add(s, 8, false);
	add(s, 1, true);
	req.type = VIRTIO_BLK_T_OUT;
	req.sector = 99;
	assert_int_equal(blk_request_parse(&s->elem, &lim_rw, &req), 0);
	assert_int_equal(req.result, VIRTIO_BLK_S_IOERR);
	assert_int_equal(req.type, 0);
	assert_int_equal(req.sector, 0);

	req.unmap = true;
	assert_int_equal(blk_request_parse(&c->elem, &lim_rw, &req), 0);
	assert_int_equal(req.result, VIRTIO_BLK_S_OK);
	assert_false(req.unmap);
	free(c);
	free(s);
}

/* A segment of exactly the drive's maximum is accepted, one more refused. */
static void test_parse_range_at_maximum(void **state)
{
	const uint32_t D = VIRTIO_BLK_T_DISCARD, W = VIRTIO_BLK_T_WRITE_ZEROES;
	struct blk_limits lim = lim_rw;

	lim.max_write_zeroes_sectors = 512;
	expect_range(D, 0, 1024, 0, 1, 0, &lim, VIRTIO_BLK_S_OK, NULL);
	assert_int_equal(req.range_len, 1024 * 512);
	expect_range(W, 0, 512, 0, 1, 0, &lim, VIRTIO_BLK_S_OK, NULL);
	expect_range(W, 0, 513, 0, 1, 0, &lim, VIRTIO_BLK_S_IOERR, "maximum");
}

/* size_max and seg_max as offered: a segment counts the data bytes of its
 * buffer (not the header or status byte it may share), the request all
 * of them. At the limit is fine, one sector more is not. */
static void test_parse_size_limits(void **state)
{
	struct blk_limits lim = lim_rw;
	struct chain *c;

	lim.size_max = 1024;
	lim.seg_max = 3;
	c = read_chain(0, 1024);
	expect_answer(c, &lim, VIRTIO_BLK_S_OK, NULL);
	free(c);
	c = read_chain(0, 1536);
	expect_answer(c, &lim, VIRTIO_BLK_S_IOERR, "segment longer than size_max");
	free(c);
	c = write_chain(0, 1536);
	expect_answer(c, &lim, VIRTIO_BLK_S_IOERR, "segment longer than size_max");
	free(c);
	/* Header and data in one buffer, data and status in another. */
	c = new_chain();
	put_hdr(add(c, 16 + 1024, false), VIRTIO_BLK_T_OUT, 0);
	add(c, 1, true);
	expect_answer(c, &lim, VIRTIO_BLK_S_OK, NULL);
	free(c);
	c = new_chain();
	put_hdr(add(c, 16, false), VIRTIO_BLK_T_IN, 0);
	add(c, 1024 + 1, true);
	expect_answer(c, &lim, VIRTIO_BLK_S_OK, NULL);
	free(c);
	/* Three segments of size_max, then four. */
	for (unsigned n = 3; n <= 4; n++) {
		c = new_chain();
		put_hdr(add(c, 16, false), VIRTIO_BLK_T_IN, 0);
		for (unsigned i = 0; i < n; i++)
			add(c, 1024, true);
		add(c, 1, true);
		expect_answer(c, &lim, n == 3 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR,
			      n == 3 ? NULL : "longer than the drive's maximum request");
		free(c);
	}
}

/* header | nseg data buffers of seglen bytes, all over the same guest
 * memory (the parser never touches data) | tail bytes of data | status
 * (for IN the tail and the status share a buffer). */
static struct chain *alias_chain(uint32_t type, unsigned nseg, uint32_t seglen, uint32_t tail)
{
	struct chain *c = new_chain();
	bool in = type == VIRTIO_BLK_T_IN;
	unsigned n;

	put_hdr(add(c, 16, false), type, 0);
	for (unsigned i = 0; i < nseg; i++) {
		n = c->elem.nout + c->elem.nin;
		assert_true(n < ARRAY_LEN(c->elem.iov));
		c->elem.iov[n] = (struct iovec){ c->mem + 4096, seglen };
		if (in) {
			c->elem.nin++;
			c->elem.in_len += seglen;
		} else {
			c->elem.nout++;
			c->elem.out_len += seglen;
		}
	}
	if (in) {
		add(c, tail + 1, true);
		return c;
	}
	if (tail)
		add(c, tail, false);
	add(c, 1, true);
	return c;
}

/* The review's hostile request: 254 writable buffers of 16 MiB over one
 * guest buffer, almost 4 GiB to read in one go (the core lets a chain's
 * writable part reach 4 GiB - 1). Refused now, as is 254 MiB and a sector;
 * 254 buffers of size_max, the most a Linux guest sends, still run. */
static void test_parse_huge_request_refused(void **state)
{
	struct blk_limits lim = lim_rw;
	const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT };
	struct chain *c;

	lim.capacity = 1ULL << 40;
	for (unsigned t = 0; t < 2; t++) {
		c = alias_chain(types[t], BLK_SEG_MAX, 16u << 20, 0);
		expect_answer(c, &lim, VIRTIO_BLK_S_IOERR, "maximum request");
		free(c);
		c = alias_chain(types[t], BLK_SEG_MAX, BLK_SIZE_MAX, 0);
		expect_answer(c, &lim, VIRTIO_BLK_S_OK, NULL);
		assert_int_equal(req.len, (uint64_t)BLK_SEG_MAX * BLK_SIZE_MAX);
		free(c);
		/* One sector past seg_max x size_max: the IN chain's last data
		 * buffer holds the status byte too (256 buffers); an OUT chain
		 * would need 257, more than a chain holds. */
		if (types[t] == VIRTIO_BLK_T_IN) {
			c = alias_chain(types[t], BLK_SEG_MAX, BLK_SIZE_MAX, 512);
			expect_answer(c, &lim, VIRTIO_BLK_S_IOERR, "maximum request");
			free(c);
		}
		c = alias_chain(types[t], 1, BLK_SIZE_MAX + 512, 0);
		expect_answer(c, &lim, VIRTIO_BLK_S_IOERR, "segment longer than size_max");
		free(c);
	}
}

/* ---- the I/O on a real image file -------------------------------------- */

static int make_image(char *path, size_t bytes)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)bytes), 0);
	return fd;
}

static void test_io_read_write_flush_id(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct blk_image img = { .serial = "serial-123" };
	struct chain *w = write_chain(5, 1024), *r = read_chain(5, 1024);
	uint8_t pattern[1024];
	int err = 0;

	img.fd = make_image(path, CAP * 512);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 1);
	memcpy(w->mem + 16, pattern, sizeof(pattern));
	assert_int_equal(parse(w, &lim_rw), 0);
	assert_int_equal(blk_io_run(&img, &req, &err, &to_guest), VIRTIO_BLK_S_OK);
	assert_int_equal(to_guest, 0);
	assert_int_equal(parse(r, &lim_rw), 0);
	assert_int_equal(blk_io_run(&img, &req, &err, &to_guest), VIRTIO_BLK_S_OK);
	assert_int_equal(to_guest, 1024);
	assert_memory_equal(r->mem + 16, pattern, sizeof(pattern));
	uint8_t disk[1024];
	assert_int_equal(pread(img.fd, disk, sizeof(disk), 5 * 512), (ssize_t)sizeof(disk));
	assert_memory_equal(disk, pattern, sizeof(pattern));
	free(w);
	free(r);

	w = new_chain();
	put_hdr(add(w, 16, false), VIRTIO_BLK_T_FLUSH, 0);
	add(w, 1, true);
	assert_int_equal(parse(w, &lim_rw), 0);
	assert_int_equal(blk_io_run(&img, &req, &err, &to_guest), VIRTIO_BLK_S_OK);
	free(w);

	w = new_chain();
	put_hdr(add(w, 16, false), VIRTIO_BLK_T_GET_ID, 0);
	add(w, 12, true);
	add(w, 9, true);
	assert_int_equal(parse(w, &lim_rw), 0);
	assert_int_equal(blk_io_run(&img, &req, &err, &to_guest), VIRTIO_BLK_S_OK);
	assert_int_equal(to_guest, 20);
	assert_memory_equal(w->mem + 16, "serial-123\0\0\0\0\0\0\0\0\0\0", 20);
	free(w);

	close(img.fd);
	unlink(path);
}

static void test_io_discard_write_zeroes(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct blk_image img = { 0 };
	uint8_t ones[8192], back[8192], zeros[8192] = { 0 };
	struct chain *c;
	int err = 0;

	img.fd = make_image(path, CAP * 512);
	memset(ones, 0xff, sizeof(ones));
	for (int unmap = 0; unmap < 2; unmap++) {
		assert_int_equal(pwrite(img.fd, ones, sizeof(ones), 0), (ssize_t)sizeof(ones));
		c = range_chain(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, unmap, 1, 0);
		assert_int_equal(parse(c, &lim_rw), 0);
		assert_int_equal(blk_io_run(&img, &req, &err, &to_guest), VIRTIO_BLK_S_OK);
		assert_int_equal(pread(img.fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
		assert_memory_equal(back, zeros, sizeof(zeros));
		free(c);
	}
	c = range_chain(VIRTIO_BLK_T_DISCARD, 0, 16, 0, 1, 0);
	assert_int_equal(parse(c, &lim_rw), 0);
	assert_int_equal(blk_io_run(&img, &req, &err, &to_guest), VIRTIO_BLK_S_OK);
	free(c);
	/* The size never changes. */
	struct stat st;
	assert_int_equal(fstat(img.fd, &st), 0);
	assert_int_equal(st.st_size, CAP * 512);
	close(img.fd);
	unlink(path);
}

/* Parse c and run it on img; the status, with *err its errno. */
static uint8_t run(struct chain *c, const struct blk_image *img, int *err)
{
	assert_int_equal(parse(c, &lim_rw), 0);
	assert_int_equal(req.result, VIRTIO_BLK_S_OK);
	*err = 0;
	return blk_io_run(img, &req, err, &to_guest);
}

/* A read or write the file system does in several short steps still
 * moves every byte between the right place of the file and the right
 * guest buffer, the steps ending inside and between the buffers. */
static void test_io_short_transfers(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct blk_image img = { 0 };
	uint8_t *d[3], disk[2048], pattern[2048];
	const size_t sizes[3] = { 512, 1024, 512 };
	struct chain *c;
	int err;

	img.fd = make_image(path, CAP * 512);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 13 + i / 256 + 5);
	for (size_t cap = 1; cap <= 2048; cap = cap * 3 + 200) {
		/* OUT from three separate buffers, at most cap bytes per call. */
		c = new_chain();
		put_hdr(add_at(c, 0, 16, false), VIRTIO_BLK_T_OUT, 40);
		for (unsigned i = 0, at = 512; i < 3; at += 2 * sizes[i], i++)
			d[i] = add_at(c, at, sizes[i], false);
		add_at(c, 8000, 1, true);
		memcpy(d[0], pattern, 512);
		memcpy(d[1], pattern + 512, 1024);
		memcpy(d[2], pattern + 1536, 512);
		xfer_cap = cap;
		xfer_calls = 0;
		xfer_end = 0;
		assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
		xfer_cap = 0;
		assert_int_equal(xfer_calls, (2048 + cap - 1) / cap);
		/* No call was offered more than what is left of the request. */
		assert_int_equal(xfer_end, 40 * 512 + 2048);
		assert_int_equal(pread(img.fd, disk, sizeof(disk), 40 * 512), (ssize_t)sizeof(disk));
		assert_memory_equal(disk, pattern, sizeof(disk));
		free(c);

		/* IN of the same sectors into three separate buffers. */
		c = new_chain();
		put_hdr(add_at(c, 0, 16, false), VIRTIO_BLK_T_IN, 40);
		for (unsigned i = 0, at = 512; i < 3; at += 2 * sizes[i], i++)
			d[i] = add_at(c, at, sizes[i], true);
		add_at(c, 8000, 1, true);
		memset(c->mem + 16, 0xaa, 8000 - 16);
		xfer_cap = cap;
		assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
		xfer_cap = 0;
		assert_int_equal(to_guest, 2048);
		assert_memory_equal(d[0], pattern, 512);
		assert_memory_equal(d[1], pattern + 512, 1024);
		assert_memory_equal(d[2], pattern + 1536, 512);
		/* Nothing between the buffers was written. */
		assert_int_equal(d[0][512], 0xaa);
		assert_int_equal(d[1][1024], 0xaa);
		assert_int_equal(d[2][512], 0xaa);
		free(c);
		memset(disk, 0, sizeof(disk));
		assert_int_equal(pwrite(img.fd, disk, sizeof(disk), 40 * 512), (ssize_t)sizeof(disk));
	}
	/* A transfer of no sectors is answered OK. */
	c = read_chain(3, 0);
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
	free(c);
	close(img.fd);
	unlink(path);
}

/* The image shrank after the request was checked (another program cut it):
 * a read that meets its end is an I/O error, EIO, whatever a system call
 * before left in errno (an I/O thread's epoll_wait may leave EINTR). */
static void test_io_file_shrank(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct blk_image img = { 0 };
	struct chain *c = read_chain(CAP - 4, 2048);
	int err;

	alarm(10); /* a loop that never ends fails here, not at ctest's timeout */
	img.fd = make_image(path, CAP * 512);
	assert_int_equal(ftruncate(img.fd, (CAP - 2) * 512), 0); /* half of it is there */
	assert_int_equal(parse(c, &lim_rw), 0);
	errno = EINTR;
	assert_int_equal(blk_io_run(&img, &req, &err, &to_guest), VIRTIO_BLK_S_IOERR);
	assert_int_equal(err, EIO);
	assert_int_equal(to_guest, 1024); /* what was read before the end */
	assert_int_equal(ftruncate(img.fd, (CAP - 8) * 512), 0); /* none of it is */
	errno = EINTR;
	assert_int_equal(blk_io_run(&img, &req, &err, &to_guest), VIRTIO_BLK_S_IOERR);
	assert_int_equal(err, EIO);
	assert_int_equal(to_guest, 0);
	alarm(0);
	free(c);
	close(img.fd);
	unlink(path);
}

/* What the host's file system refuses is answered IOERR with its errno,
 * never OK: a write, a flush, a discard and a write-zeroes on an image fd
 * that cannot do them. */
static void test_io_errors_are_ioerr(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct blk_image img = { 0 };
	struct chain *c;
	int fd, pipefd[2], err;

	alarm(10);
	fd = make_image(path, CAP * 512);
	img.fd = open(path, O_RDONLY);
	assert_true(img.fd >= 0);
	c = write_chain(0, 512);
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_IOERR);
	assert_int_equal(err, EBADF);
	free(c);
	for (int unmap = 0; unmap < 2; unmap++) {
		c = range_chain(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, unmap, 1, 0);
		assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_IOERR);
		assert_int_equal(err, EBADF);
		free(c);
	}
	c = range_chain(VIRTIO_BLK_T_DISCARD, 0, 8, 0, 1, 0);
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_IOERR);
	assert_int_equal(err, EBADF);
	free(c);
	/* Zeros written by hand (no fallocate mode) fail as a write does. */
	fallocate_unsupported = true;
	c = range_chain(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0, 1, 0);
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_IOERR);
	assert_int_equal(err, EBADF);
	fallocate_unsupported = false;
	free(c);
	close(img.fd);

	/* fdatasync fails on a pipe (EINVAL): the flush must say so. */
	assert_int_equal(pipe(pipefd), 0);
	img.fd = pipefd[1];
	c = new_chain();
	put_hdr(add(c, 16, false), VIRTIO_BLK_T_FLUSH, 0);
	add(c, 1, true);
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_IOERR);
	assert_int_equal(err, EINVAL);
	/* A flush that succeeds is OK, whatever errno held before. */
	img.fd = fd;
	errno = EINTR;
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
	assert_int_equal(err, 0);
	free(c);
	close(pipefd[0]);
	close(pipefd[1]);
	alarm(0);
	close(fd);
	unlink(path);
}

static long blocks_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (long)st.st_blocks;
}

/* DISCARD and WRITE_ZEROES with unmap give the blocks back (a hole);
 * WRITE_ZEROES without unmap leaves them allocated. Where the file system
 * has neither fallocate mode, zeros are written by hand, range by range,
 * more than one 64 KiB chunk, nothing outside the range. */
static void test_io_unmap_and_by_hand(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct blk_image img = { 0 };
	static uint8_t ones[CAP * 512], back[CAP * 512];
	const uint32_t W = VIRTIO_BLK_T_WRITE_ZEROES, D = VIRTIO_BLK_T_DISCARD;
	struct chain *c;
	long full;
	bool holes, zero_range;
	int err;

	alarm(10);
	img.fd = make_image(path, CAP * 512);
	memset(ones, 0xff, sizeof(ones));
	assert_int_equal(pwrite(img.fd, ones, sizeof(ones), 0), (ssize_t)sizeof(ones));
	assert_int_equal(fsync(img.fd), 0);
	full = blocks_of(img.fd);
	holes = fallocate(img.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
	zero_range = fallocate(img.fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
	assert_int_equal(pwrite(img.fd, ones, 4096, 0), 4096);
	assert_int_equal(fsync(img.fd), 0);
	if (holes) {
		struct { uint32_t type, flags; } acts[] = { { W, 0 }, { W, 1 }, { D, 0 } };

		/* 1024 sectors (512 KiB, 1024 st_blocks) of the 1 MiB image. */
		for (unsigned i = 0; i < 3; i++) {
			c = range_chain(acts[i].type, 0, 1024, acts[i].flags, 1, 0);
			xfer_calls = 0;
			assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
			free(c);
			/* The file system zeroes what it can zero itself. */
			if (zero_range || acts[i].flags || acts[i].type == D)
				assert_int_equal(xfer_calls, 0);
			if (acts[i].type == W && !acts[i].flags)
				assert_true(blocks_of(img.fd) >= full);
			else
				assert_true(blocks_of(img.fd) <= full - 1024);
			assert_int_equal(pwrite(img.fd, ones, sizeof(ones), 0), (ssize_t)sizeof(ones));
			assert_int_equal(fsync(img.fd), 0);
		}
	} else {
		print_message("no hole punching on /tmp: unmap not checked\n");
	}

	fallocate_unsupported = true;
	for (int unmap = 0; unmap < 2; unmap++) {
		assert_int_equal(pwrite(img.fd, ones, sizeof(ones), 0), (ssize_t)sizeof(ones));
		/* Sectors 3 .. 3 + 300: 150 KiB, three chunks, the last partial. */
		c = range_chain(W, 3, 300, unmap, 1, 0);
		xfer_calls = 0;
		xfer_end = 0;
		assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
		assert_int_equal(xfer_calls, 3);
		assert_int_equal(xfer_end, 303 * 512);
		free(c);
		assert_int_equal(pread(img.fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
		for (size_t i = 0; i < sizeof(back); i++)
			if (back[i] != (i >= 3 * 512 && i < 303 * 512 ? 0 : 0xff))
				fail_msg("unmap %d: byte %zu is 0x%02x", unmap, i, back[i]);
	}
	/* Discard without hole punching keeps the data: a hint, answered OK. */
	c = range_chain(D, 0, 8, 0, 1, 0);
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
	free(c);
	fallocate_unsupported = false;
	alarm(0);
	close(img.fd);
	unlink(path);
}

/* GET_ID fills at most 20 bytes and never more than each buffer holds,
 * buffers anywhere in the chain; a shorter answer is cut, not overrun. */
static void test_io_get_id_buffers(void **state)
{
	struct blk_image img = { .fd = -1, .serial = "ABCDEFGHIJKLMNOPQRST" };
	uint8_t *a, *b;
	struct chain *c = new_chain();
	int err;

	put_hdr(add_at(c, 0, 16, false), VIRTIO_BLK_T_GET_ID, 0);
	a = add_at(c, 100, 12, true);
	b = add_at(c, 300, 20 + 1, true); /* 20 bytes of room, then the status */
	memset(c->mem + 16, 0xaa, 1000);
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
	assert_int_equal(to_guest, 20);
	assert_memory_equal(a, "ABCDEFGHIJKL", 12);
	assert_int_equal(a[12], 0xaa);
	assert_memory_equal(b, "MNOPQRST", 8);
	for (int i = 8; i < 20; i++)
		assert_int_equal(b[i], 0xaa);
	free(c);

	/* Room for 8 bytes only. */
	c = new_chain();
	put_hdr(add_at(c, 0, 16, false), VIRTIO_BLK_T_GET_ID, 0);
	a = add_at(c, 100, 8 + 1, true);
	memset(c->mem + 16, 0xaa, 1000);
	assert_int_equal(run(c, &img, &err), VIRTIO_BLK_S_OK);
	assert_int_equal(to_guest, 8);
	assert_memory_equal(a, "ABCDEFGH", 8);
	assert_int_equal(a[9], 0xaa);
	free(c);
}

/* ---- the whole plugin, driven in-process ------------------------------- */

#define G_RAM     (4ULL << 20)
#define G_DESC    0x1000ULL
#define G_AVAIL   0x2000ULL
#define G_USED    0x3000ULL
#define G_HDR     0x10000ULL
#define G_DATA    0x20000ULL
#define G_STATUS  0x30000ULL
#define G_QSIZE   16

struct volt_instance {
	struct guest_mem mem;
	struct virtqueue vq;
	const char *keys[4][2];
	unsigned pushes, notifies, logs;
	unsigned syncs_at_push;     /* sync_calls when the last request was pushed */
	uint32_t last_written;      /* the used length of the last request pushed */
	int bound_fd;
	char last_log[256];
	char last_warn[256];
	uint16_t avail_idx;
};

static const char *fh_name(struct volt_instance *inst) { return "drive test"; }

static const char *fh_get(struct volt_instance *inst, const char *key)
{
	for (unsigned i = 0; i < 4 && inst->keys[i][0]; i++)
		if (!strcmp(inst->keys[i][0], key))
			return inst->keys[i][1];
	for (size_t i = 0; i < sizeof(blk_keys) / sizeof(blk_keys[0]); i++)
		if (!strcmp(blk_keys[i].name, key))
			return blk_keys[i].default_value;
	return NULL;
}

static bool fh_get_bool(struct volt_instance *inst, const char *key)
{
	const char *v = fh_get(inst, key);

	return v && !strcmp(v, "true");
}

static void fh_log(struct volt_instance *inst, enum volt_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inst->last_log, sizeof(inst->last_log), fmt, ap);
	va_end(ap);
	if (level <= VOLT_LOG_WARN) {
		inst->logs++;
		memcpy(inst->last_warn, inst->last_log, sizeof(inst->last_warn));
	}
}

static int fh_pop(struct volt_instance *inst, unsigned q, struct volt_vq_elem *elem)
{
	struct volt_err err = { 0 };

	return vq_pop(&inst->vq, elem, &err);
}

static void fh_push(struct volt_instance *inst, unsigned q, const struct volt_vq_elem *elem,
		    uint32_t written)
{
	/* A device never claims more than the chain's writable part. */
	assert_true(written <= elem->in_len);
	assert_int_equal(vq_push(&inst->vq, elem, written), 0);
	inst->pushes++;
	inst->syncs_at_push = sync_calls;
	inst->last_written = written;
}

static void fh_notify(struct volt_instance *inst, unsigned q)
{
	inst->notifies++;
}

static int fh_bind_result;  /* what sandbox_bind_fd answers */

static int fh_bind(struct volt_instance *inst, uint32_t slot, int fd)
{
	assert_int_equal(slot, 0);
	inst->bound_fd = fd;
	return fh_bind_result;
}

static const struct volt_host_api fake_host = {
	.struct_size = sizeof(struct volt_host_api),
	.instance_name = fh_name,
	.config_get = fh_get,
	.config_get_bool = fh_get_bool,
	.log = fh_log,
	.vq_pop = fh_pop,
	.vq_push = fh_push,
	.vq_notify = fh_notify,
	.sandbox_bind_fd = fh_bind,
};

static void *g(struct volt_instance *inst, uint64_t gpa, uint64_t len)
{
	void *p = guest_mem_ptr(&inst->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static void g_desc(struct volt_instance *inst, unsigned i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	*(struct vring_desc *)g(inst, G_DESC + 16 * i, 16) = (struct vring_desc){ addr, len, flags, next };
}

/* Post header (readable), data, status (writable) as chain 0..2. */
static void g_request(struct volt_instance *inst, uint32_t type, uint64_t sector, uint32_t len,
		      bool data_writable)
{
	struct vring_avail *av = g(inst, G_AVAIL, 4 + 2 * G_QSIZE);

	put_hdr(g(inst, G_HDR, 16), type, sector);
	g_desc(inst, 0, G_HDR, 16, VRING_DESC_F_NEXT, 1);
	g_desc(inst, 1, G_DATA, len, VRING_DESC_F_NEXT | (data_writable ? VRING_DESC_F_WRITE : 0), 2);
	g_desc(inst, 2, G_STATUS, 1, VRING_DESC_F_WRITE, 0);
	*(uint8_t *)g(inst, G_STATUS, 1) = 0xff;
	av->ring[inst->avail_idx % G_QSIZE] = 0;
	av->idx = ++inst->avail_idx;
}

static void test_plugin_in_process(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	const struct volt_plugin_desc *desc = VOLT_PLUGIN_ENTRY();
	const struct volt_device_ops *ops = desc->ops;
	struct virtio_blk_config cfg;
	struct volt_err err = { 0 };
	uint8_t *data;
	void *st = NULL;
	int fd = make_image(path, CAP * 512);

	close(fd);
	assert_int_equal(guest_mem_init(&inst->mem, G_RAM, &err), 0);
	vq_init(&inst->vq, &inst->mem);
	inst->keys[0][0] = "path";
	inst->keys[0][1] = path;
	assert_string_equal(desc->name, "virtio-blk");
	assert_int_equal(ops->virtio_id, VIRTIO_ID_BLOCK);
	assert_int_equal(desc->create(&fake_host, inst, &st), 0);
	assert_int_equal(desc->realize(st), 0);
	assert_true(inst->bound_fd >= 0);
	assert_true(ops->features(st) & (1ULL << VIRTIO_BLK_F_FLUSH));
	assert_false(ops->features(st) & (1ULL << VIRTIO_BLK_F_RO));
	ops->config_read(st, 0, &cfg, sizeof(cfg));
	assert_int_equal(cfg.capacity, CAP);
	assert_int_equal(vq_setup(&inst->vq, G_QSIZE, G_DESC, G_AVAIL, G_USED, 0, &err), 0);

	data = g(inst, G_DATA, 4096);
	memset(data, 0x5c, 4096);
	g_request(inst, VIRTIO_BLK_T_OUT, 9, 4096, false);
	ops->queue_notify(st, 0);
	assert_int_equal(*(uint8_t *)g(inst, G_STATUS, 1), VIRTIO_BLK_S_OK);
	memset(data, 0, 4096);
	g_request(inst, VIRTIO_BLK_T_IN, 9, 4096, true);
	ops->queue_notify(st, 0);
	assert_int_equal(*(uint8_t *)g(inst, G_STATUS, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(data[0], 0x5c);
	assert_int_equal(data[4095], 0x5c);
	assert_int_equal(inst->pushes, 2);
	assert_int_equal(inst->notifies, 2);
	assert_int_equal(inst->logs, 0);

	/* GET_ID: the default serial comes from the instance name. */
	g_request(inst, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true);
	ops->queue_notify(st, 0);
	assert_memory_equal(data, "drive-test\0", 11);

	/* A hostile request is answered and logged once; a status byte in a
	 * readable buffer is dropped with 0 bytes written, logged once. */
	g_request(inst, VIRTIO_BLK_T_IN, CAP, 512, true);
	ops->queue_notify(st, 0);
	assert_int_equal(*(uint8_t *)g(inst, G_STATUS, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(inst->logs, 1);
	assert_non_null(strstr(inst->last_log, "beyond the end"));
	g_request(inst, VIRTIO_BLK_T_OUT, 0, 512, false);
	g_desc(inst, 2, G_STATUS, 1, 0, 0);
	ops->queue_notify(st, 0);
	assert_int_equal(*(uint8_t *)g(inst, G_STATUS, 1), 0xff);
	assert_int_equal(inst->logs, 2);
	assert_non_null(strstr(inst->last_log, "dropped"));
	{
		struct vring_used *u = g(inst, G_USED, 4 + 8 * G_QSIZE);

		assert_int_equal(u->ring[(inst->avail_idx - 1) % G_QSIZE].len, 0);
	}
	/* The log stops after BLK_LOG_MAX lines, with one line saying so. */
	for (int i = 0; i < 100; i++) {
		g_request(inst, 0x99, 0, 512, true);
		ops->queue_notify(st, 0);
	}
	assert_int_equal(inst->logs, BLK_LOG_MAX + 1);

	desc->destroy(st);
	guest_mem_fini(&inst->mem);
	free(inst);
	unlink(path);
}

static void test_plugin_read_only_and_keys(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	const struct volt_plugin_desc *desc = VOLT_PLUGIN_ENTRY();
	void *st = NULL;
	int fd = make_image(path, 1000); /* not a multiple of 512: one sector */

	close(fd);
	inst->keys[0][0] = "path";
	inst->keys[0][1] = path;
	inst->keys[1][0] = "cache";
	inst->keys[1][1] = "sometimes";
	assert_int_equal(desc->create(&fake_host, inst, &st), -EINVAL);
	assert_non_null(strstr(inst->last_log, "must be writeback or none"));
	desc->destroy(st);

	inst->keys[1][0] = "serial";
	inst->keys[1][1] = "012345678901234567890";
	assert_int_equal(desc->create(&fake_host, inst, &st), -EINVAL);
	desc->destroy(st);

	inst->keys[1][1] = "01234567890123456789";
	inst->keys[2][0] = "read_only";
	inst->keys[2][1] = "true";
	assert_int_equal(desc->create(&fake_host, inst, &st), 0);
	assert_int_equal(desc->realize(st), 0);
	{
		struct blk *b = st;
		uint64_t f = blk_ops.features(st);

		assert_true(f & (1ULL << VIRTIO_BLK_F_RO));
		assert_false(f & (1ULL << VIRTIO_BLK_F_DISCARD));
		assert_int_equal(b->lim.capacity, 1);
		assert_memory_equal(b->img.serial, "01234567890123456789", 20);
		assert_int_equal(fcntl(b->img.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	}
	desc->destroy(st);
	free(inst);
	unlink(path);
}

/* An instance on a temporary image of size bytes, keys as given (up to
 * three more after path), created and realized; NULL if either failed
 * (*ret says which error). */
static struct blk *plugin_up(struct volt_instance *inst, char *path, size_t size,
			     const char *const keys[][2], unsigned nkeys, int *ret)
{
	const struct volt_plugin_desc *desc = VOLT_PLUGIN_ENTRY();
	void *st = NULL;

	if (size != (size_t)-1)
		close(make_image(path, size));
	memset(inst->keys, 0, sizeof(inst->keys));
	inst->keys[0][0] = "path";
	inst->keys[0][1] = path;
	for (unsigned i = 0; i < nkeys; i++) {
		inst->keys[1 + i][0] = keys[i][0];
		inst->keys[1 + i][1] = keys[i][1];
	}
	*ret = desc->create(&fake_host, inst, &st);
	if (!*ret)
		*ret = desc->realize(st);
	if (*ret) {
		desc->destroy(st);
		return NULL;
	}
	return st;
}

/* A plugin on a fresh CAP-sector image, its queue set up in guest RAM. */
static struct blk *plugin_on_queue(struct volt_instance *inst, char *path)
{
	struct volt_err err = { 0 };
	struct blk *b;
	int ret;

	assert_int_equal(guest_mem_init(&inst->mem, G_RAM, &err), 0);
	vq_init(&inst->vq, &inst->mem);
	b = plugin_up(inst, path, CAP * 512, NULL, 0, &ret);
	assert_non_null(b);
	assert_int_equal(vq_setup(&inst->vq, G_QSIZE, G_DESC, G_AVAIL, G_USED, 0, &err), 0);
	return b;
}

/* The configuration space a driver reads holds what the parser enforces:
 * a guest that obeys it is never refused. Read whole and field by field. */
static void test_plugin_config_space(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	struct virtio_blk_config cfg;
	uint32_t v32;
	uint64_t f;
	struct blk *b;
	int ret;

	b = plugin_up(inst, path, CAP * 512, NULL, 0, &ret);
	assert_non_null(b);
	f = blk_ops.features(b);
	assert_true(f & (1ULL << VIRTIO_BLK_F_DISCARD));
	assert_true(f & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	assert_true(f & (1ULL << VIRTIO_BLK_F_SEG_MAX));
	assert_true(f & (1ULL << VIRTIO_BLK_F_SIZE_MAX));
	assert_true(f & (1ULL << VIRTIO_BLK_F_BLK_SIZE));
	assert_false(f & (1ULL << VIRTIO_BLK_F_RO));
	blk_ops.config_read(b, 0, &cfg, sizeof(cfg));
	assert_int_equal(le64toh(cfg.capacity), CAP);
	assert_int_equal(le32toh(cfg.seg_max), VOLT_VQ_MAX_SIZE - 2);
	/* At least a page (Linux refuses less), and what the parser enforces. */
	assert_int_equal(le32toh(cfg.size_max), 1u << 20);
	assert_int_equal(b->lim.size_max, le32toh(cfg.size_max));
	assert_int_equal(b->lim.seg_max, le32toh(cfg.seg_max));
	assert_int_equal(le32toh(cfg.blk_size), 512);
	assert_int_equal(le32toh(cfg.max_discard_sectors), b->lim.max_discard_sectors);
	assert_int_equal(le32toh(cfg.max_write_zeroes_sectors), b->lim.max_write_zeroes_sectors);
	assert_true(b->lim.max_discard_sectors >= 8);
	assert_int_equal(le32toh(cfg.max_discard_seg), 1);  /* the parser takes one */
	assert_int_equal(le32toh(cfg.max_write_zeroes_seg), 1);
	assert_int_equal(le32toh(cfg.discard_sector_alignment), 8);
	assert_int_equal(cfg.write_zeroes_may_unmap, 1);
	blk_ops.config_read(b, offsetof(struct virtio_blk_config, blk_size), &v32, 4);
	assert_int_equal(le32toh(v32), 512);
	blk_ops.config_read(b, offsetof(struct virtio_blk_config, max_discard_seg), &v32, 4);
	assert_int_equal(le32toh(v32), 1);
	blk_destroy(b);
	unlink(path);
	free(inst);
}

/* DISCARD and WRITE_ZEROES on a writable drive, through the queue; an I/O
 * error (the image cut short by someone else) is answered and logged. */
static void test_plugin_ranges_and_io_error(void **state)
{
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	struct virtio_blk_discard_write_zeroes seg = { .sector = 0, .num_sectors = 8 };
	uint8_t back[4096], ones[4096];
	struct blk *b;

	b = plugin_on_queue(inst, path);
	memset(ones, 0xff, sizeof(ones));
	for (uint32_t type = VIRTIO_BLK_T_DISCARD; type <= VIRTIO_BLK_T_WRITE_ZEROES; type += 2) {
		assert_int_equal(pwrite(b->img.fd, ones, sizeof(ones), 0), (ssize_t)sizeof(ones));
		memcpy(g(inst, G_DATA, 16), &seg, 16);
		g_request(inst, type, 0, 16, false);
		blk_ops.queue_notify(b, 0);
		assert_int_equal(*(uint8_t *)g(inst, G_STATUS, 1), VIRTIO_BLK_S_OK);
	}
	assert_int_equal(pread(b->img.fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
	for (size_t i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	assert_int_equal(inst->logs, 0);

	assert_int_equal(ftruncate(b->img.fd, 0), 0);
	g_request(inst, VIRTIO_BLK_T_IN, 0, 512, true);
	blk_ops.queue_notify(b, 0);
	assert_int_equal(*(uint8_t *)g(inst, G_STATUS, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(inst->logs, 1);
	assert_non_null(strstr(inst->last_warn, strerror(EIO)));
	blk_destroy(b);
	guest_mem_fini(&inst->mem);
	unlink(path);
	free(inst);
}

/* Post one request (sector 0), run the queue, and check its status and
 * how many fdatasyncs it took, every one of them before its push. */
static void expect_syncs(struct volt_instance *inst, struct blk *b, uint32_t type, uint32_t len,
			 bool writable, uint8_t status, unsigned syncs)
{
	unsigned before = sync_calls;

	g_request(inst, type, 0, len, writable);
	blk_ops.queue_notify(b, 0);
	assert_int_equal(*(uint8_t *)g(inst, G_STATUS, 1), status);
	assert_int_equal(sync_calls - before, syncs);
	assert_int_equal(inst->syncs_at_push, sync_calls);
}

/* A driver that declines VIRTIO_BLK_F_FLUSH cannot ask for a flush, so
 * each write must be on stable storage before it is answered (virtio 1.2
 * 5.2.6.2): OUT, WRITE_ZEROES and DISCARD each take an fdatasync before
 * their push, and one that fails is answered IOERR. A driver that accepts
 * FLUSH gets no fdatasync until it flushes. Reads never take one, nor do
 * the refused writes of a read-only drive. */
static void test_plugin_write_through(void **state)
{
	static const char *const ro[][2] = { { "read_only", "true" } };
	const uint64_t flush = 1ULL << VIRTIO_BLK_F_FLUSH;
	const uint32_t OUT = VIRTIO_BLK_T_OUT, IN = VIRTIO_BLK_T_IN;
	const uint8_t OK = VIRTIO_BLK_S_OK, IOERR = VIRTIO_BLK_S_IOERR;
	struct virtio_blk_discard_write_zeroes seg = { .sector = 0, .num_sectors = 8 };
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	struct blk *b;
	int ret;

	b = plugin_on_queue(inst, path);
	assert_non_null(blk_ops.set_features);
	assert_true(blk_ops.features(b) & flush);

	assert_int_equal(blk_ops.set_features(b, blk_ops.features(b) & ~flush), 0);
	expect_syncs(inst, b, OUT, 512, false, OK, 1);
	memcpy(g(inst, G_DATA, 16), &seg, 16);
	expect_syncs(inst, b, VIRTIO_BLK_T_WRITE_ZEROES, 16, false, OK, 1);
	memcpy(g(inst, G_DATA, 16), &seg, 16);
	expect_syncs(inst, b, VIRTIO_BLK_T_DISCARD, 16, false, OK, 1);
	expect_syncs(inst, b, IN, 512, true, OK, 0);
	expect_syncs(inst, b, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_ID_BYTES, true, OK, 0);
	expect_syncs(inst, b, OUT, 1000, false, IOERR, 0); /* refused: nothing written */
	sync_error = EIO;
	inst->logs = 0;
	expect_syncs(inst, b, OUT, 512, false, IOERR, 1);
	sync_error = 0;
	assert_int_equal(inst->logs, 1);
	assert_non_null(strstr(inst->last_warn, strerror(EIO)));

	assert_int_equal(blk_ops.set_features(b, blk_ops.features(b)), 0);
	expect_syncs(inst, b, OUT, 512, false, OK, 0);
	memcpy(g(inst, G_DATA, 16), &seg, 16);
	expect_syncs(inst, b, VIRTIO_BLK_T_WRITE_ZEROES, 16, false, OK, 0);
	expect_syncs(inst, b, VIRTIO_BLK_T_FLUSH, 0, false, OK, 1);
	blk_destroy(b);

	b = plugin_up(inst, path, (size_t)-1, ro, 1, &ret);
	assert_non_null(b);
	assert_int_equal(blk_ops.set_features(b, blk_ops.features(b) & ~flush), 0);
	expect_syncs(inst, b, OUT, 512, false, IOERR, 0);
	expect_syncs(inst, b, IN, 512, true, OK, 0);
	blk_destroy(b);
	guest_mem_fini(&inst->mem);
	unlink(path);
	free(inst);
}

/* Post one request, run the queue, and check its status and used length. */
static void expect_used(struct volt_instance *inst, struct blk *b, uint32_t type, uint64_t sector,
			uint32_t len, bool writable, uint8_t status, uint32_t used)
{
	g_request(inst, type, sector, len, writable);
	blk_ops.queue_notify(b, 0);
	assert_int_equal(*(uint8_t *)g(inst, G_STATUS, 1), status);
	assert_int_equal(inst->last_written, used);
}

/* The used length claims no byte the device did not write (virtio 1.2
 * 2.7.8.2): the data read and the status byte for IN, the ID (20 bytes at
 * most) and the status byte for GET_ID, the status byte alone for the
 * rest, for every refusal, and for an IN that failed before reading; an IN
 * that met the end of the image counts what it read before. */
static void test_plugin_used_len(void **state)
{
	const uint32_t IN = VIRTIO_BLK_T_IN, ID = VIRTIO_BLK_T_GET_ID;
	const uint8_t OK = VIRTIO_BLK_S_OK, IOERR = VIRTIO_BLK_S_IOERR;
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	struct blk *b;

	b = plugin_on_queue(inst, path);
	expect_used(inst, b, IN, 10, 4096, true, OK, 4096 + 1);
	expect_used(inst, b, VIRTIO_BLK_T_OUT, 10, 4096, false, OK, 1);
	expect_used(inst, b, VIRTIO_BLK_T_FLUSH, 0, 512, true, OK, 1);
	expect_used(inst, b, ID, 0, 512, true, OK, VIRTIO_BLK_ID_BYTES + 1);
	expect_used(inst, b, ID, 0, VIRTIO_BLK_ID_BYTES, true, OK, VIRTIO_BLK_ID_BYTES + 1);
	expect_used(inst, b, ID, 0, 8, true, OK, 8 + 1);
	expect_used(inst, b, IN, CAP, 512, true, IOERR, 1);
	expect_used(inst, b, IN, 0, 100, true, IOERR, 1);
	expect_used(inst, b, 0x99, 0, 512, true, VIRTIO_BLK_S_UNSUPP, 1);
	/* A segment over size_max: answered, its reason logged. */
	expect_used(inst, b, IN, 0, 2u << 20, true, IOERR, 1);
	assert_non_null(strstr(inst->last_warn, "longer than size_max"));
	expect_used(inst, b, VIRTIO_BLK_T_OUT, 0, 2u << 20, false, IOERR, 1);
	/* A driver that did not accept SIZE_MAX is not bound by it: the same
	 * request now fails only for running past this 1 MiB image. */
	assert_int_equal(blk_ops.set_features(b, 1ULL << VIRTIO_F_VERSION_1), 0);
	expect_used(inst, b, IN, 0, 2u << 20, true, IOERR, 1);
	assert_null(strstr(inst->last_warn, "longer than size_max"));
	assert_non_null(strstr(inst->last_warn, "beyond the end"));
	assert_int_equal(blk_ops.set_features(b, (1ULL << VIRTIO_F_VERSION_1) |
						 (1ULL << VIRTIO_BLK_F_SIZE_MAX)), 0);
	/* The image cut short by someone else: sector 10 is there, 11 not. */
	assert_int_equal(ftruncate(b->img.fd, 11 * 512), 0);
	expect_used(inst, b, IN, 10, 1024, true, IOERR, 512 + 1);
	expect_used(inst, b, IN, 11, 1024, true, IOERR, 1);
	blk_destroy(b);
	guest_mem_fini(&inst->mem);
	unlink(path);
	free(inst);
}

/* cache = none: the image opened O_DIRECT, and the alignment the file
 * system asks (the larger of the offset and memory alignments, at least
 * 512; 512 when it does not say) both enforced and told to the guest. */
static void test_plugin_cache_none(void **state)
{
	static const char *const keys[][2] = { { "cache", "none" } };
	static const struct { bool fails; uint32_t mask, off, mem, want; } cases[] = {
		{ false, STATX_DIOALIGN, 4096, 512, 4096 },
		{ false, STATX_DIOALIGN, 512, 4096, 4096 },
		{ false, STATX_DIOALIGN, 4, 4, 512 },
		{ false, STATX_DIOALIGN, 0, 0, 512 },          /* no direct I/O said */
		{ false, 0, 4096, 4096, 512 },                 /* the field is not valid */
		{ true, 0, 0, 0, 512 },                        /* no statx */
	};
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	struct virtio_blk_config cfg;
	struct blk *b;
	int ret;

	close(make_image(path, CAP * 512));
	ret = open(path, O_RDWR | O_DIRECT);
	if (ret < 0) {
		/* tmpfs before Linux 6.6 has no O_DIRECT. */
		unlink(path);
		free(inst);
		skip();
	}
	close(ret);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&statx_fake, 0x5a, sizeof(statx_fake));
		statx_fake.stx_mask = cases[i].mask;
		statx_fake.stx_dio_offset_align = cases[i].off;
		statx_fake.stx_dio_mem_align = cases[i].mem;
		statx_faked = true;
		statx_fails = cases[i].fails;
		b = plugin_up(inst, path, (size_t)-1, keys, 1, &ret);
		statx_faked = statx_fails = false;
		if (!b)
			fail_msg("case %u: %d %s", i, ret, inst->last_log);
		assert_true(fcntl(b->img.fd, F_GETFL) & O_DIRECT);
		assert_int_equal(b->lim.dio_align, cases[i].want);
		blk_ops.config_read(b, 0, &cfg, sizeof(cfg));
		assert_int_equal(le32toh(cfg.blk_size), cases[i].want);
		blk_destroy(b);
	}
	unlink(path);
	free(inst);
}

/* What realize refuses or accepts as an image, and what it says. */
static void test_plugin_images(void **state)
{
	static const char *const ro[][2] = { { "read_only", "true" } };
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	char fifo[] = "/tmp/volt-blk-fifo.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	struct blk *b;
	int ret, saved;

	/* A character device and a FIFO are not disks. */
	assert_null(plugin_up(inst, (char *)"/dev/null", (size_t)-1, ro, 1, &ret));
	assert_int_equal(ret, -EINVAL);
	assert_non_null(strstr(inst->last_log, "not a regular file or block device"));
	assert_true(mkdtemp(fifo) != NULL);
	{
		char node[64];

		snprintf(node, sizeof(node), "%s/p", fifo);
		assert_int_equal(mkfifo(node, 0600), 0);
		assert_null(plugin_up(inst, node, (size_t)-1, NULL, 0, &ret));
		assert_int_equal(ret, -EINVAL);
		assert_non_null(strstr(inst->last_log, "not a regular file or block device"));
		unlink(node);
		rmdir(fifo);
	}
	/* An empty image is a drive of no sectors. */
	b = plugin_up(inst, path, 0, NULL, 0, &ret);
	assert_non_null(b);
	assert_int_equal(b->lim.capacity, 0);
	blk_destroy(b);
	unlink(path);
	/* A partial last sector is not used, and the user is told. */
	inst->logs = 0;
	strcpy(path, "/tmp/volt-blk-test.XXXXXX");
	b = plugin_up(inst, path, 1000, NULL, 0, &ret);
	assert_non_null(b);
	assert_int_equal(inst->logs, 1);
	assert_non_null(strstr(inst->last_warn, "1000 bytes, not a multiple of 512: the last 488 are not used"));
	blk_destroy(b);
	/* volt started with stdin closed opens the image as fd 0. */
	saved = stdin_away();
	b = plugin_up(inst, path, (size_t)-1, NULL, 0, &ret);
	if (b) {
		assert_int_equal(b->img.fd, 0);
		blk_destroy(b);
		assert_int_equal(fcntl(0, F_GETFD), -1); /* closed with the drive */
	}
	stdin_back(saved);
	if (!b)
		fail_msg("image as fd 0: %d %s", ret, inst->last_log);
	unlink(path);
	free(inst);
}

/* The lowest free fd: what the next open gets. */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* A drive leaves no fd open once destroyed; one whose fd the sandbox
 * cannot take fails to realize (its I/O would be killed under seccomp);
 * destroying what was never created is harmless. */
static void test_plugin_lifecycle(void **state)
{
	const struct volt_plugin_desc *desc = VOLT_PLUGIN_ENTRY();
	char path[] = "/tmp/volt-blk-test.XXXXXX";
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	int before, ret;
	struct blk *b;

	close(make_image(path, CAP * 512));
	before = next_fd();
	b = plugin_up(inst, path, (size_t)-1, NULL, 0, &ret);
	assert_non_null(b);
	assert_true(next_fd() != before);
	desc->destroy(b);
	assert_int_equal(next_fd(), before);

	fh_bind_result = -ENOSPC;
	b = plugin_up(inst, path, (size_t)-1, NULL, 0, &ret);
	fh_bind_result = 0;
	assert_null(b);
	assert_int_equal(ret, -ENOSPC);
	assert_non_null(strstr(inst->last_log, "binding the image fd for the sandbox"));
	assert_int_equal(next_fd(), before);

	desc->destroy(NULL);
	unlink(path);
	free(inst);
}

/* A create that fails is destroyed without closing an fd it never opened
 * (fd 0 included). */
static void test_plugin_failed_create_closes_nothing(void **state)
{
	const struct volt_plugin_desc *desc = VOLT_PLUGIN_ENTRY();
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	int saved, fd;
	void *st = NULL;

	saved = stdin_away();
	fd = open("/dev/null", O_RDONLY);
	assert_int_equal(fd, 0);
	inst->keys[0][0] = "path";
	inst->keys[0][1] = "/nonexistent";
	inst->keys[1][0] = "cache";
	inst->keys[1][1] = "sometimes";
	assert_int_equal(desc->create(&fake_host, inst, &st), -EINVAL);
	desc->destroy(st);
	fd = fcntl(0, F_GETFD);
	stdin_back(saved);
	assert_true(fd >= 0);
	free(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_read),
		cmocka_unit_test(test_parse_any_layout),
		cmocka_unit_test(test_parse_short_header),
		cmocka_unit_test(test_parse_status_not_writable),
		cmocka_unit_test(test_parse_bad_lengths_and_ranges),
		cmocka_unit_test(test_parse_read_only),
		cmocka_unit_test(test_parse_other_types),
		cmocka_unit_test(test_parse_discard_write_zeroes),
		cmocka_unit_test(test_parse_direct_alignment),
		cmocka_unit_test(test_parse_data_stops_at_status),
		cmocka_unit_test(test_parse_out_data_pieces),
		cmocka_unit_test(test_parse_leaves_nothing_stale),
		cmocka_unit_test(test_parse_range_at_maximum),
		cmocka_unit_test(test_parse_size_limits),
		cmocka_unit_test(test_parse_huge_request_refused),
		cmocka_unit_test(test_io_read_write_flush_id),
		cmocka_unit_test(test_io_discard_write_zeroes),
		cmocka_unit_test(test_io_short_transfers),
		cmocka_unit_test(test_io_file_shrank),
		cmocka_unit_test(test_io_errors_are_ioerr),
		cmocka_unit_test(test_io_unmap_and_by_hand),
		cmocka_unit_test(test_io_get_id_buffers),
		cmocka_unit_test(test_plugin_in_process),
		cmocka_unit_test(test_plugin_read_only_and_keys),
		cmocka_unit_test(test_plugin_config_space),
		cmocka_unit_test(test_plugin_ranges_and_io_error),
		cmocka_unit_test(test_plugin_write_through),
		cmocka_unit_test(test_plugin_used_len),
		cmocka_unit_test(test_plugin_cache_none),
		cmocka_unit_test(test_plugin_images),
		cmocka_unit_test(test_plugin_failed_create_closes_nothing),
		cmocka_unit_test(test_plugin_lifecycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
