/*
 * vmrun: run a VMM (volt or QEMU) in the rig's L1, pass its output through, and
 * measure it. Built static by tests/rig/run-e2e.sh and bench/rig/run-bench.sh.
 *
 *   vmrun [OPTIONS] -- COMMAND [ARG...]
 *
 * The command's stdout and stderr go through one pipe to vmrun's stdout, as they
 * come. vmrun watches the lines and, at the end, prints one line:
 *
 *   VOLT-E2E-RESULT name=NAME status=exit:N|signal:N|timeout init_ms=N|- exit_ms=N
 *     maxrss_kib=N hwm_kib=N|- rss_kib=N|- overhead_kib=N|- guest_kib=N|- seccomp=N|-
 *     threads=N|- thp_kib=N|- uid=N|- capeff=HEX|-
 *
 * init_ms   exec (just before fork) to the first line starting with the marker
 * exit_ms   exec to the command's exit (waitpid)
 * maxrss    the command's peak RSS, from wait4's rusage (the kernel's high-water
 *           mark of the process, guest pages it touched included)
 * hwm, rss, seccomp, threads, uid, capeff
 *           VmHWM, VmRSS, Seccomp (2: a filter is on), Threads, the real uid
 *           and CapEff (hex) from /proc/PID/status at the snapshot (see
 *           --snapshot)
 * guest     RSS of the guest-RAM mapping at the snapshot, from /proc/PID/smaps:
 *           the run of adjacent read-write mappings whose sizes add up to exactly
 *           --ram-mib, each anonymous or backed by a file other than a library,
 *           and at least one anonymous unless the run is a single mapping (a VMM
 *           may split its RAM mapping with madvise, or map the kernel file over
 *           part of it; if several runs qualify, the one holding the largest
 *           single mapping)
 * overhead  rss minus guest: the VMM's own memory outside guest RAM
 * thp       AnonHugePages at the snapshot, from /proc/PID/smaps_rollup: how much
 *           of the process transparent huge pages back
 *
 * OPTIONS
 *   --name NAME          label of the result line (default: vm)
 *   --timeout S          SIGTERM after S seconds, SIGKILL 5 s later (default 120)
 *   --marker TEXT        line to time (default "VOLT-INIT uptime=")
 *   --snapshot TEXT      read /proc/PID/{status,smaps} at the first line starting
 *                        with TEXT (default "VOLT-INIT done")
 *   --on TEXT:SIGNAL     at the first line starting with TEXT, take the snapshot
 *                        (if none yet) and send SIGNAL (a number or TERM, INT,
 *                        USR1, USR2, KILL) to the command; repeatable (up to 8)
 *   --ram-mib N          guest RAM size, for guest/overhead (default 128)
 *   --pty                the command's stdin is a new pseudo-terminal (volt reads
 *                        its serial input only from a terminal)
 *   --type TEXT:FILE     with --pty: from the first line starting with TEXT, type
 *                        FILE's lines into the terminal, each once the output has
 *                        been quiet for --type-quiet ms (default 400), at most 16
 *                        bytes every 20 ms, as a quick typist would (volt's UART
 *                        receive FIFO holds 64 bytes and drops what does not fit)
 *
 *   --sample-every S     from the first line starting with --sample-from's TEXT
 *                        (default: from the start), read volt's /proc files every
 *                        S seconds and at each --on trigger (before the signal),
 *                        and print one line per reading (see below)
 *   --sample-from TEXT   where --sample-every starts
 *
 * A sample line (a soak test's trend: is the VMM's own memory, fd or thread
 * count growing while the guest works?):
 *
 *   VOLT-E2E-SAMPLE name=NAME n=N t_ms=N at=every|TEXT rss_kib=N hwm_kib=N
 *     guest_kib=N|- overhead_kib=N|- anon_kib=N fds=N threads=N
 *
 * t_ms is from exec; rss, hwm, guest and overhead as in the result line;
 * anon is RssAnon; fds the entries of /proc/PID/fd. The line is printed
 * between two of the command's output lines (held until its current line
 * ends, for up to a second), so it never splits a marker.
 *
 * With --pty, vmrun also plays the terminal's part for a cursor position request
 * (ESC [ 6 n, which busybox's line editor sends with each prompt): it is answered
 * "row 1, column 1" and left out of the output.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ON 8
#define LINE_MAX_KEEP 4096

struct trigger {
	const char *text;
	int sig;
	bool fired;
};

struct snapshot {
	bool taken;
	long hwm_kib, rss_kib, seccomp, threads, uid;
	long capeff;    /* -1: not read */
	long guest_kib; /* -1: no mapping run matched --ram-mib */
	long thp_kib;
};

static struct {
	const char *name, *marker, *snap_text, *type_text, *type_file;
	double timeout_s;
	uint64_t ram_bytes;
	bool pty;
	long type_quiet_ms;
	struct trigger on[MAX_ON];
	int n_on;
	double sample_every_ms;
	const char *sample_from;
} opt = {
	.name = "vm",
	.marker = "VOLT-INIT uptime=",
	.snap_text = "VOLT-INIT done",
	.timeout_s = 120,
	.ram_bytes = 128ULL << 20,
	.type_quiet_ms = 400,
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "vmrun: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void usage(void)
{
	fprintf(stderr, "usage: vmrun [--name N] [--timeout S] [--marker T] [--snapshot T] "
			"[--on T:SIG]... [--ram-mib N] [--pty [--type T:FILE] [--type-quiet MS]] "
			"[--sample-every S [--sample-from T]] "
			"-- COMMAND [ARG...]\n");
	exit(2);
}

static int parse_signal(const char *s)
{
	static const struct { const char *name; int sig; } names[] = {
		{ "TERM", SIGTERM }, { "INT", SIGINT }, { "USR1", SIGUSR1 },
		{ "USR2", SIGUSR2 }, { "KILL", SIGKILL }, { "HUP", SIGHUP },
	};
	char *end;
	long n;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].sig;
	n = strtol(s, &end, 10);
	return *s && !*end && n > 0 && n < NSIG ? (int)n : -1;
}

/* "TEXT:VALUE", split at the last colon (TEXT may hold colons). */
static char *split_last_colon(char *arg)
{
	char *c = strrchr(arg, ':');

	if (!c || c == arg)
		usage();
	*c = '\0';
	return c + 1;
}

static int parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--pty")) {
			opt.pty = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--name")) {
			opt.name = v;
		} else if (!strcmp(a, "--timeout")) {
			opt.timeout_s = atof(v);
		} else if (!strcmp(a, "--marker")) {
			opt.marker = v;
		} else if (!strcmp(a, "--snapshot")) {
			opt.snap_text = v;
		} else if (!strcmp(a, "--ram-mib")) {
			opt.ram_bytes = strtoull(v, NULL, 10) << 20;
		} else if (!strcmp(a, "--sample-every")) {
			opt.sample_every_ms = atof(v) * 1e3;
		} else if (!strcmp(a, "--sample-from")) {
			opt.sample_from = v;
		} else if (!strcmp(a, "--type-quiet")) {
			opt.type_quiet_ms = atol(v);
		} else if (!strcmp(a, "--on")) {
			char *sig = split_last_colon(v);

			if (opt.n_on == MAX_ON || (opt.on[opt.n_on].sig = parse_signal(sig)) < 0)
				usage();
			opt.on[opt.n_on++].text = v;
		} else if (!strcmp(a, "--type")) {
			opt.type_file = split_last_colon(v);
			opt.type_text = v;
		} else {
			usage();
		}
	}
	if (i >= argc || opt.timeout_s <= 0 || !opt.ram_bytes || (opt.type_text && !opt.pty) ||
	    opt.sample_every_ms < 0 || (opt.sample_from && !opt.sample_every_ms))
		usage();
	return i;
}

/* ---- /proc snapshot ---- */

/* The number after "KEY:" in a /proc file of such lines (status,
 * smaps_rollup), in this base, or -1. */
static long proc_field_base(const char *path, const char *key, int base)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t klen = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, base);
			break;
		}
	fclose(f);
	return v;
}

static long proc_field(const char *path, const char *key)
{
	return proc_field_base(path, key, 10);
}

/* What a mapping can be to guest RAM: not part of it, an anonymous piece, or a
 * piece backed by a file (a VMM may map the kernel file over part of its RAM). */
enum vma_kind { VMA_OTHER, VMA_ANON, VMA_FILE };

struct vma {
	uint64_t start, end;
	long rss_kib;
	enum vma_kind kind;
};

/* A library's name: ".so" at the end or followed by a version (libc.so.6). */
static bool is_library(const char *name)
{
	const char *p = strstr(name, ".so");

	for (; p; p = strstr(p + 1, ".so"))
		if (p[3] == '\0' || p[3] == '.' || p[3] == ' ')
			return true;
	return false;
}

/* name: the pathname column, "" for none. Guest RAM is read-write; a bracketed
 * name ([heap], [stack], [vvar], [vdso]) is the process's heap or stack or the
 * kernel's pages, not RAM, except [anon:NAME]: anonymous, named with prctl. */
static enum vma_kind vma_kind(const char *perms, const char *name)
{
	if (perms[0] != 'r' || perms[1] != 'w')
		return VMA_OTHER;
	if (!*name || !strncmp(name, "[anon:", 6))
		return VMA_ANON;
	if (name[0] == '[' || is_library(name))
		return VMA_OTHER;
	return VMA_FILE;
}

static int read_vmas(pid_t pid, struct vma **out)
{
	/* Room for a PATH_MAX pathname: a longer line would be read as two. */
	char path[64], line[4096 + 256];
	struct vma *v = NULL;
	int n = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		uint64_t s, e;
		char perms[8];
		int name_at = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %n", &s, &e, perms,
			   &name_at) >= 3 && strchr(line, '-') < strchr(line, ' ')) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				v = realloc(v, cap * sizeof(*v));
				if (!v)
					die("realloc");
			}
			line[strcspn(line, "\n")] = '\0';
			v[n] = (struct vma){ .start = s, .end = e,
					     .kind = vma_kind(perms, name_at ? line + name_at : "") };
			n++;
		} else if (n && !strncmp(line, "Rss:", 4)) {
			v[n - 1].rss_kib = strtol(line + 4, NULL, 10);
		}
	}
	fclose(f);
	*out = v;
	return n;
}

/* RSS (KiB) of the guest-RAM run of mappings, or -1 (see the header). A run of
 * several file mappings with no anonymous one is not RAM: it would be files
 * the VMM mapped. */
static long guest_ram_rss(const struct vma *v, int n, uint64_t ram)
{
	long best_rss = -1;
	uint64_t best_big = 0;

	for (int i = 0; i < n; i++) {
		uint64_t sum = 0, big = 0;
		long rss = 0;
		int pieces = 0;
		bool anon = false;

		for (int j = i; j < n && v[j].kind != VMA_OTHER; j++) {
			if (j > i && v[j].start != v[j - 1].end)
				break;
			sum += v[j].end - v[j].start;
			rss += v[j].rss_kib;
			pieces++;
			anon |= v[j].kind == VMA_ANON;
			if (v[j].end - v[j].start > big)
				big = v[j].end - v[j].start;
			if (sum >= ram)
				break;
		}
		if (sum == ram && (anon || pieces == 1) && big > best_big) {
			best_big = big;
			best_rss = rss;
		}
	}
	return best_rss;
}

static void take_snapshot(pid_t pid, struct snapshot *s)
{
	char path[64];
	struct vma *v = NULL;
	int n;

	if (s->taken)
		return;
	s->taken = true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	s->hwm_kib = proc_field(path, "VmHWM");
	s->rss_kib = proc_field(path, "VmRSS");
	s->seccomp = proc_field(path, "Seccomp");
	s->threads = proc_field(path, "Threads");
	s->uid = proc_field(path, "Uid");
	s->capeff = proc_field_base(path, "CapEff", 16);
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	s->thp_kib = proc_field(path, "AnonHugePages");
	n = read_vmas(pid, &v);
	s->guest_kib = n > 0 ? guest_ram_rss(v, n, opt.ram_bytes) : -1;
	free(v);
}

/* ---- periodic samples (--sample-every) ---- */

#define SAMPLE_HOLD_MS 1000

static struct {
	bool on;              /* started: from exec, or at --sample-from's line */
	double next_ms;       /* the next periodic reading */
	int n;
	char line[512];       /* a reading waiting for the command's line to end */
	bool held;
	double held_since_ms;
	bool out_bol;         /* vmrun's stdout is at the start of a line */
} smp = { .out_bol = true };

static long count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Print the held reading: at once at a line start, else once it has waited
 * SAMPLE_HOLD_MS (or force), on a line of its own. */
static void sample_flush(double now, bool force)
{
	if (!smp.held || (!smp.out_bol && !force && now - smp.held_since_ms < SAMPLE_HOLD_MS))
		return;
	if (!smp.out_bol)
		putchar('\n');
	fputs(smp.line, stdout);
	fflush(stdout);
	smp.held = false;
	smp.out_bol = true;
}

/* Read the command's /proc files now and hold the line (see sample_flush).
 * at: "every", or the trigger's text up to its first space. */
static void sample_take(pid_t pid, double t0, const char *at)
{
	char path[64];
	struct vma *v = NULL;
	long rss, hwm, anon, guest = -1;
	int n, len;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	rss = proc_field(path, "VmRSS");
	if (rss < 0)
		return; /* exited (a zombie has no VmRSS) */
	if (smp.held)
		sample_flush(now_ms(), true);
	hwm = proc_field(path, "VmHWM");
	anon = proc_field(path, "RssAnon");
	n = read_vmas(pid, &v);
	if (n > 0)
		guest = guest_ram_rss(v, n, opt.ram_bytes);
	free(v);
	len = snprintf(smp.line, sizeof(smp.line), "VOLT-E2E-SAMPLE name=%s n=%d t_ms=%.0f at=%.*s",
		       opt.name, ++smp.n, now_ms() - t0, (int)strcspn(at, " "), at);
#define SFIELD(key, val)                                                                     \
	len += snprintf(smp.line + len, sizeof(smp.line) - (size_t)len,                      \
			(val) >= 0 ? " " key "=%ld" : " " key "=-", (long)(val))
	SFIELD("rss_kib", rss);
	SFIELD("hwm_kib", hwm);
	SFIELD("guest_kib", guest);
	SFIELD("overhead_kib", rss >= 0 && guest >= 0 ? rss - guest : -1);
	SFIELD("anon_kib", anon);
	SFIELD("fds", count_fds(pid));
	SFIELD("threads", proc_field(path, "Threads"));
#undef SFIELD
	snprintf(smp.line + len, sizeof(smp.line) - (size_t)len, "\n");
	smp.held = true;
	smp.held_since_ms = now_ms();
}

/* ---- typing into the pty ---- */

#define TYPE_CHUNK 16
#define TYPE_CHUNK_MS 20

struct typist {
	FILE *f;
	bool active;
	double last_ms;       /* last output or typed line: the quiet time starts here */
	double last_chunk_ms;
	char line[1024];      /* the line being typed, Enter included */
	size_t len, done;
};

/* Take the next line of the file once the output has been quiet long enough. */
static void type_next_line(struct typist *t, double now)
{
	if (t->done < t->len || now - t->last_ms < opt.type_quiet_ms)
		return;
	if (!fgets(t->line, sizeof(t->line) - 1, t->f)) {
		t->active = false;
		return;
	}
	t->len = strlen(t->line);
	if (t->len && t->line[t->len - 1] == '\n')
		t->len--;
	t->line[t->len++] = '\r'; /* the Enter key of a terminal */
	t->done = 0;
	t->last_ms = now;
}

static void type_chunk(int master, struct typist *t, double now)
{
	size_t n = t->len - t->done;
	ssize_t w;

	if (!n || now - t->last_chunk_ms < TYPE_CHUNK_MS)
		return;
	w = write(master, t->line + t->done, n < TYPE_CHUNK ? n : TYPE_CHUNK);
	if (w < 0) {
		fprintf(stderr, "vmrun: typing into the terminal: %s\n", strerror(errno));
		t->done = t->len;
		return;
	}
	t->done += (size_t)w;
	t->last_chunk_ms = now;
}

/* Drop each ESC [ 6 n from buf (in place) and answer it on the terminal. The
 * guest's output comes in small pieces, so a request may be split between two
 * reads: up to 3 matched bytes are held back (in *held) until the next call. */
static size_t answer_cursor_requests(int master, char *buf, size_t n, size_t *held)
{
	static const char req[] = "\033[6n", reply[] = "\033[1;1R";
	char out[65536 + 4];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == req[*held]) {
			if (++*held < 4)
				continue;
			*held = 0;
			if (write(master, reply, sizeof(reply) - 1) < 0)
				fprintf(stderr, "vmrun: answering the terminal: %s\n", strerror(errno));
			continue;
		}
		/* Not a request after all: the held bytes were output. */
		memcpy(out + o, req, *held);
		o += *held;
		*held = 0;
		if (buf[i] == req[0])
			*held = 1;
		else
			out[o++] = buf[i];
	}
	memcpy(buf, out, o);
	return o;
}

/* ---- running ---- */

static void start_child(char **argv, int out_fd, int pty_slave)
{
	if (pty_slave >= 0) {
		setsid();
		dup2(pty_slave, STDIN_FILENO);
	} else {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, STDIN_FILENO);
	}
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	execvp(argv[0], argv);
	fprintf(stderr, "vmrun: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int open_pty(int *slave)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	const char *name;

	if (master < 0 || grantpt(master) || unlockpt(master) || !(name = ptsname(master)))
		die("pseudo-terminal (is devpts mounted on /dev/pts?)");
	*slave = open(name, O_RDWR | O_NOCTTY);
	if (*slave < 0)
		die(name);
	return master;
}

struct line_state {
	char buf[LINE_MAX_KEEP];
	size_t len;
};

/* One complete output line (without \r\n): markers, triggers, typing. */
static void on_line(const char *line, pid_t pid, double t0, double *init_ms,
		    struct snapshot *snap, struct typist *typist)
{
	if (*init_ms < 0 && !strncmp(line, opt.marker, strlen(opt.marker)))
		*init_ms = now_ms() - t0;
	if (opt.snap_text && !strncmp(line, opt.snap_text, strlen(opt.snap_text)))
		take_snapshot(pid, snap);
	if (opt.sample_from && !smp.on && !strncmp(line, opt.sample_from, strlen(opt.sample_from))) {
		smp.on = true;
		smp.next_ms = now_ms();
	}
	for (int i = 0; i < opt.n_on; i++) {
		struct trigger *tr = &opt.on[i];

		if (tr->fired || strncmp(line, tr->text, strlen(tr->text)))
			continue;
		tr->fired = true;
		take_snapshot(pid, snap);
		if (smp.on)
			sample_take(pid, t0, tr->text);
		kill(pid, tr->sig);
	}
	if (typist->f && !typist->active && opt.type_text &&
	    !strncmp(line, opt.type_text, strlen(opt.type_text)))
		typist->active = true;
}

static void feed_lines(const char *data, size_t n, struct line_state *ls, pid_t pid,
		       double t0, double *init_ms, struct snapshot *snap, struct typist *typist)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];

		if (c == '\n') {
			ls->buf[ls->len] = '\0';
			on_line(ls->buf, pid, t0, init_ms, snap, typist);
			ls->len = 0;
		} else if (c != '\r' && ls->len < sizeof(ls->buf) - 1) {
			ls->buf[ls->len++] = c;
		}
	}
}

int main(int argc, char **argv)
{
	int first = parse_args(argc, argv);
	int pipefd[2], master = -1, slave = -1, status = 0;
	double t0, init_ms = -1, exit_ms, deadline, kill_at = 0;
	bool timed_out = false, eof = false;
	struct snapshot snap = { 0 };
	struct typist typist = { 0 };
	struct line_state ls = { .len = 0 };
	struct rusage ru = { 0 };
	size_t held = 0; /* bytes of a possible cursor position request */
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (opt.type_file && !(typist.f = fopen(opt.type_file, "r")))
		die(opt.type_file);
	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe");
	if (opt.pty)
		master = open_pty(&slave);
	t0 = now_ms();
	deadline = t0 + opt.timeout_s * 1e3;
	smp.on = opt.sample_every_ms > 0 && !opt.sample_from;
	smp.next_ms = t0;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		start_child(argv + first, pipefd[1], slave);
	close(pipefd[1]);
	if (slave >= 0)
		close(slave);

	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		double now = now_ms();
		int r;

		if (now >= deadline && !timed_out) {
			timed_out = true;
			kill(pid, SIGTERM);
			kill_at = now + 5000;
		}
		if (timed_out && now >= kill_at && kill_at > 0) {
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		if (smp.on && opt.sample_every_ms > 0 && now >= smp.next_ms && !eof) {
			sample_take(pid, t0, "every");
			while (smp.next_ms <= now)
				smp.next_ms += opt.sample_every_ms;
		}
		sample_flush(now, false);
		if (typist.active) {
			type_next_line(&typist, now);
			type_chunk(master, &typist, now);
		}
		if (eof) {
			r = waitpid(pid, &status, WNOHANG);
			if (r == pid)
				break;
			usleep(10000);
			continue;
		}
		r = poll(&p, 1, typist.active ? TYPE_CHUNK_MS / 2 : 50);
		if (r > 0) {
			char buf[65536];
			ssize_t n = read(pipefd[0], buf, sizeof(buf));

			if (n <= 0) {
				fwrite("\033[6n", 1, held, stdout); /* a request cut short */
				eof = true;
				continue;
			}
			if (master >= 0)
				n = (ssize_t)answer_cursor_requests(master, buf, (size_t)n, &held);
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
			if (n > 0)
				smp.out_bol = buf[n - 1] == '\n';
			typist.last_ms = now_ms();
			feed_lines(buf, (size_t)n, &ls, pid, t0, &init_ms, &snap, &typist);
			sample_flush(now_ms(), false);
		}
	}
	exit_ms = now_ms() - t0;
	/* The child is reaped above; its rusage comes from the children total. */
	getrusage(RUSAGE_CHILDREN, &ru);

	if (ls.len)
		putchar('\n');
	smp.out_bol = true;
	sample_flush(0, true);
	printf("VOLT-E2E-RESULT name=%s status=", opt.name);
	if (timed_out)
		printf("timeout");
	else if (WIFSIGNALED(status))
		printf("signal:%d", WTERMSIG(status));
	else
		printf("exit:%d", WEXITSTATUS(status));
	if (init_ms >= 0)
		printf(" init_ms=%.0f", init_ms);
	else
		printf(" init_ms=-");
	printf(" exit_ms=%.0f maxrss_kib=%ld", exit_ms, ru.ru_maxrss);
#define FIELD(name, v) (v) >= 0 ? printf(" " name "=%ld", (long)(v)) : printf(" " name "=-")
	FIELD("hwm_kib", snap.taken ? snap.hwm_kib : -1);
	FIELD("rss_kib", snap.taken ? snap.rss_kib : -1);
	FIELD("overhead_kib", snap.taken && snap.guest_kib >= 0 && snap.rss_kib >= 0
				      ? snap.rss_kib - snap.guest_kib : -1);
	FIELD("guest_kib", snap.taken ? snap.guest_kib : -1);
	FIELD("seccomp", snap.taken ? snap.seccomp : -1);
	FIELD("threads", snap.taken ? snap.threads : -1);
	FIELD("thp_kib", snap.taken ? snap.thp_kib : -1);
	FIELD("uid", snap.taken ? snap.uid : -1);
#undef FIELD
	if (snap.taken && snap.capeff >= 0)
		printf(" capeff=%lx", snap.capeff);
	else
		printf(" capeff=-");
	printf("\n");
	fflush(stdout);
	if (timed_out)
		return 124;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
