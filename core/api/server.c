/* The HTTP side of the API: a Unix socket volt binds itself, handed to
 * libmicrohttpd, which runs in its external epoll mode on a thread of
 * ours. Owning the thread lets us name it, run the sandbox's calls on it
 * between requests (api_thread_call), and wake it for the InstanceStart
 * handshake. One thread serves every connection; nothing blocks in it
 * except epoll_wait.
 *
 * InstanceStart: the handler hands the configuration over and the request
 * is suspended; the main thread builds the machine and reports back
 * (api_server_boot_done); the thread answers and resumes the request. The
 * API keeps serving meanwhile (GET / says "Not started" until then). */
#include "api/api.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/handlers.h"
#include "api/mhd.h"
#include "api/sock_reaper.h"
#include "util/log.h"
#include "vm/machine.h"
#include "util/thread.h"

#define API_BACKLOG 128
#define API_CONN_LIMIT 128      /* at once; each is one fd */
#define API_CONN_TIMEOUT_S 60   /* an idle or stalled connection is closed */
#define API_REAPER_WAIT_MS 1000 /* for the socket's remover at exit */

enum api_boot_step {
	API_BOOT_IDLE,
	API_BOOT_ASKED,   /* InstanceStart came; the main thread is told */
	API_BOOT_TAKEN,   /* the main thread is building the machine */
	API_BOOT_DONE,    /* built or failed; the API thread answers */
	API_BOOT_SENDING, /* the answer is on its way to the client */
};

enum api_call_step { API_CALL_IDLE, API_CALL_ASKED, API_CALL_DONE };

/* One request being received or answered. */
struct api_conn {
	char *body;
	size_t len;
	bool too_large;
	bool answered;              /* resp holds the answer */
	bool queued;                /* ... and libmicrohttpd has it */
	struct api_response resp;
};

struct api_server {
	char *path;
	int listen_fd;              /* ours until libmicrohttpd has it */
	int reaper_fd;              /* the socket file's remover (sock_reaper.h), or -1 */
	struct MHD_Daemon *mhd;
	int epfd;                   /* the thread waits here: libmicrohttpd's epoll fd, wake_fd */
	int wake_fd;                /* eventfd: something for the API thread */
	int main_fd;                /* eventfd: InstanceStart, for the main thread */
	int signal_fd;              /* the stop signals (SIGTERM...) before boot */
	pthread_t thread;
	bool thread_started;

	/* API thread only */
	struct api_ctx ctx;
	bool ctx_inited;
	struct MHD_Connection *boot_conn;   /* the suspended InstanceStart */
	struct api_conn *boot_ac;
	struct api_conn *sending_ac;        /* ... resumed, its answer not yet sent */

	pthread_mutex_t lock;       /* all below */
	pthread_cond_t cond;
	bool stopping;
	bool thread_done;
	enum api_boot_step boot;
	struct machine *boot_machine;
	char boot_msg[sizeof(((struct volt_err *)0)->msg)];
	enum api_call_step call;
	int (*call_fn)(void *arg);
	void *call_arg;
	int call_result;
};

/* The one server, for api_thread_call(). */
static struct api_server *api_the_server;
/* libmicrohttpd's functions, loaded by api_server_create(). */
static const struct api_mhd *api_mhd;

static void api_wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("api: eventfd write: %s", strerror(errno));
}

static void api_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void api_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		;
}

/* ---- the socket ---- */

static int api_sock_addr(const char *path, struct sockaddr_un *sa, struct volt_err *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return verr_set(err, ENAMETOOLONG, "api socket %s: longer than %zu bytes, the most "
				"a Unix socket path holds", path, sizeof(sa->sun_path) - 1);
	strcpy(sa->sun_path, path);
	return 0;
}

/* A file already at the path: a socket some process accepts on is
 * refused, a stale one (nothing listens) removed, anything else left. */
static int api_sock_clear(const char *path, const struct sockaddr_un *sa, struct volt_err *err)
{
	struct stat st;
	int fd, r, e;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : verr_set(err, errno, "api socket %s: %s", path,
						      strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return verr_set(err, EEXIST, "api socket %s: exists and is not a socket; not "
				"replacing it", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return verr_set(err, errno, "api socket: socket: %s", strerror(errno));
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	/* EAGAIN: it listens, its backlog is just full. */
	if (r == 0 || e == EAGAIN)
		return verr_set(err, EADDRINUSE, "api socket %s: another process (a running "
				"volt?) serves it; refusing to take it over", path);
	if (e != ECONNREFUSED)
		return verr_set(err, e, "api socket %s: cannot tell whether it is in use: %s",
				path, strerror(e));
	log_info("api: %s: replacing a stale socket nothing serves", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return verr_set(err, errno, "api socket %s: removing the stale socket: %s", path,
				strerror(errno));
	return 0;
}

static int api_sock_bind(struct api_server *s, struct volt_err *err)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int r, e;

	r = api_sock_addr(s->path, &sa, err);
	if (!r)
		r = api_sock_clear(s->path, &sa, err);
	if (r)
		return r;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0)
		return verr_set(err, errno, "api socket: socket: %s", strerror(errno));
	/* Created 0600, never wider for an instant; only this thread exists. */
	old = umask(0177);
	r = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old);
	if (r < 0)
		return verr_set(err, e, "api socket %s: bind: %s", s->path, strerror(e));
	/* The file we made, so that only it is removed. */
	if (lstat(s->path, &st) < 0) {
		e = errno;
		unlink(s->path);
		return verr_set(err, e, "api socket %s: after bind: %s", s->path, strerror(e));
	}
	s->reaper_fd = api_reaper_start(s->path, st.st_dev, st.st_ino, err);
	if (s->reaper_fd < 0) {
		unlink(s->path);
		return s->reaper_fd;
	}
	if (listen(s->listen_fd, API_BACKLOG) < 0)
		return verr_set(err, errno, "api socket %s: listen: %s", s->path, strerror(errno));
	return 0;
}

/* Remove the socket file, unless another process has put its own there,
 * through its remover (sock_reaper.h): volt itself may not, once locked
 * down. At most once. */
static void api_sock_remove(struct api_server *s)
{
	int r;

	if (s->reaper_fd < 0)
		return;
	r = api_reaper_remove(s->reaper_fd, API_REAPER_WAIT_MS);
	s->reaper_fd = -1;
	if (r < 0 && r != -ENOENT)
		log_warn("api: %s: not removed: %s (a later volt replaces it)", s->path,
			 r == -ECHILD ? "its remover did not answer" : strerror(-r));
}

/* ---- requests ---- */

static enum api_method api_method_of(const char *m)
{
	if (!strcmp(m, MHD_HTTP_METHOD_GET))
		return API_GET;
	if (!strcmp(m, MHD_HTTP_METHOD_PUT))
		return API_PUT;
	if (!strcmp(m, MHD_HTTP_METHOD_PATCH))
		return API_PATCH;
	return API_OTHER;
}

static enum MHD_Result api_queue(struct MHD_Connection *c, struct api_conn *ac)
{
	const char *body = ac->resp.body ? ac->resp.body : "";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = api_mhd->create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (ac->resp.body)
		api_mhd->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = api_mhd->queue_response(c, ac->resp.status, r);
	api_mhd->destroy_response(r);
	ac->queued = ret == MHD_YES;
	return ret;
}

static void api_too_large(struct api_conn *ac, unsigned long long size)
{
	ac->answered = true;
	api_fault(&ac->resp, 400, "Request payload with size %llu is larger than the limit of %d "
		  "allowed by server.", size, API_BODY_MAX);
}

/* Content-Length over the limit: answered before a byte of it is read. */
static bool api_declared_too_large(struct MHD_Connection *c, struct api_conn *ac)
{
	const char *cl = api_mhd->lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;

	if (!cl)
		return false;
	n = strtoull(cl, NULL, 10);
	if (n <= API_BODY_MAX)
		return false;
	api_too_large(ac, n);
	return true;
}

static void api_conn_append(struct api_conn *ac, const char *data, size_t n)
{
	char *grown;

	if (ac->too_large) {
		ac->len += n;   /* counted on, for the size the refusal names */
		return;
	}
	if (ac->len + n > API_BODY_MAX || !(grown = realloc(ac->body, ac->len + n))) {
		ac->too_large = true;   /* out of memory reads the same to a client */
		free(ac->body);
		ac->body = NULL;
		ac->len += n;
		return;
	}
	memcpy(grown + ac->len, data, n);
	ac->body = grown;
	ac->len += n;
}

static enum MHD_Result api_answer(struct api_server *s, struct MHD_Connection *c,
				  struct api_conn *ac, const char *url, const char *method)
{
	struct api_request req = {
		.method = api_method_of(method), .method_name = method, .path = url,
		.body = ac->body, .body_len = ac->len,
	};

	api_dispatch(&s->ctx, &req, &ac->resp);
	log_debug("api: %s %s -> %s", method, url,
		  ac->resp.pending ? "pending" : ac->resp.status < 400 ? "ok" : ac->resp.body);
	if (ac->resp.pending) {
		s->boot_conn = c;
		s->boot_ac = ac;
		api_mhd->suspend_connection(c);
		return MHD_YES;
	}
	ac->answered = true;
	return api_queue(c, ac);
}

static enum MHD_Result api_on_request(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload, size_t *upload_size, void **req_cls)
{
	struct api_server *s = cls;
	struct api_conn *ac = *req_cls;

	if (!ac) {
		ac = calloc(1, sizeof(*ac));
		if (!ac)
			return MHD_NO;
		*req_cls = ac;
		return api_declared_too_large(c, ac) ? api_queue(c, ac) : MHD_YES;
	}
	if (ac->answered) {
		*upload_size = 0;
		return ac->queued ? MHD_YES : api_queue(c, ac);
	}
	if (*upload_size) {
		api_conn_append(ac, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (ac->too_large) {
		api_too_large(ac, ac->len);
		return api_queue(c, ac);
	}
	return api_answer(s, c, ac, url, method);
}

static void api_on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			     enum MHD_RequestTerminationCode toe)
{
	struct api_server *s = cls;
	struct api_conn *ac = *req_cls;

	if (!ac)
		return;
	if (s->boot_ac == ac) {
		s->boot_ac = NULL;
		s->boot_conn = NULL;
	}
	if (s->sending_ac == ac) {
		/* InstanceStart's answer is out: the main thread may go on. */
		s->sending_ac = NULL;
		pthread_mutex_lock(&s->lock);
		s->boot = API_BOOT_IDLE;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
	}
	free(ac->body);
	free(ac->resp.body);
	free(ac);
	*req_cls = NULL;
}

static void api_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("api: libmicrohttpd: %s", line);
}

/* ---- the API thread ---- */

/* InstanceStart's hand-over (ctx->boot), on the API thread. */
static int api_boot_ask(void *opaque)
{
	struct api_server *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->boot = API_BOOT_ASKED;
	pthread_mutex_unlock(&s->lock);
	api_wake(s->main_fd);
	return 0;
}

/* The build is over: answer InstanceStart (the main thread goes on once
 * the answer is sent, or at once if its client is gone). */
static void api_boot_answer(struct api_server *s, struct machine *m, const char *msg)
{
	struct api_response dropped = { 0 };
	struct api_response *resp = s->boot_ac ? &s->boot_ac->resp : &dropped;

	api_ctx_boot_done(&s->ctx, m, msg, resp);
	if (s->boot_conn) {
		s->boot_ac->answered = true;
		s->sending_ac = s->boot_ac;
		api_mhd->resume_connection(s->boot_conn);
	}
	free(dropped.body);
	s->boot_conn = NULL;
	s->boot_ac = NULL;
}

/* Whatever the other threads asked for. Returns true to stop. */
static bool api_service(struct api_server *s)
{
	int (*fn)(void *) = NULL;
	struct machine *m;
	bool stop;
	void *arg;

	pthread_mutex_lock(&s->lock);
	if (s->boot == API_BOOT_DONE) {
		m = s->boot_machine;
		pthread_mutex_unlock(&s->lock);
		api_boot_answer(s, m, s->boot_msg);
		pthread_mutex_lock(&s->lock);
		s->boot = s->sending_ac ? API_BOOT_SENDING : API_BOOT_IDLE;
		pthread_cond_broadcast(&s->cond);
	}
	if (s->call == API_CALL_ASKED) {
		fn = s->call_fn;
		arg = s->call_arg;
		pthread_mutex_unlock(&s->lock);
		s->call_result = fn(arg);
		pthread_mutex_lock(&s->lock);
		s->call = API_CALL_DONE;
		pthread_cond_broadcast(&s->cond);
	}
	stop = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

static int api_mhd_timeout(struct api_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (api_mhd->get_timeout(s->mhd, &ms) != MHD_YES)
		return -1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void *api_thread_main(void *opaque)
{
	struct api_server *s = opaque;
	struct epoll_event ev[4];

	for (;;) {
		int n = epoll_wait(s->epfd, ev, 4, api_mhd_timeout(s));

		if (n < 0 && errno != EINTR) {
			log_error("api: epoll_wait: %s; the API stops serving", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == s->wake_fd)
				api_drain(s->wake_fd);
		if (api_service(s))
			break;
		api_mhd->run(s->mhd);
		/* At its connection limit libmicrohttpd stops watching the listen
		 * socket and watches it again only in a later run, once below
		 * the limit; with no connection left it reports no timeout, so
		 * without this second run nothing would wake it again. */
		api_mhd->run(s->mhd);
	}
	/* A start still being built when volt exits is answered, not dropped. */
	if (s->boot_conn) {
		api_boot_answer(s, NULL, "volt is exiting");
		api_mhd->run(s->mhd);
	}
	/* Gone as soon as nothing serves it. */
	api_sock_remove(s);
	pthread_mutex_lock(&s->lock);
	s->thread_done = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- life cycle ---- */

static int api_epoll_add(int epfd, int fd, struct volt_err *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return verr_set(err, errno, "api: epoll_ctl: %s", strerror(errno));
	return 0;
}

static int api_start_mhd(struct api_server *s, struct volt_err *err)
{
	const union MHD_DaemonInfo *info;

	s->mhd = api_mhd->start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
				  0, NULL, NULL, api_on_request, s,
				  MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log, s,
				  MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
				  MHD_OPTION_NOTIFY_COMPLETED, api_on_completed, s,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_CONN_LIMIT,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
				  MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1,
				  MHD_OPTION_END);
	if (!s->mhd)
		return verr_set(err, EIO, "api: libmicrohttpd refused to start on %s", s->path);
	s->listen_fd = -1;   /* libmicrohttpd closes it when it stops */
	info = api_mhd->get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return verr_set(err, EIO, "api: libmicrohttpd has no epoll fd");
	return api_epoll_add(s->epfd, info->epoll_fd, err);
}

static int api_fds_open(struct api_server *s, struct volt_err *err)
{
	sigset_t stop;

	machine_stop_signal_set(&stop);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->main_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->signal_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->epfd < 0 || s->wake_fd < 0 || s->main_fd < 0 || s->signal_fd < 0)
		return verr_set(err, errno, "api: %s", strerror(errno));
	return api_epoll_add(s->epfd, s->wake_fd, err);
}

static int api_server_start(struct api_server *s, struct volt_config *cfg, uint64_t start_ns,
			    struct volt_err *err)
{
	int r = api_ctx_init(&s->ctx, cfg, start_ns);

	if (r)
		return verr_set(err, -r, "api: out of memory");
	s->ctx_inited = true;
	s->ctx.boot = api_boot_ask;
	s->ctx.boot_opaque = s;
	r = api_fds_open(s, err);
	/* Listening first: clients connect while libmicrohttpd (and GnuTLS
	 * behind it, about a millisecond) loads, and wait in the backlog. */
	if (!r)
		r = api_sock_bind(s, err);
	if (!r)
		r = api_mhd_load(&api_mhd, err);
	if (!r)
		r = api_start_mhd(s, err);
	if (r)
		return r;
	/* libmicrohttpd dates every answer (gmtime_r), and glibc reads
	 * /etc/localtime on the process's first such call: after lockdown that
	 * openat would be a sandbox violation, so read it now. */
	tzset();
	r = thread_create(&s->thread, THREAD_STACK_API, api_thread_main, s);
	if (r)
		return verr_set(err, r, "api: cannot start its thread: %s", strerror(r));
	s->thread_started = true;
	pthread_setname_np(s->thread, "api");
	return 0;
}

int api_server_create(struct api_server **out, struct volt_config *cfg, uint64_t start_ns,
		      struct volt_err *err)
{
	struct api_server *s = calloc(1, sizeof(*s));
	int r;

	*out = s;
	if (!s)
		return verr_set(err, ENOMEM, "api: out of memory");
	s->listen_fd = s->epfd = s->wake_fd = s->main_fd = s->signal_fd = s->reaper_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->path = strdup(cfg->api_sock);
	if (!s->path)
		return verr_set(err, ENOMEM, "api: out of memory");
	r = api_server_start(s, cfg, start_ns, err);
	if (!r)
		api_the_server = s;
	return r;
}

int api_server_wait_boot(struct api_server *s, struct volt_err *err)
{
	struct pollfd p[2] = { { .fd = s->main_fd, .events = POLLIN },
			       { .fd = s->signal_fd, .events = POLLIN } };
	struct signalfd_siginfo si;
	bool asked;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return verr_set(err, errno, "api: poll: %s", strerror(errno));
		}
		if ((p[1].revents & POLLIN) && read(s->signal_fd, &si, sizeof(si)) == sizeof(si)) {
			log_info("%s: stopping before InstanceStart", strsignal((int)si.ssi_signo));
			return 0;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		api_drain(s->main_fd);
		pthread_mutex_lock(&s->lock);
		asked = s->boot == API_BOOT_ASKED;
		if (asked)
			s->boot = API_BOOT_TAKEN;
		pthread_mutex_unlock(&s->lock);
		if (asked)
			return 1;
	}
}

void api_server_boot_done(struct api_server *s, struct machine *m, const struct volt_err *err)
{
	pthread_mutex_lock(&s->lock);
	s->boot_machine = m;
	snprintf(s->boot_msg, sizeof(s->boot_msg), "%s", err && err->msg[0] ? err->msg : "");
	s->boot = API_BOOT_DONE;
	api_wake(s->wake_fd);
	/* Wait for the answer to be out: the metrics hook the machine's buses
	 * before a vCPU may run guest code, and a volt that exits next (a build
	 * that failed after lockdown) has answered first. */
	while ((s->boot == API_BOOT_DONE || s->boot == API_BOOT_SENDING) && !s->thread_done)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

int api_thread_call(int (*fn)(void *arg), void *arg)
{
	struct api_server *s = api_the_server;
	int r;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	while (s->call != API_CALL_IDLE && !s->thread_done)
		pthread_cond_wait(&s->cond, &s->lock);
	s->call_fn = fn;
	s->call_arg = arg;
	s->call = API_CALL_ASKED;
	api_wake(s->wake_fd);
	while (s->call == API_CALL_ASKED && !s->thread_done)
		pthread_cond_wait(&s->cond, &s->lock);
	r = s->call == API_CALL_DONE ? s->call_result : -ESRCH;
	s->call = API_CALL_IDLE;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void api_server_destroy(struct api_server *s)
{
	if (!s)
		return;
	if (api_the_server == s)
		api_the_server = NULL;
	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_mutex_unlock(&s->lock);
		api_wake(s->wake_fd);
		pthread_join(s->thread, NULL);
	}
	if (s->mhd)
		api_mhd->stop_daemon(s->mhd);
	api_sock_remove(s);
	if (s->ctx_inited)
		api_ctx_fini(&s->ctx);
	api_close(s->listen_fd);
	api_close(s->epfd);
	api_close(s->wake_fd);
	api_close(s->main_fd);
	api_close(s->signal_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->path);
	free(s);
}
