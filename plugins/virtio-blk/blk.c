/* virtio-blk: a raw image file (or block device) as a virtio block device.
 *
 * One request queue. Requests run on the drive's I/O thread, where the
 * core calls queue_notify: each chain is parsed (blk_request.c), then read
 * or written with preadv/pwritev straight between the file and the guest's
 * buffers (blk_io.c), answered, and the guest interrupted once per batch.
 *
 * cache = writeback (default) goes through the host page cache. cache =
 * none opens the image O_DIRECT: requests whose offset, length or guest
 * buffers are not aligned to the file's direct-I/O alignment are answered
 * VIRTIO_BLK_S_IOERR (one log line) rather than bounced; blk_size in the
 * configuration space tells the guest that alignment, and Linux's block
 * layer then never sends such requests.
 *
 * Both offer VIRTIO_BLK_F_FLUSH (fdatasync). A driver that declines it has
 * no way to ask for its writes to be made durable, so each write (OUT,
 * WRITE_ZEROES, DISCARD) is then fdatasync'ed before it is answered
 * (virtio 1.2 5.2.6.2); with FLUSH accepted, writes stay in the page cache
 * until the driver flushes.
 *
 * One request is bounded: VIRTIO_BLK_F_SIZE_MAX (1 MiB a segment) with
 * SEG_MAX (254) caps its data at 254 MiB, and a longer one is answered
 * IOERR, so a reset or volt's exit never waits long for the request the
 * I/O thread holds (the core turns the rest of the ring away).
 *
 * Malformed requests: answered IOERR or UNSUPP with one log line each; a
 * request with no device-writable byte cannot be answered (its status
 * would have to go into a buffer the device must not write) and is
 * returned with 0 bytes written, also with one line. Lines about one
 * drive's requests stop after BLK_LOG_MAX, so a hostile guest cannot fill
 * the host's log. */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include <volt/volt.h>

#include "blk_io.h"
#include "blk_lock.h"
#include "blk_request.h"

#define BLK_QUEUE_SIZE      256
#define BLK_SEG_MAX         (VOLT_VQ_MAX_SIZE - 2) /* a chain holds header and status too */
/* size_max, bytes per data segment. Without it one request could carry
 * almost 4 GiB (the core's cap on a chain), served in one go: a guest
 * could hold up a device reset or volt's exit for as long as that takes.
 * Linux's virtio_blk makes it the queue's max_segment_size (with
 * max_segments = seg_max and no sector limit of its own), so its largest
 * request becomes 254 x 1 MiB = 254 MiB, a fraction of a second from the
 * page cache. Its block layer sends requests of max_sectors_kb (1280 KiB
 * by default) at most, so only a segment of over 1 MiB of contiguous
 * memory is split: its I/O is as before. */
#define BLK_SIZE_MAX        (1u << 20)
#define BLK_MAX_RANGE       (1u << 22)              /* sectors per discard/write-zeroes: 2 GiB */
#define BLK_DISCARD_ALIGN   8                       /* sectors: hole punching works in 4 KiB */
#define BLK_LOG_MAX         32
#define BLK_FD_SLOT         0

struct blk {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	const char *path;
	bool read_only;
	bool direct;                 /* cache = none */
	bool lock;                   /* lock = true */
	struct blk_image img;
	struct blk_limits lim;
	uint64_t features;           /* offered */
	struct virtio_blk_config config;
	unsigned logged;             /* request lines so far */
	/* I/O thread only: the chain being served and its parse. */
	struct volt_vq_elem elem;
	struct blk_request req;
};

/* ---- configuration keys ----------------------------------------------- */

static const struct volt_key blk_keys[] = {
	{ .name = "path", .type = VOLT_KEY_PATH, .flags = VOLT_KEY_REQUIRED,
	  .help = "raw disk image file (or block device)" },
	{ .name = "read_only", .type = VOLT_KEY_BOOL, .default_value = "false",
	  .help = "open the image read-only and offer VIRTIO_BLK_F_RO" },
	{ .name = "cache", .type = VOLT_KEY_STRING, .default_value = "writeback",
	  .help = "writeback (host page cache, flushed on request) or none (O_DIRECT)" },
	{ .name = "serial", .type = VOLT_KEY_STRING,
	  .help = "device ID string (up to 20 bytes); default from the instance name" },
	{ .name = "lock", .type = VOLT_KEY_BOOL, .default_value = "true",
	  .help = "lock the image against other users: shared if read_only, else exclusive" },
};

/* ---- logging ----------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void blk_log_request(struct blk *b, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (b->logged > BLK_LOG_MAX)
		return;
	if (b->logged++ == BLK_LOG_MAX) {
		b->host->log(b->inst, VOLT_LOG_WARN, "further request errors are not logged");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	b->host->log(b->inst, VOLT_LOG_WARN, "%s", line);
}

/* ---- requests (the I/O thread) ----------------------------------------- */

/* Serve one chain; returns the bytes written into its writable part, which
 * the used ring must not overstate (virtio 1.2 2.7.8.2): the data an IN or
 * GET_ID put there, and the status byte. */
static uint32_t blk_serve(struct blk *b, const struct volt_vq_elem *elem)
{
	struct blk_request *req = &b->req;
	uint32_t data;
	int err = 0;

	if (blk_request_parse(elem, &b->lim, req) < 0) {
		blk_log_request(b, "request %u dropped: %s", elem->head, req->why);
		return 0;
	}
	if (req->result != VIRTIO_BLK_S_OK) {
		blk_log_request(b, "request %u (type %" PRIu32 ", sector %" PRIu64 ") answered %s: %s",
				elem->head, req->type, req->sector,
				req->result == VIRTIO_BLK_S_UNSUPP ? "UNSUPP" : "IOERR", req->why);
		*req->status = req->result;
		return 1;
	}
	*req->status = blk_io_run(&b->img, req, &err, &data);
	if (*req->status == VIRTIO_BLK_S_IOERR)
		blk_log_request(b, "request %u (type %" PRIu32 ", sector %" PRIu64 "): %s", elem->head,
				req->type, req->sector, strerror(err));
	return data + 1;
}

static void blk_queue_notify(void *state, unsigned queue)
{
	struct blk *b = state;
	int r;

	while ((r = b->host->vq_pop(b->inst, queue, &b->elem)) == 1)
		b->host->vq_push(b->inst, queue, &b->elem, blk_serve(b, &b->elem));
	/* r < 0: the ring is broken; the core has reset-flagged the device. */
	b->host->vq_notify(b->inst, queue);
}

/* ---- device ops -------------------------------------------------------- */

static uint64_t blk_features(void *state)
{
	return ((struct blk *)state)->features;
}

/* FEATURES_OK (vCPU thread), before the queue can run: whether each write
 * must be made durable on its own (blk_image.write_through), and whether
 * size_max binds the driver's segments (only if it accepted SIZE_MAX; a
 * request's total stays bounded either way, which is what bounds exit). */
static int blk_set_features(void *state, uint64_t features)
{
	struct blk *b = state;

	atomic_store(&b->img.write_through, !(features & (1ULL << VIRTIO_BLK_F_FLUSH)));
	b->lim.any_segment = !(features & (1ULL << VIRTIO_BLK_F_SIZE_MAX));
	return 0;
}

static void blk_config_read(void *state, uint32_t offset, void *data, uint32_t len)
{
	struct blk *b = state;

	memcpy(data, (const uint8_t *)&b->config + offset, len);
}

static const struct volt_device_ops blk_ops = {
	.struct_size = sizeof(struct volt_device_ops),
	.virtio_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max_size = BLK_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_blk_config),
	.features = blk_features,
	.set_features = blk_set_features,
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
};

/* ---- lifecycle --------------------------------------------------------- */

/* The default ID: the instance name ("drive rootfs" -> "drive-rootfs"). */
static void blk_default_serial(struct blk *b, char *out)
{
	const char *name = b->host->instance_name(b->inst);

	for (size_t i = 0; name && name[i] && i < VIRTIO_BLK_ID_BYTES; i++)
		out[i] = isalnum((unsigned char)name[i]) || name[i] == '-' || name[i] == '_' ?
			name[i] : '-';
}

static int blk_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct blk *b = calloc(1, sizeof(*b));
	const char *cache, *serial;

	if (!b) {
		host->log(inst, VOLT_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	*state = b;
	b->host = host;
	b->inst = inst;
	b->img.fd = -1;
	b->img.write_through = true; /* until a driver accepts FLUSH */
	b->path = host->config_get(inst, "path");
	b->read_only = host->config_get_bool(inst, "read_only");
	b->lock = host->config_get_bool(inst, "lock");
	cache = host->config_get(inst, "cache");
	if (!strcmp(cache, "none")) {
		b->direct = true;
	} else if (strcmp(cache, "writeback")) {
		host->log(inst, VOLT_LOG_ERROR, "cache = %s: must be writeback or none", cache);
		return -EINVAL;
	}
	serial = host->config_get(inst, "serial");
	if (serial && strlen(serial) > VIRTIO_BLK_ID_BYTES) {
		host->log(inst, VOLT_LOG_ERROR, "serial \"%s\" is longer than %u bytes", serial,
			  VIRTIO_BLK_ID_BYTES);
		return -EINVAL;
	}
	if (serial)
		memcpy(b->img.serial, serial, strlen(serial));
	else
		blk_default_serial(b, b->img.serial);
	/* Known from the configuration alone, so the offer never changes. */
	b->features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		      (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH);
	if (b->read_only)
		b->features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		b->features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	return 0;
}

/* The alignment O_DIRECT needs for this file (512 if the kernel does not say). */
static uint32_t blk_dio_align(struct blk *b)
{
	struct statx stx;

	if (statx(b->img.fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
		uint32_t a = stx.stx_dio_offset_align > stx.stx_dio_mem_align ?
			stx.stx_dio_offset_align : stx.stx_dio_mem_align;

		return a < BLK_SECTOR_SIZE ? BLK_SECTOR_SIZE : a;
	}
	return BLK_SECTOR_SIZE;
}

static void blk_fill_config(struct blk *b)
{
	struct virtio_blk_config *c = &b->config;
	uint32_t blk_size = b->lim.dio_align ? b->lim.dio_align : BLK_SECTOR_SIZE;

	c->capacity = htole64(b->lim.capacity);
	c->size_max = htole32(BLK_SIZE_MAX);
	c->seg_max = htole32(BLK_SEG_MAX);
	c->blk_size = htole32(blk_size);
	c->max_discard_sectors = htole32(BLK_MAX_RANGE);
	c->max_discard_seg = htole32(1);
	c->discard_sector_alignment = htole32(BLK_DISCARD_ALIGN);
	c->max_write_zeroes_sectors = htole32(BLK_MAX_RANGE);
	c->max_write_zeroes_seg = htole32(1);
	c->write_zeroes_may_unmap = 1;
	b->lim.read_only = b->read_only;
	b->lim.discard = b->lim.write_zeroes = !b->read_only;
	b->lim.max_discard_sectors = b->lim.max_write_zeroes_sectors = BLK_MAX_RANGE;
	b->lim.size_max = BLK_SIZE_MAX;
	b->lim.seg_max = BLK_SEG_MAX;
}

static int blk_open(struct blk *b)
{
	int flags = (b->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | (b->direct ? O_DIRECT : 0);
	struct stat st;
	off_t size;

	b->img.fd = open(b->path, flags);
	if (b->img.fd < 0 || fstat(b->img.fd, &st) < 0) {
		int e = errno;

		b->host->log(b->inst, VOLT_LOG_ERROR, "%s: %s%s", b->path, strerror(e),
			     e == EINVAL && b->direct ? " (cache = none needs O_DIRECT support)" : "");
		return -e;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		b->host->log(b->inst, VOLT_LOG_ERROR, "%s: not a regular file or block device", b->path);
		return -EINVAL;
	}
	size = lseek(b->img.fd, 0, SEEK_END); /* st_size is 0 for block devices */
	if (size < 0) {
		int e = errno;

		b->host->log(b->inst, VOLT_LOG_ERROR, "%s: finding its size: %s", b->path, strerror(e));
		return -e;
	}
	if (size % BLK_SECTOR_SIZE)
		b->host->log(b->inst, VOLT_LOG_WARN, "%s: %lld bytes, not a multiple of 512: the last %lld are not used",
			     b->path, (long long)size, (long long)(size % BLK_SECTOR_SIZE));
	b->lim.capacity = (uint64_t)size / BLK_SECTOR_SIZE;
	b->lim.dio_align = b->direct ? blk_dio_align(b) : 0;
	return 0;
}

/* Lock the open image (lock = true); a filesystem without locks only warns. */
static int blk_lock_image(struct blk *b)
{
	int r = b->lock ? blk_lock(b->img.fd, b->read_only) : 0;

	if (r == -EBUSY)
		b->host->log(b->inst, VOLT_LOG_ERROR, "%s: in use by another drive, VM or program "
			     "(it holds a lock on it): give each VM its own image, make every user "
			     "read_only, or set lock = false", b->path);
	else if (r == -ENOTSUP)
		b->host->log(b->inst, VOLT_LOG_WARN, "%s: its filesystem has no file locks: not "
			     "locked", b->path);
	else if (r)
		b->host->log(b->inst, VOLT_LOG_ERROR, "%s: locking: %s", b->path, strerror(-r));
	return r == -ENOTSUP ? 0 : r;
}

/* Open and lock the image and hand its fd to the sandbox (slot 0). */
static int blk_realize(void *state)
{
	struct blk *b = state;
	int r = blk_open(b);

	if (!r)
		r = blk_lock_image(b);
	if (r)
		return r;
	blk_fill_config(b);
	r = b->host->sandbox_bind_fd(b->inst, BLK_FD_SLOT, b->img.fd);
	if (r) {
		b->host->log(b->inst, VOLT_LOG_ERROR, "binding the image fd for the sandbox: %s",
			     strerror(-r));
		return r;
	}
	b->host->log(b->inst, VOLT_LOG_INFO, "%s: %" PRIu64 " sectors%s%s, serial \"%.20s\"",
		     b->path, b->lim.capacity, b->read_only ? ", read-only" : "",
		     b->direct ? ", cache = none" : "", b->img.serial);
	return 0;
}

static void blk_destroy(void *state)
{
	struct blk *b = state;

	if (!b)
		return;
	if (b->img.fd >= 0)
		close(b->img.fd);
	free(b);
}

/* ---- what the sandbox must allow, after lockdown ------------------------ */

static const struct volt_syscall blk_syscalls[] = {
	{ "preadv", VOLT_THREAD_IO, BLK_FD_SLOT, NULL, 0,
	  "IN requests: read the image straight into the guest's buffers" },
	{ "pwritev", VOLT_THREAD_IO, BLK_FD_SLOT, NULL, 0,
	  "OUT requests (and WRITE_ZEROES where the file system cannot zero a range)" },
	{ "fdatasync", VOLT_THREAD_IO, BLK_FD_SLOT, NULL, 0,
	  "FLUSH requests, and every write when the driver declined VIRTIO_BLK_F_FLUSH" },
	{ "fallocate", VOLT_THREAD_IO, BLK_FD_SLOT, NULL, 0,
	  "DISCARD and WRITE_ZEROES: punch a hole or zero a range" },
	{ "epoll_wait", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0,
	  "the I/O thread's event loop waits for queue notifications" },
	{ "read", VOLT_THREAD_IO, VOLT_FD_ANY, NULL, 0,
	  "the transport drains the queue's ioeventfd (and the loop's stop eventfd)" },
	{ "write", VOLT_THREAD_IO | VOLT_THREAD_VCPU, VOLT_FD_ANY, NULL, 0,
	  "the transport signals the irqfd; log lines go to stderr" },
	{ "futex", VOLT_THREAD_IO | VOLT_THREAD_VCPU, VOLT_FD_ANY, NULL, 0,
	  "the transport's device lock, shared by the I/O thread and vCPUs" },
};

/* ---- the descriptor ---------------------------------------------------- */

static const struct volt_plugin_desc blk_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_DEVICE,
	.name = "virtio-blk",
	.version = BLK_VERSION,
	.license = "MIT",
	.description = "virtio block device on a raw image file",
	.keys = blk_keys,
	.nkeys = sizeof(blk_keys) / sizeof(blk_keys[0]),
	.syscalls = blk_syscalls,
	.nsyscalls = sizeof(blk_syscalls) / sizeof(blk_syscalls[0]),
	.create = blk_create,
	.realize = blk_realize,
	.destroy = blk_destroy,
	.ops = &blk_ops,
};

VOLT_PLUGIN_DEFINE(virtio_blk, blk_desc)
