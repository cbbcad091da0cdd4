/* net-dgram: a network backend that connects the guest's NIC to a UNIX
 * datagram socket, one Ethernet frame per datagram and nothing else in it:
 * the framing of QEMU's `-netdev dgram` with unix sockets, so the far end
 * can be another emulator, a switch process, or a test script.
 *
 *   local_path  the socket this backend binds; frames for the guest arrive
 *               there (removed again when the backend goes away)
 *   peer_path   where the guest's frames are sent; it may not exist yet
 *
 * The device in front (virtio-net) moves frames with a 12-byte struct
 * virtio_net_hdr_v1 in front. A datagram has no room for one, so this
 * backend offers no offloads (it has no set_offloads, and virtio-net then
 * offers the guest none): every header the guest sends is then all zeros
 * but for num_buffers, and is dropped on the way out; every frame received
 * gets a zeroed one. The socket is non-blocking, and the device's I/O
 * thread reads it when epoll says so.
 *
 * Who may send frames to the guest is whoever may write local_path: keep
 * it in a directory of its own. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include <volt/volt.h>

#define DGRAM_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr_v1)) /* 12 */

/* The fd slots the syscall declarations below pin their first argument to
 * (host->sandbox_bind_fd at realize). */
enum { DGRAM_SLOT_SOCK = 0, DGRAM_SLOT_DIR = 1 };

struct dgram {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	struct sockaddr_un local, peer;   /* the two keys, checked at create */
	socklen_t local_len, peer_len;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* local_path's directory */
	const char *name;                 /* local_path's last part, inside dir */
	int fd;                           /* the bound socket */
	int dir_fd;                       /* dir (O_PATH): destroy removes name in it */
	bool bound;                       /* local_path is ours to remove */
	dev_t dev;                        /* ... if it is still this file */
	ino_t ino;
	/* The I/O thread's alone (destroy reads them once it has stopped). */
	bool peer_gone;                   /* the last send found nobody at peer_path */
	uint64_t dropped_now;             /* frames dropped since then */
	uint64_t dropped;                 /* frames dropped for want of a peer, in all */
	/* The frame behind the header, one array per direction so that recv
	 * and send share nothing: virtio-net calls both on its I/O thread, but
	 * another device might not. */
	struct iovec rx_iov[IOV_MAX];
	struct iovec tx_iov[IOV_MAX];
};

static const struct volt_key dgram_keys[] = {
	{ .name = "local_path", .type = VOLT_KEY_STRING, .flags = VOLT_KEY_REQUIRED,
	  .help = "absolute path of the socket to bind: frames for the guest arrive there "
		  "(a stale socket there is replaced; removed at exit)" },
	{ .name = "peer_path", .type = VOLT_KEY_STRING, .flags = VOLT_KEY_REQUIRED,
	  .help = "absolute path of the peer's socket, where the guest's frames go "
		  "(dropped and counted while nothing is bound there)" },
};

/* ---- frames (the device's I/O thread) ------------------------------------ */

/* iov[0..n) without its first `skip` bytes, into out[0..cap): the frame
 * behind the vnet header, which a driver may split across buffers. The
 * entries, or -1 if iov is shorter than the header or has too many. */
static int dgram_iov_skip(const struct iovec *iov, int n, size_t skip, struct iovec *out, int cap)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		if (k == cap)
			return -1;
		out[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[k].iov_len = iov[i].iov_len - skip;
		skip = 0;
		k++;
	}
	return skip ? -1 : k;
}

static size_t dgram_iov_len(const struct iovec *iov, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

static int dgram_rx_fd(void *state)
{
	return ((struct dgram *)state)->fd;
}

/* One datagram, behind a zeroed header: no offloads were offered, so "no
 * flags, no segmentation" is the whole truth about the frame. MSG_TRUNC
 * makes a datagram larger than the buffers return its real length, more
 * than iov holds: the device drops it as too big instead of handing the
 * guest a cut frame. */
static ssize_t dgram_recv(void *state, const struct iovec *iov, int iovcnt)
{
	static const struct virtio_net_hdr_v1 zero;
	struct dgram *d = state;
	struct msghdr msg = { .msg_iov = d->rx_iov };
	int n = dgram_iov_skip(iov, iovcnt, DGRAM_HDR_LEN, d->rx_iov, IOV_MAX);
	ssize_t got;

	if (n < 0)
		return -EINVAL;
	msg.msg_iovlen = (size_t)n;
	do
		got = recvmsg(d->fd, &msg, MSG_TRUNC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno; /* -EAGAIN: nothing waiting */
	volt_iov_write(iov, (unsigned)iovcnt, 0, &zero, DGRAM_HDR_LEN);
	return got + DGRAM_HDR_LEN;
}

/* Nobody is bound at peer_path: not there yet, restarting, or gone. Like a
 * NIC with no cable, the frame is dropped and counted and the guest goes
 * on; its protocols retry. Said once per outage, not once per frame. */
static void dgram_peer_missing(struct dgram *d, int err)
{
	if (!d->peer_gone)
		d->host->log(d->inst, VOLT_LOG_WARN, "peer_path %s: nobody there (sendmsg: %s); "
			     "frames for it are dropped until a peer binds it",
			     d->peer.sun_path, strerror(err));
	d->peer_gone = true;
	d->dropped_now++;
	d->dropped++;
}

static void dgram_peer_there(struct dgram *d)
{
	if (!d->peer_gone)
		return;
	d->host->log(d->inst, VOLT_LOG_INFO, "peer_path %s: a peer is there; %" PRIu64
		     " frame(s) were dropped while there was none", d->peer.sun_path,
		     d->dropped_now);
	d->peer_gone = false;
	d->dropped_now = 0;
}

/* The frame without its header, as one datagram to peer_path. Not
 * connect()ed: the peer may come and go, and each sendmsg finds whoever is
 * bound there now. */
static ssize_t dgram_send(void *state, const struct iovec *iov, int iovcnt)
{
	struct dgram *d = state;
	struct msghdr msg = {
		.msg_name = &d->peer,
		.msg_namelen = d->peer_len,
		.msg_iov = d->tx_iov,
	};
	int n = dgram_iov_skip(iov, iovcnt, DGRAM_HDR_LEN, d->tx_iov, IOV_MAX);
	ssize_t sent;

	if (n < 0)
		return -EINVAL;
	msg.msg_iovlen = (size_t)n;
	do
		sent = sendmsg(d->fd, &msg, 0);
	while (sent < 0 && errno == EINTR);
	if (sent >= 0) {
		dgram_peer_there(d);
		return sent + DGRAM_HDR_LEN;
	}
	if (errno == ENOENT || errno == ECONNREFUSED) {
		/* No file at peer_path, or a socket nobody is bound to. */
		dgram_peer_missing(d, errno);
		return (ssize_t)(DGRAM_HDR_LEN + dgram_iov_len(d->tx_iov, n));
	}
	/* -EAGAIN: the peer's receive queue is full (the device counts it and
	 * drops the frame); anything else is the device's to count and log. */
	return -errno;
}

static const struct volt_net_backend_ops dgram_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops),
	.vnet_hdr_len = DGRAM_HDR_LEN,
	.rx_fd = dgram_rx_fd,
	.recv = dgram_recv,
	.send = dgram_send,
	/* No set_offloads: a datagram carries no vnet header, so the guest must
	 * send and receive whole frames with full checksums. No set_mac: no
	 * link of ours filters by address. No data plane. */
};

/* ---- lifecycle (the main thread) ----------------------------------------- */

/* A key's path as a socket address: absolute (a STRING key is not resolved
 * against the INI file's directory, as a PATH key is, since neither file
 * need exist yet) and short enough for sun_path. */
static int dgram_addr(struct dgram *d, const char *key, struct sockaddr_un *sa, socklen_t *len)
{
	const char *path = d->host->config_get(d->inst, key);
	size_t n = path ? strlen(path) : 0;

	if (!path || path[0] != '/' || path[n - 1] == '/') {
		d->host->log(d->inst, VOLT_LOG_ERROR, "%s = \"%s\": not an absolute path to a "
			     "socket file", key, path ? path : "");
		return -EINVAL;
	}
	if (n >= sizeof(sa->sun_path)) {
		d->host->log(d->inst, VOLT_LOG_ERROR, "%s = \"%s\": %zu bytes, longer than a UNIX "
			     "socket address takes (%zu)", key, path, n, sizeof(sa->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Read and check the keys; open nothing yet. */
static int dgram_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct dgram *d = calloc(1, sizeof(*d));
	char *slash;
	int r;

	if (!d) {
		host->log(inst, VOLT_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	*state = d;
	d->host = host;
	d->inst = inst;
	d->fd = -1;
	d->dir_fd = -1;
	r = dgram_addr(d, "local_path", &d->local, &d->local_len);
	if (!r)
		r = dgram_addr(d, "peer_path", &d->peer, &d->peer_len);
	if (r)
		return r;
	if (!strcmp(d->local.sun_path, d->peer.sun_path)) {
		host->log(inst, VOLT_LOG_ERROR, "local_path and peer_path are both %s: the guest "
			  "would talk to itself", d->local.sun_path);
		return -EINVAL;
	}
	memcpy(d->dir, d->local.sun_path, sizeof(d->dir));
	slash = strrchr(d->dir, '/');
	d->name = d->local.sun_path + (slash - d->dir) + 1;
	if (slash == d->dir)
		slash[1] = '\0'; /* "/s": the root */
	else
		slash[0] = '\0'; /* "/a/s": "/a" */
	return 0;
}

/* bind() found a file at local_path. A socket nobody is bound to is what a
 * volt leaves behind when it is killed or stopped by its sandbox (no
 * destroy runs then): replace it, as QEMU and volt's API socket do. Anything
 * else belongs to someone: leave it. */
static int dgram_clear_stale(struct dgram *d)
{
	const char *path = d->local.sun_path;
	struct stat st;
	int probe, r, e;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile: bind again */
	if (!S_ISSOCK(st.st_mode)) {
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: bind: a file that is not a "
			     "socket is there; not removing it", path);
		return -EADDRINUSE;
	}
	probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	r = connect(probe, (const struct sockaddr *)&d->local, d->local_len);
	e = errno;
	close(probe);
	if (r == 0 || e != ECONNREFUSED) {
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: bind: %s (%s)", path,
			     strerror(EADDRINUSE), r == 0 ? "another process is bound to it" :
			     strerror(e));
		return -EADDRINUSE;
	}
	d->host->log(d->inst, VOLT_LOG_INFO, "local_path %s: replacing a stale socket nobody "
		     "is bound to", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		e = errno;
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: removing the stale socket: %s",
			     path, strerror(e));
		return -e;
	}
	return 0;
}

static int dgram_bind(struct dgram *d)
{
	const char *path = d->local.sun_path;
	struct stat st;
	int r, e;

	d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		e = errno;
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: socket: %s", path, strerror(e));
		return -e;
	}
	r = bind(d->fd, (const struct sockaddr *)&d->local, d->local_len);
	if (r < 0 && errno == EADDRINUSE) {
		r = dgram_clear_stale(d);
		if (r)
			return r;
		r = bind(d->fd, (const struct sockaddr *)&d->local, d->local_len);
	}
	if (r < 0) {
		e = errno;
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: bind: %s%s", path, strerror(e),
			     e == ENOENT ? " (does its directory exist?)" : "");
		return -e;
	}
	/* Remember which file we made, so that destroy removes it and not one
	 * another process has put there since. */
	if (lstat(path, &st) < 0) {
		e = errno;
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: stat after bind: %s", path,
			     strerror(e));
		unlink(path);
		return -e;
	}
	d->bound = true;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	return 0;
}

/* What destroy needs once the sandbox is on: the directory, opened now
 * (nothing can be opened after lockdown), its fd for the two calls destroy
 * makes, and Landlock's leave to remove a file in it (VOLT_PATH_REMOVE,
 * ABI 1.2: removal only, but in the whole tree under it: another reason for
 * local_path to have a directory of its own). */
static int dgram_prepare_removal(struct dgram *d)
{
	int r, e;

	d->dir_fd = open(d->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (d->dir_fd < 0) {
		e = errno;
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: opening its directory %s: %s",
			     d->local.sun_path, d->dir, strerror(e));
		return -e;
	}
	r = d->host->sandbox_bind_fd(d->inst, DGRAM_SLOT_DIR, d->dir_fd);
	if (!r)
		r = d->host->sandbox_allow_path(d->inst, d->dir, VOLT_PATH_REMOVE);
	if (r)
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: asking the sandbox to let us "
			     "remove it at exit: %s", d->local.sun_path, strerror(-r));
	return r;
}

/* Open everything: after this hook the sandbox allows only the calls
 * declared below. */
static int dgram_realize(void *state)
{
	struct dgram *d = state;
	struct stat st;
	int r = dgram_bind(d);

	if (!r)
		r = dgram_prepare_removal(d);
	if (r)
		return r;
	r = d->host->sandbox_bind_fd(d->inst, DGRAM_SLOT_SOCK, d->fd);
	if (r) {
		d->host->log(d->inst, VOLT_LOG_ERROR, "local_path %s: binding the socket's fd for "
			     "the sandbox: %s", d->local.sun_path, strerror(-r));
		return r;
	}
	d->host->log(d->inst, VOLT_LOG_INFO, "bound %s; sending to %s%s", d->local.sun_path,
		     d->peer.sun_path, stat(d->peer.sun_path, &st) < 0 ?
		     " (not there yet: frames are dropped until it is)" : "");
	return 0;
}

/* Remove local_path if it is still the socket we bound: through the
 * directory's fd, the only one the sandbox lets these calls use. */
static void dgram_unlink(struct dgram *d)
{
	struct stat st;

	if (fstatat(d->dir_fd, d->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != d->dev || st.st_ino != d->ino)
		return; /* gone, or someone else's now */
	if (unlinkat(d->dir_fd, d->name, 0) < 0)
		d->host->log(d->inst, VOLT_LOG_WARN, "local_path %s: not removed: %s (the next "
			     "volt replaces it)", d->local.sun_path, strerror(errno));
}

/* With whatever create and realize left: maybe NULL, maybe half-built. */
static void dgram_destroy(void *state)
{
	struct dgram *d = state;

	if (!d)
		return;
	if (d->dropped)
		d->host->log(d->inst, VOLT_LOG_INFO, "%" PRIu64 " frame(s) dropped: nobody was "
			     "bound at peer_path %s", d->dropped, d->peer.sun_path);
	if (d->bound && d->dir_fd >= 0)
		dgram_unlink(d);
	else if (d->bound)
		unlink(d->local.sun_path); /* realize failed: not sandboxed yet */
	if (d->dir_fd >= 0)
		close(d->dir_fd);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

/* ---- what the sandbox must allow, after lockdown ------------------------- */

/* Exactly the calls made after realize, each pinned to its fd. Logging goes
 * through the host (the core's own write), and close at destroy is the
 * core's too. */
static const struct volt_syscall dgram_syscalls[] = {
	{ "recvmsg", VOLT_THREAD_IO, DGRAM_SLOT_SOCK, NULL, 0,
	  "receive a frame, one datagram, into the guest's receive buffers" },
	{ "sendmsg", VOLT_THREAD_IO, DGRAM_SLOT_SOCK, NULL, 0,
	  "send a frame, one datagram, from the guest's buffers to peer_path" },
	{ "newfstatat", VOLT_THREAD_MAIN, DGRAM_SLOT_DIR, NULL, 0,
	  "at exit: is local_path still the socket we bound?" },
	{ "unlinkat", VOLT_THREAD_MAIN, DGRAM_SLOT_DIR, NULL, 0,
	  "at exit: remove local_path" },
};

/* ---- the descriptor ------------------------------------------------------ */

static const struct volt_plugin_desc dgram_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_NET_BACKEND,
	.name = "net-dgram",
	.version = DGRAM_VERSION,
	.license = "MIT",
	.description = "network backend on a UNIX datagram socket, one Ethernet frame per "
		       "datagram (QEMU's -netdev dgram)",
	.keys = dgram_keys,
	.nkeys = sizeof(dgram_keys) / sizeof(dgram_keys[0]),
	.syscalls = dgram_syscalls,
	.nsyscalls = sizeof(dgram_syscalls) / sizeof(dgram_syscalls[0]),
	.create = dgram_create,
	.realize = dgram_realize,
	.destroy = dgram_destroy,
	.ops = &dgram_ops,
};

VOLT_PLUGIN_DEFINE(net_dgram, dgram_desc)
