/* Unit tests for the INI file, the command line and validation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"

/* ---- helpers ---- */

struct fixture {
	struct volt_config cfg;
	struct volt_err err;
	char dir[64];   /* a fresh temp directory for files */
	char kernel[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *k;

	assert_non_null(f);
	config_init(&f->cfg);
	strcpy(f->dir, "/tmp/volt-config-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->kernel, sizeof(f->kernel), "%s/vmlinux", f->dir);
	k = fopen(f->kernel, "w");
	assert_non_null(k);
	fputs("not really a kernel\n", k);
	fclose(k);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	config_free(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int load(struct fixture *f, const char *text)
{
	memset(&f->err, 0, sizeof(f->err));
	return config_load_string(&f->cfg, "t.ini", text, &f->err);
}

/* The error must be exactly `want`, or start with it when want ends in '*'. */
static void assert_err(struct fixture *f, int rc, const char *want)
{
	size_t n = strlen(want);

	if (rc >= 0 || !f->err.code)
		fail_msg("expected an error \"%s\", got rc=%d", want, rc);
	if (want[n - 1] == '*' ? strncmp(f->err.msg, want, n - 1) : strcmp(f->err.msg, want))
		fail_msg("error \"%s\", expected \"%s\"", f->err.msg, want);
}

static void load_fails(struct fixture *f, const char *text, const char *want)
{
	config_free(&f->cfg);
	config_init(&f->cfg);
	assert_err(f, load(f, text), want);
	assert_int_equal(f->err.code, EINVAL);
}

/* Write text to a new file under /tmp (mkstemp) and return its name. */
static char *write_tmp(const char *text)
{
	char *name = strdup("/tmp/volt-config-ini-XXXXXX");
	int fd;

	assert_non_null(name);
	fd = mkstemp(name);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return name;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int from_args(struct fixture *f, int argc, char **argv)
{
	config_free(&f->cfg);
	memset(&f->err, 0, sizeof(f->err));
	return config_from_args(&f->cfg, argc, argv, &f->err);
}

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- defaults ---- */

static void test_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->cfg.memory_mib, 128);
	assert_int_equal(f->cfg.vcpus, 1);
	assert_string_equal(f->cfg.cmdline, "console=ttyS0 reboot=k panic=-1");
	assert_null(f->cfg.kernel);
	assert_int_equal(f->cfg.kernel_pages, 0); /* private: nothing shared between VMs */
	assert_null(f->cfg.origin.kernel_pages);
	assert_int_equal(f->cfg.huge_pages, 1); /* loaded: huge pages for what volt loads */
	assert_null(f->cfg.origin.huge_pages);
	assert_null(f->cfg.serial_output);
	assert_int_equal(f->cfg.log_level, LOG_INFO);
	assert_int_equal(f->cfg.ninstances, 0);
}

/* ---- [vm] ---- */

static void test_memory_ok(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[vm]\nmemory_mib = 128\n"), 0);
	assert_int_equal(f->cfg.memory_mib, 128);
	assert_string_equal(f->cfg.origin.memory_mib, "t.ini:2: memory_mib");
	config_free(&f->cfg);
	config_init(&f->cfg);
	assert_int_equal(load(f, "[vm]\nmemory_mib=262144\n"), 0);
	assert_int_equal(f->cfg.memory_mib, 262144);
}

static void test_memory_bad(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "[vm]\nmemory_mib = 15\n",
		   "t.ini:2: memory_mib: 15 is out of range (16 to 262144)");
	load_fails(f, "[vm]\nmemory_mib = 0\n", "t.ini:2: memory_mib: 0 is out of range*");
	load_fails(f, "[vm]\nmemory_mib = -1\n", "t.ini:2: memory_mib: -1 is out of range*");
	load_fails(f, "[vm]\nmemory_mib = 262145\n",
		   "t.ini:2: memory_mib: 262145 is out of range*");
	load_fails(f, "[vm]\nmemory_mib = abc\n",
		   "t.ini:2: memory_mib: 'abc' is not a number");
	load_fails(f, "[vm]\nmemory_mib = 12x\n",
		   "t.ini:2: memory_mib: '12x' is not a number");
	load_fails(f, "[vm]\nmemory_mib = 128M\n",
		   "t.ini:2: memory_mib: '128M' is not a number");
	load_fails(f, "[vm]\nmemory_mib = 0x80\n",
		   "t.ini:2: memory_mib: '0x80' is not a number");
	load_fails(f, "[vm]\nmemory_mib = +128\n",
		   "t.ini:2: memory_mib: '+128' is not a number");
	load_fails(f, "[vm]\nmemory_mib = 1 28\n",
		   "t.ini:2: memory_mib: '1 28' is not a number");
	load_fails(f, "[vm]\nmemory_mib = 99999999999999999999999\n",
		   "t.ini:2: memory_mib: 99999999999999999999999 is out of range*");
	load_fails(f, "[vm]\nmemory_mib = 18446744073709551616\n",
		   "t.ini:2: memory_mib: 18446744073709551616 is out of range*");
	load_fails(f, "[vm]\nmemory_mib =\n", "t.ini:2: memory_mib: no value*");
	load_fails(f, "[vm]\nmemory_mib = -\n", "t.ini:2: memory_mib: '-' is not a number");
	/* A refused value leaves the old one in place. */
	assert_int_equal(f->cfg.memory_mib, 128);
}

static void test_vcpus(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[vm]\nvcpus = 1\n"), 0);
	assert_int_equal(f->cfg.vcpus, 1);
	config_free(&f->cfg);
	config_init(&f->cfg);
	assert_int_equal(load(f, "[vm]\nvcpus = 32\n"), 0);
	assert_int_equal(f->cfg.vcpus, 32);
	config_free(&f->cfg);
	config_init(&f->cfg);
	load_fails(f, "[vm]\nvcpus = 0\n", "t.ini:2: vcpus: 0 is out of range (1 to 32)");
	load_fails(f, "[vm]\nvcpus = 33\n", "t.ini:2: vcpus: 33 is out of range (1 to 32)");
	load_fails(f, "[vm]\nvcpus = x\n", "t.ini:2: vcpus: 'x' is not a number");
	load_fails(f, "[vm]\nvcpus = 4294967297\n", "t.ini:2: vcpus: 4294967297 is out of range*");
}

static void test_poll_us(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->cfg.poll_us, 32); /* QEMU's default */
	assert_int_equal(load(f, "[vm]\npoll_us = 0\n"), 0);
	assert_int_equal(f->cfg.poll_us, 0);
	assert_int_equal(load(f, "[vm]\npoll_us = 1000\n"), 0);
	assert_int_equal(f->cfg.poll_us, 1000);
	load_fails(f, "[vm]\npoll_us = 1001\n", "t.ini:2: poll_us: 1001 is out of range (0 to 1000)");
	load_fails(f, "[vm]\npoll_us = -1\n", "t.ini:2: poll_us: -1 is out of range (0 to 1000)");
	load_fails(f, "[vm]\n\npoll_us = fast\n", "t.ini:3: poll_us: 'fast' is not a number");
	assert_int_equal(f->cfg.poll_us, 32); /* a refused value leaves the default */
}

static void test_kernel_initrd(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[vm]\nkernel = /boot/vmlinuz\ninitrd = rel/initrd.img\n"), 0);
	assert_string_equal(f->cfg.kernel, "/boot/vmlinuz");
	/* From a string there is no file directory: relative stays relative. */
	assert_string_equal(f->cfg.initrd, "rel/initrd.img");
	assert_string_equal(f->cfg.origin.kernel, "t.ini:2: kernel");
	assert_string_equal(f->cfg.origin.initrd, "t.ini:3: initrd");
	config_free(&f->cfg);
	config_init(&f->cfg);
	load_fails(f, "[vm]\nkernel =\n", "t.ini:2: kernel: no path given");
	load_fails(f, "[vm]\ninitrd = ; only a comment\n", "t.ini:2: initrd: no path given");
}

static void test_kernel_pages(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[vm]\nkernel_pages = shared\n"), 0);
	assert_int_equal(f->cfg.kernel_pages, 1);
	assert_string_equal(f->cfg.origin.kernel_pages, "t.ini:2: kernel_pages");
	config_free(&f->cfg);
	config_init(&f->cfg);
	/* "private" must set false, not merely leave the default in place. */
	f->cfg.kernel_pages = 1;
	assert_int_equal(load(f, "[vm]\n\nkernel_pages=private ; the default\n"), 0);
	assert_int_equal(f->cfg.kernel_pages, 0);
	assert_string_equal(f->cfg.origin.kernel_pages, "t.ini:3: kernel_pages");
}

/* Stored as the index of the word, in enum guest_mem_huge's order. */
static void test_huge_pages(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[vm]\nhuge_pages = never\n"), 0);
	assert_int_equal(f->cfg.huge_pages, 2);
	assert_string_equal(f->cfg.origin.huge_pages, "t.ini:2: huge_pages");
	config_free(&f->cfg);
	config_init(&f->cfg);
	f->cfg.huge_pages = 0;
	assert_int_equal(load(f, "[vm]\nhuge_pages = loaded\n"), 0);
	assert_int_equal(f->cfg.huge_pages, 1);
	config_free(&f->cfg);
	config_init(&f->cfg);
	f->cfg.huge_pages = 2;
	assert_int_equal(load(f, "[vm]\nhuge_pages = auto\n"), 0);
	assert_int_equal(f->cfg.huge_pages, 0);
	config_free(&f->cfg);
	config_init(&f->cfg);
	load_fails(f, "[vm]\nhuge_pages = 2M\n",
		   "t.ini:2: huge_pages: '2M' is not one of auto, loaded, never");
}

static void test_kernel_pages_bad(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "[vm]\nkernel_pages = cow\n",
		   "t.ini:2: kernel_pages: 'cow' is not one of private, shared");
	/* Words are exact: no case folding, no prefixes. */
	load_fails(f, "[vm]\nkernel_pages = Shared\n",
		   "t.ini:2: kernel_pages: 'Shared' is not one of private, shared");
	load_fails(f, "[vm]\nkernel_pages = share\n",
		   "t.ini:2: kernel_pages: 'share' is not one of private, shared");
	load_fails(f, "[vm]\nkernel_pages =\n",
		   "t.ini:2: kernel_pages: no value (expected one of private, shared)");
	load_fails(f, "[vm]\nkernel_pages = shared\nkernel_pages = private\n",
		   "t.ini:3: kernel_pages: duplicate key in [vm] (first on line 2)");
	assert_int_equal(f->cfg.kernel_pages, 1); /* the first line was applied */
	load_fails(f, "[vm]\nkernel_pages = private\nkernel_pages = bogus\n",
		   "t.ini:3: kernel_pages: duplicate key*");
}

static void test_cmdline(void **state)
{
	struct fixture *f = *state;
	char text[4096], *big;

	assert_int_equal(load(f, "[vm]\ncmdline = console=ttyS0 root=/dev/vda rw\n"), 0);
	assert_string_equal(f->cfg.cmdline, "console=ttyS0 root=/dev/vda rw");
	config_free(&f->cfg);
	config_init(&f->cfg);
	assert_int_equal(load(f, "[vm]\ncmdline =\n"), 0);
	assert_string_equal(f->cfg.cmdline, "");
	config_free(&f->cfg);
	config_init(&f->cfg);

	/* A cmdline far past inih's 200-byte default line arrives whole. */
	big = malloc(3001);
	assert_non_null(big);
	memset(big, 'a', 3000);
	big[3000] = '\0';
	snprintf(text, sizeof(text), "[vm]\ncmdline = %s\nvcpus = 2\n", big);
	assert_int_equal(load(f, text), 0);
	assert_string_equal(f->cfg.cmdline, big);
	assert_int_equal(f->cfg.vcpus, 2);
	free(big);
}

static void test_long_line_refused(void **state)
{
	struct fixture *f = *state;
	size_t n = 9000;
	char *text = malloc(n + 32);

	assert_non_null(text);
	strcpy(text, "[vm]\ncmdline = ");
	memset(text + strlen(text), 'a', n);
	strcpy(text + 15 + n, "\n");
	load_fails(f, text, "t.ini:2: line is longer than 8192 bytes");
	/* 8192 bytes is the longest line; one more is refused. */
	memset(text, 'a', 8192);
	memcpy(text, "[vm]\ncmdline = ", 15);
	text[8192 + 5] = '\0';
	config_free(&f->cfg);
	config_init(&f->cfg);
	assert_int_equal(load(f, text), 0);
	assert_int_equal(strlen(f->cfg.cmdline), 8192 - 10);
	text[8192 + 5] = 'a';
	text[8192 + 6] = '\0';
	load_fails(f, text, "t.ini:2: line is longer than 8192 bytes");
	free(text);
}

/* ---- [serial], [plugins] ---- */

static void test_serial_output(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[serial]\noutput = none\n"), 0);
	assert_string_equal(f->cfg.serial_output, "none");
	config_free(&f->cfg);
	config_init(&f->cfg);
	assert_int_equal(load(f, "[serial]\noutput = /var/log/guest.log\n"), 0);
	assert_string_equal(f->cfg.serial_output, "/var/log/guest.log");
	/* stdout is the NULL the serial device expects, also after a path. */
	config_free(&f->cfg);
	config_init(&f->cfg);
	assert_int_equal(config_set(&f->cfg, "serial", "output", "x.log", &f->err), 0);
	assert_int_equal(load(f, "[serial]\noutput = stdout\n"), 0);
	assert_null(f->cfg.serial_output);
	load_fails(f, "[serial]\noutput =\n", "t.ini:2: output: no value*");
}

static void test_plugins_dir(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[plugins]\ndir = /usr/lib/volt/plugins\n"), 0);
	assert_string_equal(f->cfg.plugin_dir, "/usr/lib/volt/plugins");
	load_fails(f, "[plugins]\ndirectory = /x\n",
		   "t.ini:2: directory: unknown key in [plugins]*");
	load_fails(f, "[plugins]\ndir =\n", "t.ini:2: dir: no path given");
}

/* ---- structure errors ---- */

static void test_unknown_key(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "[vm]\nvcpus = 1\n; colour\n\ncolour = blue\n",
		   "t.ini:5: colour: unknown key in [vm] (known: memory_mib, vcpus, poll_us, "
		   "kernel, kernel_pages, huge_pages, initrd, cmdline)");
	load_fails(f, "[serial]\nout = stdout\n", "t.ini:2: out: unknown key in [serial]*");
}

static void test_unknown_section(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "; header\n[vmm]\nvcpus = 1\n", "t.ini:2: [vmm]: unknown section*");
	/* Caught even with no key under it. */
	load_fails(f, "[vm]\n[vmm]\n", "t.ini:2: [vmm]: unknown section*");
	load_fails(f, "[VM]\nvcpus=1\n", "t.ini:1: [VM]: unknown section*");
	load_fails(f, "[disk \"a\"]\n", "t.ini:1: [disk \"a\"]: unknown section*");
	load_fails(f, "vcpus = 1\n", "t.ini:1: vcpus: key outside any section*");
}

static void test_duplicate_key(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "[vm]\nvcpus = 1\nmemory_mib = 64\nvcpus = 2\n",
		   "t.ini:4: vcpus: duplicate key in [vm] (first on line 2)");
	load_fails(f, "[vm]\nvcpus = 1\n[vm]\n",
		   "t.ini:3: [vm]: section appears twice (first on line 1)");
	/* Without multi-line values an indented key is a key of its own. */
	load_fails(f, "[vm]\ncmdline = a\n  cmdline = b\n",
		   "t.ini:3: cmdline: duplicate key in [vm] (first on line 2)");
}

static void test_syntax_errors(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "[vm]\nvcpus = 1\njust words\n",
		   "t.ini:3: expected 'key = value', '[section]' or a ';' comment");
	load_fails(f, "[vm]\n\n[serial\noutput = none\n",
		   "t.ini:3: section header has no closing ']'");
	load_fails(f, "[vm]\n = 1\n", "t.ini:2: missing key name before '='");
	load_fails(f, "[vm]\nvcpus = 1\x01\n", "t.ini:2: control character 0x01 in line");
	load_fails(f, "[vm]\nkernel = a\rb\n", "t.ini:2: control character 0x0d in line");
	load_fails(f, "[drive \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]\n",
		   "t.ini:1: section name is longer than 48 bytes");
}

static void test_line_numbers(void **state)
{
	struct fixture *f = *state;

	/* Comments, blank lines, CRLF, a BOM and a long line all count as one. */
	char text[1024];

	snprintf(text, sizeof(text),
		 "\xEF\xBB\xBF; volt\r\n"
		 "\r\n"
		 "# another comment\n"
		 "[vm]\r\n"
		 "cmdline = %0300d\r\n"
		 "  memory_mib = 64 ; inline comment\n"
		 "vcpus = 0\n", 0);
	load_fails(f, text, "t.ini:7: vcpus: 0 is out of range (1 to 32)");
	assert_int_equal(f->cfg.memory_mib, 64);
	assert_string_equal(f->cfg.origin.memory_mib, "t.ini:6: memory_mib");
	/* Last line without a newline. */
	load_fails(f, "[vm]\nvcpus = 40", "t.ini:2: vcpus: 40 is out of range (1 to 32)");
}

static void test_bom_header(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "\xEF\xBB\xBF[vm]\nvcpus = 3\r\n"), 0);
	assert_int_equal(f->cfg.vcpus, 3);
	/* Only line 1 may start with one: elsewhere it is no header. */
	load_fails(f, "[vm]\n\xEF\xBB\xBF[serial\n",
		   "t.ini:2: expected 'key = value', '[section]' or a ';' comment");
	/* Every control character but tab (and a CR before the newline). */
	load_fails(f, "[vm]\ncmdline = a\x1f\n", "t.ini:2: control character 0x1f in line");
	load_fails(f, "[vm]\ncmdline = a\x01\n", "t.ini:2: control character 0x01 in line");
	load_fails(f, "[vm]\ncmdline = a\x7f\n", "t.ini:2: control character 0x7f in line");
}

/* ---- [drive "id"], [net "id"] ---- */

static void test_instances(void **state)
{
	struct fixture *f = *state;
	const struct config_instance *d, *n, *e;

	assert_int_equal(load(f, "[vm]\nvcpus = 2\n\n"
				 "[drive \"root-disk_0\"]\n"
				 "path = disk.img\n"
				 "read_only = yes ; comment\n"
				 "[net \"eth0\"]\n"
				 "; nothing but a comment\n"
				 "tap = tap0\n"
				 "mac = 52:54:00:12:34:56\n"
				 "[drive \"empty\"]\n"
				 "[net \"root-disk_0\"]\n"), 0);
	assert_int_equal(f->cfg.ninstances, 4);
	d = &f->cfg.instances[0];
	assert_string_equal(d->kind, "drive");
	assert_string_equal(d->id, "root-disk_0");
	assert_int_equal(d->line, 4);
	assert_int_equal(d->nkvs, 2);
	assert_string_equal(d->kvs[0].key, "path");
	assert_string_equal(d->kvs[0].value, "disk.img");
	assert_int_equal(d->kvs[0].line, 5);
	assert_string_equal(d->kvs[1].key, "read_only");
	assert_string_equal(d->kvs[1].value, "yes");
	assert_int_equal(d->kvs[1].line, 6);
	n = &f->cfg.instances[1];
	assert_string_equal(n->kind, "net");
	assert_string_equal(n->id, "eth0");
	assert_int_equal(n->line, 7);
	assert_int_equal(n->nkvs, 2);
	assert_string_equal(n->kvs[1].key, "mac");
	/* ':' inside a value is not a separator once '=' came first. */
	assert_string_equal(n->kvs[1].value, "52:54:00:12:34:56");
	assert_int_equal(n->kvs[1].line, 10);
	/* An empty section still names a device for the plugin loader. */
	e = &f->cfg.instances[2];
	assert_string_equal(e->id, "empty");
	assert_int_equal(e->line, 11);
	assert_int_equal(e->nkvs, 0);
	/* The same id under another kind is a different device. */
	assert_string_equal(f->cfg.instances[3].kind, "net");
	assert_int_equal(f->cfg.instances[3].line, 12);
}

/* [device "id"]: a device plugin that is neither a drive nor a NIC. */
static void test_instance_device(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[device \"echo0\"]\nplugin = hello-echo\n"), 0);
	assert_int_equal(f->cfg.ninstances, 1);
	assert_string_equal(f->cfg.instances[0].kind, "device");
	assert_string_equal(f->cfg.instances[0].id, "echo0");
	assert_string_equal(f->cfg.instances[0].kvs[0].value, "hello-echo");
}

static void test_instance_bad_id(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "[drive \"a b\"]\n", "t.ini:1: [drive \"a b\"]: expected [drive \"id\"]*");
	load_fails(f, "[drive \"a.b\"]\n", "t.ini:1: [drive \"a.b\"]: expected [drive \"id\"]*");
	load_fails(f, "[drive \"\"]\n", "t.ini:1: [drive \"\"]: expected*");
	load_fails(f, "[drive \"]\n", "t.ini:1: [drive \"]: expected*");
	load_fails(f, "[drive x]\n", "t.ini:1: [drive x]: expected*");
	load_fails(f, "[drive  \"x\"]\n", "t.ini:1: [drive  \"x\"]: expected*");
	load_fails(f, "[drive \"x\" ]\n", "t.ini:1: [drive \"x\" ]: expected*");
	load_fails(f, "[drive ]\n", "t.ini:1: [drive ]: expected*");
	load_fails(f, "[net]\ntap = tap0\n", "t.ini:1: [net]: needs an id, e.g. [net \"net0\"]");
	load_fails(f, "[drive \"abc]\n", "t.ini:1: [drive \"abc]: expected [drive \"id\"]*");
	/* The kind is a whole word, not a prefix of one. */
	load_fails(f, "[dri \"x\"]\n", "t.ini:1: [dri \"x\"]: unknown section*");
	load_fails(f, "[drives \"x\"]\n", "t.ini:1: [drives \"x\"]: unknown section*");
}

static void test_instance_duplicates(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "[drive \"a\"]\npath = x\n\n[drive \"a\"]\npath = y\n",
		   "t.ini:4: [drive \"a\"]: duplicate section (first on line 1)");
	load_fails(f, "[net \"a\"]\n[net \"a\"]\n",
		   "t.ini:2: [net \"a\"]: duplicate section (first on line 1)");
	load_fails(f, "[drive \"a\"]\npath = x\nro = 1\npath = y\n",
		   "t.ini:4: path: duplicate key in [drive \"a\"] (first on line 2)");
	/* An id that starts another is not the same id. */
	config_free(&f->cfg);
	config_init(&f->cfg);
	assert_int_equal(load(f, "[drive \"ab\"]\n[drive \"a\"]\n[net \"a\"]\n"), 0);
	assert_int_equal(f->cfg.ninstances, 3);
}

/* ---- files ---- */

static void test_relative_paths(void **state)
{
	struct fixture *f = *state;
	char ini[PATH_MAX], real[PATH_MAX], want[PATH_MAX + 32], rel[PATH_MAX];
	char cwd[PATH_MAX];
	int rc;

	snprintf(ini, sizeof(ini), "%s/vm.ini", f->dir);
	write_file(ini, "[vm]\nkernel = vmlinux\ninitrd = ../x/initrd\n"
			"[serial]\noutput = logs/serial.log\n"
			"[plugins]\ndir = /tmp\n"
			"[drive \"d\"]\npath = disk.img\n");
	assert_non_null(realpath(f->dir, real));
	/* Load it by a relative name, from /tmp, to prove the cwd is not used. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	snprintf(rel, sizeof(rel), "%s", ini + 1);
	rc = config_load_file(&f->cfg, rel, &f->err);
	assert_int_equal(chdir(cwd), 0);
	if (rc < 0)
		fail_msg("%s", f->err.msg);

	snprintf(want, sizeof(want), "%s/vmlinux", real);
	assert_string_equal(f->cfg.kernel, want);
	snprintf(want, sizeof(want), "%s/../x/initrd", real);
	assert_string_equal(f->cfg.initrd, want);
	snprintf(want, sizeof(want), "%s/logs/serial.log", real);
	assert_string_equal(f->cfg.serial_output, want);
	assert_string_equal(f->cfg.plugin_dir, "/tmp");
	assert_string_equal(f->cfg.base_dir, real);
	assert_string_equal(f->cfg.path, rel);
	/* Instance values stay verbatim; base_dir says where they point. */
	assert_string_equal(f->cfg.instances[0].kvs[0].value, "disk.img");
	snprintf(want, sizeof(want), "%s:2: kernel", rel);
	assert_string_equal(f->cfg.origin.kernel, want);
	/* The kernel it resolved to exists, so without the initrd it validates
	 * once the serial output's directory exists (it is checked, not made). */
	free(f->cfg.initrd);
	f->cfg.initrd = NULL;
	assert_int_equal(config_validate(&f->cfg, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, "serial.log: cannot create it in"));
	snprintf(want, sizeof(want), "%s/logs", real);
	assert_int_equal(mkdir(want, 0755), 0);
	assert_int_equal(config_validate(&f->cfg, &f->err), 0);
	assert_int_equal(rmdir(want), 0);
}

static void test_serial_words_not_resolved(void **state)
{
	struct fixture *f = *state;
	char *ini = write_tmp("[serial]\noutput = none\n");

	assert_int_equal(config_load_file(&f->cfg, ini, &f->err), 0);
	assert_string_equal(f->cfg.serial_output, "none");
	unlink(ini);
	free(ini);
}

static void test_load_file_errors(void **state)
{
	struct fixture *f = *state;
	char *ini;
	char path[PATH_MAX];
	int rc;

	rc = config_load_file(&f->cfg, "/nonexistent/volt.ini", &f->err);
	assert_err(f, rc, "config file /nonexistent/volt.ini: No such file or directory");
	assert_int_equal(rc, -ENOENT);

	memset(&f->err, 0, sizeof(f->err));
	assert_err(f, config_load_file(&f->cfg, f->dir, &f->err), "config file *");
	assert_non_null(strstr(f->err.msg, "is a directory"));

	/* inih would stop at a NUL byte and drop what follows. */
	snprintf(path, sizeof(path), "%s/nul.ini", f->dir);
	{
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fwrite("[vm]\nvcpus = 1\n\0vcpus = 40\n", 1, 27, fp);
		fclose(fp);
	}
	memset(&f->err, 0, sizeof(f->err));
	rc = config_load_file(&f->cfg, path, &f->err);
	assert_true(rc < 0);
	assert_non_null(strstr(f->err.msg, "nul.ini:3: NUL byte in line"));

	/* One byte over 1 MiB is not a config file (not cut to 1 MiB either). */
	snprintf(path, sizeof(path), "%s/big.ini", f->dir);
	{
		FILE *fp = fopen(path, "w");
		char line[1024];

		assert_non_null(fp);
		memset(line, 'x', sizeof(line));
		line[0] = ';';
		line[sizeof(line) - 1] = '\n';
		for (int i = 0; i < 1024; i++)
			assert_int_equal(fwrite(line, 1, sizeof(line), fp), sizeof(line));
		fputc('\n', fp);
		fclose(fp);
	}
	memset(&f->err, 0, sizeof(f->err));
	rc = config_load_file(&f->cfg, path, &f->err);
	assert_int_equal(rc, -EFBIG);
	assert_non_null(strstr(f->err.msg, "big.ini: bigger than 1048576 bytes"));
	unlink(path);

	/* A file right under /: its directory is "/". */
	snprintf(path, sizeof(path), "/volt-config-test.%d.ini", (int)getpid());
	if (access("/", W_OK) == 0) {
		write_file(path, "[vm]\nvcpus = 2\n");
		memset(&f->err, 0, sizeof(f->err));
		rc = config_load_file(&f->cfg, path, &f->err);
		unlink(path);
		assert_int_equal(rc, 0);
		assert_string_equal(f->cfg.base_dir, "/");
		assert_int_equal(f->cfg.vcpus, 2);
	}

	ini = write_tmp("[vm]\n\nvcpus = 0\n");
	memset(&f->err, 0, sizeof(f->err));
	rc = config_load_file(&f->cfg, ini, &f->err);
	snprintf(path, sizeof(path), "%s:3: vcpus: 0 is out of range (1 to 32)", ini);
	assert_err(f, rc, path);
	unlink(ini);
	free(ini);
}

/* ---- config_set ---- */

static void test_config_set(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(config_set(&f->cfg, "vm", "vcpus", "4", &f->err), 0);
	assert_int_equal(f->cfg.vcpus, 4);
	assert_err(f, config_set(&f->cfg, "vm", "vcpus", "four", &f->err),
		   "vcpus: 'four' is not a number");
	memset(&f->err, 0, sizeof(f->err));
	assert_err(f, config_set(&f->cfg, "vm", "colour", "blue", &f->err),
		   "colour: unknown key in [vm]*");
	memset(&f->err, 0, sizeof(f->err));
	assert_err(f, config_set(&f->cfg, "vmm", "vcpus", "1", &f->err),
		   "vcpus: [vmm]: unknown section");
	/* Replacing the default cmdline twice must neither leak nor double-free. */
	assert_int_equal(config_set(&f->cfg, "vm", "cmdline", "a", &f->err), 0);
	assert_int_equal(config_set(&f->cfg, "vm", "cmdline", "b", &f->err), 0);
	assert_string_equal(f->cfg.cmdline, "b");
}

/* ---- command line ---- */

static void test_cli_overrides_ini(void **state)
{
	struct fixture *f = *state;
	char text[PATH_MAX + 128];
	char *ini;

	snprintf(text, sizeof(text), "[vm]\nkernel = %s\nvcpus = 2\nmemory_mib = 256\n"
		 "cmdline = from-file\n", f->kernel);
	ini = write_tmp(text);
	{
		/* --config comes last but is still read first. */
		char *argv[] = { "volt", "--vcpus", "4", "--cmdline=from-flag",
				 "--serial-output", "none", "--log-level", "debug",
				 "--config", ini };

		assert_int_equal(from_args(f, ARGC(argv), argv), 0);
	}
	assert_int_equal(f->cfg.vcpus, 4);
	assert_int_equal(f->cfg.memory_mib, 256);
	assert_string_equal(f->cfg.cmdline, "from-flag");
	assert_string_equal(f->cfg.kernel, f->kernel);
	assert_string_equal(f->cfg.serial_output, "none");
	assert_int_equal(f->cfg.log_level, LOG_DEBUG);
	assert_string_equal(f->cfg.origin.vcpus, "--vcpus");
	assert_string_equal(f->cfg.path, ini);
	{
		/* Later flags win over earlier ones. */
		char *argv[] = { "volt", "--config", ini, "--memory", "512", "--memory", "1024" };

		assert_int_equal(from_args(f, ARGC(argv), argv), 0);
		assert_int_equal(f->cfg.memory_mib, 1024);
		assert_int_equal(f->cfg.vcpus, 2);
	}
	unlink(ini);
	free(ini);
}

static void test_cli_kernel_pages(void **state)
{
	struct fixture *f = *state;
	char text[PATH_MAX + 64];
	char *ini;

	snprintf(text, sizeof(text), "[vm]\nkernel = %s\nkernel_pages = shared\n", f->kernel);
	ini = write_tmp(text);
	{
		char *argv[] = { "volt", "--config", ini };

		assert_int_equal(from_args(f, ARGC(argv), argv), 0);
		assert_int_equal(f->cfg.kernel_pages, 1);
	}
	{
		/* The flag overrides the file, wherever --config stands. */
		char *argv[] = { "volt", "--kernel-pages", "private", "--config", ini };

		assert_int_equal(from_args(f, ARGC(argv), argv), 0);
		assert_int_equal(f->cfg.kernel_pages, 0);
		assert_string_equal(f->cfg.origin.kernel_pages, "--kernel-pages");
	}
	{
		char *argv[] = { "volt", "--kernel", f->kernel, "--kernel-pages=shared" };

		assert_int_equal(from_args(f, ARGC(argv), argv), 0);
		assert_int_equal(f->cfg.kernel_pages, 1);
	}
	unlink(ini);
	free(ini);
}

static void test_cli_without_config(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "volt", "--kernel", f->kernel, "--initrd", f->kernel,
			 "--plugin-dir", f->dir, "--vcpus", "32", "--memory", "16",
			 "--poll-us", "0", "--huge-pages", "never" };

	assert_int_equal(from_args(f, ARGC(argv), argv), 0);
	assert_int_equal(f->cfg.huge_pages, 2);
	assert_string_equal(f->cfg.kernel, f->kernel);
	assert_string_equal(f->cfg.initrd, f->kernel);
	assert_string_equal(f->cfg.plugin_dir, f->dir);
	assert_int_equal(f->cfg.vcpus, 32);
	assert_int_equal(f->cfg.memory_mib, 16);
	assert_int_equal(f->cfg.poll_us, 0);
	assert_null(f->cfg.path);
}

static void test_cli_help_version(void **state)
{
	struct fixture *f = *state;
	char *help[] = { "volt", "--vcpus", "abc", "--help" };
	char *shorth[] = { "volt", "-h" };
	char *version[] = { "volt", "--version" };
	char *shortv[] = { "volt", "-V" };

	/* Help wins even over bad values: they are not read at all. */
	assert_int_equal(from_args(f, ARGC(help), help), 1);
	assert_int_equal(from_args(f, ARGC(shorth), shorth), 1);
	assert_int_equal(from_args(f, ARGC(version), version), 1);
	assert_int_equal(from_args(f, ARGC(shortv), shortv), 1);
	assert_int_equal(f->err.code, 0);
}

static void test_cli_bad_values(void **state)
{
	struct fixture *f = *state;
	char *vcpus[] = { "volt", "--kernel", f->kernel, "--vcpus", "abc" };
	char *mem[] = { "volt", "--memory", "8" };
	char *level[] = { "volt", "--log-level", "loud" };
	char *serial[] = { "volt", "--serial-output", "" };
	char *poll[] = { "volt", "--kernel", f->kernel, "--poll-us", "5000" };
	char *pages[] = { "volt", "--kernel", f->kernel, "--kernel-pages", "cow" };
	char *nopages[] = { "volt", "--kernel", f->kernel, "--kernel-pages=" };
	char *missing[] = { "volt", "--kernel", f->kernel, "--kernel-pages" };

	assert_err(f, from_args(f, ARGC(vcpus), vcpus), "--vcpus: 'abc' is not a number");
	assert_err(f, from_args(f, ARGC(mem), mem), "--memory: 8 is out of range (16 to 262144)");
	assert_err(f, from_args(f, ARGC(level), level),
		   "--log-level: 'loud' is not one of error, warn, info, debug");
	assert_err(f, from_args(f, ARGC(serial), serial), "--serial-output: no value*");
	assert_err(f, from_args(f, ARGC(poll), poll), "--poll-us: 5000 is out of range (0 to 1000)");
	assert_err(f, from_args(f, ARGC(pages), pages),
		   "--kernel-pages: 'cow' is not one of private, shared");
	assert_err(f, from_args(f, ARGC(nopages), nopages),
		   "--kernel-pages: no value (expected one of private, shared)");
	assert_err(f, from_args(f, ARGC(missing), missing), "--kernel-pages: needs a value");
	/* A good flag after a bad one does not undo the refusal. */
	{
		char *then_good[] = { "volt", "--kernel", f->kernel, "--vcpus", "abc", "--memory",
				      "64" };

		assert_err(f, from_args(f, ARGC(then_good), then_good),
			   "--vcpus: 'abc' is not a number");
	}
}

static void test_cli_bad_usage(void **state)
{
	struct fixture *f = *state;
	char *unknown[] = { "volt", "--kernel", "k", "--bogus=1" };
	char *ushort[] = { "volt", "-x" };
	char *missing[] = { "volt", "--kernel" };
	char *positional[] = { "volt", "--vcpus", "2", "vmlinux" };
	char *twice[] = { "volt", "--config", "a.ini", "--config", "b.ini" };
	char *noconf[] = { "volt", "--config", "/nonexistent.ini", "--kernel", "k" };
	char *noarg[] = { "volt", "--help=yes" };
	char *noargs[][3] = { { "volt", "--kernel=k", "--no-seccomp=1" },
			      { "volt", "--kernel=k", "--list-plugins=yes" },
			      { "volt", "--kernel=k", "--print-sandbox-policy=x" },
			      { "volt", "--kernel=k", "--no-landlock=" } };
	const char *noargs_err[] = { "--no-seccomp: takes no value", "--list-plugins: takes no value",
				     "--print-sandbox-policy: takes no value",
				     "--no-landlock: takes no value" };

	assert_err(f, from_args(f, ARGC(unknown), unknown), "--bogus: unknown flag*");
	assert_err(f, from_args(f, ARGC(ushort), ushort), "-x: unknown flag*");
	assert_err(f, from_args(f, ARGC(missing), missing), "--kernel: needs a value");
	assert_err(f, from_args(f, ARGC(positional), positional),
		   "vmlinux: unexpected argument*");
	assert_err(f, from_args(f, ARGC(twice), twice), "--config: given twice");
	assert_err(f, from_args(f, ARGC(noconf), noconf),
		   "config file /nonexistent.ini: No such file or directory");
	assert_err(f, from_args(f, ARGC(noarg), noarg), "--help: takes no value");
	/* Every flag that takes no value says so, not that it is unknown. */
	for (size_t i = 0; i < sizeof(noargs) / sizeof(noargs[0]); i++)
		assert_err(f, from_args(f, ARGC(noargs[i]), noargs[i]), noargs_err[i]);
}

/* ---- validation ---- */

static void test_validate_no_kernel(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "volt" };

	assert_err(f, from_args(f, ARGC(argv), argv),
		   "no kernel: set [vm] kernel in the INI file or pass --kernel");
	assert_int_equal(f->err.code, EINVAL);
}

static void test_validate_missing_kernel(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "volt", "--kernel", "/nonexistent/vmlinux" };
	char want[PATH_MAX + 64];
	char *ini;
	int rc;

	assert_err(f, from_args(f, ARGC(argv), argv),
		   "--kernel: /nonexistent/vmlinux: No such file or directory");
	assert_int_equal(f->err.code, ENOENT);

	/* From a file, the message points at the line. */
	ini = write_tmp("; test\n[vm]\nkernel = /nonexistent/vmlinux\n");
	config_free(&f->cfg);
	config_init(&f->cfg);
	memset(&f->err, 0, sizeof(f->err));
	assert_int_equal(config_load_file(&f->cfg, ini, &f->err), 0);
	rc = config_validate(&f->cfg, &f->err);
	snprintf(want, sizeof(want), "%s:3: kernel: /nonexistent/vmlinux: No such file or "
		 "directory", ini);
	assert_err(f, rc, want);
	unlink(ini);
	free(ini);
}

static void test_validate_directory_kernel(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "volt", "--kernel", f->dir };
	char *initrd[] = { "volt", "--kernel", f->kernel, "--initrd", f->dir };
	char *plugins[] = { "volt", "--kernel", f->kernel, "--plugin-dir", f->kernel };
	char *dev[] = { "volt", "--kernel", "/dev/null" };
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "--kernel: %s: is a directory, not a file", f->dir);
	assert_err(f, from_args(f, ARGC(argv), argv), want);
	snprintf(want, sizeof(want), "--initrd: %s: is a directory, not a file", f->dir);
	assert_err(f, from_args(f, ARGC(initrd), initrd), want);
	snprintf(want, sizeof(want), "--plugin-dir: %s: not a directory", f->kernel);
	assert_err(f, from_args(f, ARGC(plugins), plugins), want);
	assert_err(f, from_args(f, ARGC(dev), dev), "--kernel: /dev/null: not a regular file");
}

static void test_validate_unreadable_kernel(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "volt", "--kernel", f->kernel };
	char want[PATH_MAX + 64];

	pid_t pid;
	int status;

	assert_int_equal(chmod(f->kernel, 0), 0);
	/* nobody may look into the directory: the file's own mode refuses. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	snprintf(want, sizeof(want), "--kernel: %s: Permission denied", f->kernel);
	if (geteuid() != 0) {
		assert_err(f, from_args(f, ARGC(argv), argv), want);
		return;
	}
	/* root reads any file: check as nobody, in a child (no cmocka there). */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(from_args(f, ARGC(argv), argv) < 0 && !strcmp(f->err.msg, want) ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* from_args as nobody, in a child (root passes every mode check): 0 if it
 * fails with exactly `want`. */
static int from_args_as_nobody(struct fixture *f, int argc, char **argv, const char *want)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (from_args(f, argc, argv) >= 0)
			_exit(3);
		if (strcmp(f->err.msg, want)) {
			fprintf(stderr, "got \"%s\", want \"%s\"\n", f->err.msg, want);
			_exit(4);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The plugin directory must be listable and searchable; serial output a
 * file volt may write. */
static void test_validate_access(void **state)
{
	struct fixture *f = *state;
	char plugins[PATH_MAX + 16], out[PATH_MAX + 16], want[2 * PATH_MAX];
	char *dir_argv[] = { "volt", "--kernel", f->kernel, "--plugin-dir", plugins };
	char *out_argv[] = { "volt", "--kernel", f->kernel, "--serial-output", out };

	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(f->kernel, 0644), 0);
	snprintf(plugins, sizeof(plugins), "%s/plugins", f->dir);
	assert_int_equal(mkdir(plugins, 0700), 0);
	snprintf(want, sizeof(want), "--plugin-dir: %s: Permission denied", plugins);
	assert_int_equal(from_args_as_nobody(f, ARGC(dir_argv), dir_argv, want), 0);
	snprintf(out, sizeof(out), "%s/guest.log", f->dir);
	write_file(out, "");
	assert_int_equal(chmod(out, 0644), 0);
	snprintf(want, sizeof(want), "--serial-output: %s: Permission denied", out);
	assert_int_equal(from_args_as_nobody(f, ARGC(out_argv), out_argv, want), 0);
	/* A new file right under /: its directory is "/", not "". */
	snprintf(out, sizeof(out), "/volt-test-no-such-output.%d", (int)getpid());
	assert_int_equal(from_args(f, ARGC(out_argv), out_argv), 0);
	assert_int_equal(access(out, F_OK), -1); /* checked, not created */
}

/* Asking about plugins needs no kernel; the lowest log level is a level. */
static void test_cli_no_kernel_needed(void **state)
{
	struct fixture *f = *state;
	char *list[] = { "volt", "--list-plugins", "--log-level", "error" };
	char *help[] = { "volt", "--help-plugin", "virtio-blk" };
	char *none[] = { "volt", "--log-level", "warn" };

	assert_int_equal(from_args(f, ARGC(list), list), 0);
	assert_true(f->cfg.list_plugins);
	assert_int_equal(f->cfg.log_level, LOG_ERROR);
	assert_int_equal(from_args(f, ARGC(help), help), 0);
	assert_string_equal(f->cfg.help_plugin, "virtio-blk");
	assert_err(f, from_args(f, ARGC(none), none),
		   "no kernel: set [vm] kernel in the INI file or pass --kernel");
}

static void test_validate_ranges(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(config_set(&f->cfg, "vm", "kernel", f->kernel, &f->err), 0);
	f->cfg.vcpus = 0;
	assert_err(f, config_validate(&f->cfg, &f->err), "vcpus: 0 is out of range (1 to 32)");
	/* Each field set by hand (the API's way), at the edge of its range. */
	f->cfg.vcpus = 33;
	memset(&f->err, 0, sizeof(f->err));
	assert_err(f, config_validate(&f->cfg, &f->err), "vcpus: 33 is out of range (1 to 32)");
	f->cfg.vcpus = 32;
	assert_int_equal(config_validate(&f->cfg, NULL), 0);
	f->cfg.memory_mib = 15;
	memset(&f->err, 0, sizeof(f->err));
	assert_err(f, config_validate(&f->cfg, &f->err),
		   "memory_mib: 15 is out of range (16 to 262144)");
	f->cfg.memory_mib = 256 * 1024 + 1;
	assert_true(config_validate(&f->cfg, NULL) < 0);
	f->cfg.memory_mib = 16;
	f->cfg.poll_us = 1001;
	memset(&f->err, 0, sizeof(f->err));
	assert_err(f, config_validate(&f->cfg, &f->err), "poll_us: 1001 is out of range (0 to 1000)");
	f->cfg.poll_us = 1000;
	assert_int_equal(config_validate(&f->cfg, NULL), 0);
	config_set(&f->cfg, "vm", "cmdline", "x", NULL);
	free(f->cfg.cmdline);
	f->cfg.cmdline = NULL;
	memset(&f->err, 0, sizeof(f->err));
	assert_err(f, config_validate(&f->cfg, &f->err), "cmdline: not set");
}

/* The user is resolved once, here: the switch to it uses these ids. */
static void test_validate_resolves_user(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(config_set(&f->cfg, "vm", "kernel", f->kernel, &f->err), 0);
	assert_int_equal(config_set(&f->cfg, "sandbox", "user", "4321:8765", &f->err), 0);
	assert_int_equal(config_validate(&f->cfg, &f->err), 0);
	assert_int_equal(f->cfg.sandbox_ids.uid, 4321);
	assert_int_equal(f->cfg.sandbox_ids.gid, 8765);
	assert_int_equal(config_set(&f->cfg, "sandbox", "user", "0", &f->err), 0);
	assert_err(f, config_validate(&f->cfg, &f->err), "user = 0: *");
}

/* ---- cleanup ---- */

static void test_free_partial(void **state)
{
	struct fixture *f = *state;

	/* Fails half way: everything read so far must still be freed. */
	load_fails(f, "[vm]\nkernel = k\ncmdline = c\n[drive \"a\"]\npath = p\n"
		      "[serial]\noutput = o\n[net \"n\"]\nx = 1\nx = 2\n",
		   "t.ini:10: x: duplicate key*");
	config_free(&f->cfg);
	config_free(&f->cfg);
	assert_null(f->cfg.kernel);
	assert_int_equal(f->cfg.ninstances, 0);
	config_init(&f->cfg);
}

static void test_example_file(void **state)
{
	struct fixture *f = *state;
	const char *tail = strstr(__FILE__, "tests/unit/test_config.c");
	char path[PATH_MAX];
	char *argv[] = { "volt", "--config", path };
	int rc;

	assert_non_null(tail);
	snprintf(path, sizeof(path), "%.*sexamples/hello.ini", (int)(tail - __FILE__), __FILE__);
	rc = from_args(f, ARGC(argv), argv);

	/* The guest may not be built in this tree: only a missing kernel may fail. */
	if (rc < 0)
		assert_non_null(strstr(f->err.msg, "hello.ini:9: kernel: "));
	assert_int_equal(f->cfg.memory_mib, 128);
	assert_int_equal(f->cfg.vcpus, 1);
	assert_null(f->cfg.serial_output);
	assert_non_null(strstr(f->cfg.kernel, "/examples/../build/tests/guests/hello"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_defaults),
		T(test_memory_ok),
		T(test_memory_bad),
		T(test_vcpus),
		T(test_poll_us),
		T(test_kernel_pages),
		T(test_kernel_pages_bad),
		T(test_huge_pages),
		T(test_kernel_initrd),
		T(test_cmdline),
		T(test_long_line_refused),
		T(test_serial_output),
		T(test_plugins_dir),
		T(test_unknown_key),
		T(test_unknown_section),
		T(test_duplicate_key),
		T(test_syntax_errors),
		T(test_line_numbers),
		T(test_bom_header),
		T(test_instances),
		T(test_instance_device),
		T(test_instance_bad_id),
		T(test_instance_duplicates),
		T(test_relative_paths),
		T(test_serial_words_not_resolved),
		T(test_load_file_errors),
		T(test_config_set),
		T(test_cli_overrides_ini),
		T(test_cli_kernel_pages),
		T(test_cli_without_config),
		T(test_cli_help_version),
		T(test_cli_bad_values),
		T(test_cli_bad_usage),
		T(test_validate_no_kernel),
		T(test_validate_missing_kernel),
		T(test_validate_directory_kernel),
		T(test_validate_unreadable_kernel),
		T(test_validate_ranges),
		T(test_validate_resolves_user),
		T(test_validate_access),
		T(test_cli_no_kernel_needed),
		T(test_free_partial),
		T(test_example_file),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
