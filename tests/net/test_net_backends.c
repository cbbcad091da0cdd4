/* The tap-based backends through the fake host. net-tap runs for real in a
 * private network namespace (unshare; skipped without the permission): it
 * creates or attaches to a tap, frames cross it both ways with their vnet
 * header (checked with a packet socket on the tap), the offloads the
 * kernel holds follow the guest's (read back with ethtool's ioctl), a
 * persistent tap's offloads from its last user are cleared, a tap it
 * created is gone after destroy, an interface that is not a tap is refused
 * naming the step, as are the plugin's other failed steps (calloc is
 * wrapped for one). A signal during a blocking read or write is retried,
 * not returned. net-vhost without /dev/vhost-net refuses to start, says
 * why, and leaves no fd or tap behind; its feature mapping is checked
 * alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "../unit/stdin_fixture.h"
#include "fake_host.h"
#include "fault.h"
#include "tap.h"
#include "vhost_dev.h"

const struct volt_plugin_desc *volt_plugin_entry_v1_net_tap(void);
const struct volt_plugin_desc *volt_plugin_entry_v1_net_vhost(void);

static bool have_netns;

static void link_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

/* One of ethtool's legacy feature reads (ETHTOOL_GTXCSUM: a checksum
 * offload on; ETHTOOL_GTSO: TCP segmentation over IPv4) for interface
 * `name`: what the kernel holds, which TUNSETOFFLOAD changes. */
static int ethtool_get(const char *name, uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(s, SIOCETHTOOL, &ifr), 0);
	close(s);
	return (int)ev.data;
}

/* A packet socket on the host side of the tap. */
static int packet_socket(const char *name)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(name) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return s;
}

/* Wait (up to a second) for fd to be readable. */
static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 1000) == 1;
}

/* Our test frames carry ethertype 0x88b5; the kernel may send others on a
 * link that just came up (IPv6 neighbour discovery), which are skipped. */
static bool ours(const uint8_t *frame, ssize_t n)
{
	return n >= 14 && frame[12] == 0x88 && frame[13] == 0xb5;
}

struct be {
	const struct volt_plugin_desc *desc;
	const struct volt_net_backend_ops *ops;
	struct fake_host *fh;
	void *state;
};

static void be_init(struct be *b, const struct volt_plugin_desc *desc)
{
	b->desc = desc;
	b->ops = desc->ops;
	b->fh = fake_host_new(desc);
	b->state = NULL;
}

static void be_fini(struct be *b)
{
	b->desc->destroy(b->state);
	fake_host_free(b->fh);
}

static int be_up(struct be *b)
{
	int r = b->desc->create(&b->fh->api, &b->fh->inst, &b->state);

	return r ? r : b->desc->realize(b->state);
}

/* ---- net-tap -------------------------------------------------------- */

static void test_tap_frames(void **state)
{
	struct be b;
	uint8_t frame[60], got[128];
	struct virtio_net_hdr_v1 h = { 0 };
	struct iovec out[2] = { { &h, 12 }, { frame, sizeof(frame) } };
	struct iovec in = { got, sizeof(got) };
	char name[IFNAMSIZ];
	int ps, fd;
	ssize_t n;

	if (!have_netns)
		skip();
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "vtest0");
	assert_int_equal(be_up(&b), 0);
	assert_true(fake_log_has(b.fh, "vtest0: created (it goes away when volt exits)"));
	fd = b.ops->rx_fd(b.state);
	assert_int_equal(b.fh->slots[0], fd);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	snprintf(name, sizeof(name), "vtest0");
	link_up(name);
	ps = packet_socket(name);

	/* Guest -> host: header, then the frame as it was. */
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5; /* local experimental ethertype */
	for (int i = 14; i < 60; i++)
		frame[i] = (uint8_t)i;
	assert_int_equal(b.ops->send(b.state, out, 2), 72);
	do {
		assert_true(readable(ps));
		n = recv(ps, got, sizeof(got), 0);
	} while (!ours(got, n));
	assert_int_equal(n, 60);
	assert_memory_equal(got, frame, 60);

	/* Host -> guest: the vnet header in front. */
	while (b.ops->recv(b.state, &in, 1) != -EAGAIN)
		; /* whatever the kernel sent first */
	assert_int_equal(send(ps, frame, sizeof(frame), 0), 60);
	do {
		assert_true(readable(fd));
		n = b.ops->recv(b.state, &in, 1);
	} while (n == -EAGAIN || !ours(got + 12, n - 12));
	assert_int_equal(n, 72);
	assert_memory_equal(got + 12, frame, 60);
	assert_int_equal(got[1], VIRTIO_NET_HDR_GSO_NONE);

	/* Offloads as negotiated; the kernel takes what tap_offload_flags says,
	 * and holds it. None until the guest negotiates. */
	assert_int_equal(ethtool_get(name, ETHTOOL_GTXCSUM), 0);
	assert_int_equal(b.ops->set_offloads(b.state, (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
					     (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
					     (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
					     (1ULL << VIRTIO_NET_F_GUEST_ECN)), 0);
	assert_int_equal(ethtool_get(name, ETHTOOL_GTXCSUM), 1);
	assert_int_equal(ethtool_get(name, ETHTOOL_GTSO), 1);
	assert_int_equal(b.ops->set_offloads(b.state, ~0ULL), 0);
	assert_int_equal(b.ops->set_offloads(b.state, 1ULL << VIRTIO_NET_F_GUEST_CSUM), 0);
	assert_int_equal(ethtool_get(name, ETHTOOL_GTXCSUM), 1);
	assert_int_equal(ethtool_get(name, ETHTOOL_GTSO), 0);
	assert_int_equal(b.ops->set_offloads(b.state, 0), 0);
	assert_int_equal(ethtool_get(name, ETHTOOL_GTXCSUM), 0);
	close(ps);
	be_fini(&b);
	assert_int_equal(if_nametoindex("vtest0"), 0); /* created by us: gone */
}

/* A persistent tap keeps the offloads its last user set (ip tuntap add,
 * then a VMM that negotiated checksums and TSO): attaching clears them,
 * so nothing the guest did not negotiate reaches it. */
static void test_tap_existing(void **state)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	struct be b;
	int t;

	if (!have_netns)
		skip();
	t = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	assert_true(t >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vkeep0");
	assert_int_equal(ioctl(t, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(t, TUNSETPERSIST, 1), 0);
	assert_int_equal(ioctl(t, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)), 0);
	close(t);
	assert_int_equal(ethtool_get("vkeep0", ETHTOOL_GTXCSUM), 1);
	assert_int_equal(ethtool_get("vkeep0", ETHTOOL_GTSO), 1);

	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "vkeep0");
	assert_int_equal(be_up(&b), 0);
	assert_true(fake_log_has(b.fh, "vkeep0: attached to the existing tap"));
	assert_int_equal(ethtool_get("vkeep0", ETHTOOL_GTXCSUM), 0);
	assert_int_equal(ethtool_get("vkeep0", ETHTOOL_GTSO), 0);
	be_fini(&b);
	assert_true(if_nametoindex("vkeep0") > 0);

	t = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	assert_int_equal(ioctl(t, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(t, TUNSETPERSIST, 0), 0);
	close(t);
}

static void test_tap_refusals(void **state)
{
	struct be b;
	int fds = open_fds();

	/* Refused by create itself: nothing is opened (the kernel would
	 * refuse the name too, later). */
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "no/slash");
	assert_int_equal(b.desc->create(&b.fh->api, &b.fh->inst, &b.state), -EINVAL);
	assert_true(fake_log_has(b.fh, "tap = \"no/slash\": not an interface name (1 to 15 "
				 "characters, no '/', ':', '%' or spaces)"));
	be_fini(&b);

	/* Out of memory. */
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fail_calloc = true;
	assert_int_equal(b.desc->create(&b.fh->api, &b.fh->inst, &b.state), -ENOMEM);
	assert_true(fake_log_has(b.fh, "out of memory"));
	assert_null(b.state);
	be_fini(&b);

	if (!have_netns)
		return;
	/* lo exists and is no tap: the step and the interface are named. */
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "lo");
	assert_int_equal(be_up(&b), -EINVAL);
	assert_true(fake_log_has(b.fh, "lo: attaching (TUNSETIFF): Invalid argument (is it a tap?"));
	be_fini(&b);
	assert_int_equal(open_fds(), fds);
}

/* A persistent tap (or, with IFF_TUN, tun) `name`, made as `ip tuntap add`
 * does, or (persist 0) deleted. */
static void tuntap_persist(const char *name, short kind, int persist)
{
	struct ifreq ifr = { .ifr_flags = kind | IFF_NO_PI };
	int t = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	assert_true(t >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(t, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(t, TUNSETPERSIST, persist), 0);
	close(t);
}

/* No `tap`: the kernel names a new one (tap0 in this namespace), gone
 * after destroy. */
static void test_tap_unnamed(void **state)
{
	struct be b;

	if (!have_netns)
		skip();
	assert_int_equal(if_nametoindex("tap0"), 0);
	be_init(&b, volt_plugin_entry_v1_net_tap());
	assert_int_equal(be_up(&b), 0);
	assert_true(fake_log_has(b.fh, "tap0: created (it goes away when volt exits)"));
	assert_true(if_nametoindex("tap0") > 0);
	/* The name the kernel gave, for the device's messages. */
	assert_string_equal(b.ops->ifname(b.state), "tap0");
	assert_int_equal(b.fh->slots[0], b.ops->rx_fd(b.state));
	be_fini(&b);
	assert_int_equal(if_nametoindex("tap0"), 0);
}

/* Names of one character are names: an existing tap "k" is attached to,
 * not taken for a new one; a tun "u" is refused naming it. */
static void test_tap_short_names(void **state)
{
	struct be b;
	int fds = open_fds();

	if (!have_netns)
		skip();
	tuntap_persist("k", IFF_TAP, 1);
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "k");
	assert_int_equal(be_up(&b), 0);
	assert_true(fake_log_has(b.fh, "k: attached to the existing tap"));
	be_fini(&b);
	assert_true(if_nametoindex("k") > 0);
	tuntap_persist("k", IFF_TAP, 0);

	tuntap_persist("u", IFF_TUN, 1);
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "u");
	assert_int_equal(be_up(&b), -EINVAL);
	assert_true(fake_log_has(b.fh, "u: attaching (TUNSETIFF): Invalid argument (is it a tap? "
				 "a tun, a multi-queue tap or another kind of interface cannot be used)"));
	be_fini(&b);
	tuntap_persist("u", IFF_TUN, 0);
	assert_int_equal(open_fds(), fds);
}

/* A tap another fd holds: EBUSY, with the likely reason; the holder's tap
 * is left alone. */
static void test_tap_busy(void **state)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	struct be b;
	int t, fds;

	if (!have_netns)
		skip();
	t = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	assert_true(t >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vbusy0");
	assert_int_equal(ioctl(t, TUNSETIFF, &ifr), 0);
	fds = open_fds();
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "vbusy0");
	assert_int_equal(be_up(&b), -EBUSY);
	assert_true(fake_log_has(b.fh, "vbusy0: attaching (TUNSETIFF): Device or resource busy "
				 "(another process has it open?)"));
	be_fini(&b);
	assert_int_equal(open_fds(), fds);
	assert_true(if_nametoindex("vbusy0") > 0);
	close(t);
}

/* With stdin closed the tap's fd is 0: a valid fd, used and closed. */
static void test_tap_fd0(void **state)
{
	struct be b;
	int saved;

	if (!have_netns)
		skip();
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "vzero0");
	saved = stdin_away();
	assert_int_equal(be_up(&b), 0);
	assert_int_equal(b.ops->rx_fd(b.state), 0);
	assert_int_equal(b.fh->slots[0], 0);
	assert_int_equal(b.ops->set_offloads(b.state, 1ULL << VIRTIO_NET_F_GUEST_CSUM), 0);
	assert_int_equal(ethtool_get("vzero0", ETHTOOL_GTXCSUM), 1);
	be_fini(&b);
	assert_int_equal(fcntl(0, F_GETFD), -1); /* closed */
	stdin_back(saved);
	assert_int_equal(if_nametoindex("vzero0"), 0);
}

/* Out of fds: the open is the step named, and nothing is left. */
static void test_tap_no_fds(void **state)
{
	struct rlimit old, low;
	struct be b;
	int fds = open_fds(), lowest;

	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "vlim0");
	lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest; /* no fd free below the limit */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(be_up(&b), -EMFILE);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true(fake_log_has(b.fh, "vlim0: opening /dev/net/tun: Too many open files"));
	be_fini(&b);
	assert_int_equal(open_fds(), fds);
}

/* The vnet header and offload calls on something that is not a tap: the
 * kernel's error, and the step and interface named. */
static void test_tap_not_a_tap_fd(void **state)
{
	struct tap_why why;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(tap_set_vnet_hdr(fd, "x0", &why), -ENOTTY);
	assert_string_equal(why.text, "x0: setting the vnet header size to 12 (TUNSETVNETHDRSZ): "
			    "Inappropriate ioctl for device");
	assert_int_equal(tap_set_offloads(fd, 0), -ENOTTY);
	assert_int_equal(tap_set_offloads(fd, 1ULL << VIRTIO_NET_F_GUEST_CSUM), -ENOTTY);
	close(fd);
}

/* TUNSETOFFLOAD refused at DRIVER_OK: the error goes back to the device,
 * and the line names the tap and the flags. (/dev/null takes the tap fd's
 * place.) */
static void test_tap_offload_refused(void **state)
{
	struct be b;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (!have_netns)
		skip();
	be_init(&b, volt_plugin_entry_v1_net_tap());
	fake_host_set(b.fh, "tap", "voff0");
	assert_int_equal(be_up(&b), 0);
	assert_int_equal(dup2(null, b.ops->rx_fd(b.state)), b.ops->rx_fd(b.state));
	close(null);
	assert_int_equal(b.ops->set_offloads(b.state, (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
					     (1ULL << VIRTIO_NET_F_GUEST_TSO4)), -ENOTTY);
	assert_true(fake_log_has(b.fh, "voff0: setting offloads 0x3 (TUNSETOFFLOAD): "
				 "Inappropriate ioctl for device"));
	be_fini(&b);
}

static int bind_refused(struct volt_instance *inst, uint32_t slot, int fd)
{
	return -ENOSPC;
}

/* The sandbox cannot take the fd: realize fails naming the step; destroy
 * closes the tap, which then goes away. */
static void test_tap_bind_refused(void **state)
{
	struct be b;
	int fds = open_fds();

	if (!have_netns)
		skip();
	be_init(&b, volt_plugin_entry_v1_net_tap());
	b.fh->api.sandbox_bind_fd = bind_refused;
	fake_host_set(b.fh, "tap", "vbind0");
	assert_int_equal(be_up(&b), -ENOSPC);
	assert_true(fake_log_has(b.fh, "vbind0: binding the tap fd for the sandbox: No space left "
				 "on device"));
	assert_false(fake_log_has(b.fh, "created"));
	be_fini(&b);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(if_nametoindex("vbind0"), 0);
}

/* ---- a signal in the middle of a frame --------------------------------- */

/* Atomic, not just sig_atomic_t: the interrupting thread reads it too. */
static atomic_int signals;

static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals, 1);
}

/* The scheduler state of thread `tid` of this process ('S': asleep in a
 * system call, such as a blocking read). */
static char thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Another thread interrupts `victim` (with a handler installed without
 * SA_RESTART) once it sleeps in its read or write, waits until the
 * victim sleeps again, then unblocks it: one frame written to fd, or fd
 * (a full pipe) drained. */
struct interrupter {
	pthread_t victim;
	pid_t victim_tid;
	int fd;
	bool drain;
	uint8_t frame[72];
};

static void wait_asleep(pid_t tid)
{
	for (int i = 0; i < 2000 && thread_state(tid) != 'S'; i++)
		usleep(1000);
}

static void *interrupt_then_unblock(void *arg)
{
	struct interrupter *in = arg;
	int before = atomic_load(&signals);
	uint8_t junk[8192];

	wait_asleep(in->victim_tid);
	pthread_kill(in->victim, SIGUSR1);
	for (int i = 0; i < 2000 && atomic_load(&signals) == before; i++)
		usleep(1000);
	usleep(20000);
	wait_asleep(in->victim_tid);
	if (in->drain) {
		while (read(in->fd, junk, sizeof(junk)) == sizeof(junk))
			;
	} else if (write(in->fd, in->frame, sizeof(in->frame)) != sizeof(in->frame)) {
		abort();
	}
	return NULL;
}

/* A blocking pipe stands in for the tap: tap_recv and tap_send are the
 * same calls on any fd, and a tap's own fd never sleeps. */
static void interrupted_call(bool send, int iovcnt)
{
	struct interrupter in = { .victim = pthread_self(), .victim_tid = gettid() };
	struct sigaction sa = { .sa_handler = on_signal }, old;
	uint8_t buf[72];
	struct iovec iov[2] = { { buf, 12 }, { buf + 12, sizeof(buf) - 12 } };
	int before = atomic_load(&signals);
	pthread_t helper;
	int p[2];
	ssize_t n;

	if (iovcnt == 1)
		iov[0].iov_len = sizeof(buf);
	for (unsigned i = 0; i < sizeof(in.frame); i++)
		in.frame[i] = (uint8_t)(i * 7);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0); /* no SA_RESTART */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	if (send) {
		/* A full pipe: the write sleeps until the helper drains it. */
		assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) > 0);
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		while (write(p[1], buf, sizeof(buf)) > 0)
			;
		fcntl(p[1], F_SETFL, 0);
		memcpy(buf, in.frame, sizeof(buf));
		in.fd = p[0];
		in.drain = true;
	} else {
		in.fd = p[1];
	}
	assert_int_equal(pthread_create(&helper, NULL, interrupt_then_unblock, &in), 0);
	n = send ? tap_send(p[1], iov, iovcnt) : tap_recv(p[0], iov, iovcnt);
	assert_int_equal(pthread_join(helper, NULL), 0);
	assert_true(atomic_load(&signals) > before); /* the call was interrupted ... */
	assert_int_equal(n, sizeof(buf)); /* ... and carried on */
	if (send) /* the frame, after what filled the pipe */
		assert_int_equal(read(p[0], buf, sizeof(buf)), sizeof(buf));
	assert_memory_equal(buf, in.frame, sizeof(buf));
	sigaction(SIGUSR1, &old, NULL);
	close(p[0]);
	close(p[1]);
}

static void test_tap_eintr(void **state)
{
	interrupted_call(false, 1); /* read */
	interrupted_call(false, 2); /* readv */
	interrupted_call(true, 1);  /* write */
	interrupted_call(true, 2);  /* writev */
}

/* ---- net-vhost ------------------------------------------------------ */

static void test_vhost_missing(void **state)
{
	struct be b;
	int fds = open_fds();

	if (access(VHOST_NET_PATH, F_OK) == 0)
		skip(); /* this host has vhost-net: the refusal cannot be seen */
	be_init(&b, volt_plugin_entry_v1_net_vhost());
	fake_host_set(b.fh, "tap", "vhnew0");
	assert_int_equal(be_up(&b), -ENOENT);
	assert_true(fake_log_has(b.fh, "/dev/vhost-net not found: the host kernel lacks "
				 "CONFIG_VHOST_NET (modprobe vhost_net?)"));
	be_fini(&b);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(if_nametoindex("vhnew0"), 0);
}

static void test_vhost_open_path(void **state)
{
	struct vhost_net v;
	struct tap_why why;

	assert_int_equal(vhost_net_open(&v, "/nonexistent/vhost-net", &why), -ENOENT);
	assert_string_equal(why.text, "/nonexistent/vhost-net not found: the host kernel lacks "
			    "CONFIG_VHOST_NET (modprobe vhost_net?)");
	assert_int_equal(v.fd, -1);
	/* Something that is not vhost-net refuses VHOST_SET_OWNER. */
	assert_true(vhost_net_open(&v, "/dev/null", &why) < 0);
	assert_non_null(strstr(why.text, "/dev/null: VHOST_SET_OWNER: "));
	assert_int_equal(v.fd, -1);
}

static void test_vhost_features(void **state)
{
	const uint64_t vh = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
			    (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
			    (1ULL << VHOST_NET_F_VIRTIO_NET_HDR);
	struct tap_why why;
	uint64_t out;

	/* Offloads and MAC are the tap's and the device's: not vhost's. */
	assert_int_equal(vhost_net_features(vh, (1ULL << VIRTIO_F_VERSION_1) |
					    (1ULL << VIRTIO_RING_F_EVENT_IDX) |
					    (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_MAC),
					    &out, &why), 0);
	assert_int_equal(out, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX));
	/* Never the header feature: the tap does the vnet header. */
	assert_false(out & (1ULL << VHOST_NET_F_VIRTIO_NET_HDR));
	/* A ring feature vhost-net lacks: refused, not dropped. */
	assert_int_equal(vhost_net_features(vh & ~(1ULL << VIRTIO_RING_F_EVENT_IDX),
					    (1ULL << VIRTIO_RING_F_EVENT_IDX), &out, &why),
			 -EOPNOTSUPP);
	assert_non_null(strstr(why.text, "vhost-net does not offer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap_frames),
		cmocka_unit_test(test_tap_existing),
		cmocka_unit_test(test_tap_refusals),
		cmocka_unit_test(test_tap_eintr),
		cmocka_unit_test(test_tap_unnamed),
		cmocka_unit_test(test_tap_short_names),
		cmocka_unit_test(test_tap_busy),
		cmocka_unit_test(test_tap_fd0),
		cmocka_unit_test(test_tap_no_fds),
		cmocka_unit_test(test_tap_not_a_tap_fd),
		cmocka_unit_test(test_tap_offload_refused),
		cmocka_unit_test(test_tap_bind_refused),
		cmocka_unit_test(test_vhost_missing),
		cmocka_unit_test(test_vhost_open_path),
		cmocka_unit_test(test_vhost_features),
	};

	/* Taps made here live and die in a namespace of this process. */
	have_netns = unshare(CLONE_NEWNET) == 0;
	if (!have_netns)
		print_message("note: no network namespace (%s): the net-tap checks are skipped\n",
			      strerror(errno));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
