/* virtio-blk benchmark (not a test): the plugin driven in-process by a
 * simulated driver, against raw preadv/pwritev on the same file with the
 * same buffers, in the same run.
 *
 * Guest RAM is a memfd mapping (as a VMM backing guest memory with a memfd
 * would have it). The driver builds its rings there, posts one request at
 * a time (queue depth 1) and calls the plugin's queue_notify directly, as
 * the drive's I/O thread does after its ioeventfd fires; the fake host API
 * runs the core's own virtqueue code (core/virtio/virtqueue.c) under a
 * mutex, as the transport does. With --eventfds the I/O thread's
 * per-request eventfd syscalls of the real path are added too: it reads the
 * queue's kick eventfd and writes the interrupt's "irqfd" (KVM's ends of
 * both, at the guest's cost, are not part of this process).
 *
 * Workloads: 4 KiB random reads, 1 MiB sequential reads, 1 MiB sequential
 * writes (64 segments of 16 KiB through an indirect table). In each round
 * the two sides take turns in small chunks over the same offsets; the
 * median chunk throughput of each side is reported, with the plugin's as a
 * share of raw (and the shares at the 25th and 75th percentiles).
 *
 *   blk-bench [--file PATH] [--size MIB] [--rounds N] [--direct] [--eventfds]
 *             [--only rand|seqread|seqwrite]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include <volt/volt.h>

#include "virtio/virtqueue.h"

#define G_RAM       (64ULL << 20)
#define G_DESC      0x1000ULL
#define G_AVAIL     0x2000ULL
#define G_USED      0x3000ULL
#define G_HDR       0x4000ULL
#define G_STATUS    0x4100ULL
#define G_ITABLE    0x5000ULL
#define G_DATA      0x100000ULL /* 1 MiB-aligned data buffer */
#define QSIZE       16
#define BIG         (1u << 20)
#define BIG_SEGS    64
#define SMALL       4096u

const struct volt_plugin_desc *volt_plugin_entry_v1(void);

/* ---- the fake host: one instance, one queue --------------------------- */

struct volt_instance {
	struct guest_mem mem;
	struct virtqueue vq;
	pthread_mutex_t lock;       /* the transport's device lock */
	const char *path, *cache;
	int irq_fd;                 /* -1 unless --eventfds */
	unsigned errors;
};

static const char *h_name(struct volt_instance *inst) { return "drive bench"; }

static const char *h_get(struct volt_instance *inst, const char *key)
{
	if (!strcmp(key, "path"))
		return inst->path;
	if (!strcmp(key, "cache"))
		return inst->cache;
	return NULL;
}

static bool h_get_bool(struct volt_instance *inst, const char *key) { return false; }

static void h_log(struct volt_instance *inst, enum volt_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > VOLT_LOG_WARN)
		return;
	inst->errors++;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int h_pop(struct volt_instance *inst, unsigned q, struct volt_vq_elem *elem)
{
	struct volt_err err; /* as the transport: only code needs clearing */
	int r;

	err.code = 0;
	pthread_mutex_lock(&inst->lock);
	r = vq_pop(&inst->vq, elem, &err);
	pthread_mutex_unlock(&inst->lock);
	if (r < 0)
		fprintf(stderr, "vq_pop: %s\n", err.msg);
	return r;
}

static void h_push(struct volt_instance *inst, unsigned q, const struct volt_vq_elem *elem,
		   uint32_t written)
{
	pthread_mutex_lock(&inst->lock);
	vq_push(&inst->vq, elem, written);
	pthread_mutex_unlock(&inst->lock);
}

static void h_notify(struct volt_instance *inst, unsigned q)
{
	uint64_t one = 1;
	bool raise;

	pthread_mutex_lock(&inst->lock);
	raise = vq_should_notify(&inst->vq);
	pthread_mutex_unlock(&inst->lock);
	if (raise && inst->irq_fd >= 0 && write(inst->irq_fd, &one, sizeof(one)) < 0)
		abort();
}

static int h_bind(struct volt_instance *inst, uint32_t slot, int fd) { return 0; }

static const struct volt_host_api host = {
	.struct_size = sizeof(struct volt_host_api),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.instance_name = h_name,
	.config_get = h_get,
	.config_get_bool = h_get_bool,
	.log = h_log,
	.vq_pop = h_pop,
	.vq_push = h_push,
	.vq_notify = h_notify,
	.sandbox_bind_fd = h_bind,
};

/* ---- the simulated driver --------------------------------------------- */

struct bench {
	struct volt_instance inst;
	const struct volt_device_ops *ops;
	void *state;
	int fd;                     /* the raw side's own fd on the same file */
	int kick_fd;                /* --eventfds */
	uint64_t file_size;
	uint16_t avail_idx;
	struct iovec big_iov[BIG_SEGS];
	/* The driver's own view of its structures in guest RAM. */
	struct virtio_blk_outhdr *hdr;
	struct vring_avail *avail;
	uint8_t *status;
};

static void *g(struct bench *b, uint64_t gpa, uint64_t len)
{
	void *p = guest_mem_ptr(&b->inst.mem, gpa, len);

	if (!p)
		abort();
	return p;
}

static void desc(struct bench *b, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	*(struct vring_desc *)g(b, table + 16 * i, 16) = (struct vring_desc){ addr, len, flags, next };
}

/* Chain 0 = header, data, status; the data either one buffer or an
 * indirect table of BIG_SEGS pieces. */
static void build_chain(struct bench *b, bool big, bool to_guest)
{
	uint16_t w = to_guest ? VRING_DESC_F_WRITE : 0;

	if (!big) {
		desc(b, G_DESC, 0, G_HDR, 16, VRING_DESC_F_NEXT, 1);
		desc(b, G_DESC, 1, G_DATA, SMALL, VRING_DESC_F_NEXT | w, 2);
		desc(b, G_DESC, 2, G_STATUS, 1, VRING_DESC_F_WRITE, 0);
		return;
	}
	desc(b, G_ITABLE, 0, G_HDR, 16, VRING_DESC_F_NEXT, 1);
	for (unsigned i = 0; i < BIG_SEGS; i++)
		desc(b, G_ITABLE, 1 + i, G_DATA + i * (BIG / BIG_SEGS), BIG / BIG_SEGS,
		     VRING_DESC_F_NEXT | w, (uint16_t)(2 + i));
	desc(b, G_ITABLE, 1 + BIG_SEGS, G_STATUS, 1, VRING_DESC_F_WRITE, 0);
	desc(b, G_DESC, 0, G_ITABLE, (BIG_SEGS + 2) * 16, VRING_DESC_F_INDIRECT, 0);
}

/* One request at queue depth 1. */
static void request(struct bench *b, uint32_t type, uint64_t offset)
{
	struct virtio_blk_outhdr *h = b->hdr;
	struct vring_avail *av = b->avail;
	uint8_t *status = b->status;
	uint64_t v = 1;

	h->type = type;
	h->sector = offset / 512;
	/* Interrupt me for this completion (EVENT_IDX), as a driver waiting
	 * for it does. */
	av->ring[QSIZE] = b->avail_idx;
	av->ring[b->avail_idx % QSIZE] = 0;
	__atomic_store_n(&av->idx, ++b->avail_idx, __ATOMIC_RELEASE);
	/* The I/O thread drains the queue's ioeventfd (KVM signalled it, at
	 * the guest's cost: not timed here, so the read finds it empty). */
	if (b->kick_fd >= 0 && read(b->kick_fd, &v, 8) < 0 && errno != EAGAIN)
		abort();
	b->ops->queue_notify(b->state, 0);
	if (*status != VIRTIO_BLK_S_OK) {
		fprintf(stderr, "request type %u at %llu: status %u\n", type,
			(unsigned long long)offset, *status);
		exit(1);
	}
}

/* ---- workloads -------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

enum workload { RAND_4K_READ, SEQ_1M_READ, SEQ_1M_WRITE };

static const char *const workload_names[] = {
	"4 KiB random read, QD1", "1 MiB sequential read", "1 MiB sequential write",
};

/* One chunk of operations at the given offsets, on one side; seconds. */
static double chunk_run(struct bench *b, enum workload w, bool plugin, const uint64_t *offsets,
			unsigned n)
{
	bool big = w != RAND_4K_READ, write_ = w == SEQ_1M_WRITE;
	uint64_t len = big ? BIG : SMALL;
	struct iovec small = { g(b, G_DATA, SMALL), SMALL };
	double t0;

	if (plugin)
		build_chain(b, big, !write_);
	t0 = now();
	for (unsigned i = 0; i < n; i++) {
		if (plugin) {
			request(b, write_ ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, offsets[i]);
		} else {
			ssize_t r = write_ ? pwritev(b->fd, b->big_iov, BIG_SEGS, (off_t)offsets[i]) :
				    big ? preadv(b->fd, b->big_iov, BIG_SEGS, (off_t)offsets[i]) :
					  preadv(b->fd, &small, 1, (off_t)offsets[i]);

			if (r != (ssize_t)len)
				abort();
		}
	}
	return now() - t0;
}

#define MAX_CHUNKS 4096

/* Per-chunk throughputs (bytes/s) of both sides, over all rounds. */
struct samples {
	double raw[MAX_CHUNKS], plugin[MAX_CHUNKS];
	unsigned n;
};

/* n operations per side. The two sides take turns in small chunks over the
 * same offsets (which goes first alternates), so both meet the same machine
 * noise and neither gains from the other's caching; each chunk's
 * throughput is one sample. */
static void round_run(struct bench *b, enum workload w, unsigned n, struct samples *s)
{
	uint64_t len = w == RAND_4K_READ ? SMALL : BIG, offsets[256], offset = 0;
	unsigned chunk = w == RAND_4K_READ ? 256 : 8;

	for (unsigned done = 0, k = 0; done < n; done += chunk, k++) {
		double t_raw, t_plugin;

		for (unsigned i = 0; i < chunk; i++) {
			if (w == RAND_4K_READ)
				offset = (next_rand() % (b->file_size / SMALL)) * SMALL;
			else
				offset = (offset + len) % b->file_size;
			offsets[i] = offset;
		}
		if (k % 2) {
			t_plugin = chunk_run(b, w, true, offsets, chunk);
			t_raw = chunk_run(b, w, false, offsets, chunk);
		} else {
			t_raw = chunk_run(b, w, false, offsets, chunk);
			t_plugin = chunk_run(b, w, true, offsets, chunk);
		}
		if (s && s->n < MAX_CHUNKS) {
			s->raw[s->n] = (double)chunk * (double)len / t_raw;
			s->plugin[s->n] = (double)chunk * (double)len / t_plugin;
			s->n++;
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double quantile(double *v, unsigned n, double q)
{
	qsort(v, n, sizeof(double), cmp_double);
	return v[(unsigned)(q * (n - 1) + 0.5)];
}

/* Medians of the per-chunk throughputs (robust to bursts of noise from
 * other work on the machine), and the plugin's share of raw; in brackets
 * the share at the 25th and 75th percentiles. */
static void report(struct bench *b, enum workload w, unsigned rounds, unsigned n)
{
	static struct samples s;
	double unit = w == RAND_4K_READ ? SMALL : BIG, raw[3], plug[3];
	const double q[3] = { 0.5, 0.25, 0.75 };

	s.n = 0;
	for (unsigned r = 0; r < rounds; r++)
		round_run(b, w, n, &s);
	for (unsigned i = 0; i < 3; i++) {
		raw[i] = quantile(s.raw, s.n, q[i]);
		plug[i] = quantile(s.plugin, s.n, q[i]);
	}
	printf("| %-24s | %9.0f MB/s %8.0f op/s | %9.0f MB/s %8.0f op/s | %5.1f%% (%.1f, %.1f) |\n",
	       workload_names[w], raw[0] / 1e6, raw[0] / unit, plug[0] / 1e6, plug[0] / unit,
	       100.0 * plug[0] / raw[0], 100.0 * plug[1] / raw[1], 100.0 * plug[2] / raw[2]);
}

/* ---- set-up ----------------------------------------------------------- */

static void make_file(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	static uint8_t chunk[BIG];

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	for (uint64_t off = 0; off < size; off += BIG) {
		for (unsigned i = 0; i < BIG; i += 4096)
			chunk[i] = (uint8_t)(off >> 20);
		if (write(fd, chunk, BIG) != BIG)
			abort();
	}
	fsync(fd);
	close(fd);
}

static void guest_ram(struct volt_instance *inst)
{
	int mfd = memfd_create("volt-bench-guest", MFD_CLOEXEC);
	void *p;

	if (mfd < 0 || ftruncate(mfd, G_RAM) < 0)
		abort();
	p = mmap(NULL, G_RAM, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (p == MAP_FAILED)
		abort();
	close(mfd);
	memset(p, 0, G_RAM); /* fault it in, as a running guest's would be */
	inst->mem.base = p;
	inst->mem.map_size = inst->mem.ram_size = G_RAM;
	inst->mem.nregions = 1;
	inst->mem.regions[0] = (struct guest_mem_region){ 0, G_RAM, p };
}

int main(int argc, char **argv)
{
	static struct bench b;
	const char *path = "/var/tmp/volt-blk-bench.img";
	const struct volt_plugin_desc *desc_ = volt_plugin_entry_v1();
	struct volt_err err = { 0 };
	unsigned rounds = 7, size_mib = 256;
	bool direct = false, eventfds = false;
	const char *only = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--file") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size_mib = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--direct"))
			direct = true;
		else if (!strcmp(argv[i], "--eventfds"))
			eventfds = true;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--file PATH] [--size MIB] [--rounds N] [--direct] "
				"[--eventfds] [--only rand|seqread|seqwrite]\n", argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > 64 || size_mib < 16)
		return 2;
	b.file_size = (uint64_t)size_mib << 20;
	make_file(path, b.file_size);

	guest_ram(&b.inst);
	pthread_mutex_init(&b.inst.lock, NULL);
	vq_init(&b.inst.vq, &b.inst.mem);
	b.inst.path = path;
	b.inst.cache = direct ? "none" : "writeback";
	b.inst.irq_fd = eventfds ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
	b.kick_fd = eventfds ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
	b.ops = desc_->ops;
	if (desc_->create(&host, &b.inst, &b.state) || desc_->realize(b.state))
		return 1;
	/* The driver takes what the device offers, as Linux does: FLUSH among
	 * it, so writes are not made durable one by one. */
	if (b.ops->set_features && b.ops->set_features(b.state, b.ops->features(b.state)))
		return 1;
	if (vq_setup(&b.inst.vq, QSIZE, G_DESC, G_AVAIL, G_USED,
		     (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_RING_F_EVENT_IDX), &err)) {
		fprintf(stderr, "vq_setup: %s\n", err.msg);
		return 1;
	}
	b.fd = open(path, O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (b.fd < 0)
		return 1;
	b.hdr = g(&b, G_HDR, 16);
	b.avail = g(&b, G_AVAIL, 4 + 2 * QSIZE);
	b.status = g(&b, G_STATUS, 1);
	for (unsigned i = 0; i < BIG_SEGS; i++)
		b.big_iov[i] = (struct iovec){ g(&b, G_DATA + i * (BIG / BIG_SEGS), BIG / BIG_SEGS),
					       BIG / BIG_SEGS };

	printf("file %s, %u MiB, cache = %s%s, %u rounds, medians of per-chunk throughput\n", path, size_mib,
	       direct ? "none (O_DIRECT)" : "writeback (page cache)",
	       eventfds ? ", with kick and irq eventfds" : "", rounds);
	printf("| %-24s | %-32s | %-32s | %s |\n", "workload", "raw preadv/pwritev", "virtio-blk plugin",
	       "plugin/raw (p25, p75)");
	printf("|---|---|---|---|\n");
	round_run(&b, RAND_4K_READ, 20000, NULL); /* warm the page cache and the code */
	if (!only || !strcmp(only, "rand"))
		report(&b, RAND_4K_READ, rounds, 50000);
	if (!only || !strcmp(only, "seqread"))
		report(&b, SEQ_1M_READ, rounds, 512);
	if (!only || !strcmp(only, "seqwrite"))
		report(&b, SEQ_1M_WRITE, rounds, 512);
	if (b.inst.errors)
		fprintf(stderr, "%u warnings from the plugin\n", b.inst.errors);
	desc_->destroy(b.state);
	close(b.fd);
	unlink(path);
	return 0;
}
