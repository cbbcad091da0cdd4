/* net-vhost against a fake /dev/vhost-net (this machine, like many CI
 * hosts, has none; the nested rig runs the real one: tests/net/rig_vhost.sh).
 * open and ioctl are wrapped (-Wl,--wrap): opening /dev/vhost-net while
 * the fake is on opens /dev/null instead, and the vhost ioctls on that fd
 * are answered by the fake, which keeps what it was told and a trace of
 * the calls in order, and can refuse the Nth call. calloc is wrapped too,
 * to run out of memory, and a tap ioctl can be refused.
 *
 * Checked: open, owner and features, with each failure closing the fd; the
 * memory table as the regions say; the hand-over at DRIVER_OK (features,
 * then each ring's size, base, addresses, kick and call, then the tap as
 * both queues' backend), and a failure at any step undone; stop unbinding
 * everything; the plugin's realize, data plane start and stop, offloads
 * and destroy, leaving no fd behind, also as fd 0; a message longer than
 * its line cut, not overflowed. The tap is real (in a private network
 * namespace; those checks are skipped without it). */
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
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../unit/stdin_fixture.h"
#include "fake_host.h"
#include "fault.h"
#include "tap.h"
#include "vhost_dev.h"

const struct volt_plugin_desc *volt_plugin_entry_v1_net_vhost(void);

#define F(bit) (1ULL << (bit))

static bool have_netns;

/* ---- the fake vhost-net ---------------------------------------------- */

struct fake_vhost {
	bool on;               /* opening /dev/vhost-net opens the fake */
	int fd;                /* the fake's fd, -1 if none is open */
	uint64_t features;     /* what VHOST_GET_FEATURES answers */
	unsigned fail_at;      /* refuse the Nth ioctl from now (1: the next) ... */
	int fail_errno;        /* ... with this */
	unsigned calls;
	bool owned;
	uint64_t acked;
	unsigned nregions;
	struct vhost_memory_region regions[4];
	struct {
		unsigned num, base;
		struct vhost_vring_addr addr;
		int kick, call, backend;
	} vq[2];
	char trace[2048];      /* "owner features mem set_features num0=256 ..." */
};

static struct fake_vhost vh;

static void vh_reset(uint64_t features)
{
	memset(&vh, 0, sizeof(vh));
	vh.on = true;
	vh.fd = -1;
	vh.features = features;
	for (int i = 0; i < 2; i++)
		vh.vq[i].kick = vh.vq[i].call = vh.vq[i].backend = -1;
}

__attribute__((format(printf, 1, 2)))
static void vh_say(const char *fmt, ...)
{
	size_t len = strlen(vh.trace);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vh.trace + len, sizeof(vh.trace) - len, fmt, ap);
	va_end(ap);
}

static int vh_ioctl(unsigned long req, void *arg)
{
	struct vhost_vring_state *st = arg;
	struct vhost_vring_file *file = arg;
	struct vhost_vring_addr *addr = arg;
	struct vhost_memory *mem = arg;
	unsigned i;

	vh.calls++;
	if (vh.fail_at && --vh.fail_at == 0) {
		vh_say("refused ");
		errno = vh.fail_errno;
		return -1;
	}
	switch (req) {
	case VHOST_SET_OWNER:
		vh_say("owner ");
		if (vh.owned)
			return errno = EBUSY, -1;
		vh.owned = true;
		return 0;
	case VHOST_GET_FEATURES:
		vh_say("features ");
		*(uint64_t *)arg = vh.features;
		return 0;
	case VHOST_SET_FEATURES:
		vh_say("set_features=0x%llx ", (unsigned long long)*(uint64_t *)arg);
		if (*(uint64_t *)arg & ~vh.features)
			return errno = EOPNOTSUPP, -1;
		vh.acked = *(uint64_t *)arg;
		return 0;
	case VHOST_SET_MEM_TABLE:
		vh_say("mem=%u ", mem->nregions);
		if (mem->nregions > 4)
			return errno = E2BIG, -1;
		vh.nregions = mem->nregions;
		memcpy(vh.regions, mem->regions, mem->nregions * sizeof(mem->regions[0]));
		return 0;
	}
	i = st->index; /* every ring call starts with the index */
	if (i >= 2)
		return errno = ENOBUFS, -1;
	switch (req) {
	case VHOST_SET_VRING_NUM:
		vh_say("num%u=%u ", i, st->num);
		vh.vq[i].num = st->num;
		return 0;
	case VHOST_SET_VRING_BASE:
		vh_say("base%u=%u ", i, st->num);
		vh.vq[i].base = st->num;
		return 0;
	case VHOST_SET_VRING_ADDR:
		vh_say("addr%u ", i);
		vh.vq[i].addr = *addr;
		return 0;
	case VHOST_SET_VRING_KICK:
		vh_say("kick%u=%d ", i, file->fd);
		vh.vq[i].kick = file->fd;
		return 0;
	case VHOST_SET_VRING_CALL:
		vh_say("call%u=%d ", i, file->fd);
		vh.vq[i].call = file->fd;
		return 0;
	case VHOST_NET_SET_BACKEND:
		vh_say("backend%u=%d ", i, file->fd);
		vh.vq[i].backend = file->fd;
		return 0;
	}
	return errno = ENOTTY, -1;
}

/* The next ioctl with this request on any other fd (the tap's) is refused
 * with EPERM. */
static unsigned long refuse_req;

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (vh.fd >= 0 && fd == vh.fd)
		return vh_ioctl(req, arg);
	if (refuse_req && req == refuse_req) {
		refuse_req = 0;
		errno = EPERM;
		return -1;
	}
	return __real_ioctl(fd, req, arg);
}

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!vh.on || strcmp(path, VHOST_NET_PATH))
		return __real_open(path, flags, mode);
	fd = __real_open("/dev/null", flags);
	if (fd >= 0)
		vh.fd = fd;
	return fd;
}

/* The fake's fd was closed (fcntl fails on it, or it is another file). */
static bool vh_closed(int fd)
{
	return fd < 0 || fcntl(fd, F_GETFD) < 0;
}

/* ---- vhost_dev.c --------------------------------------------------------- */

#define VH_FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) |                  \
		     F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_NET_F_MRG_RXBUF) |            \
		     F(VHOST_NET_F_VIRTIO_NET_HDR))

static void test_open(void **state)
{
	struct vhost_net v;
	struct tap_why why;
	int fds = open_fds(), fd;

	vh_reset(VH_FEATURES);
	assert_int_equal(vhost_net_open(&v, VHOST_NET_PATH, &why), 0);
	assert_int_equal(v.fd, vh.fd);
	assert_true(fcntl(v.fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(v.features, VH_FEATURES);
	assert_int_equal(v.started, 0);
	assert_string_equal(vh.trace, "owner features ");
	vhost_net_close(&v);
	assert_int_equal(v.fd, -1);
	assert_int_equal(open_fds(), fds);

	/* Each step refused: the fd is closed, the step named. */
	for (unsigned at = 1; at <= 2; at++) {
		vh_reset(VH_FEATURES);
		vh.fail_at = at;
		vh.fail_errno = EPERM;
		assert_int_equal(vhost_net_open(&v, VHOST_NET_PATH, &why), -EPERM);
		fd = vh.fd;
		assert_int_equal(v.fd, -1);
		assert_true(vh_closed(fd));
		assert_string_equal(why.text, at == 1 ?
				    "/dev/vhost-net: VHOST_SET_OWNER: Operation not permitted" :
				    "/dev/vhost-net: VHOST_GET_FEATURES: Operation not permitted");
		assert_int_equal(open_fds(), fds);
	}
	vh.on = false;
}

static void test_open_other_errors(void **state)
{
	struct vhost_net v;
	struct tap_why why;

	/* Not ENOENT: the error as it is, not the missing-module hint. */
	vh.on = false;
	assert_int_equal(vhost_net_open(&v, "/proc/self/nonexistent/x", &why), -ENOENT);
	assert_int_equal(vhost_net_open(&v, "/proc/self/status/x", &why), -ENOTDIR);
	assert_string_equal(why.text, "opening /proc/self/status/x: Not a directory");
	assert_int_equal(v.fd, -1);
	/* A failed open leaves nothing of an earlier one. */
	v.started = 7;
	v.features = 9;
	assert_int_equal(vhost_net_open(&v, "/proc/self/status/x", &why), -ENOTDIR);
	assert_int_equal(v.started, 0);
	assert_int_equal(v.features, 0);
}

/* A message longer than the line: cut there, and nothing written past. */
static void test_long_message(void **state)
{
	struct {
		struct tap_why why;
		char after[256];
	} out;
	char path[400] = "/proc/self/status";
	struct vhost_net v;

	vh.on = false;
	while (strlen(path) < 300)
		strcat(path, "/abcdefgh");
	memset(out.after, 0x5a, sizeof(out.after));
	assert_int_equal(vhost_net_open(&v, path, &out.why), -ENOTDIR);
	assert_int_equal(strlen(out.why.text), sizeof(out.why.text) - 1);
	assert_memory_equal(out.why.text, "opening /proc/self/status/abcdefgh/", 35);
	for (size_t i = 0; i < sizeof(out.after); i++)
		assert_int_equal(out.after[i], 0x5a);
}

static void test_mem_table(void **state)
{
	static uint8_t low[4096], high[8192];
	const struct volt_mem_region regions[2] = {
		{ .gpa = 0, .size = sizeof(low), .hva = low },
		{ .gpa = 0x100000000ULL, .size = sizeof(high), .hva = high },
	};
	struct vhost_net v;
	struct tap_why why;

	vh_reset(VH_FEATURES);
	assert_int_equal(vhost_net_open(&v, VHOST_NET_PATH, &why), 0);
	assert_int_equal(vhost_net_set_mem(&v, regions, 2, &why), 0);
	assert_int_equal(vh.nregions, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(vh.regions[i].guest_phys_addr, regions[i].gpa);
		assert_int_equal(vh.regions[i].memory_size, regions[i].size);
		assert_int_equal(vh.regions[i].userspace_addr, (uintptr_t)regions[i].hva);
		assert_int_equal(vh.regions[i].flags_padding, 0);
	}
	vh.fail_at = 1;
	vh.fail_errno = EFAULT;
	assert_int_equal(vhost_net_set_mem(&v, regions, 2, &why), -EFAULT);
	assert_string_equal(why.text, "VHOST_SET_MEM_TABLE (2 regions): Bad address");
	fail_calloc = true;
	assert_int_equal(vhost_net_set_mem(&v, regions, 2, &why), -ENOMEM);
	assert_string_equal(why.text, "VHOST_SET_MEM_TABLE: Cannot allocate memory");
	vhost_net_close(&v);
	vh.on = false;
}

/* Two queues as the transport hands them over. */
static void queues(struct volt_vq_info q[2], uint64_t features)
{
	static uint8_t ring[2][3][64];

	for (int i = 0; i < 2; i++)
		q[i] = (struct volt_vq_info){
			.struct_size = sizeof(q[i]), .size = (uint16_t)(i ? 128 : 256),
			.desc_hva = ring[i][0], .avail_hva = ring[i][1], .used_hva = ring[i][2],
			.kick_fd = 40 + i, .call_fd = 50 + i, .features = features,
		};
}

static const char handed_over[] =
	"set_features=0x100000000 "
	"num0=256 base0=0 addr0 kick0=40 call0=50 num1=128 base1=0 addr1 kick1=41 call1=51 "
	"backend0=9 backend1=9 ";
static const char taken_back[] =
	"backend0=-1 kick0=-1 call0=-1 backend1=-1 kick1=-1 call1=-1 ";

static void test_start_stop(void **state)
{
	struct volt_vq_info q[2];
	struct vhost_net v;
	struct tap_why why;

	vh_reset(VH_FEATURES);
	assert_int_equal(vhost_net_open(&v, VHOST_NET_PATH, &why), 0);
	vh.trace[0] = 0;
	/* MAC and CSUM are not vhost's: only VERSION_1 is told. */
	queues(q, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_CSUM));
	assert_int_equal(vhost_net_start(&v, q, 2, 9, &why), 0);
	assert_string_equal(vh.trace, handed_over);
	assert_int_equal(v.started, 2);
	assert_int_equal(vh.acked, F(VIRTIO_F_VERSION_1));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(vh.vq[i].addr.index, i);
		assert_int_equal(vh.vq[i].addr.desc_user_addr, (uintptr_t)q[i].desc_hva);
		assert_int_equal(vh.vq[i].addr.avail_user_addr, (uintptr_t)q[i].avail_hva);
		assert_int_equal(vh.vq[i].addr.used_user_addr, (uintptr_t)q[i].used_hva);
		assert_int_equal(vh.vq[i].addr.flags, 0);
		assert_int_equal(vh.vq[i].addr.log_guest_addr, 0);
	}
	vh.trace[0] = 0;
	vhost_net_stop(&v);
	assert_string_equal(vh.trace, taken_back);
	assert_int_equal(v.started, 0);

	/* Not two queues; a ring feature vhost lacks: nothing is told. */
	vh.trace[0] = 0;
	assert_int_equal(vhost_net_start(&v, q, 1, 9, &why), -EINVAL);
	assert_string_equal(why.text, "1 queues (vhost-net here runs one pair)");
	assert_int_equal(vhost_net_start(&v, q, 3, 9, &why), -EINVAL);
	queues(q, F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_RING_PACKED));
	assert_int_equal(vhost_net_start(&v, q, 2, 9, &why), -EOPNOTSUPP);
	assert_string_equal(vh.trace, "");
	vhost_net_close(&v);
	vh.on = false;
}

/* Each step of the hand-over refused in turn: the error names it, and
 * whatever was bound is unbound (a backend only where one was set). */
static void test_start_undone(void **state)
{
	static const char *const steps[] = {
		"VHOST_SET_FEATURES 0x100000000: Invalid argument",
		"VHOST_SET_VRING_NUM 256 for queue 0: Invalid argument",
		"VHOST_SET_VRING_BASE for queue 0: Invalid argument",
		"VHOST_SET_VRING_ADDR for queue 0: Invalid argument",
		"VHOST_SET_VRING_KICK (ioeventfd) for queue 0: Invalid argument",
		"VHOST_SET_VRING_CALL (irqfd) for queue 0: Invalid argument",
		"VHOST_SET_VRING_NUM 128 for queue 1: Invalid argument",
		"VHOST_SET_VRING_BASE for queue 1: Invalid argument",
		"VHOST_SET_VRING_ADDR for queue 1: Invalid argument",
		"VHOST_SET_VRING_KICK (ioeventfd) for queue 1: Invalid argument",
		"VHOST_SET_VRING_CALL (irqfd) for queue 1: Invalid argument",
		"VHOST_NET_SET_BACKEND (the tap) for queue 0: Invalid argument",
		"VHOST_NET_SET_BACKEND (the tap) for queue 1: Invalid argument",
	};
	struct volt_vq_info q[2];
	struct vhost_net v;
	struct tap_why why;

	queues(q, F(VIRTIO_F_VERSION_1));
	for (unsigned at = 1; at <= sizeof(steps) / sizeof(steps[0]); at++) {
		vh_reset(VH_FEATURES);
		assert_int_equal(vhost_net_open(&v, VHOST_NET_PATH, &why), 0);
		vh.trace[0] = 0;
		vh.fail_at = at;
		vh.fail_errno = EINVAL;
		assert_int_equal(vhost_net_start(&v, q, 2, 9, &why), -EINVAL);
		assert_string_equal(why.text, steps[at - 1]);
		assert_int_equal(v.started, 0);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(vh.vq[i].backend, -1);
			assert_int_equal(vh.vq[i].kick, -1);
			assert_int_equal(vh.vq[i].call, -1);
		}
		/* The first backend was set: it is unset, the second never. */
		if (at == 13)
			assert_non_null(strstr(vh.trace, "refused backend0=-1 kick0=-1 call0=-1 "
					       "kick1=-1 call1=-1 "));
		vhost_net_close(&v);
	}
	vh.on = false;
}

static void test_features(void **state)
{
	struct tap_why why;
	uint64_t out;

	/* Every ring feature is checked, not only the first. */
	static const unsigned ring[] = {
		VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC,
		VIRTIO_NET_F_MRG_RXBUF, VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_RING_PACKED,
	};

	for (unsigned i = 0; i < sizeof(ring) / sizeof(ring[0]); i++) {
		uint64_t all = F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) |
			       F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_NET_F_MRG_RXBUF) |
			       F(VIRTIO_F_ACCESS_PLATFORM) | F(VIRTIO_F_RING_PACKED);

		assert_int_equal(vhost_net_features(all & ~F(ring[i]), F(ring[i]), &out, &why),
				 -EOPNOTSUPP);
		assert_int_equal(vhost_net_features(all, F(ring[i]), &out, &why), 0);
		assert_int_equal(out, F(ring[i]));
	}
	assert_int_equal(vhost_net_features(F(VIRTIO_F_VERSION_1), F(VIRTIO_F_RING_PACKED) |
					    F(VIRTIO_F_VERSION_1), &out, &why), -EOPNOTSUPP);
	assert_string_equal(why.text, "the guest negotiated features 0x400000000 that vhost-net "
			    "does not offer (it has 0x100000000)");
}

/* ---- the plugin ---------------------------------------------------------- */

struct be {
	const struct volt_plugin_desc *desc;
	const struct volt_net_backend_ops *ops;
	struct fake_host *fh;
	void *state;
};

static void be_init(struct be *b)
{
	static uint8_t ram[8192];

	b->desc = volt_plugin_entry_v1_net_vhost();
	b->ops = b->desc->ops;
	b->fh = fake_host_new(b->desc);
	b->fh->regions[0] = (struct volt_mem_region){ .gpa = 0, .size = sizeof(ram), .hva = ram };
	b->fh->nregions = 1;
	b->state = NULL;
}

static int be_up(struct be *b)
{
	int r = b->desc->create(&b->fh->api, &b->fh->inst, &b->state);

	return r ? r : b->desc->realize(b->state);
}

static void test_plugin(void **state)
{
	struct volt_vq_info q[2];
	struct be b;
	int fds = open_fds(), vfd, tfd;

	if (!have_netns)
		skip();
	vh_reset(VH_FEATURES);
	be_init(&b);
	fake_host_set(b.fh, "tap", "vhtap0");
	assert_int_equal(be_up(&b), 0);
	assert_true(fake_log_has(b.fh, "vhtap0: vhost-net ready (features 0x138008000)"));
	assert_string_equal(vh.trace, "owner features mem=1 ");
	assert_int_equal(vh.nregions, 1);
	vfd = vh.fd;
	tfd = b.fh->slots[1];
	assert_int_equal(b.fh->slots[0], vfd);
	assert_true(tfd >= 0 && tfd != vfd);
	assert_true(if_nametoindex("vhtap0") > 0);
	assert_string_equal(b.ops->ifname(b.state), "vhtap0");
	assert_true(fcntl(tfd, F_GETFL) & O_NONBLOCK);

	/* The tap's offloads, as net-tap's. */
	assert_int_equal(b.ops->set_offloads(b.state, F(VIRTIO_NET_F_GUEST_CSUM)), 0);

	queues(q, F(VIRTIO_F_VERSION_1));
	vh.trace[0] = 0;
	assert_int_equal(b.ops->dataplane_start(b.state, b.fh->regions, 1, q, 2), 0);
	assert_int_equal(vh.vq[0].backend, tfd);
	assert_int_equal(vh.vq[1].backend, tfd);
	assert_true(fake_log_has(b.fh, "vhtap0: vhost-net runs the queues"));
	b.ops->dataplane_stop(b.state);
	assert_int_equal(vh.vq[0].backend, -1);
	assert_int_equal(vh.vq[1].backend, -1);

	/* A refused start is logged with the tap's name. */
	vh.fail_at = 1;
	vh.fail_errno = EIO;
	assert_int_equal(b.ops->dataplane_start(b.state, b.fh->regions, 1, q, 2), -EIO);
	assert_true(fake_log_has(b.fh, "vhtap0: VHOST_SET_FEATURES 0x100000000: Input/output error"));

	/* Destroy while running: the queues are taken back first. */
	assert_int_equal(b.ops->dataplane_start(b.state, b.fh->regions, 1, q, 2), 0);
	vh.trace[0] = 0;
	b.desc->destroy(b.state);
	assert_string_equal(vh.trace, taken_back);
	fake_host_free(b.fh);
	assert_true(vh_closed(vfd));
	assert_int_equal(open_fds(), fds);
	assert_int_equal(if_nametoindex("vhtap0"), 0);
	vh.on = false;
}

/* Destroy after a stop: nothing more is unbound. */
static void test_plugin_stopped(void **state)
{
	struct volt_vq_info q[2];
	struct be b;

	if (!have_netns)
		skip();
	vh_reset(VH_FEATURES);
	be_init(&b);
	fake_host_set(b.fh, "tap", "vhtap1");
	assert_int_equal(be_up(&b), 0);
	queues(q, F(VIRTIO_F_VERSION_1));
	assert_int_equal(b.ops->dataplane_start(b.state, b.fh->regions, 1, q, 2), 0);
	b.ops->dataplane_stop(b.state);
	vh.trace[0] = 0;
	b.desc->destroy(b.state);
	assert_string_equal(vh.trace, "");
	fake_host_free(b.fh);
	vh.on = false;
}

/* Each realize step refused: the error, the step, and no fd or tap left. */
static void test_plugin_refusals(void **state)
{
	struct be b;
	int fds = open_fds();

	for (unsigned at = 1; at <= 3; at++) {
		vh_reset(VH_FEATURES);
		vh.fail_at = at;
		vh.fail_errno = EACCES;
		be_init(&b);
		fake_host_set(b.fh, "tap", "vhtap2");
		assert_int_equal(be_up(&b), -EACCES);
		assert_true(fake_log_has(b.fh, at == 1 ? "/dev/vhost-net: VHOST_SET_OWNER: Permission denied" :
					 at == 2 ? "/dev/vhost-net: VHOST_GET_FEATURES: Permission denied" :
					 "VHOST_SET_MEM_TABLE (1 regions): Permission denied"));
		b.desc->destroy(b.state);
		fake_host_free(b.fh);
		assert_int_equal(open_fds(), fds);
		assert_int_equal(if_nametoindex("vhtap2"), 0);
	}

	vh_reset(VH_FEATURES);
	be_init(&b);
	fake_host_set(b.fh, "tap", "no/slash");
	assert_int_equal(be_up(&b), -EINVAL);
	assert_true(fake_log_has(b.fh, "tap = \"no/slash\": not an interface name (1 to 15 "
				 "characters, no '/', ':', '%' or spaces)"));
	b.desc->destroy(b.state);
	fake_host_free(b.fh);
	assert_int_equal(vh.calls, 0);
	assert_int_equal(open_fds(), fds);
	vh.on = false;
}

static void test_plugin_no_memory(void **state)
{
	struct be b;

	be_init(&b);
	fail_calloc = true;
	assert_int_equal(b.desc->create(&b.fh->api, &b.fh->inst, &b.state), -ENOMEM);
	assert_true(fake_log_has(b.fh, "out of memory"));
	assert_null(b.state);
	b.desc->destroy(b.state);
	fake_host_free(b.fh);
}

/* With stdin closed /dev/vhost-net is fd 0: used, the queues taken back
 * at destroy, and closed. */
static void test_plugin_fd0(void **state)
{
	struct volt_vq_info q[2];
	struct be b;
	int saved;

	if (!have_netns)
		skip();
	vh_reset(VH_FEATURES);
	be_init(&b);
	fake_host_set(b.fh, "tap", "vhtap5");
	saved = stdin_away();
	assert_int_equal(be_up(&b), 0);
	assert_int_equal(vh.fd, 0);
	assert_int_equal(b.fh->slots[0], 0);
	queues(q, F(VIRTIO_F_VERSION_1));
	assert_int_equal(b.ops->dataplane_start(b.state, b.fh->regions, 1, q, 2), 0);
	vh.trace[0] = 0;
	b.desc->destroy(b.state);
	assert_string_equal(vh.trace, taken_back);
	assert_int_equal(fcntl(0, F_GETFD), -1);
	stdin_back(saved);
	fake_host_free(b.fh);
	vh.on = false;
}

/* The tap's set-up refused (its vnet header size, clearing its offloads):
 * named, and the tap it made is gone with its fd. */
static void test_plugin_tap_refused(void **state)
{
	static const struct {
		unsigned long req;
		const char *line;
	} steps[] = {
		{ TUNSETVNETHDRSZ, "vhtap6: setting the vnet header size to 12 (TUNSETVNETHDRSZ): "
				   "Operation not permitted" },
		{ TUNSETOFFLOAD, "vhtap6: clearing offloads (TUNSETOFFLOAD): Operation not permitted" },
	};
	struct be b;
	int fds = open_fds();

	if (!have_netns)
		skip();
	for (unsigned i = 0; i < 2; i++) {
		vh_reset(VH_FEATURES);
		be_init(&b);
		fake_host_set(b.fh, "tap", "vhtap6");
		refuse_req = steps[i].req;
		assert_int_equal(be_up(&b), -EPERM);
		assert_int_equal(refuse_req, 0);
		assert_true(fake_log_has(b.fh, steps[i].line));
		b.desc->destroy(b.state);
		fake_host_free(b.fh);
		assert_int_equal(open_fds(), fds);
		assert_int_equal(if_nametoindex("vhtap6"), 0);
	}
	vh.on = false;
}

static void test_plugin_bind_refused(void **state)
{
	struct be b;
	int fds = open_fds();

	if (!have_netns)
		skip();
	vh_reset(VH_FEATURES);
	be_init(&b);
	b.fh->api.sandbox_bind_fd = bind_refused_slot1;
	fake_host_set(b.fh, "tap", "vhtap3");
	assert_int_equal(be_up(&b), -ENOSPC);
	assert_true(fake_log_has(b.fh, "vhtap3: binding fds for the sandbox: No space left on device"));
	b.desc->destroy(b.state);
	fake_host_free(b.fh);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(if_nametoindex("vhtap3"), 0);
	vh.on = false;
}

/* TUNSETOFFLOAD refused: returned and logged with the tap and the flags. */
static void test_plugin_offload_refused(void **state)
{
	struct be b;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (!have_netns)
		skip();
	vh_reset(VH_FEATURES);
	be_init(&b);
	fake_host_set(b.fh, "tap", "vhtap4");
	assert_int_equal(be_up(&b), 0);
	assert_int_equal(dup2(null, b.fh->slots[1]), b.fh->slots[1]);
	close(null);
	assert_int_equal(b.ops->set_offloads(b.state, F(VIRTIO_NET_F_GUEST_CSUM)), -ENOTTY);
	assert_true(fake_log_has(b.fh, "vhtap4: setting offloads 0x1 (TUNSETOFFLOAD): "
				 "Inappropriate ioctl for device"));
	b.desc->destroy(b.state);
	fake_host_free(b.fh);
	vh.on = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_open_other_errors),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_mem_table),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_start_undone),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_plugin),
		cmocka_unit_test(test_plugin_stopped),
		cmocka_unit_test(test_plugin_refusals),
		cmocka_unit_test(test_plugin_no_memory),
		cmocka_unit_test(test_plugin_fd0),
		cmocka_unit_test(test_plugin_tap_refused),
		cmocka_unit_test(test_plugin_bind_refused),
		cmocka_unit_test(test_plugin_offload_refused),
	};

	vh.fd = -1;
	/* The taps live and die in a namespace of this process. */
	have_netns = unshare(CLONE_NEWNET) == 0;
	if (!have_netns)
		print_message("note: no network namespace (%s): the checks with a tap are skipped\n",
			      strerror(errno));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
