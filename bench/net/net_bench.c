/* bench-net: virtio-net with net-tap against raw read/write on a tap, in
 * the same run, in a network namespace of its own (unshare; needs
 * CAP_NET_ADMIN). Prints one table; docs/benchmarks.md records results.
 *
 * Threads as in volt: the device (virtio-net plugin, net-tap backend) runs
 * on an I/O thread of its own (bench_host.c), woken by a kick eventfd per
 * queue and the tap's fd; the simulated driver (bench_driver.c) runs on
 * this thread, as a vCPU, with EVENT_IDX kicks and interrupts through
 * eventfds. Its buffers are where a Linux guest's would be (struct
 * bench_model: TCP Small Queues' 1 MiB for TSO, the send buffer for UDP,
 * mergeable receive buffers of get_mergeable_buf_len's size).
 * Transmit: the driver posts one chain per frame, as start_xmit does, and
 * reaps completions; the device sends each through the tap (writev of the
 * guest's segments). Raw: write() of the same header and frame, from one
 * buffer, on one thread.
 * Receive: a packet socket on the host side of the tap queues a burst of
 * frames while the device is paused (untimed); then the device drains the
 * tap (readv straight into the guest's merged receive buffers) while the
 * driver takes the frames and refills (timed). Raw: read() into one buffer.
 * A second baseline, "raw, guest buffers", does raw I/O on the memory the
 * device touches: writev() of each frame from its slot, in the chain's
 * segments, readv() into the next receive buffers of the ring, as many as
 * the device passes (enough for a 64 KiB frame; adjacent ones in one
 * iovec, as the device passes them), plus its sentinel byte.
 * The difference between the two raw columns is the kernel copying to and
 * from memory that is not in cache; between that and volt, the device.
 * Also printed: how busy the device's thread and the driver's were (CPU
 * time over wall time), and the device's rate per second of its own CPU
 * ("dev-CPU"), the VMM's cost compared with the raw loop, which runs at
 * 100% of one CPU.
 * Frames: 64-byte and 1514-byte UDP/IPv4, and 64 KiB TCP/IPv4 TSO frames
 * (gso_size 1448; the tap has TUN_F_TSO4, so they cross it unsegmented).
 * Transmitted frames are addressed to another host, so the kernel drops
 * them right after the tap: what is measured is the path up to there.
 *
 *   bench-net [seconds per measurement, default 0.4] [rounds, default 5] [case]
 * BENCH_NET_TRACE=1 names each measurement on stderr as it starts.
 * Each case runs raw, raw with guest buffers, volt (its I/O thread polling
 * as volt's do by default, up to 32 us; BENCH_NET_POLL_US=N for another
 * maximum) and volt without polling in turn, `rounds` times, each first in
 * some round; medians and min-max are printed.
 * Where the host has /dev/vhost-net, a fifth variant runs the same device
 * with the net-vhost backend: the kernel's vhost-net moves the frames
 * between the rings and the tap, kicked and interrupting through the same
 * eventfds (bench/rig/run-net.sh runs this in the rig's L1, which has it). */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "bench_driver.h"
#include "config/config.h"
#include "bench_host.h"
#include "bench_stats.h"
#include "bench_tap.h"
#include "net_rx.h"
#include "net_tx.h"
#include "tap.h"

const struct volt_plugin_desc *volt_plugin_entry_v1_virtio_net(void);
const struct volt_plugin_desc *volt_plugin_entry_v1_net_tap(void);
const struct volt_plugin_desc *volt_plugin_entry_v1_net_vhost(void);

#define TAP_NAME   "vbench0"
#define TSO_FRAME  (14 + 65480)
#define MAX_ROUNDS 15
#define GUEST_RAM_MIB 64
#define F(bit)     (1ULL << (bit))

/* What the guest negotiates, as Linux would with this device. */
static const uint64_t guest_features =
	F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_RING_F_EVENT_IDX) |
	F(VIRTIO_NET_F_MAC) |
	F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
	F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_STATUS);

struct bench_case {
	const char *name;
	int rx;           /* 0: guest -> tap, 1: tap -> guest */
	uint32_t len;     /* Ethernet frame bytes */
	int tso;
	unsigned burst;   /* receive: frames queued per drain */
};

static const struct bench_case cases[] = {
	{ "TX 64 B", 0, 64, 0, 0 },
	{ "TX 1514 B", 0, 1514, 0, 0 },
	{ "TX 64 KiB TSO", 0, TSO_FRAME, 1, 0 },
	{ "RX 64 B", 1, 64, 0, 4096 },
	{ "RX 1514 B", 1, 1514, 0, 4096 },
	{ "RX 64 KiB TSO", 1, TSO_FRAME, 1, 256 },
};

struct result {
	double pps, gbps;
	double dev_busy;  /* the device's I/O thread: CPU time / wall time */
	double drv_busy;  /* the driver's thread (a vCPU), the same */
};

static double thread_cpu(void)
{
	return bench_seconds(CLOCK_THREAD_CPUTIME_ID);
}

static uint8_t frame[TSO_FRAME];
static struct virtio_net_hdr_v1 vhdr;
static double seconds = 0.4;

static double now(void)
{
	return bench_seconds(CLOCK_MONOTONIC);
}

static void die(const char *what)
{
	fprintf(stderr, "bench-net: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- frames ------------------------------------------------------------- */

static uint16_t csum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP/IPv4 (or a TSO TCP/IPv4 frame) of c->len bytes to another host. */
static void build_frame(const struct bench_case *c)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t *ip = frame + 14, *l4 = ip + 20;
	uint16_t iplen = (uint16_t)(c->len - 14);

	memset(frame, 0, sizeof(frame));
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = c->tso ? 6 : 17;
	memcpy(ip + 12, "\xc6\x12\x00\x01", 4); /* 198.18.0.1 -> 198.18.0.2 */
	memcpy(ip + 16, "\xc6\x12\x00\x02", 4);
	ip[10] = 0;
	ip[11] = 0;
	{
		uint16_t s = csum16(ip, 20, 0);

		ip[10] = (uint8_t)(s >> 8);
		ip[11] = (uint8_t)s;
	}
	l4[0] = 0x30;
	l4[1] = 0x39; /* port 12345 */
	l4[2] = 0x30;
	l4[3] = 0x3a;
	memset(&vhdr, 0, sizeof(vhdr));
	if (c->tso) {
		l4[12] = 5 << 4;  /* data offset */
		l4[13] = 0x18;    /* PSH ACK */
		l4[14] = 0xff;    /* window */
		vhdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vhdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vhdr.hdr_len = htole16(54);
		vhdr.gso_size = htole16(1448);
		vhdr.csum_start = htole16(34);
		vhdr.csum_offset = htole16(16);
	} else {
		uint16_t ulen = (uint16_t)(iplen - 20);

		l4[4] = (uint8_t)(ulen >> 8);
		l4[5] = (uint8_t)ulen;
	}
	for (uint32_t i = 54; i < c->len; i++)
		frame[i] = (uint8_t)i;
}

/* A packet socket on the tap that sends frames with a vnet header. */
static int injector(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(TAP_NAME) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	int one = 1, big = 1 << 30;

	if (s < 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("packet socket");
	if (setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
		die("PACKET_VNET_HDR");
	if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		die("SO_SNDBUFFORCE");
	return s;
}

/* Queue up to n frames on the tap; how many the kernel took. */
static unsigned inject(int s, const struct bench_case *c, unsigned n)
{
	struct iovec iov[2] = { { &vhdr, sizeof(struct virtio_net_hdr) }, { frame, c->len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	unsigned done = 0;

	while (done < n && sendmsg(s, &msg, 0) >= 0)
		done++;
	return done;
}

/* ---- raw ------------------------------------------------------------------ */

static int raw_open(const struct bench_case *c)
{
	int fd = bench_tap_open(TAP_NAME);

	if (tap_set_offloads(fd, guest_features))
		die("TUNSETOFFLOAD");
	return fd;
}

static struct result raw_tx(const struct bench_case *c)
{
	static uint8_t buf[12 + TSO_FRAME];
	int fd = raw_open(c);
	uint64_t n = 0;
	double t0 = now(), t;

	memcpy(buf, &vhdr, 12);
	memcpy(buf + 12, frame, c->len);
	do {
		for (int i = 0; i < 64; i++)
			if (write(fd, buf, 12 + c->len) == (ssize_t)(12 + c->len))
				n++;
		t = now() - t0;
	} while (t < seconds);
	close(fd);
	return (struct result){ n / t, n * c->len * 8 / t / 1e9, 0, 0 };
}

static struct result raw_rx(const struct bench_case *c)
{
	static uint8_t buf[12 + 65536 + 4096];
	int fd = raw_open(c), s = injector();
	uint64_t n = 0, bytes = 0;
	double busy = 0;

	while (busy < seconds) {
		unsigned want = inject(s, c, c->burst);
		double t0 = now();
		ssize_t r;

		while (want && (r = read(fd, buf, sizeof(buf))) > 0) {
			n++;
			bytes += (uint64_t)r - 12;
			want--;
		}
		busy += now() - t0;
	}
	close(s);
	close(fd);
	return (struct result){ n / busy, bytes * 8 / busy / 1e9, 0, 0 };
}

/* ---- raw, with the guest's buffers ----------------------------------------- */

/* The memory the device touches: guest RAM of the same size, the same
 * buffers at the same guest addresses (bench_model), in the same order. */
static struct guest_mem *guest_buffers(void)
{
	static struct guest_mem mem;
	static int ready;
	struct volt_err err = { 0 };

	if (!ready && guest_mem_init(&mem, (uint64_t)GUEST_RAM_MIB << 20, &err)) {
		fprintf(stderr, "bench-net: guest memory: %s\n", err.msg);
		exit(1);
	}
	ready = 1;
	return &mem;
}

/* writev() of each frame from its slot, in the segments the driver's chain
 * has (the device's own syscall on the device's own memory). */
static struct result rawg_tx(const struct bench_case *c)
{
	struct guest_mem *mem = guest_buffers();
	struct bench_model m;
	uint32_t off[64], len[64];
	struct iovec iov[64];
	unsigned nseg;
	int fd = raw_open(c);
	uint64_t n = 0;
	double t0, t;

	bench_model_for(&m, c->len, c->tso);
	nseg = bench_model_tx_segs(&m, c->len, c->tso, off, len, 64);
	for (unsigned i = 0; i < m.tx_slots; i++) {
		uint8_t *p = guest_mem_ptr(mem, bench_model_tx_gpa(&m, i), 12 + c->len);

		memcpy(p, &vhdr, 12);
		memcpy(p + 12, frame, c->len);
	}
	t0 = now();
	do {
		for (int i = 0; i < 64; i++, n++) {
			uint8_t *p = guest_mem_ptr(mem, bench_model_tx_gpa(&m, n), 12 + c->len);

			for (unsigned s = 0; s < nseg; s++)
				iov[s] = (struct iovec){ p + off[s], len[s] };
			if (writev(fd, iov, (int)nseg) < 0)
				break;
		}
		t = now() - t0;
	} while (t < seconds);
	close(fd);
	return (struct result){ n / t, n * c->len * 8 / t / 1e9, 0, 0 };
}

/* readv() into the next receive buffers of the ring, as many as the device
 * passes (enough for the largest frame the guest accepts), adjacent ones
 * merged into one iovec as the device merges them, plus the device's
 * sentinel byte. */
static struct result rawg_rx(const struct bench_case *c)
{
	static struct iovec iov[NET_RX_MAX_IOV];
	static uint8_t *buf[BD_QSIZE];
	static uint8_t sentinel;
	struct guest_mem *mem = guest_buffers();
	struct bench_model m;
	unsigned per;
	int fd = raw_open(c), s = injector();
	uint64_t n = 0, bytes = 0;
	unsigned next = 0;
	double busy = 0;

	bench_model_for(&m, c->len, c->tso);
	per = (unsigned)((NET_VNET_HDR_LEN + NET_GSO_MAX_FRAME + m.rx_buf - 1) / m.rx_buf);
	/* Checked once, as the device's chains were when it popped them. */
	for (unsigned i = 0; i < BD_QSIZE; i++)
		buf[i] = guest_mem_ptr(mem, bench_model_rx_gpa(&m, i), m.rx_buf);
	while (busy < seconds) {
		unsigned want = inject(s, c, c->burst);
		double t0 = now();
		ssize_t r;

		while (want) {
			unsigned niov = 0;

			/* Buffers that continue each other in one iovec, as the
			 * device passes them. */
			for (unsigned i = 0; i < per; i++) {
				uint8_t *b = buf[(next + i) % BD_QSIZE];

				if (niov && (uint8_t *)iov[niov - 1].iov_base +
						    iov[niov - 1].iov_len == b)
					iov[niov - 1].iov_len += m.rx_buf;
				else
					iov[niov++] = (struct iovec){ b, m.rx_buf };
			}
			iov[niov] = (struct iovec){ &sentinel, 1 };
			r = readv(fd, iov, (int)niov + 1);
			if (r <= 0)
				break;
			next += (unsigned)((r + m.rx_buf - 1) / m.rx_buf);
			n++;
			bytes += (uint64_t)r - 12;
			want--;
		}
		busy += now() - t0;
	}
	close(s);
	close(fd);
	return (struct result){ n / busy, bytes * 8 / busy / 1e9, 0, 0 };
}

/* ---- volt's virtio-net ------------------------------------------------------ */

/* The I/O thread's maximum poll window for the next dev_up: volt's default
 * ([vm] poll_us = 32; BENCH_NET_POLL_US overrides it), or 0 for the
 * variant without polling. */
static uint64_t dev_poll_ns;
static uint64_t dev_poll_on_ns = CONFIG_POLL_US_DEFAULT * 1000ULL;
/* The next dev_up's backend: net-tap (the I/O thread moves the frames) or
 * net-vhost (the kernel's vhost-net does). */
static bool dev_vhost;

static void dev_up(struct bench_host *bh, struct bench_driver *d, const struct bench_case *c)
{
	struct bench_model m;

	bench_model_for(&m, c->len, c->tso);
	if (bench_host_init(bh, GUEST_RAM_MIB, volt_plugin_entry_v1_virtio_net(),
			    dev_vhost ? volt_plugin_entry_v1_net_vhost() :
					volt_plugin_entry_v1_net_tap()))
		exit(1);
	bh->kernel_dp = dev_vhost;
	bh->poll_max_ns = dev_poll_ns;
	bench_host_set(&bh->backend, "tap", TAP_NAME);
	bench_host_set(&bh->dev, "mac", "02:00:00:00:00:01");
	if (bench_host_realize(bh))
		exit(1);
	bench_tap_up(TAP_NAME);
	bench_driver_init(d, bh, &m);
	if (bench_host_activate(bh, guest_features, BD_QSIZE, d->desc, d->avail, d->used))
		exit(1);
	if (bench_host_io_start(bh))
		die("starting the I/O thread");
}

static void dev_down(struct bench_host *bh, struct bench_driver *d)
{
	bench_host_io_stop(bh);
	if (getenv("BENCH_VERBOSE"))
		fprintf(stderr, "bench-net: poller max %llu ns: %llu polls, %llu found work, %llu sleeps, window %llu ns at the end\n",
			(unsigned long long)bh->poller.window.max_ns,
			(unsigned long long)bh->poller.polls, (unsigned long long)bh->poller.hits,
			(unsigned long long)bh->poller.sleeps,
			(unsigned long long)bh->poller.window.ns);
	if (bh->broken[0])
		fprintf(stderr, "bench-net: the device broke: %s\n", bh->broken);
	if (d->wait_timeouts)
		fprintf(stderr, "bench-net: %llu interrupts waited for in vain (100 ms each)\n",
			(unsigned long long)d->wait_timeouts);
	bench_host_destroy(bh);
	bench_host_fini(bh);
}

/* The driver (this thread, a vCPU) sends as a guest's stack would: one
 * chain per frame, kicking when the device asked; reaping completions
 * before each; waiting for an interrupt when the ring or the in-flight
 * limit is full. The device sends on its I/O thread. */
static struct result dev_tx(const struct bench_case *c)
{
	static struct bench_host bh;
	static struct bench_driver d;
	uint64_t n = 0;
	double t0, t, cpu0, dcpu0;

	dev_up(&bh, &d, c);
	bench_driver_tx_frame(&d, &vhdr, frame, c->len, c->tso);
	t0 = now();
	cpu0 = bench_host_io_cpu(&bh);
	dcpu0 = thread_cpu();
	do {
		for (int i = 0; i < 64; i++) {
			n += bench_driver_tx_reap(&d);
			if (!bench_driver_tx_post(&d))
				bench_driver_wait(&d, 1);
		}
		t = now() - t0;
	} while (t < seconds);
	t = now() - t0;
	{
		double cpu = bench_host_io_cpu(&bh) - cpu0, dcpu = thread_cpu() - dcpu0;

		dev_down(&bh, &d);
		return (struct result){ n / t, n * c->len * 8 / t / 1e9, cpu / t, dcpu / t };
	}
}

struct inject_job {
	int s;
	const struct bench_case *c;
	unsigned done;
};

static void inject_on_io(void *opaque)
{
	struct inject_job *j = opaque;

	j->done = inject(j->s, j->c, j->c->burst);
}

/* The driver takes `want` frames as they come, refilling the ring as Linux
 * does when more than half a budget is free (with at most *left more
 * buffers if left is not NULL), and waits for an interrupt when there is
 * nothing to take. Returns the frames taken. */
static unsigned drv_rx_take(struct bench_driver *d, unsigned want, uint64_t *bytes,
			    unsigned *left)
{
	unsigned got = 0;

	while (got < want) {
		unsigned round = bench_driver_rx_reap(d, bytes);

		got += round;
		if ((!left || *left) && (uint16_t)(d->rx_avail - d->rx_used) < BD_QSIZE - 32) {
			if (left)
				*left -= bench_driver_rx_fill_max(d, *left);
			else
				bench_driver_rx_fill(d);
		}
		if (!round && got < want)
			bench_driver_wait(d, 0);
	}
	return got;
}

/* Frames are queued on the tap while the device is paused (untimed; on the
 * device's thread, so they are as near its cache as the raw loops' own
 * injections are to theirs); then
 * the device drains them on its I/O thread while the driver (this thread)
 * takes what it delivered and refills the ring, waiting for interrupts
 * when there is nothing to take. */
static struct result dev_rx(const struct bench_case *c)
{
	static struct bench_host bh;
	static struct bench_driver d;
	uint64_t n = 0, bytes = 0;
	double busy = 0, cpu = 0, dcpu = 0;
	int s;

	dev_up(&bh, &d, c);
	s = injector();
	bench_driver_rx_fill(&d);
	while (busy < seconds) {
		unsigned want, got;
		double t0, cpu0, dcpu0;

		struct inject_job job = { s, c, 0 };

		bench_host_io_pause(&bh);
		bench_host_io_call(&bh, inject_on_io, &job);
		want = job.done;
		cpu0 = bench_host_io_cpu(&bh);
		dcpu0 = thread_cpu();
		t0 = now();
		bench_host_io_resume(&bh);
		got = drv_rx_take(&d, want, &bytes, NULL);
		busy += now() - t0;
		cpu += bench_host_io_cpu(&bh) - cpu0;
		dcpu += thread_cpu() - dcpu0;
		n += got;
	}
	close(s);
	dev_down(&bh, &d);
	return (struct result){ n / busy, bytes * 8 / busy / 1e9, cpu / busy, dcpu / busy };
}

/* vhost-net drains the tap on a kernel thread whenever the ring has
 * buffers, so it cannot be paused as the I/O thread is. Instead the ring is
 * empty while a burst is queued (untimed), and the driver posts only the
 * buffers the burst's frames need, so none are left for the next burst's
 * frames to land in before its clock starts. Otherwise as dev_rx. The
 * device's CPU is a kernel thread's, not measured. */
static struct result dev_rx_vhost(const struct bench_case *c)
{
	static struct bench_host bh;
	static struct bench_driver d;
	uint64_t n = 0, bytes = 0;
	double busy = 0, dcpu = 0;
	unsigned per;
	int s;

	dev_up(&bh, &d, c);
	per = (c->len + (unsigned)sizeof(vhdr) + d.m.rx_buf - 1) / d.m.rx_buf;
	s = injector();
	while (busy < seconds) {
		unsigned want = inject(s, c, c->burst), got, left = want * per;
		double t0 = now(), dcpu0 = thread_cpu();

		left -= bench_driver_rx_fill_max(&d, left);
		got = drv_rx_take(&d, want, &bytes, &left);
		busy += now() - t0;
		dcpu += thread_cpu() - dcpu0;
		n += got;
	}
	close(s);
	dev_down(&bh, &d);
	return (struct result){ n / busy, bytes * 8 / busy / 1e9, 0, dcpu / busy };
}

/* ---- the table ------------------------------------------------------------ */

int main(int argc, char **argv)
{
	static const char *const variant_names[] = { "raw", "raw, guest buffers", "volt",
						     "volt, no polling", "volt, net-vhost" };
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	bool trace = getenv("BENCH_NET_TRACE") != NULL;
	int nv;
	const char *only = argc > 3 ? argv[3] : NULL; /* a substring of the case names */

	if (argc > 1)
		seconds = atof(argv[1]);
	if (getenv("BENCH_NET_POLL_US"))
		dev_poll_on_ns = strtoull(getenv("BENCH_NET_POLL_US"), NULL, 0) * 1000;
	if (rounds < 1 || rounds > MAX_ROUNDS || seconds <= 0) {
		fprintf(stderr, "usage: bench-net [seconds] [rounds 1..%d]\n", MAX_ROUNDS);
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "bench-net: SKIP: no network namespace of its own (%s): run as root\n",
			strerror(errno));
		return 77;
	}
	nv = access("/dev/vhost-net", R_OK | W_OK) == 0 ? 5 : 4;
	printf("volt polls up to %llu ns before sleeping; \"no polling\": 0\n",
	       (unsigned long long)dev_poll_on_ns);
	printf("vhost-net: %s\n", nv > 4 ? "measured (/dev/vhost-net)" :
	       "not measured: this host has no /dev/vhost-net");
	printf("%-14s | %-19s | %-19s | %-19s | %8s | %8s | %-9s | %-9s | %8s | %8s\n", "case",
	       "raw", "raw, guest buffers", "volt virtio-net", "volt/raw", "volt/rawg",
	       "busy dev drv", "dev-CPU", "dev/raw", "dev/rawg");
	printf("%-14s | %9s %9s | %9s %9s | %9s %9s | %8s | %8s | %9s | %9s |\n", "", "kpps",
	       "Gbit/s", "kpps", "Gbit/s", "kpps", "Gbit/s", "", "", "", "kpps");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bench_case *c = &cases[i];
		double pps[5][MAX_ROUNDS], gb[5][MAX_ROUNDS], busy[2][MAX_ROUNDS];
		double dbusy[MAX_ROUNDS], cost[2][MAX_ROUNDS], mp[5], mg[5], mc[2];
		double lo[5], hi[5];

		if (only && !strstr(c->name, only))
			continue;
		build_frame(c);
		for (int r = 0; r < rounds; r++) {
			struct result res[5];

			/* Turn by turn, each first in some round: raw, raw with
			 * guest buffers, volt polling, volt not polling, and
			 * volt with net-vhost where the host has it. */
			for (int k = 0; k < nv; k++) {
				int which = (k + r) % nv;

				dev_poll_ns = which == 2 ? dev_poll_on_ns : 0;
				dev_vhost = which == 4;
				if (trace) /* the last line before a hang names it */
					fprintf(stderr, "bench-net: %s, round %d: %s\n", c->name,
						r + 1, variant_names[which]);
				res[which] = which == 0 ? (c->rx ? raw_rx(c) : raw_tx(c)) :
					     which == 1 ? (c->rx ? rawg_rx(c) : rawg_tx(c)) :
					     which == 4 && c->rx ? dev_rx_vhost(c) :
							  (c->rx ? dev_rx(c) : dev_tx(c));
			}
			for (int k = 0; k < nv; k++) {
				pps[k][r] = res[k].pps;
				gb[k][r] = res[k].gbps;
			}
			dbusy[r] = res[2].drv_busy;
			for (int v = 0; v < 2; v++) {
				busy[v][r] = res[2 + v].dev_busy;
				/* The device thread's own rate: frames per second of its CPU. */
				cost[v][r] = res[2 + v].dev_busy > 0 ?
					     res[2 + v].pps / res[2 + v].dev_busy : 0;
			}
		}
		for (int v = 0; v < 2; v++)
			mc[v] = bench_median(cost[v], rounds);
		for (int k = 0; k < nv; k++) {
			mp[k] = bench_median(pps[k], rounds);
			mg[k] = bench_median(gb[k], rounds);
			lo[k] = pps[k][0];        /* sorted by bench_median() */
			hi[k] = pps[k][rounds - 1];
		}
		printf("%-14s | %9.0f %9.2f | %9.0f %9.2f | %9.0f %9.2f | %7.0f%% | %7.0f%% | %4.0f%% %4.0f%% | %9.0f | %7.0f%% | %7.0f%%\n",
		       c->name, mp[0] / 1e3, mg[0], mp[1] / 1e3, mg[1], mp[2] / 1e3, mg[2],
		       100 * mp[2] / mp[0], 100 * mp[2] / mp[1], 100 * bench_median(busy[0], rounds),
		       100 * bench_median(dbusy, rounds), mc[0] / 1e3, 100 * mc[0] / mp[0],
		       100 * mc[0] / mp[1]);
		printf("%-14s | %19s | %19s | %9.0f %9.2f | %7.0f%% | %7.0f%% | %4.0f%%       | %9.0f | %7.0f%% | %7.0f%%\n",
		       "  no polling", "", "", mp[3] / 1e3, mg[3], 100 * mp[3] / mp[0],
		       100 * mp[3] / mp[1], 100 * bench_median(busy[1], rounds), mc[1] / 1e3,
		       100 * mc[1] / mp[0], 100 * mc[1] / mp[1]);
		if (nv > 4)
			printf("%-14s | %19s | %19s | %9.0f %9.2f | %7.0f%% | %7.0f%% | kernel    |\n",
			       "  vhost-net", "", "", mp[4] / 1e3, mg[4], 100 * mp[4] / mp[0],
			       100 * mp[4] / mp[1]);
		printf("%-14s   kpps min-max: raw %.0f-%.0f, raw guest bufs %.0f-%.0f, volt %.0f-%.0f, no polling %.0f-%.0f",
		       "", lo[0] / 1e3, hi[0] / 1e3, lo[1] / 1e3, hi[1] / 1e3, lo[2] / 1e3,
		       hi[2] / 1e3, lo[3] / 1e3, hi[3] / 1e3);
		if (nv > 4)
			printf(", vhost-net %.0f-%.0f", lo[4] / 1e3, hi[4] / 1e3);
		printf("\n");
		fflush(stdout);
	}
	return 0;
}
