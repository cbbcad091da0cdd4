/* The plugin registry and instances: loading the test plugins built as .so
 * (tests/plugins, next to this test's directory), the same checks on a
 * static table, and the instance lifecycle on a VM without KVM (buses
 * only): order, reverse destroy after a failure, net ports, regions, IRQs,
 * the I/O thread's fd watches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/instance.h"
#include "plugin/registry.h"
#include "util/log.h"
#include "vm/layout.h"

/* ---- the .so test plugins ---------------------------------------------- */

/* build/tests/unit/test_plugin_registry -> build/tests/plugins/<case> */
static char *case_dir(const char *name)
{
	static char dirs[8][PATH_MAX];
	static unsigned next;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *dir = dirs[next++ % 8];

	assert_true(n > 0);
	exe[n] = '\0';
	snprintf(dir, PATH_MAX, "%s/../plugins/%s", dirname(exe), name);
	return dir;
}

/* Load `name` from case dir `dir`; the message stays in msg. */
static int load(const char *dir, const char *name, char *msg)
{
	struct plugin_registry reg;
	struct volt_err err = { 0 };
	struct plugin *p;
	int r = plugin_registry_init(&reg, case_dir(dir), NULL, 0, &err);

	assert_int_equal(r, 0);
	r = plugin_registry_get(&reg, name, &p, &err);
	strcpy(msg, err.msg);
	plugin_registry_fini(&reg);
	return r;
}

static void test_load_good(void **state)
{
	struct plugin_registry reg;
	struct plugin *p, *again;
	char *dir = case_dir("good");

	assert_int_equal(plugin_registry_init(&reg, dir, NULL, 0, NULL), 0);
	assert_int_equal(plugin_registry_get(&reg, "test-echo", &p, NULL), 0);
	assert_string_equal(p->desc.name, "test-echo");
	assert_int_equal(p->desc.kind, VOLT_PLUGIN_DEVICE);
	assert_non_null(p->dl);
	assert_non_null(strstr(p->file, "/good/test-echo.so"));
	/* Loaded once, however many sections use it. */
	assert_int_equal(plugin_registry_get(&reg, "test-echo", &again, NULL), 0);
	assert_ptr_equal(p, again);
	assert_int_equal(plugin_registry_get(&reg, "test-nullnet", &p, NULL), 0);
	assert_int_equal(p->desc.kind, VOLT_PLUGIN_NET_BACKEND);
	plugin_registry_fini(&reg);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *dir, *name, *phrase;
		int code;
	} cases[] = {
		{ "major", "test-major", "built for Volt plugin ABI 2, this volt speaks 1", -EPROTO },
		{ "minor", "test-minor", "newer than this volt's 1." VOLT_STRINGIFY(VOLT_ABI_MINOR),
		  -EPROTO },
		{ "small", "test-small", "descriptor is 16 bytes, smaller than a Volt 1.0 descriptor",
		  -EINVAL },
		{ "opsize", "test-opsize", "device ops table is 8 bytes, smaller than", -EINVAL },
		{ "noentry", "test-noentry", "not a Volt plugin: no volt_plugin_entry_v1", -ENOEXEC },
		{ "notplugin", "test-text", "not a Volt plugin: cannot load it", -ENOEXEC },
		{ "mismatch", "test-mismatch", "its descriptor names it 'test-other', not "
		  "'test-mismatch'", -EINVAL },
		{ "denied", "test-denied", "declares syscall execve, which no plugin may make",
		  -EPERM },
		{ "badkey", "test-badkey", "key 0: name 'Bad Key' is not made of [a-z0-9_]", -EINVAL },
		{ "good", "no-such-plugin", "no plugin no-such-plugin: ", -ENOENT },
		{ "good", "../good/test-echo", "is not a plugin name", -ENOENT },
		{ "undef", "test-undef", "cannot load it (undefined symbol: "
		  "test_undef_no_such_function)", -ENOEXEC },
	};
	char msg[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = load(cases[i].dir, cases[i].name, msg);

		if (r != cases[i].code || !strstr(msg, cases[i].phrase))
			fail_msg("%s: got %d \"%s\", want %d \"%s\"", cases[i].name, r, msg,
				 cases[i].code, cases[i].phrase);
		/* One line, naming the file (a missing one names where it looked). */
		assert_null(strchr(msg, '\n'));
		if (cases[i].code != -ENOENT || i == 9)
			assert_non_null(strstr(msg, ".so"));
	}
}

static void test_duplicate_name(void **state)
{
	struct plugin_registry reg;
	struct volt_err err = { 0 };
	struct plugin *p;

	assert_int_equal(plugin_registry_init(&reg, case_dir("dup"), NULL, 0, NULL), 0);
	assert_int_equal(plugin_registry_get(&reg, "test-dup", &p, NULL), 0);
	assert_int_equal(plugin_registry_get(&reg, "test-dup-copy", &p, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "test-dup-copy.so: plugin name 'test-dup' is already "
				"taken by "));
	assert_non_null(strstr(err.msg, "/dup/test-dup.so"));
	plugin_registry_fini(&reg);
}

static void test_default_dir(void **state)
{
	char *dir = plugin_default_dir(NULL);

	assert_non_null(dir);
	/* build/tests/unit/../lib/volt/plugins: next to the executable's dir. */
	assert_non_null(strstr(dir, "/tests/unit/../lib/volt/plugins"));
	free(dir);
}

/* ---- a static table: the same registry, the same checks --------------------- */

static const struct volt_device_ops plain_ops = { .struct_size = sizeof(struct volt_device_ops) };

#define DESC(n) { .struct_size = sizeof(struct volt_plugin_desc), .abi_major = VOLT_ABI_MAJOR, \
		  .abi_minor = VOLT_ABI_MINOR, .kind = VOLT_PLUGIN_DEVICE, .name = n,           \
		  .version = "1", .license = "MIT", .description = "d", .ops = &plain_ops }

static const struct volt_plugin_desc st_good = DESC("st-good");
static const struct volt_plugin_desc st_other = DESC("st-other");
static struct volt_plugin_desc st_newer = DESC("st-newer");

static const struct volt_plugin_desc *st_good_entry(void) { return &st_good; }
static const struct volt_plugin_desc *st_other_entry(void) { return &st_other; }
static const struct volt_plugin_desc *st_newer_entry(void) { return &st_newer; }

static void test_static_table(void **state)
{
	const struct volt_static_plugin table[] = {
		{ "st-good", st_good_entry },
		{ "st-wrong", st_other_entry },
		{ "st-newer", st_newer_entry },
		{ "st-twice", st_good_entry },
		{ "st-twice", st_good_entry },
	};
	struct plugin_registry reg;
	struct volt_err err = { 0 };
	struct plugin *p;
	char want[160];

	st_newer.abi_minor = VOLT_ABI_MINOR + 1;
	assert_int_equal(plugin_registry_init(&reg, "/nonexistent", table, 5, NULL), 0);
	assert_int_equal(plugin_registry_get(&reg, "st-good", &p, NULL), 0);
	assert_null(p->dl);
	assert_string_equal(p->file, "volt (built-in plugin st-good)");
	assert_int_equal(plugin_registry_get(&reg, "st-wrong", &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "its descriptor names it 'st-other', not 'st-wrong'"));
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_registry_get(&reg, "st-newer", &p, &err), -EPROTO);
	snprintf(want, sizeof(want), "volt (built-in plugin st-newer): built for Volt plugin ABI "
		 "1.%d, newer than this volt's 1.%d", VOLT_ABI_MINOR + 1, VOLT_ABI_MINOR);
	assert_string_equal(err.msg, want);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_registry_get(&reg, "st-twice", &p, &err), -EEXIST);
	assert_string_equal(err.msg, "volt (built-in plugin st-twice): the static plugin table "
			    "lists the name st-twice 2 times");
	/* Not in the table: the plugin directory, here missing. */
	assert_int_equal(plugin_registry_get(&reg, "test-echo", &p, NULL), -ENOENT);
	plugin_registry_fini(&reg);
}

/* --list-plugins: the static table and NAME.so files, sorted, each name
 * once, and only files named like a plugin. */
static void test_registry_names(void **state)
{
	static const char *const files[] = { "b-plug.so", "a-plug.so", "Bad_Name.so", "notes.txt",
					     ".so", "x.so.1", "-dash.so" };
	const struct volt_static_plugin table[] = {
		{ "b-plug", st_good_entry },
		{ "c-static", st_good_entry },
	};
	char dir[] = "/tmp/volt-names.XXXXXX", path[PATH_MAX], *names[16];
	struct plugin_registry reg;
	size_t n;

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
	}
	assert_int_equal(plugin_registry_init(&reg, dir, table, 2, NULL), 0);
	n = plugin_registry_names(&reg, names, 16);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "a-plug");
	assert_string_equal(names[1], "b-plug");
	assert_string_equal(names[2], "c-static");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	plugin_registry_fini(&reg);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* ---- instances on a VM without KVM ----------------------------------------- */

static char trace[1024];

static void trace_add(const char *fmt, ...)
{
	size_t n = strlen(trace);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(trace + n, sizeof(trace) - n, fmt, ap);
	va_end(ap);
}

struct rec {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	const char *who;
	int pipe[2];
	atomic_int fired;
};

static const struct volt_key rec_keys[] = {
	{ .name = "fail", .type = VOLT_KEY_STRING, .default_value = "", .help = "step to fail" },
	{ .name = "watch", .type = VOLT_KEY_BOOL, .default_value = "false", .help = "pipe watch" },
};

static struct rec *last_rec;

static void rec_on_fd(void *opaque, int fd, uint32_t events)
{
	struct rec *r = opaque;
	char c;

	if (read(fd, &c, 1) == 1)
		atomic_fetch_add(&r->fired, 1);
}

static int rec_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct volt_net_port port;

	r->host = host;
	r->inst = inst;
	r->who = host->instance_name(inst);
	r->pipe[0] = r->pipe[1] = -1;
	*state = r;
	trace_add("create(%s) ", r->who);
	if (host->net_port(inst, &port) == 0)
		trace_add("port(%d) ", port.ops->vnet_hdr_len);
	if (!strcmp(host->config_get(inst, "fail"), "create"))
		return -EACCES;
	return 0;
}

static int rec_realize(void *state)
{
	struct rec *r = state;

	trace_add("realize(%s) ", r->who);
	if (!strcmp(r->host->config_get(r->inst, "fail"), "realize"))
		return -ENOENT;
	if (!strcmp(r->host->config_get(r->inst, "fail"), "positive"))
		return 1;
	if (!strncmp(r->host->config_get(r->inst, "fail"), "logged", 6)) {
		r->host->log(r->inst, VOLT_LOG_WARN, "rec warning");
		r->host->log(r->inst, VOLT_LOG_ERROR, "rec first error");
		r->host->log(r->inst, VOLT_LOG_ERROR, "rec %s", "the reason");
		if (!strcmp(r->host->config_get(r->inst, "fail"), "logged"))
			return -EINVAL;
	}
	trace_add("irq(%u) ", r->host->irq_line(r->inst));
	if (r->host->config_get_bool(r->inst, "watch")) {
		assert_int_equal(pipe(r->pipe), 0);
		assert_int_equal(r->host->fd_watch(r->inst, r->pipe[0], EPOLLIN, rec_on_fd, r), 0);
		assert_int_equal(r->host->fd_watch(r->inst, r->pipe[0], EPOLLIN, rec_on_fd, r),
				 -EEXIST);
		last_rec = r;
	}
	return 0;
}

static int rec_start(void *state)
{
	struct rec *r = state;

	trace_add("start(%s) ", r->who);
	/* Too late to claim registers. */
	assert_int_equal(r->host->pio_register(r->inst, 0x500, 1, NULL, NULL), -EPERM);
	if (!strcmp(r->host->config_get(r->inst, "fail"), "start"))
		return -EIO;
	if (!strcmp(r->host->config_get(r->inst, "fail"), "start-logged")) {
		r->host->log(r->inst, VOLT_LOG_ERROR, "rec start reason");
		return -EIO;
	}
	return 0;
}

static void rec_destroy(void *state)
{
	struct rec *r = state;

	trace_add("destroy(%s) ", r ? r->who : "NULL");
	if (r && !strcmp(r->host->config_get(r->inst, "fail"), "logged"))
		r->host->log(r->inst, VOLT_LOG_ERROR, "rec destroy error");
	if (r && r->pipe[0] >= 0) {
		r->host->fd_unwatch(r->inst, r->pipe[0]);
		close(r->pipe[0]);
		close(r->pipe[1]);
	}
	free(r);
}

static ssize_t rec_io(void *state, const struct iovec *iov, int iovcnt) { return 0; }

static const struct volt_net_backend_ops rec_net_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops),
	.vnet_hdr_len = 12,
	.recv = rec_io,
	.send = rec_io,
};

#define REC(n, k, o) { .struct_size = sizeof(struct volt_plugin_desc), \
	.abi_major = VOLT_ABI_MAJOR, .abi_minor = VOLT_ABI_MINOR, .kind = k, .name = n,     \
	.version = "1", .license = "MIT", .description = "d", .keys = rec_keys, .nkeys = 2, \
	.create = rec_create, .realize = rec_realize, .start = rec_start,                   \
	.destroy = rec_destroy, .ops = o }

static const struct volt_plugin_desc rec_dev = REC("rec-dev", VOLT_PLUGIN_DEVICE, &plain_ops);
static const struct volt_plugin_desc rec_net = REC("rec-net", VOLT_PLUGIN_NET_BACKEND,
						   &rec_net_ops);
static const struct volt_plugin_desc *rec_dev_entry(void) { return &rec_dev; }
static const struct volt_plugin_desc *rec_net_entry(void) { return &rec_net; }

static const struct volt_static_plugin rec_table[] = {
	{ "rec-dev", rec_dev_entry },
	{ "rec-net", rec_net_entry },
};

struct fake {
	struct volt_config cfg;
	struct config_instance secs[4];
	struct config_kv kvs[4][4];
	struct vm vm;
	struct plugin_set ps;
};

static void fake_section(struct fake *f, const char *kind, const char *id, const char *plugin,
			 const char *backend, const char *fail)
{
	size_t i = f->cfg.ninstances++;
	struct config_instance *s = &f->secs[i];
	struct config_kv *kv = f->kvs[i];

	*s = (struct config_instance){ .kind = (char *)kind, .id = (char *)id,
				       .line = 10 * (unsigned)(i + 1), .kvs = kv };
	kv[s->nkvs++] = (struct config_kv){ "plugin", (char *)plugin, s->line + 1 };
	if (backend)
		kv[s->nkvs++] = (struct config_kv){ "backend", (char *)backend, s->line + 2 };
	if (fail)
		kv[s->nkvs++] = (struct config_kv){ "fail", (char *)fail, s->line + 3 };
}

static void fake_init(struct fake *f, const char *plugin_dir)
{
	memset(f, 0, sizeof(*f));
	f->cfg.path = "vm.ini";
	f->cfg.plugin_dir = (char *)plugin_dir;
	f->cfg.instances = f->secs;
	f->vm.vm_fd = f->vm.kvm_fd = -1;
	bus_init(&f->vm.mmio, "MMIO");
	bus_init(&f->vm.pio, "PIO");
	trace[0] = '\0';
}

static void fake_fini(struct fake *f)
{
	plugin_set_destroy(&f->ps);
	bus_fini(&f->vm.mmio);
	bus_fini(&f->vm.pio);
}

static void test_lifecycle_order(void **state)
{
	struct fake f;
	struct volt_err err = { 0 };

	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "a", "rec-dev", NULL, NULL);
	fake_section(&f, "net", "n", "rec-dev", "rec-net", NULL);
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	assert_int_equal(f.ps.ninsts, 3);
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), 0);
	/* No slot bound: no fd for the sandbox to pin a rule to (not fd 0). */
	for (size_t i = 0; i < f.ps.ninsts; i++)
		for (unsigned k = 0; k < VOLT_FD_SLOTS; k++)
			assert_int_equal(f.ps.insts[i]->fd_slots[k], -1);
	assert_int_equal(plugin_set_start(&f.ps, &err), 0);
	fake_fini(&f);
	/* A backend before its device; the device gets the backend's ops; IRQs
	 * count down from the top; destroy in reverse. */
	assert_string_equal(trace,
		"create(device a) realize(device a) irq(23) "
		"create(net n) realize(net n) irq(22) "
		"create(net n) port(12) realize(net n) irq(21) "
		"start(device a) start(net n) start(net n) "
		"destroy(net n) destroy(net n) destroy(device a) ");
}

static void test_failure_unwinds(void **state)
{
	struct fake f;
	struct volt_err err = { 0 };

	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "a", "rec-dev", NULL, NULL);
	fake_section(&f, "device", "b", "rec-dev", NULL, "realize");
	fake_section(&f, "device", "c", "rec-dev", NULL, NULL);
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), -ENOENT);
	assert_string_equal(err.msg, "device b (rec-dev): realize failed: No such file or "
			    "directory");
	fake_fini(&f);
	/* c never ran; b's destroy still comes, with its state. */
	assert_string_equal(trace, "create(device a) realize(device a) irq(23) "
			    "create(device b) realize(device b) "
			    "destroy(device b) destroy(device a) ");

	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "a", "rec-dev", NULL, "create");
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), -EACCES);
	assert_string_equal(err.msg, "device a (rec-dev): create failed: Permission denied");
	fake_fini(&f);
	assert_string_equal(trace, "create(device a) destroy(device a) ");

	/* A hook that returns a positive value has failed too. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "a", "rec-dev", NULL, "positive");
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), -EIO);
	assert_string_equal(err.msg, "device a (rec-dev): realize failed: Input/output error");
	fake_fini(&f);

	/* A failed start stops the start-up: no later instance starts. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "a", "rec-dev", NULL, "start");
	fake_section(&f, "device", "b", "rec-dev", NULL, NULL);
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), 0);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_start(&f.ps, &err), -EIO);
	assert_string_equal(err.msg, "device a (rec-dev): start failed: Input/output error");
	fake_fini(&f);
	assert_null(strstr(trace, "start(device b)"));
}

/* Capture stderr (the log) into a file until log_end. */
static int log_begin(int *saved)
{
	char path[] = "/tmp/volt-test-log.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	*saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	return fd;
}

/* What was logged since log_begin, in buf. */
static void log_end(int fd, int saved, char *buf, size_t size)
{
	ssize_t n;

	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, size - 1, 0);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	fprintf(stderr, "%s", buf);
}

/* A plugin's error line in create or realize is the reason its failure
 * line gives, and is not printed apart; its other lines print as ever. */
static void test_failure_reason_logged(void **state)
{
	struct fake f;
	struct volt_err err = { 0 };
	char log[2048];
	int saved, fd;

	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "a", "rec-dev", NULL, "logged");
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	fd = log_begin(&saved);
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), -EINVAL);
	fake_fini(&f);
	log_end(fd, saved, log, sizeof(log));
	assert_string_equal(err.msg, "device a (rec-dev): realize failed: rec the reason");
	assert_null(strstr(log, "the reason"));
	/* Only the last error is the reason; the one before is printed. */
	assert_string_equal(log, "volt: warning: rec-dev device a: rec warning\n"
			    "volt: error: rec-dev device a: rec first error\n"
			    "volt: error: rec-dev device a: rec destroy error\n");

	/* A hook that logs an error but succeeds: the line is printed. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "a", "rec-dev", NULL, "logged-ok");
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	fd = log_begin(&saved);
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), 0);
	log_end(fd, saved, log, sizeof(log));
	assert_non_null(strstr(log, "volt: error: rec-dev device a: rec the reason\n"));
	fake_fini(&f);

	/* The same for start: the reason once, on the failure line. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "a", "rec-dev", NULL, "start-logged");
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), 0);
	fd = log_begin(&saved);
	assert_int_equal(plugin_set_start(&f.ps, &err), -EIO);
	log_end(fd, saved, log, sizeof(log));
	assert_string_equal(err.msg, "device a (rec-dev): start failed: rec start reason");
	assert_null(strstr(log, "rec start reason"));
	fake_fini(&f);
}

/* IRQ lines for devices that are not virtio: from the top down, only while
 * an instance sets up, and none once the range is used up. */
static void test_irq_alloc(void **state)
{
	struct plugin_set ps = { .irq_next = LAYOUT_VIRTIO_IRQ_LAST };
	struct volt_instance insts[LAYOUT_VIRTIO_IRQ_LAST - LAYOUT_VIRTIO_IRQ_FIRST + 2];
	struct volt_instance late = { .set = &ps, .stage = INSTANCE_REALIZED };
	unsigned n = sizeof(insts) / sizeof(insts[0]);

	assert_int_equal(instance_irq_alloc(&late), 0);
	for (unsigned i = 0; i < n; i++) {
		insts[i] = (struct volt_instance){ .set = &ps, .stage = INSTANCE_SETUP };
		if (i < n - 1)
			assert_int_equal(instance_irq_alloc(&insts[i]), LAYOUT_VIRTIO_IRQ_LAST - i);
		else
			assert_int_equal(instance_irq_alloc(&insts[i]), 0);
	}
	/* Asking again gives the same line. */
	assert_int_equal(instance_irq_alloc(&insts[0]), LAYOUT_VIRTIO_IRQ_LAST);
	insts[1].stage = INSTANCE_STARTED;
	assert_int_equal(instance_irq_alloc(&insts[1]), LAYOUT_VIRTIO_IRQ_LAST - 1);
}

static void test_prepare_errors(void **state)
{
	struct fake f;
	struct volt_err err = { 0 };

	/* Wrong kind: a network backend where a device goes. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "drive", "d", "rec-net", NULL, NULL);
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), -EINVAL);
	assert_true(f.ps.config_error);
	assert_string_equal(err.msg, "vm.ini:11: plugin: rec-net is a network backend plugin, "
			    "not a device (volt (built-in plugin rec-net))");
	fake_fini(&f);

	/* ... and a device where the backend goes. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "net", "n", "rec-dev", "rec-dev", NULL);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "vm.ini:12: backend: rec-dev is a device plugin, not a "
			       "network backend"));
	fake_fini(&f);

	/* Only [net] sections have a backend. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "d", "rec-dev", "rec-net", NULL);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), -EINVAL);
	assert_true(f.ps.config_error);
	assert_string_equal(err.msg, "vm.ini:12: backend: only [net] sections have a backend");
	fake_fini(&f);

	/* A section kind that takes no plugin (from no parser the core has). */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "disk", "d", "rec-dev", NULL, NULL);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), -EINVAL);
	assert_string_equal(err.msg, "[disk \"d\"]: not a plugin section");
	fake_fini(&f);

	/* The default backend (net-tap) does not exist here. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "net", "n", "rec-dev", NULL, NULL);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), -ENOENT);
	assert_true(f.ps.config_error);
	assert_non_null(strstr(err.msg, "vm.ini:10: [net \"n\"]: backend (the default): no plugin "
			       "net-tap: "));
	fake_fini(&f);

	/* [device] has no default plugin. */
	fake_init(&f, "/nonexistent");
	fake_section(&f, "device", "x", "rec-dev", NULL, NULL);
	f.secs[0].nkvs = 0;
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), -EINVAL);
	assert_string_equal(err.msg, "vm.ini:10: [device \"x\"]: plugin is required (which device "
			    "plugin)");
	fake_fini(&f);

	/* A refused plugin file is not a configuration error. */
	fake_init(&f, case_dir("denied"));
	fake_section(&f, "drive", "d", "test-denied", NULL, NULL);
	err = (struct volt_err){ 0 };
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, NULL, 0, &err), -EPERM);
	assert_false(f.ps.config_error);
	fake_fini(&f);
}

/* test-echo.so: keys, an MMIO page on the bus, the command line, the I/O
 * thread; and a plugin's fd watch firing on that thread. */
static void test_echo_device(void **state)
{
	struct fake f;
	struct volt_err err = { 0 };
	uint8_t data[4] = { 0x34, 0x12, 0, 0 };
	struct config_kv *kv;
	uint32_t v = 0;

	fake_init(&f, case_dir("good"));
	fake_section(&f, "device", "e", "test-echo", NULL, NULL);
	kv = &f.kvs[0][f.secs[0].nkvs++];
	*kv = (struct config_kv){ "label", "unit", 12 };
	fake_section(&f, "device", "w", "rec-dev", NULL, NULL);
	f.kvs[1][f.secs[1].nkvs++] = (struct config_kv){ "watch", "yes", 22 };
	log_set_level(LOG_WARN);
	assert_int_equal(plugin_set_prepare(&f.ps, &f.cfg, rec_table, 2, &err), 0);
	assert_int_equal(plugin_set_realize(&f.ps, &f.vm, &err), 0);
	assert_string_equal(plugin_set_cmdline(&f.ps), "test_echo.base=0xd8000000");
	assert_true(bus_access(&f.vm.mmio, LAYOUT_PLUGIN_MMIO_BASE + 4, data, 4, true));
	memset(data, 0, sizeof(data));
	assert_true(bus_access(&f.vm.mmio, LAYOUT_PLUGIN_MMIO_BASE + 4, data, 4, false));
	memcpy(&v, data, 4);
	assert_int_equal(v, 0x1234);
	assert_true(bus_access(&f.vm.mmio, LAYOUT_PLUGIN_MMIO_BASE, data, 4, false));
	memcpy(&v, data, 4);
	assert_int_equal(v, 0x4f484345);

	/* A broken non-virtio device is no longer called: reads float high. */
	assert_int_equal(plugin_set_start(&f.ps, &err), 0);
	assert_non_null(last_rec);
	assert_int_equal(write(last_rec->pipe[1], "x", 1), 1);
	for (int i = 0; i < 2000 && !atomic_load(&last_rec->fired); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	assert_int_equal(atomic_load(&last_rec->fired), 1);

	plugin_host_api.device_broken(f.ps.insts[0], "test: %d", 1);
	assert_true(bus_access(&f.vm.mmio, LAYOUT_PLUGIN_MMIO_BASE, data, 4, false));
	memcpy(&v, data, 4);
	assert_int_equal(v, 0xffffffff);
	log_set_level(LOG_INFO);
	fake_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_good),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_duplicate_name),
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test(test_static_table),
		cmocka_unit_test(test_registry_names),
		cmocka_unit_test(test_lifecycle_order),
		cmocka_unit_test(test_failure_unwinds),
		cmocka_unit_test(test_failure_reason_logged),
		cmocka_unit_test(test_irq_alloc),
		cmocka_unit_test(test_prepare_errors),
		cmocka_unit_test(test_echo_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
