#include "api/sock_reaper.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every fd but stderr and `keep` is closed: the remover must not hold the
 * listening socket (clients would queue on it for ever), the guest's fds
 * or anything else of volt's. */
static void api_reaper_close_others(int keep)
{
	close_range(0, STDERR_FILENO - 1, 0);
	if (keep > STDERR_FILENO + 1)
		close_range(STDERR_FILENO + 1, (unsigned)keep - 1, 0);
	close_range((unsigned)keep + 1, ~0U, 0);
}

/* The file at path, if it is still the socket volt bound: 0 or -errno. */
static int api_reaper_unlink(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode) || st.st_dev != dev || st.st_ino != ino)
		return 0; /* someone else's now: not ours to remove */
	return unlink(path) < 0 ? -errno : 0;
}

static void api_reaper_run(int fd, const char *path, dev_t dev, ino_t ino)
{
	int32_t answer;
	char byte;
	ssize_t n;

	setsid();
	prctl(PR_SET_NAME, "volt-sock-reaper", 0, 0, 0);
	api_reaper_close_others(fd);
	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	answer = api_reaper_unlink(path, dev, ino);
	if (n == 1 && write(fd, &answer, sizeof(answer)) < 0)
		_exit(1); /* volt is gone meanwhile: nobody is left to tell */
	_exit(0);
}

int api_reaper_start(const char *path, dev_t dev, ino_t ino, struct volt_err *err)
{
	sigset_t all, old;
	int sv[2], status, e;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return verr_set(err, errno, "api socket %s: its remover: socketpair: %s", path,
				strerror(errno));
	/* Both children start with every signal blocked: a terminal's Ctrl-C
	 * must not end the remover, only volt's end may. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	e = pid < 0 ? errno : 0;
	if (pid == 0) {
		pid_t remover = fork();

		if (remover == 0)
			api_reaper_run(sv[1], path, dev, ino);
		_exit(remover < 0 ? 1 : 0);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid > 0) {
		status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		/* The first child exits 0 once it has forked the remover. */
		e = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EAGAIN;
	}
	if (e) {
		close(sv[0]);
		return verr_set(err, e, "api socket %s: starting its remover (fork): %s", path,
				strerror(e));
	}
	return sv[0];
}

int api_reaper_remove(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int32_t answer = -ECHILD;
	char byte = 1;

	if (fd < 0)
		return -ECHILD;
	if (write(fd, &byte, 1) == 1 && poll(&p, 1, wait_ms) == 1 &&
	    read(fd, &answer, sizeof(answer)) != (ssize_t)sizeof(answer))
		answer = -ECHILD;
	close(fd);
	return answer;
}
