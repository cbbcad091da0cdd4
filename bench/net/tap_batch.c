/* bench-tap-batch: what batching could give virtio-net's transmit path.
 *
 * A tap takes one frame per write(2); no syscall writes several. io_uring
 * can: one io_uring_enter submits a batch of IORING_OP_WRITEs, which the
 * kernel runs inline on a non-blocking tap. This probe compares, in the
 * same run and on one thread, frames per second into a tap (in a network
 * namespace of its own, frames addressed to another host so the kernel
 * drops them right after the tap, as in bench-net) by write() per frame and
 * by io_uring batches of 1, 16 and 64. Nothing in volt uses io_uring; the
 * numbers are in docs/benchmarks.md (virtio-net, "What is left").
 *
 *   bench-tap-batch [frame bytes, default 64] [rounds, default 5]
 * Needs CAP_NET_ADMIN (unshare) and io_uring (kernel.io_uring_disabled 0). */
#include <linux/io_uring.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"
#include "bench_tap.h"

#define TB_SECONDS 0.3
#define TB_VNET_HDR 12
#define TB_MAX_FRAME 1514
#define TB_RING 256
#define TB_ROUNDS_MAX 31

static uint8_t tb_frame[TB_VNET_HDR + TB_MAX_FRAME];
static size_t tb_len;

static double tb_now(void)
{
	return bench_seconds(CLOCK_MONOTONIC);
}

/* Header all zero (no offload), then Ethernet to 02:00:00:00:00:09. */
static void tb_frame_build(size_t payload)
{
	uint8_t *eth = tb_frame + TB_VNET_HDR;

	memcpy(eth, "\x02\x00\x00\x00\x00\x09\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	eth[14] = 0x45;
	tb_len = TB_VNET_HDR + payload;
}

static double tb_write_loop(int fd)
{
	double t0 = tb_now(), t;
	long n = 0;

	do {
		for (int i = 0; i < 256; i++)
			n += write(fd, tb_frame, tb_len) == (ssize_t)tb_len;
		t = tb_now();
	} while (t - t0 < TB_SECONDS);
	return (double)n / (t - t0);
}

struct tb_ring {
	int fd;
	_Atomic unsigned *sq_tail, *cq_head, *cq_tail;
	unsigned *sq_mask, *sq_array, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static void tb_ring_open(struct tb_ring *r)
{
	struct io_uring_params p = { 0 };
	size_t size;
	uint8_t *m;

	r->fd = (int)syscall(__NR_io_uring_setup, TB_RING, &p);
	if (r->fd < 0 || !(p.features & IORING_FEAT_SINGLE_MMAP)) {
		perror("bench-tap-batch: io_uring_setup");
		exit(1);
	}
	size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	if (p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe) > size)
		size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		 IORING_OFF_SQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(*r->sqes), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (m == MAP_FAILED || r->sqes == MAP_FAILED) {
		perror("bench-tap-batch: mmap ring");
		exit(1);
	}
	r->sq_tail = (_Atomic unsigned *)(m + p.sq_off.tail);
	r->sq_mask = (unsigned *)(m + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(m + p.sq_off.array);
	r->cq_head = (_Atomic unsigned *)(m + p.cq_off.head);
	r->cq_tail = (_Atomic unsigned *)(m + p.cq_off.tail);
	r->cq_mask = (unsigned *)(m + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(m + p.cq_off.cqes);
}

/* Queue `batch` writes of the frame, submit them and wait for all in one
 * io_uring_enter; returns how many wrote the whole frame. */
static long tb_ring_batch(struct tb_ring *r, int tap, unsigned batch)
{
	unsigned tail = atomic_load_explicit(r->sq_tail, memory_order_relaxed), head;
	long ok = 0;

	for (unsigned i = 0; i < batch; i++) {
		unsigned idx = (tail + i) & *r->sq_mask;

		r->sqes[idx] = (struct io_uring_sqe){ .opcode = IORING_OP_WRITE, .fd = tap,
			.addr = (uintptr_t)tb_frame, .len = (unsigned)tb_len, .off = (uint64_t)-1 };
		r->sq_array[idx] = idx;
	}
	atomic_store_explicit(r->sq_tail, tail + batch, memory_order_release);
	if (syscall(__NR_io_uring_enter, r->fd, batch, batch, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		perror("bench-tap-batch: io_uring_enter");
		exit(1);
	}
	head = atomic_load_explicit(r->cq_head, memory_order_relaxed);
	while (head != atomic_load_explicit(r->cq_tail, memory_order_acquire))
		ok += r->cqes[head++ & *r->cq_mask].res == (int)tb_len;
	atomic_store_explicit(r->cq_head, head, memory_order_release);
	return ok;
}

static double tb_ring_loop(struct tb_ring *r, int tap, unsigned batch)
{
	double t0 = tb_now(), t;
	long n = 0;

	do {
		n += tb_ring_batch(r, tap, batch);
		t = tb_now();
	} while (t - t0 < TB_SECONDS);
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	static const unsigned batches[] = { 1, 16, 64 };
	double kpps[4][TB_ROUNDS_MAX];
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	size_t payload = argc > 1 ? (size_t)atoi(argv[1]) : 64;
	struct tb_ring ring;
	int tap;

	if (payload < 60 || payload > TB_MAX_FRAME || rounds < 1 || rounds > TB_ROUNDS_MAX) {
		fprintf(stderr, "usage: bench-tap-batch [frame bytes 60-%d] [rounds 1-%d]\n",
			TB_MAX_FRAME, TB_ROUNDS_MAX);
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("bench-tap-batch: unshare(CLONE_NEWNET) (run as root)");
		return 1;
	}
	tb_frame_build(payload);
	tap = bench_tap_open("tbatch0");
	tb_ring_open(&ring);
	/* The variants take turns inside each round. */
	for (int i = 0; i < rounds; i++) {
		kpps[0][i] = tb_write_loop(tap) / 1e3;
		for (int b = 0; b < 3; b++)
			kpps[1 + b][i] = tb_ring_loop(&ring, tap, batches[b]) / 1e3;
	}
	printf("%zu-byte frames, median of %d rounds (kpps): write() %.0f | io_uring batch 1 %.0f"
	       " | batch 16 %.0f | batch 64 %.0f\n", payload, rounds, bench_median(kpps[0], rounds),
	       bench_median(kpps[1], rounds), bench_median(kpps[2], rounds), bench_median(kpps[3], rounds));
	return 0;
}
