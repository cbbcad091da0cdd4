/* net-macvtap through the fake host, in network and mount namespaces of the
 * test's own (unshare; the checks that need them are skipped without the
 * permission). A veth pair is the parent; /sys is this namespace's, and
 * /dev a tmpfs where the test plays udev: opening /dev/tapN makes the node
 * first, with the link's device number, a wrong one, a regular file or
 * none (open is wrapped, -Wl,--wrap=open). So is one rtnetlink lookup,
 * to lose a link's index right after it was created.
 *
 * Checked: what create refuses; a created link's name, mode, MAC and
 * state; it is deleted at destroy by its reaper, or directly once the
 * reaper is gone, or by name when its index was never learnt, also after
 * each later step failed, and by the reaper alone when volt ends without
 * destroy; a stale, foreign or missing /dev node is passed over for the
 * link's own device number; an existing link is used as it
 * is and never deleted; the reaper is confined. fork and calloc are
 * wrapped too, to fail them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvtap.h>
#include <netlink/route/link/veth.h>

#include "fake_host.h"
#include "fault.h"
#include "macvtap_link.h"

const struct volt_plugin_desc *volt_plugin_entry_v1_net_macvtap(void);

static const uint8_t guest_mac[6] = { 0x02, 0x00, 0x0a, 0x00, 0x03, 0x0f };

static bool have_ns;
static struct nl_sock *nl; /* the test's own rtnetlink socket */

/* ---- the test's udev -------------------------------------------------- */

enum node_kind {
	NODE_RIGHT,  /* the link's device number, from sysfs */
	NODE_WRONG,  /* a character device, but /dev/null's number */
	NODE_FILE,   /* a regular file */
	NODE_NONE,   /* nothing */
};

static enum node_kind next_node = NODE_RIGHT;

/* What /sys/class/net says once the node is made: the truth, nothing (a
 * tmpfs over it), a dev file that is not major:minor, or /dev/null's. */
enum sysfs_kind { SYSFS_REAL, SYSFS_HIDDEN, SYSFS_GARBAGE, SYSFS_WRONG };

static enum sysfs_kind next_sysfs = SYSFS_REAL;

static void fake_sysfs(int ifindex)
{
	char name[IF_NAMESIZE], dir[128], path[160];
	FILE *f;

	assert_non_null(if_indextoname((unsigned)ifindex, name));
	assert_int_equal(mount("tmpfs", "/sys/class/net", "tmpfs", 0, "mode=755"), 0);
	if (next_sysfs != SYSFS_GARBAGE && next_sysfs != SYSFS_WRONG)
		return;
	snprintf(dir, sizeof(dir), "/sys/class/net/%s", name);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "/sys/class/net/%s/macvtap", name);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "/sys/class/net/%s/macvtap/tap%d", name, ifindex);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/dev", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(next_sysfs == SYSFS_WRONG ? "1:3\n" : "garbage\n", f); /* 1:3: /dev/null */
	fclose(f);
}

static void real_sysfs(void)
{
	if (next_sysfs != SYSFS_REAL)
		assert_int_equal(umount2("/sys/class/net", MNT_DETACH), 0);
	next_sysfs = SYSFS_REAL;
}

static void make_node(const char *path, int ifindex)
{
	char name[IF_NAMESIZE], sys[128];
	unsigned maj = 0, min = 0;
	FILE *f;
	int fd;

	unlink(path);
	switch (next_node) {
	case NODE_RIGHT:
		assert_non_null(if_indextoname((unsigned)ifindex, name));
		snprintf(sys, sizeof(sys), "/sys/class/net/%s/macvtap/tap%d/dev", name, ifindex);
		f = fopen(sys, "re");
		assert_non_null(f);
		assert_int_equal(fscanf(f, "%u:%u", &maj, &min), 2);
		fclose(f);
		assert_int_equal(mknod(path, S_IFCHR | 0600, makedev(maj, min)), 0);
		break;
	case NODE_WRONG:
		assert_int_equal(mknod(path, S_IFCHR | 0600, makedev(1, 3)), 0);
		break;
	case NODE_FILE:
		fd = creat(path, 0600);
		assert_true(fd >= 0);
		close(fd);
		break;
	case NODE_NONE:
		break;
	}
}

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int ifindex;
	char end;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (have_ns && sscanf(path, "/dev/tap%d%c", &ifindex, &end) == 1) {
		make_node(path, ifindex);
		if (next_sysfs != SYSFS_REAL)
			fake_sysfs(ifindex);
	}
	return __real_open(path, flags, mode);
}

/* The Nth fork from now fails with EAGAIN (1: the next; 2: the reaper's
 * own, in the child that forks it). */
static int fail_fork_in;

pid_t __real_fork(void);
pid_t __wrap_fork(void);
pid_t __wrap_fork(void)
{
	if (fail_fork_in > 0 && --fail_fork_in == 0) {
		errno = EAGAIN;
		return -1;
	}
	return __real_fork();
}

/* Lose the link's index: the Nth rtnetlink lookup from now fails (0:
 * none does). */
static int fail_lookup_in;

int __real_rtnl_link_get_kernel(struct nl_sock *sk, int ifindex, const char *name,
				struct rtnl_link **link);
int __wrap_rtnl_link_get_kernel(struct nl_sock *sk, int ifindex, const char *name,
				struct rtnl_link **link);
int __wrap_rtnl_link_get_kernel(struct nl_sock *sk, int ifindex, const char *name,
				struct rtnl_link **link)
{
	if (fail_lookup_in > 0 && --fail_lookup_in == 0)
		return -NLE_BUSY;
	return __real_rtnl_link_get_kernel(sk, ifindex, name, link);
}

/* ---- links, as the test sees them --------------------------------------- */

static bool link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

struct seen {
	unsigned flags;
	uint8_t mac[6];
	uint32_t mode;
	bool macvtap;
};

static struct seen link_seen(const char *name)
{
	struct rtnl_link *l = NULL;
	struct seen s = { 0 };
	struct nl_addr *a;
	const char *type;

	assert_int_equal(__real_rtnl_link_get_kernel(nl, 0, name, &l), 0);
	s.flags = rtnl_link_get_flags(l);
	a = rtnl_link_get_addr(l);
	assert_int_equal(nl_addr_get_len(a), 6);
	memcpy(s.mac, nl_addr_get_binary_addr(a), 6);
	type = rtnl_link_get_type(l);
	s.macvtap = type && !strcmp(type, "macvtap");
	if (s.macvtap)
		s.mode = rtnl_link_macvtap_get_mode(l);
	rtnl_link_put(l);
	return s;
}

/* An existing macvtap on vp0, as `ip link add ... type macvtap mode bridge`
 * makes it. */
static void add_macvtap(const char *name, const uint8_t mac[6], bool up)
{
	struct rtnl_link *l = rtnl_link_macvtap_alloc();
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);

	rtnl_link_set_name(l, name);
	rtnl_link_set_link(l, (int)if_nametoindex("vp0"));
	rtnl_link_set_addr(l, a);
	assert_int_equal(rtnl_link_macvtap_set_mode(l, MACVLAN_MODE_BRIDGE), 0);
	if (up)
		rtnl_link_set_flags(l, IFF_UP);
	assert_int_equal(rtnl_link_add(nl, l, NLM_F_CREATE | NLM_F_EXCL), 0);
	nl_addr_put(a);
	rtnl_link_put(l);
}

static void set_up(const char *name, bool up)
{
	struct rtnl_link *orig = NULL, *change = rtnl_link_alloc();

	assert_int_equal(__real_rtnl_link_get_kernel(nl, 0, name, &orig), 0);
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	assert_int_equal(rtnl_link_change(nl, orig, change, 0), 0);
	rtnl_link_put(orig);
	rtnl_link_put(change);
}

static void del_link(const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();

	rtnl_link_set_name(l, name);
	assert_int_equal(rtnl_link_delete(nl, l), 0);
	rtnl_link_put(l);
}

/* The reaper: a child of this process (a subreaper), named volt-reaper;
 * 0 if there is none. */
static pid_t reaper_now(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[512], *p;
		int ppid;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (!p || !strstr(buf, "(volt-reaper) "))
			continue;
		p = strrchr(buf, ')');
		if (sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid() &&
		    !strstr(buf, ") Z "))
			found = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

/* The reaper, once it has named itself (within 2 s), or 0. */
static pid_t reaper_pid(void)
{
	pid_t pid = 0;

	for (int i = 0; i < 200 && !(pid = reaper_now()); i++)
		usleep(10000);
	return pid;
}

/* The number of fds process `pid` has, once it is in strict seccomp
 * (within 2 s), or -1. */
static int confined_fds(pid_t pid)
{
	char path[64], buf[4096];
	struct dirent *e;
	int n = 0;
	DIR *d;

	for (int i = 0; i < 200; i++) {
		FILE *f;
		size_t len;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		f = fopen(path, "re");
		if (!f)
			return -1;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		if (strstr(buf, "\nSeccomp:\t1\n"))
			break;
		usleep(10000);
	}
	if (!strstr(buf, "\nSeccomp:\t1\n"))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* The signals process `pid` blocks (SigBlk), bit N-1 for signal N. */
static unsigned long long blocked_signals(pid_t pid)
{
	char path[64], buf[4096], *p;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = 0;
	p = strstr(buf, "\nSigBlk:");
	assert_non_null(p);
	return strtoull(p + 8, NULL, 16);
}

/* Every reaper this test started has exited (within 2 s). */
static void reapers_gone(void)
{
	for (int i = 0; i < 200; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!reaper_now())
			return;
		usleep(10000);
	}
	fail_msg("a reaper is still running");
}

/* ---- the backend ------------------------------------------------------ */

struct be {
	const struct volt_plugin_desc *desc;
	const struct volt_net_backend_ops *ops;
	struct fake_host *fh;
	void *state;
};

static void be_init(struct be *b)
{
	b->desc = volt_plugin_entry_v1_net_macvtap();
	b->ops = b->desc->ops;
	b->fh = fake_host_new(b->desc);
	b->state = NULL;
}

/* A link the backend will create on the test's veth, vp0. */
static void be_init_on(struct be *b, const char *ifname)
{
	be_init(b);
	fake_host_set(b->fh, "parent", "vp0");
	fake_host_set(b->fh, "ifname", ifname);
}

static void be_fini(struct be *b)
{
	b->desc->destroy(b->state);
	fake_host_free(b->fh);
}

/* Destroy, and the link was deleted, and said so. */
static void be_fini_deleted(struct be *b, const char *ifname)
{
	char line[64];

	b->desc->destroy(b->state);
	snprintf(line, sizeof(line), "%s: macvtap deleted", ifname);
	if (!fake_log_has(b->fh, line) || fake_log_has(b->fh, "delete it by hand"))
		fail_msg("no \"%s\" in:\n%s", line, b->fh->log);
	assert_false(link_exists(ifname));
	fake_host_free(b->fh);
}

static int be_up(struct be *b)
{
	int r = b->desc->create(&b->fh->api, &b->fh->inst, &b->state);

	return r ? r : b->desc->realize(b->state);
}

/* ---- create ------------------------------------------------------------ */

static void refused(const char *k1, const char *v1, const char *k2, const char *v2,
		    const char *line)
{
	struct be b;

	be_init(&b);
	if (k1)
		fake_host_set(b.fh, k1, v1);
	if (k2)
		fake_host_set(b.fh, k2, v2);
	assert_int_equal(b.desc->create(&b.fh->api, &b.fh->inst, &b.state), -EINVAL);
	if (!fake_log_has(b.fh, line))
		fail_msg("no \"%s\" in:\n%s", line, b.fh->log);
	be_fini(&b);
}

static void test_create_refusals(void **state)
{
	int fds = open_fds();

	refused(NULL, NULL, NULL, NULL, "set exactly one of parent (create a macvtap on it) and "
		"link (attach to an existing one)");
	refused("parent", "vp0", "link", "mkeep", "set exactly one of parent");
	refused("parent", "vp0", "mode", "bridged",
		"mode = bridged: must be bridge, vepa, private or passthru");
	refused("parent", "vp/0", NULL, NULL, "parent = \"vp/0\": not an interface name (1 to 15 "
		"characters, no '/', ':', '%' or spaces)");
	refused("link", "m:1", NULL, NULL, "link = \"m:1\": not an interface name");
	refused("parent", "vp0", "ifname", "sixteen-chars-16", "ifname = \"sixteen-chars-16\": not "
		"an interface name");
	assert_int_equal(open_fds(), fds);
}

static void test_create_no_memory(void **state)
{
	struct be b;

	be_init(&b);
	fake_host_set(b.fh, "parent", "vp0");
	fail_calloc = true;
	assert_int_equal(b.desc->create(&b.fh->api, &b.fh->inst, &b.state), -ENOMEM);
	assert_true(fake_log_has(b.fh, "out of memory"));
	assert_null(b.state);
	be_fini(&b);
}

static void test_mode_names(void **state)
{
	assert_int_equal(mvt_mode_parse("private"), MACVLAN_MODE_PRIVATE);
	assert_int_equal(mvt_mode_parse("vepa"), MACVLAN_MODE_VEPA);
	assert_int_equal(mvt_mode_parse("bridge"), MACVLAN_MODE_BRIDGE);
	assert_int_equal(mvt_mode_parse("passthru"), MACVLAN_MODE_PASSTHRU);
	assert_int_equal(mvt_mode_parse("source"), -1);
	assert_int_equal(mvt_mode_parse(""), -1);
	assert_int_equal(mvt_mode_parse(NULL), -1);
}

/* Without ifname: mvt<pid>-<n>, a new n for each instance. The parent
 * does not exist, so the name shows in the refusal and nothing is made. */
static void test_default_names(void **state)
{
	char first[64], want[96];
	const char *p;
	struct be b;
	int n;

	if (!have_ns)
		skip();
	for (int i = 0; i < 2; i++) {
		be_init(&b);
		fake_host_set(b.fh, "parent", "nosuch0");
		assert_int_equal(be_up(&b), -ENODEV);
		p = strstr(b.fh->log, "creating macvtap mvt");
		assert_non_null(p);
		assert_int_equal(sscanf(p, "creating macvtap mvt%*u-%d on nosuch0", &n), 1);
		snprintf(want, sizeof(want), "creating macvtap mvt%d-%d on nosuch0: the parent "
			 "interface: No such device", (int)getpid(), n);
		assert_true(fake_log_has(b.fh, want));
		if (i == 0)
			snprintf(first, sizeof(first), "mvt%d-%d ", (int)getpid(), n);
		else
			assert_false(fake_log_has(b.fh, first));
		be_fini(&b);
	}
	reapers_gone();
}

/* ---- a link volt creates ----------------------------------------------- */

/* Made down, in its mode, its tap opened non-blocking with offloads off
 * (a new macvtap has them on); set_mac gives it the guest's address and
 * brings it up; its reaper is confined; destroy deletes it. */
/* SIGCHLD ignored (inherited across exec): the kernel reaps the reaper's
 * short-lived parent, so its status is gone. The link must still be
 * volt's, not deleted at once by a reaper told volt is gone. */
static void test_sigchld_ignored(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct be b;

	if (!have_ns)
		skip();
	assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
	be_init_on(&b, "tmvt9");
	assert_int_equal(be_up(&b), 0);
	usleep(200 * 1000);
	assert_true(link_exists("tmvt9"));
	assert_false(fake_log_has(b.fh, "deleted by the reaper"));
	assert_false(fake_log_has(b.fh, "starting its reaper"));
	be_fini_deleted(&b, "tmvt9");
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
}

static void test_owned_link(void **state)
{
	sigset_t before, after;
	char line[128];
	struct be b;
	struct seen s;
	pid_t reaper;
	int fds = open_fds(), fd, idx, n;

	if (!have_ns)
		skip();
	be_init_on(&b, "tmvt0");
	fake_host_set(b.fh, "mode", "vepa");
	sigemptyset(&before);
	sigemptyset(&after);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &before), 0);
	assert_int_equal(be_up(&b), 0);
	/* The reaper's fork blocked every signal for a moment, not for good. */
	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &after), 0);
	for (int sig = 1; sig < SIGRTMIN; sig++)
		assert_int_equal(sigismember(&before, sig), sigismember(&after, sig));
	idx = (int)if_nametoindex("tmvt0");
	assert_true(idx > 0);
	snprintf(line, sizeof(line), "tmvt0: macvtap created on vp0 (mode vepa), /dev/tap%d", idx);
	assert_true(fake_log_has(b.fh, line));
	assert_string_equal(b.ops->ifname(b.state), "tmvt0");
	s = link_seen("tmvt0");
	assert_true(s.macvtap);
	assert_int_equal(s.mode, MACVLAN_MODE_VEPA);
	assert_false(s.flags & IFF_UP);

	fd = b.ops->rx_fd(b.state);
	assert_int_equal(b.fh->slots[0], fd);
	assert_true(b.fh->slots[1] >= 0 && b.fh->slots[1] != fd);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(ioctl(fd, TUNGETVNETHDRSZ, &n), 0);
	assert_int_equal(n, 12);
	assert_int_equal(b.ops->set_offloads(b.state, (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
					     (1ULL << VIRTIO_NET_F_GUEST_TSO4)), 0);
	assert_int_equal(b.ops->set_offloads(b.state, 0), 0);

	/* The reaper: three fds (stderr, the pair, its netlink socket) and
	 * strict seccomp. */
	reaper = reaper_pid();
	assert_true(reaper > 0);
	assert_int_equal(confined_fds(reaper), 3);
	/* ... and every signal blocked: a terminal's Ctrl-C is not its end. */
	{
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGPIPE };
		unsigned long long blk = blocked_signals(reaper);

		for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			assert_true(blk & (1ULL << (sigs[i] - 1)));
	}

	assert_int_equal(b.ops->set_mac(b.state, guest_mac), 0);
	s = link_seen("tmvt0");
	assert_memory_equal(s.mac, guest_mac, 6);
	assert_true(s.flags & IFF_UP);
	/* Up already: start leaves it as it is (here, taken down by hand). */
	set_up("tmvt0", false);
	assert_int_equal(b.desc->start(b.state), 0);
	assert_false(link_seen("tmvt0").flags & IFF_UP);

	be_fini_deleted(&b, "tmvt0");
	assert_false(link_exists("tmvt0"));
	reapers_gone();
	assert_int_equal(open_fds(), fds);
}

/* A device that never calls set_mac: the link comes up at start. */
static void test_up_at_start(void **state)
{
	struct be b;

	if (!have_ns)
		skip();
	be_init_on(&b, "tmvt1");
	assert_int_equal(be_up(&b), 0);
	assert_int_equal(link_seen("tmvt1").mode, MACVLAN_MODE_BRIDGE);
	assert_false(link_seen("tmvt1").flags & IFF_UP);
	assert_int_equal(b.desc->start(b.state), 0);
	assert_true(link_seen("tmvt1").flags & IFF_UP);
	be_fini_deleted(&b, "tmvt1");
	assert_false(link_exists("tmvt1"));
	reapers_gone();
}

/* The reaper killed (it is the only one of its kind that can be): destroy
 * deletes the link itself. */
static void test_reaper_gone(void **state)
{
	struct be b;
	pid_t reaper;

	if (!have_ns)
		skip();
	be_init_on(&b, "tmvt2");
	assert_int_equal(be_up(&b), 0);
	reaper = reaper_pid();
	assert_true(reaper > 0);
	assert_int_equal(kill(reaper, SIGKILL), 0);
	assert_int_equal(waitpid(reaper, NULL, 0), reaper);
	b.desc->destroy(b.state);
	assert_false(link_exists("tmvt2"));
	assert_true(fake_log_has(b.fh, "tmvt2: macvtap deleted"));
	fake_host_free(b.fh);
}

/* No reaper (fork failed, in volt or in the child that forks it): a
 * warning, the VM goes on, destroy deletes the link itself and no fd is
 * left. */
static void test_reaper_not_started(void **state)
{
	static const char *const lines[] = {
		"tmvt10: starting its reaper (fork): Resource temporarily unavailable (it is left "
		"behind if volt is killed)",
		"tmvt10: starting its reaper: fork failed in the child (it is left behind if volt "
		"is killed)",
	};
	struct be b;
	int fds = open_fds();

	if (!have_ns)
		skip();
	for (int i = 0; i < 2; i++) {
		be_init_on(&b, "tmvt10");
		fail_fork_in = i + 1;
		assert_int_equal(be_up(&b), 0);
		fail_fork_in = 0;
		if (!fake_log_has(b.fh, lines[i]))
			fail_msg("no \"%s\" in:\n%s", lines[i], b.fh->log);
		assert_int_equal(reaper_now(), 0);
		be_fini_deleted(&b, "tmvt10");
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		assert_int_equal(open_fds(), fds);
	}
}

/* volt killed (no destroy: a child of the test realizes and exits): the
 * reaper finds its pair closed, deletes the link and says so on volt's
 * stderr; if someone deleted the link first, it says nothing. */
static void volt_killed(bool deleted_first)
{
	char want[256], got[512] = "";
	size_t len = 0;
	pid_t volt;
	int p[2], status;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	volt = fork();
	assert_true(volt >= 0);
	if (volt == 0) {
		struct be b;

		dup2(p[1], STDERR_FILENO);
		be_init_on(&b, "tmvt11");
		if (be_up(&b))
			_exit(1);
		if (deleted_first)
			del_link("tmvt11");
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(waitpid(volt, &status, 0), volt);
	assert_int_equal(status, 0);
	for (;;) { /* until the reaper, the last writer, has exited */
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&pf, 1, 2000), 1);
		n = read(p[0], got + len, sizeof(got) - 1 - len);
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	got[len] = 0;
	close(p[0]);
	if (deleted_first)
		want[0] = 0;
	else
		snprintf(want, sizeof(want), "volt: warning: net-macvtap net eth0: tmvt11: volt (pid "
			 "%d) ended without deleting its macvtap: deleted by the reaper\n", (int)volt);
	assert_string_equal(got, want);
	assert_false(link_exists("tmvt11"));
	reapers_gone();
}

static void test_volt_killed(void **state)
{
	if (!have_ns)
		skip();
	volt_killed(false);
	volt_killed(true);
}

/* The reaper alive but not answering (stopped): destroy waits its 2 s,
 * then deletes the link itself. */
static void test_reaper_stuck(void **state)
{
	struct be b;
	pid_t reaper;

	if (!have_ns)
		skip();
	be_init_on(&b, "tmvt12");
	assert_int_equal(be_up(&b), 0);
	reaper = reaper_pid();
	assert_true(reaper > 0);
	assert_int_equal(kill(reaper, SIGSTOP), 0);
	b.desc->destroy(b.state);
	kill(reaper, SIGKILL); /* first: a failed check must not leave it stopped */
	assert_int_equal(waitpid(reaper, NULL, 0), reaper);
	assert_true(fake_log_has(b.fh, "tmvt12: macvtap deleted"));
	assert_false(fake_log_has(b.fh, "delete it by hand"));
	assert_false(link_exists("tmvt12"));
	fake_host_free(b.fh);
}

/* Someone else deleted the link first: the reaper's answer (ENODEV) is
 * reported, with what to do. */
static void test_reaper_answer(void **state)
{
	struct be b;

	if (!have_ns)
		skip();
	be_init_on(&b, "tmvt3");
	assert_int_equal(be_up(&b), 0);
	del_link("tmvt3");
	b.desc->destroy(b.state);
	assert_true(fake_log_has(b.fh, "deleting macvtap tmvt3 (its reaper): No such device "
				 "(delete it by hand: ip link del tmvt3)"));
	fake_host_free(b.fh);
	reapers_gone();
}

/* Created, but its index lost (the lookup right after failed): realize
 * fails naming the step, and destroy finds the link by its name. */
static void test_delete_by_name(void **state)
{
	struct be b;
	int fds = open_fds();

	if (!have_ns)
		skip();
	be_init_on(&b, "tmvt4");
	fail_lookup_in = 2; /* the parent's, then the new link's */
	assert_int_equal(be_up(&b), -EBUSY);
	fail_lookup_in = 0;
	assert_true(fake_log_has(b.fh, "looking up tmvt4: Device or resource busy"));
	assert_true(link_exists("tmvt4"));
	be_fini_deleted(&b, "tmvt4"); /* and says so, as every other delete */
	assert_false(link_exists("tmvt4"));
	reapers_gone();
	assert_int_equal(open_fds(), fds);
}

/* The backend's fd is a queue of `ifname` (the kernel names the link a
 * macvtap fd is attached to). */
static void assert_queue_of(struct be *b, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	assert_int_equal(ioctl(b->ops->rx_fd(b->state), SIOCGIFHWADDR, &ifr), 0);
	assert_string_equal(ifr.ifr_name, ifname);
}

/* No private node is left in /dev. */
static void assert_no_private_node(void)
{
	DIR *d = opendir("/dev");
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, ".volt-tap-", 10))
			fail_msg("/dev/%s left behind", e->d_name);
	closedir(d);
}

/* /dev/tapN is not the link's (another device's number, a file) or is
 * missing: the link's own device number, from sysfs, is opened through a
 * private node, which is gone again. */
static void stale_node(enum node_kind kind)
{
	struct be b;
	int fds = open_fds();

	be_init_on(&b, "tmvt5");
	next_node = kind;
	assert_int_equal(be_up(&b), 0);
	next_node = NODE_RIGHT;
	assert_queue_of(&b, "tmvt5");
	assert_no_private_node();
	be_fini_deleted(&b, "tmvt5");
	assert_false(link_exists("tmvt5"));
	reapers_gone();
	assert_int_equal(open_fds(), fds);
}

static void test_stale_node(void **state)
{
	if (!have_ns)
		skip();
	stale_node(NODE_WRONG);
	stale_node(NODE_FILE);
	stale_node(NODE_NONE);
}

/* sysfs does not say (nothing there, no major:minor, or another device's
 * number): a node that is the link's is used as it is; one that is not is
 * refused, saying what became of the node and of sysfs's lead. */
static void no_sysfs(enum sysfs_kind sysfs, enum node_kind node, const char *why)
{
	char line[320];
	struct be b;
	int fds = open_fds(), r, idx;

	be_init_on(&b, "tmvt8");
	next_node = node;
	next_sysfs = sysfs;
	r = be_up(&b);
	real_sysfs();
	next_node = NODE_RIGHT;
	if (!why) {
		assert_int_equal(r, 0);
		assert_queue_of(&b, "tmvt8");
	} else {
		assert_int_equal(r, -ENXIO);
		idx = (int)if_nametoindex("tmvt8");
		snprintf(line, sizeof(line), why, idx, idx);
		if (!fake_log_has(b.fh, line))
			fail_msg("no \"%s\" in:\n%s", line, b.fh->log);
	}
	assert_no_private_node();
	be_fini_deleted(&b, "tmvt8");
	assert_false(link_exists("tmvt8"));
	reapers_gone();
	assert_int_equal(open_fds(), fds);
}

static void test_no_sysfs(void **state)
{
	if (!have_ns)
		skip();
	no_sysfs(SYSFS_HIDDEN, NODE_RIGHT, NULL);
	no_sysfs(SYSFS_GARBAGE, NODE_RIGHT, NULL);
	no_sysfs(SYSFS_HIDDEN, NODE_WRONG, "tmvt8: /dev/tap%d: Inappropriate ioctl for device, and "
		 "sysfs does not give the link's device number (/sys/class/net/tmvt8/macvtap/"
		 "tap%d/dev: No such file or directory)");
	no_sysfs(SYSFS_HIDDEN, NODE_NONE, "tmvt8: /dev/tap%d: missing, and sysfs does not give "
		 "the link's device number (/sys/class/net/tmvt8/macvtap/tap%d/dev: No such "
		 "file or directory)");
	no_sysfs(SYSFS_WRONG, NODE_FILE, "tmvt8: /dev/tap%d: Inappropriate ioctl for device, and "
		 "device 1:3 (sysfs's) is not the link's either: Inappropriate ioctl for device");
}

/* The sandbox refuses the netlink fd: realize fails naming the step; the
 * link is deleted at destroy. */
static void test_bind_refused(void **state)
{
	struct be b;
	int fds = open_fds();

	if (!have_ns)
		skip();
	be_init(&b);
	b.fh->api.sandbox_bind_fd = bind_refused_slot1;
	fake_host_set(b.fh, "parent", "vp0");
	fake_host_set(b.fh, "ifname", "tmvt6");
	assert_int_equal(be_up(&b), -ENOSPC);
	assert_true(fake_log_has(b.fh, "tmvt6: binding fds for the sandbox: No space left on device"));
	be_fini_deleted(&b, "tmvt6");
	assert_false(link_exists("tmvt6"));
	reapers_gone();
	assert_int_equal(open_fds(), fds);
}

/* Setting the MAC of a link that went away, and TUNSETOFFLOAD refused:
 * each error is returned and names the link. */
static void test_owned_errors(void **state)
{
	struct be b;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (!have_ns)
		skip();
	be_init_on(&b, "tmvt7");
	assert_int_equal(be_up(&b), 0);
	assert_int_equal(dup2(null, b.ops->rx_fd(b.state)), b.ops->rx_fd(b.state));
	close(null);
	assert_int_equal(b.ops->set_offloads(b.state, 1ULL << VIRTIO_NET_F_GUEST_CSUM), -ENOTTY);
	assert_true(fake_log_has(b.fh, "tmvt7: setting offloads 0x1 (TUNSETOFFLOAD): "
				 "Inappropriate ioctl for device"));
	del_link("tmvt7");
	assert_int_equal(b.ops->set_mac(b.state, guest_mac), -ENODEV);
	assert_true(fake_log_has(b.fh, "setting the MAC address of tmvt7: No such device"));
	assert_int_equal(b.desc->start(b.state), -ENODEV);
	assert_true(fake_log_has(b.fh, "bringing tmvt7 up: No such device"));
	be_fini(&b);
	reapers_gone();
}

/* ---- offloads: what reaches the guest ------------------------------------ */

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	return sum;
}

/* A TCP/IPv4 frame with 3000 bytes of payload from `src` to `dst`, and a
 * virtio-net header asking for segmentation into 1000-byte segments and a
 * partial checksum: what a guest that negotiated TSO sends. */
static size_t gso_frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6])
{
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)buf;
	uint8_t *eth = buf + 12, *ip = eth + 14, *tcp = ip + 20;
	const size_t iplen = 20 + 20 + 3000;
	uint16_t sum;

	memset(buf, 0, 12 + 14 + iplen);
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h->hdr_len = 14 + 20 + 20;
	h->gso_size = 1000;
	h->csum_start = 14 + 20;
	h->csum_offset = 16;
	memcpy(eth, dst, 6);
	memcpy(eth + 6, src, 6);
	eth[12] = 0x08; /* IPv4 */
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	memcpy(ip + 12, "\x0a\x00\x03\x02\x0a\x00\x03\x01", 8);
	sum = (uint16_t)~csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	tcp[0] = 0x04; /* ports 1234 -> 5678 */
	tcp[1] = 0xd2;
	tcp[2] = 0x16;
	tcp[3] = 0x2e;
	tcp[7] = 1;    /* seq */
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH, ACK */
	tcp[14] = 0xff;
	tcp[15] = 0xff;
	for (size_t i = 0; i < 3000; i++)
		tcp[20 + i] = (uint8_t)i;
	/* Partial: the pseudo-header's sum, not inverted. */
	sum = csum_fold(csum_add(6 + (uint32_t)(iplen - 20), ip + 12, 8));
	tcp[16] = (uint8_t)(sum >> 8);
	tcp[17] = (uint8_t)sum;
	return 12 + 14 + iplen;
}

/* The next TCP/IPv4 frame the backend receives (others, such as IPv6
 * neighbour discovery on links that just came up, are skipped): its
 * length, header in front. */
static ssize_t next_tcp(struct be *b, uint8_t *buf, size_t size)
{
	struct iovec iov = { buf, size };
	struct pollfd p = { .fd = b->ops->rx_fd(b->state), .events = POLLIN };
	ssize_t n;

	for (;;) {
		if (poll(&p, 1, 2000) != 1)
			return -ETIMEDOUT;
		n = b->ops->recv(b->state, &iov, 1);
		if (n >= 12 + 14 + 20 && buf[12 + 12] == 0x08 && buf[12 + 13] == 0 &&
		    buf[12 + 14 + 9] == 6)
			return n;
	}
}

/* A new macvtap hands whole TSO frames to its reader; until the guest
 * negotiates TSO it must get them segmented (it would drop a GSO frame it
 * did not accept), and whole once it has. The frame comes from another
 * macvtap on the same parent (bridge mode: delivered from link to link). */
static void test_offloads_reach_the_kernel(void **state)
{
	static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x0a, 0x00, 0x03, 0x02 };
	static uint8_t frame[4096], got[70000];
	const struct virtio_net_hdr_v1 *h = (const struct virtio_net_hdr_v1 *)got;
	char path[32];
	struct be b;
	size_t len;
	int peer, sz = 12;

	if (!have_ns)
		skip();
	set_up("vp0", true);
	set_up("vp1", true);
	be_init_on(&b, "tmvt9");
	assert_int_equal(be_up(&b), 0);
	assert_int_equal(b.ops->set_mac(b.state, guest_mac), 0);
	add_macvtap("mpeer", peer_mac, true);
	snprintf(path, sizeof(path), "/dev/tap%u", if_nametoindex("mpeer"));
	peer = open(path, O_RDWR | O_CLOEXEC);
	assert_true(peer >= 0);
	assert_int_equal(ioctl(peer, TUNSETVNETHDRSZ, &sz), 0);
	len = gso_frame(frame, guest_mac, peer_mac);

	/* Nothing negotiated: 1000-byte segments, no GSO header. */
	assert_int_equal(write(peer, frame, len), (ssize_t)len);
	assert_int_equal(next_tcp(&b, got, sizeof(got)), 12 + 14 + 20 + 20 + 1000);
	assert_int_equal(h->gso_type, VIRTIO_NET_HDR_GSO_NONE);

	/* TSO4 negotiated: the frame whole. */
	assert_int_equal(b.ops->set_offloads(b.state, (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
					     (1ULL << VIRTIO_NET_F_GUEST_TSO4)), 0);
	while (next_tcp(&b, got, sizeof(got)) > 0)
		; /* the rest of the segments */
	assert_int_equal(write(peer, frame, len), (ssize_t)len);
	assert_int_equal(next_tcp(&b, got, sizeof(got)), (ssize_t)len);
	assert_int_equal(h->gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h->gso_size, 1000);
	close(peer);
	del_link("mpeer");
	be_fini_deleted(&b, "tmvt9");
	reapers_gone();
}

/* ---- an existing link ---------------------------------------------------- */

/* Used as it is: its MAC must be the guest's, it is not brought up, and
 * it is there after destroy. A link that is not a macvtap is refused. */
static void test_existing_link(void **state)
{
	static const uint8_t other[6] = { 0x02, 0x00, 0x0a, 0x00, 0x03, 0x99 };
	char line[128];
	struct be b;
	int fds = open_fds();

	if (!have_ns)
		skip();
	add_macvtap("mkeep", guest_mac, false);
	be_init(&b);
	fake_host_set(b.fh, "link", "mkeep");
	assert_int_equal(be_up(&b), 0);
	snprintf(line, sizeof(line), "mkeep: attached to the existing macvtap, /dev/tap%u",
		 if_nametoindex("mkeep"));
	assert_true(fake_log_has(b.fh, line));
	assert_true(fake_log_has(b.fh, "mkeep is down: the guest's frames go nowhere until it is "
				 "brought up"));
	assert_int_equal(reaper_now(), 0);
	assert_int_equal(b.ops->set_mac(b.state, other), -EINVAL);
	assert_true(fake_log_has(b.fh, "mkeep has MAC 02:00:0a:00:03:0f, not the guest's "
				 "02:00:0a:00:03:99: an existing macvtap only delivers to its own "
				 "address (set mac = 02:00:0a:00:03:0f)"));
	assert_int_equal(b.ops->set_mac(b.state, guest_mac), 0);
	assert_int_equal(b.desc->start(b.state), 0);
	assert_false(link_seen("mkeep").flags & IFF_UP);
	be_fini(&b);
	assert_true(link_exists("mkeep"));
	assert_memory_equal(link_seen("mkeep").mac, guest_mac, 6);
	del_link("mkeep");

	add_macvtap("mkeep", guest_mac, true);
	be_init(&b);
	fake_host_set(b.fh, "link", "mkeep");
	assert_int_equal(be_up(&b), 0);
	assert_false(fake_log_has(b.fh, "is down"));
	be_fini(&b);
	assert_true(link_exists("mkeep"));
	del_link("mkeep");

	/* Gone before the device's set_mac: the lookup is named. */
	add_macvtap("mkeep", guest_mac, true);
	be_init(&b);
	fake_host_set(b.fh, "link", "mkeep");
	assert_int_equal(be_up(&b), 0);
	del_link("mkeep");
	assert_int_equal(b.ops->set_mac(b.state, guest_mac), -ENODEV);
	assert_true(fake_log_has(b.fh, "looking up mkeep: No such device"));
	be_fini(&b);

	be_init(&b);
	fake_host_set(b.fh, "link", "vp1");
	assert_int_equal(be_up(&b), -EINVAL);
	assert_true(fake_log_has(b.fh, "link = vp1: not a macvtap link"));
	be_fini(&b);
	assert_true(link_exists("vp1"));

	/* A tun has no MAC address at all. */
	{
		struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
		int t = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

		assert_true(t >= 0);
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "tunx");
		assert_int_equal(ioctl(t, TUNSETIFF, &ifr), 0);
		be_init(&b);
		fake_host_set(b.fh, "link", "tunx");
		assert_int_equal(be_up(&b), -EINVAL);
		assert_true(fake_log_has(b.fh, "link = tunx: not a macvtap link"));
		be_fini(&b);
		close(t);
	}

	be_init(&b);
	fake_host_set(b.fh, "link", "nosuch0");
	assert_int_equal(be_up(&b), -ENODEV);
	assert_true(fake_log_has(b.fh, "looking up nosuch0: No such device"));
	be_fini(&b);
	assert_int_equal(open_fds(), fds);
}

/* ---- the namespaces ------------------------------------------------------ */

static bool enter_namespaces(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		print_message("note: no network and mount namespaces (%s): the checks that make "
			      "links are skipped\n", strerror(errno));
		return false;
	}
	/* This namespace's /sys (a macvtap's device number is there) and a
	 * /dev of the test's own: nothing here touches the host's. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) || umount2("/sys", MNT_DETACH) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "mode=755") ||
	    mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3)) || mkdir("/dev/net", 0755) ||
	    mknod("/dev/net/tun", S_IFCHR | 0666, makedev(10, 200))) {
		print_message("note: cannot set up /sys and /dev (%s): the checks that make links "
			      "are skipped\n", strerror(errno));
		return false;
	}
	nl = nl_socket_alloc();
	if (!nl || nl_connect(nl, NETLINK_ROUTE) ||
	    rtnl_link_veth_add(nl, "vp0", "vp1", getpid())) {
		print_message("note: no veth pair: the checks that make links are skipped\n");
		return false;
	}
	return true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_refusals),
		cmocka_unit_test(test_create_no_memory),
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_default_names),
		cmocka_unit_test(test_owned_link),
		cmocka_unit_test(test_sigchld_ignored),
		cmocka_unit_test(test_up_at_start),
		cmocka_unit_test(test_reaper_gone),
		cmocka_unit_test(test_reaper_answer),
		cmocka_unit_test(test_reaper_not_started),
		cmocka_unit_test(test_reaper_stuck),
		cmocka_unit_test(test_volt_killed),
		cmocka_unit_test(test_delete_by_name),
		cmocka_unit_test(test_stale_node),
		cmocka_unit_test(test_no_sysfs),
		cmocka_unit_test(test_bind_refused),
		cmocka_unit_test(test_owned_errors),
		cmocka_unit_test(test_offloads_reach_the_kernel),
		cmocka_unit_test(test_existing_link),
	};

	/* As volt: a reaper that is gone gives EPIPE, not SIGPIPE. Reapers
	 * are re-parented here, so the test can find them. */
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	have_ns = enter_namespaces();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
