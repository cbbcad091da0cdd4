/* libFuzzer target: the virtio-blk request parser on chains the fuzzer
 * shapes. Each buffer of the chain is its own heap block of exactly its
 * length, so AddressSanitizer catches a read or write past any of them.
 * Beyond "no crash": the status byte must be the last byte of a writable
 * buffer; a request cleared to run must describe data that lies inside the
 * chain's buffers (writable ones for IN and GET_ID, readable ones for OUT)
 * and a range inside the drive, and an IN or OUT must keep to size_max per
 * data segment and seg_max x size_max in all; every refusal must say why.
 * GET_ID is also
 * run, since it copies into the guest's buffers in user space, and must
 * say it filled exactly min(20, its data length) bytes.
 *
 * Chains have up to VOLT_VQ_MAX_SIZE (256) buffers, as many as the core's
 * walker passes on (readable and writable counts each 0-6, or 129-256 with
 * the sum held to 256), with a run of empty buffers the input places
 * anywhere (before, inside or after the header, data and status), and
 * lengths 0-199, 1-48 sectors or an edge (511, 513, 1023, 4095, 4097,
 * 65535, 65536, 131072), the lengths of 200 or more cut to under 200 once
 * the chain holds 512 KiB.
 *
 * Input: nout, nin (bit 7: 256 - low bits, else mod 7), 3 bytes of limits,
 * the first empty buffer and how many, one length byte per buffer, then
 * the bytes that fill the buffers in order. The high nibble of the second
 * limits byte picks size_max and seg_max: 0 the drive's own (1 MiB, 254:
 * beyond the 512 KiB a chain holds here), else small ones the chains can
 * pass (size_max 512 << (n & 7), seg_max 4 if n & 8, else 254). The seeds
 * in tests/fuzz/seeds/blk_request are IN and OUT requests at and past
 * those small limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>

#include "../../plugins/virtio-blk/blk_io.c"
#include "../../plugins/virtio-blk/blk_request.c"

#define FUZZ_MAX_BUFS VOLT_VQ_MAX_SIZE
#define FUZZ_MAX_BYTES (512u << 10) /* in a chain's buffers at most */
#define FUZZ_SIZE_MAX (1u << 20)              /* as blk.c offers: BLK_SIZE_MAX */
#define FUZZ_SEG_MAX (VOLT_VQ_MAX_SIZE - 2)   /* and BLK_SEG_MAX */

/* A buffer count byte: 0-6, or 129-256. */
#define FUZZ_COUNT(v) ((v) & 0x80 ? 256u - ((v) & 0x7fu) : (v) % 7u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is [p, p+len) inside one of iov[first, first+n)? */
static bool fuzz_inside(const struct volt_vq_elem *e, unsigned first, unsigned n, const void *p,
			size_t len)
{
	for (unsigned i = first; i < first + n; i++) {
		const uint8_t *b = e->iov[i].iov_base;

		if ((const uint8_t *)p >= b && len <= e->iov[i].iov_len &&
		    (size_t)((const uint8_t *)p - b) <= e->iov[i].iov_len - len)
			return true;
	}
	return false;
}

static void fuzz_check(const struct volt_vq_elem *e, const struct blk_limits *lim,
		       const struct blk_request *req)
{
	bool to_guest = req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_GET_ID;
	bool rw = req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT;
	unsigned first = to_guest ? e->nout : 0, n = to_guest ? e->nin : e->nout;
	uint64_t total = 0;

	if (!fuzz_inside(e, e->nout, e->nin, req->status, 1))
		abort();
	if (req->result != VIRTIO_BLK_S_OK) {
		if (!req->why || !req->why[0])
			abort();
		return;
	}
	for (unsigned i = 0; i < req->ndata; i++) {
		if (!req->data[i].iov_len || !fuzz_inside(e, first, n, req->data[i].iov_base,
							  req->data[i].iov_len))
			abort();
		if (rw && !lim->any_segment && req->data[i].iov_len > lim->size_max)
			abort();
		total += req->data[i].iov_len;
	}
	if (rw) {
		if (total != req->len || req->len % 512 ||
		    req->offset / 512 + req->len / 512 > lim->capacity ||
		    req->len > (uint64_t)lim->seg_max * lim->size_max)
			abort();
	}
	if ((req->type == VIRTIO_BLK_T_DISCARD || req->type == VIRTIO_BLK_T_WRITE_ZEROES) &&
	    (req->range_offset / 512 + req->range_len / 512 > lim->capacity || lim->read_only))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct volt_vq_elem *e = calloc(1, sizeof(*e));
	struct blk_request *req = malloc(sizeof(*req));
	struct blk_image img = { .fd = -1, .serial = "fuzz-serial" };
	struct blk_limits lim = { 0 };
	const uint8_t *p = data, *end = data + size;
	static const size_t edge[] = { 511, 513, 1023, 4095, 4097, 65535, 65536, 131072 };
	unsigned nbufs, empty_from, empty_n;
	size_t bytes = 0;
	uint32_t filled;
	int err;

	if (size < 7 || !e || !req)
		goto out;
	e->nout = (uint16_t)FUZZ_COUNT(p[0]);
	e->nin = (uint16_t)FUZZ_COUNT(p[1]);
	if (e->nout + e->nin > FUZZ_MAX_BUFS)
		e->nin = (uint16_t)(FUZZ_MAX_BUFS - e->nout);
	lim.capacity = p[2] & 0x80 ? UINT64_MAX >> (p[2] & 0x3f) : p[2];
	lim.read_only = p[3] & 1;
	lim.discard = p[3] & 2;
	lim.write_zeroes = p[3] & 4;
	lim.dio_align = p[3] & 8 ? 512 : 0;
	lim.max_discard_sectors = lim.max_write_zeroes_sectors = (uint32_t)p[4] << 4;
	lim.size_max = p[3] >> 4 ? 512u << ((p[3] >> 4) & 7) : FUZZ_SIZE_MAX;
	lim.seg_max = p[3] & 0x80 ? 4 : FUZZ_SEG_MAX;
	empty_from = p[5];
	empty_n = p[6];
	p += 7;
	nbufs = e->nout + e->nin;
	if ((size_t)(end - p) < nbufs)
		goto out;
	for (unsigned i = 0; i < nbufs; i++, p++) {
		/* 0..199, or sectors, or an edge */
		size_t len = *p < 200 ? *p : *p < 248 ? (size_t)(*p - 199) * 512 : edge[*p - 248];
		uint8_t *b;

		if (i >= empty_from && i - empty_from < empty_n)
			len = 0;
		if (len >= 200 && bytes + len > FUZZ_MAX_BYTES)
			len %= 200; /* many big buffers: slow, and nothing new */
		bytes += len;
		b = malloc(len ? len : 1);

		if (!b)
			abort();
		memset(b, 0, len);
		e->iov[i] = (struct iovec){ b, len };
		if (i < e->nout)
			e->out_len += (uint32_t)len;
		else
			e->in_len += (uint32_t)len;
	}
	/* The buffers' contents, in order (headers, segments). */
	for (unsigned i = 0; i < nbufs && p < end; i++) {
		size_t take = (size_t)(end - p) < e->iov[i].iov_len ? (size_t)(end - p) : e->iov[i].iov_len;

		memcpy(e->iov[i].iov_base, p, take);
		p += take;
	}
	if (blk_request_parse(e, &lim, req) < 0) {
		if (req->status || e->in_len || !req->why)
			abort();
	} else {
		fuzz_check(e, &lim, req);
		if (req->result == VIRTIO_BLK_S_OK && req->type == VIRTIO_BLK_T_GET_ID) {
			blk_io_run(&img, req, &err, &filled);
			if (filled != (req->len < VIRTIO_BLK_ID_BYTES ? req->len : VIRTIO_BLK_ID_BYTES))
				abort();
		}
		*req->status = req->result;
	}
	for (unsigned i = 0; i < nbufs; i++)
		free(e->iov[i].iov_base);
out:
	free(e);
	free(req);
	return 0;
}
