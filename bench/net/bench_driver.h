/* A simulated virtio-net driver for the benchmark: it lays out both rings
 * and its buffers in guest RAM the way a guest would, posts transmit chains
 * (one descriptor holding header and frame, or for TSO frames an indirect
 * table: header and protocol headers, then 4 KiB pages, as Linux sends
 * them), keeps the receive ring full of 4 KiB buffers (merged receive
 * buffers), and reaps what the device used. Single-threaded, with the
 * device called in between, so no barriers are needed. */
#ifndef VOLT_BENCH_NET_DRIVER_H
#define VOLT_BENCH_NET_DRIVER_H

#include <stdint.h>

#include "bench_host.h"

#define BD_QSIZE   256
#define BD_RXBUF   4096
#define BD_RX_GPA  0x2000000ULL  /* receive buffers */
#define BD_TX_GPA  0x100000ULL   /* transmit frames, one slot per descriptor */
#define BD_TX_SLOT (72u << 10)

struct bench_driver {
	struct bench_host *bh;
	struct vring tx, rx;
	uint64_t desc[BH_QUEUES], avail[BH_QUEUES], used[BH_QUEUES];
	uint16_t tx_avail, tx_used, rx_avail, rx_used;
	unsigned tx_inflight;
	uint32_t frame_len;      /* without the header */
	unsigned tx_segs;        /* 1: direct; >1: indirect table of this many */
};

/* Lay out the rings (call before bench_host_activate). */
void bench_driver_init(struct bench_driver *d, struct bench_host *bh);

/* Every transmit slot holds hdr (12 bytes) then frame (frame_len bytes). */
void bench_driver_tx_frame(struct bench_driver *d, const void *hdr, const void *frame,
			   uint32_t frame_len, int indirect);

/* Make up to n chains available; returns how many. */
unsigned bench_driver_tx_post(struct bench_driver *d, unsigned n);
/* Chains the device returned since the last call. */
unsigned bench_driver_tx_reap(struct bench_driver *d);

/* Fill the receive ring with buffers; returns how many were added. */
unsigned bench_driver_rx_fill(struct bench_driver *d);
/* Frames the device delivered since the last call (num_buffers-aware);
 * their payload bytes (without headers) go to *bytes. */
unsigned bench_driver_rx_reap(struct bench_driver *d, uint64_t *bytes);

#endif
