/* A simulated virtio-net driver for the benchmark, on its own thread (the
 * caller's, as a vCPU) while the device runs on the bench host's I/O
 * thread. It lays out both rings and its buffers in guest RAM the way a
 * Linux guest would (struct bench_model says how, and why), posts transmit
 * chains, keeps the receive ring full, reaps what the device used, and
 * talks to the device as Linux's virtio-net does with EVENT_IDX: a kick (an
 * eventfd write, KVM's ioeventfd in volt) only when the device asked for
 * one, and a wait for an interrupt (an eventfd, the irqfd) with used_event
 * set only when it has nothing else to do. */
#ifndef VOLT_BENCH_NET_DRIVER_H
#define VOLT_BENCH_NET_DRIVER_H

#include <stdint.h>

#include "bench_host.h"

#define BD_QSIZE   256
#define BD_RX_GPA  0x2000000ULL  /* receive buffers (32 MiB) */
#define BD_TX_GPA  0x100000ULL   /* transmit buffers (1 MiB .. 31 MiB) */

/* Where a Linux guest's buffers are, for one kind of traffic.
 * - Transmit, TSO (TCP): TCP Small Queues holds a socket to
 *   net.ipv4.tcp_limit_output_bytes below the stack, 1 MiB by default in
 *   Linux 6.1 (Documentation/networking/ip-sysctl.rst: "Default: 1048576
 *   (16 * 65536)"), so 16 frames of 64 KiB are in flight. Their payload is
 *   copied by tcp_sendmsg into the task's page fragments, 32 KiB compound
 *   pages (SKB_FRAG_PAGE_ORDER), so a frame is the linear part (virtio
 *   header in the headroom, then the protocol headers) and two or three
 *   fragments, and the pages come round again as frames complete: 16 slots
 *   of 64 KiB, reused in order.
 * - Transmit, 64 and 1514 bytes (UDP): one linear skb each, the virtio
 *   header in its headroom (one descriptor); the socket's send buffer,
 *   net.core.wmem_default = 212992 bytes, bounds what is in flight by the
 *   skbs' truesize (their kmalloc'd head, 512 or 2048 bytes here, plus
 *   struct sk_buff, about 256): 256 (the ring) at 64 bytes, 93 at 1514.
 *   The slots are laid out one after another at the head's size.
 * - Receive: mergeable buffers whose length is get_mergeable_buf_len() in
 *   drivers/net/virtio_net.c, the header plus an EWMA of recent packet
 *   lengths clamped to [GOOD_PACKET_LEN = 1518, PAGE_SIZE - header],
 *   aligned to 64: 1536 bytes for 64- and 1514-byte traffic, 4096 for TSO
 *   traffic. They are carved one after another from page_frag pages, and
 *   a full ring of them comes round again: 256 buffers back to back. */
struct bench_model {
	unsigned tx_slots;       /* distinct transmit buffers, used in turn */
	uint32_t tx_stride;      /* bytes from one to the next */
	unsigned tx_limit;       /* frames in flight at most */
	uint32_t tx_frag;        /* TSO payload descriptors: this many bytes each */
	uint32_t rx_buf;         /* receive buffer length */
};

void bench_model_for(struct bench_model *m, uint32_t frame_len, int tso);

static inline uint64_t bench_model_tx_gpa(const struct bench_model *m, uint64_t seq)
{
	return BD_TX_GPA + (seq % m->tx_slots) * m->tx_stride;
}

static inline uint64_t bench_model_rx_gpa(const struct bench_model *m, unsigned id)
{
	return BD_RX_GPA + (uint64_t)id * m->rx_buf;
}

/* A transmit frame's segments as the driver describes them: the header and
 * protocol headers, then payload fragments (TSO), or one segment. */
unsigned bench_model_tx_segs(const struct bench_model *m, uint32_t frame_len, int tso,
			     uint32_t off[], uint32_t len[], unsigned cap);

struct bench_driver {
	struct bench_host *bh;
	struct bench_model m;
	struct vring tx, rx;
	uint64_t desc[BH_QUEUES], avail[BH_QUEUES], used[BH_QUEUES];
	uint16_t tx_avail, tx_used, rx_avail, rx_used;
	uint16_t tx_kicked, rx_kicked;  /* avail idx at the last kick check */
	uint64_t tx_seq;
	unsigned tx_inflight;
	uint32_t frame_len;      /* without the header */
	int tso;
	uint64_t kicks, waits, wait_timeouts;
};

/* Lay out the rings (call before bench_host_activate). */
void bench_driver_init(struct bench_driver *d, struct bench_host *bh, const struct bench_model *m);

/* Every transmit slot holds hdr (12 bytes) then frame (frame_len bytes). */
void bench_driver_tx_frame(struct bench_driver *d, const void *hdr, const void *frame,
			   uint32_t frame_len, int tso);

/* Make one chain available (as start_xmit does per skb) and kick if the
 * device asked; 0 if the ring or the in-flight limit is full. */
int bench_driver_tx_post(struct bench_driver *d);
/* Chains the device returned since the last call. */
unsigned bench_driver_tx_reap(struct bench_driver *d);

/* Fill the receive ring with buffers and kick if the device asked; returns
 * how many were added. */
unsigned bench_driver_rx_fill(struct bench_driver *d);
/* The same, adding at most `max` buffers. */
unsigned bench_driver_rx_fill_max(struct bench_driver *d, unsigned max);
/* Frames the device delivered since the last call (num_buffers-aware);
 * their payload bytes (without headers) go to *bytes. */
unsigned bench_driver_rx_reap(struct bench_driver *d, uint64_t *bytes);

/* Nothing to do: ask for an interrupt as Linux does (transmit: when 3/4 of
 * what is in flight is used; receive: at the next used buffer) and wait
 * until some buffer is used (at once if one is already there). */
void bench_driver_wait(struct bench_driver *d, unsigned q);

#endif
