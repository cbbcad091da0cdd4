#include "macvtap_reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <netlink/msg.h>

#include "macvtap_link.h"

/* Room for RTM_DELLINK with an ifinfomsg (libnl adds no attributes when
 * only the index is set), and for the kernel's answer to it. */
#define MVT_REAPER_MSG 512

struct mvt_reaper {
	const struct mvt_reaper_job *job;
	const char *inst_name;  /* "net eth0" */
	pid_t volt;
	int sock_fd;    /* its end of the socket pair: a request, or end of file */
	int nl_fd;
	uint8_t req[MVT_REAPER_MSG];
	int req_len;
};

static int mvt_fd_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every fd but stderr and the two the reaper uses: it must not keep
 * the guest's tap, the API socket or anything else of volt's open. */
static void mvt_reaper_close_others(int a, int b)
{
	int keep[3] = { STDERR_FILENO, a, b };
	unsigned next = 0;

	qsort(keep, 3, sizeof(keep[0]), mvt_fd_cmp);
	for (int i = 0; i < 3; i++) {
		if ((unsigned)keep[i] > next)
			close_range(next, (unsigned)keep[i] - 1, 0);
		next = (unsigned)keep[i] + 1;
	}
	close_range(next, ~0U, 0);
}

/* Detached from volt's session (every signal was blocked before the
 * fork), with nothing but its two fds and stderr, in seccomp's strict
 * mode. A kernel without seccomp leaves it unconfined; it still works. */
static void mvt_reaper_confine(const struct mvt_reaper *rp)
{
	setsid();
	prctl(PR_SET_NAME, "volt-reaper", 0, 0, 0);
	mvt_reaper_close_others(rp->sock_fd, rp->nl_fd);
	prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
}

/* The kernel's answer to the request: 0 or -errno. */
static int mvt_reaper_answer(int fd)
{
	uint8_t buf[MVT_REAPER_MSG];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return -errno;
	if (!nlmsg_ok(h, (int)n) || h->nlmsg_type != NLMSG_ERROR ||
	    !nlmsg_valid_hdr(h, sizeof(struct nlmsgerr)))
		return -EPROTO;
	return ((struct nlmsgerr *)nlmsg_data(h))->error;
}

/* Its one line on stderr, in the shape of volt's own log lines. Written
 * here, not through host->log, which first polls stderr: strict mode allows
 * read, write and exit only. */
static void mvt_reaper_say(const struct mvt_reaper *rp, const char *level, const char *fmt,
			   ...) __attribute__((format(printf, 3, 4)));
static void mvt_reaper_say(const struct mvt_reaper *rp, const char *level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "volt: %s: net-macvtap %s: %s: volt (pid %d) ended "
			 "without deleting its macvtap", level, rp->inst_name, rp->job->ifname,
			 (int)rp->volt);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

/* Send the request: the kernel's answer, 0 or -errno. */
static int mvt_reaper_delete_link(const struct mvt_reaper *rp)
{
	ssize_t n = write(rp->nl_fd, rp->req, (size_t)rp->req_len);

	if (n < 0)
		return -errno;
	return n == rp->req_len ? mvt_reaper_answer(rp->nl_fd) : -EIO;
}

/* Wait for volt's request or its end, delete the link, answer or say so.
 * Never returns: strict mode allows exit, not exit_group. */
static void mvt_reaper_run(const struct mvt_reaper *rp)
{
	int32_t answer;
	char byte;
	ssize_t n;
	int r;

	mvt_reaper_confine(rp);
	do
		n = read(rp->sock_fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	r = mvt_reaper_delete_link(rp);
	if (n == 1) {
		/* volt asked and waits for the answer, which it reports; if it
		 * is gone meanwhile, nobody is left to tell. */
		answer = r;
		if (write(rp->sock_fd, &answer, sizeof(answer)) < 0)
			answer = 0;
	} else if (r == 0) {
		mvt_reaper_say(rp, "warning", ": deleted by the reaper");
	} else if (r != -ENODEV) { /* ENODEV: someone else deleted it */
		mvt_reaper_say(rp, "error", ", and the reaper could not: %s (delete it by hand: "
			       "ip link del %s)", strerror(-r), rp->job->ifname);
	}
	syscall(SYS_exit, 0);
	for (;;)
		;
}

/* Fork the reaper from a child that exits at once, so that volt never has
 * it as a child (no SIGCHLD, no zombie) and init adopts it. */
static int mvt_reaper_spawn(const struct mvt_reaper *rp, struct tap_why *why)
{
	sigset_t all, old;
	pid_t pid;
	int status;

	/* Both children start with every signal blocked: a terminal's Ctrl-C
	 * must not end the reaper, only volt's end may. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid != 0)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		int e = errno;

		snprintf(why->text, sizeof(why->text), "%s: starting its reaper (fork): %s",
			 rp->job->ifname, strerror(e));
		return -e;
	}
	if (pid == 0) {
		pid_t reaper = fork();

		if (reaper == 0)
			mvt_reaper_run(rp);
		_exit(reaper < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno == ECHILD) {
			/* SIGCHLD ignored: the kernel reaped the child, whose
			 * status is gone. Take the reaper as started: if it is
			 * not, mvt_reaper_delete gets no answer, and the link is
			 * deleted directly. Closing our end now would make a
			 * running reaper delete the link at once. */
			status = 0;
			break;
		} else if (errno != EINTR) {
			status = -1;
			break;
		}
	if (status != 0) {
		snprintf(why->text, sizeof(why->text), "%s: starting its reaper: fork failed in "
			 "the child", rp->job->ifname);
		return -EAGAIN;
	}
	return 0;
}

int mvt_reaper_start(const struct mvt_reaper_job *job, struct tap_why *why)
{
	struct mvt_reaper rp = {
		.job = job, .inst_name = job->host->instance_name(job->inst), .volt = getpid(),
		.sock_fd = -1,
	};
	struct nl_sock *sk = NULL;
	int fds[2] = { -1, -1 }, r;

	r = mvt_nl_open(&sk, why);
	if (!r) {
		rp.nl_fd = mvt_nl_fd(sk);
		r = rp.req_len = mvt_link_delete_request(sk, job->ifindex, rp.req,
							 sizeof(rp.req), why);
	}
	if (r >= 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)) {
		r = -errno;
		snprintf(why->text, sizeof(why->text), "%s: starting its reaper (socketpair): %s",
			 job->ifname, strerror(errno));
	}
	if (r >= 0) {
		rp.sock_fd = fds[0];
		r = mvt_reaper_spawn(&rp, why);
	}
	/* The reaper has its own copies; volt keeps only its end of the pair. */
	mvt_nl_close(sk);
	if (fds[0] >= 0)
		close(fds[0]);
	if (r < 0) {
		if (fds[1] >= 0)
			close(fds[1]);
		return r;
	}
	return fds[1];
}

int mvt_reaper_delete(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int32_t answer;
	char ask = 'D';
	ssize_t n;

	/* write, not send: the filter allows volt's main thread write on any
	 * fd; SIGPIPE is ignored (a reaper that is gone gives EPIPE). */
	if (write(fd, &ask, 1) != 1)
		return -ECHILD;
	do
		n = poll(&p, 1, wait_ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -ECHILD;
	n = read(fd, &answer, sizeof(answer));
	return n == sizeof(answer) ? answer : -ECHILD;
}
