/* Unit tests for the API's request layer: routing, Firecracker's refusal
 * rules, and what each resource does to the configuration (the sections
 * the plugin loader will read, the command line InstanceStart makes). No
 * socket, no VM: InstanceStart has nobody to hand over to, so it only
 * checks the configuration and marks the VM running. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api/handlers.h"
#include "api/json.h"

struct fixture {
	struct volt_config cfg;
	struct api_ctx ctx;
	struct api_response resp;
	char dir[64];
	char kernel[96];
	char disk[96];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/volt-api-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->kernel, sizeof(f->kernel), "%s/vmlinux", f->dir);
	snprintf(f->disk, sizeof(f->disk), "%s/disk.img", f->dir);
	write_file(f->kernel, "kernel");
	write_file(f->disk, "disk");
	config_init(&f->cfg);
	f->cfg.api_sock = strdup("/tmp/unused.sock");
	assert_int_equal(api_ctx_init(&f->ctx, &f->cfg, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];

	free(f->resp.body);
	api_ctx_fini(&f->ctx);
	config_free(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* One request; returns the status, the body stays in f->resp. */
static unsigned req(struct fixture *f, enum api_method m, const char *path, const char *body)
{
	static const char *const names[] = { [API_GET] = "GET", [API_PUT] = "PUT",
					      [API_PATCH] = "PATCH" };
	struct api_request r = {
		.method = m, .method_name = m == API_OTHER ? "DELETE" : names[m], .path = path,
		.body = body, .body_len = body ? strlen(body) : 0,
	};

	free(f->resp.body);
	memset(&f->resp, 0, sizeof(f->resp));
	api_dispatch(&f->ctx, &r, &f->resp);
	return f->resp.status;
}

/* The response body matches a glob pattern. */
#define assert_body(f, pattern) \
	do { \
		if (fnmatch((pattern), (f)->resp.body ? (f)->resp.body : "", 0)) \
			fail_msg("body '%s' does not match '%s'", (f)->resp.body, (pattern)); \
	} while (0)

static const char *kv(const struct config_instance *inst, const char *key)
{
	for (size_t i = 0; i < inst->nkvs; i++)
		if (!strcmp(inst->kvs[i].key, key))
			return inst->kvs[i].value;
	return NULL;
}

static void put_kernel(struct fixture *f)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"kernel_image_path\": \"%s\", \"boot_args\": \"console=ttyS0\"}",
		 f->kernel);
	assert_int_equal(req(f, API_PUT, "/boot-source", body), 204);
}

/* ---- routing ---- */

static void test_routes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(req(f, API_GET, "/", NULL), 200);
	assert_body(f, "{\"id\":\"anonymous-instance\",\"state\":\"Not started\",*\"app_name\":\"volt\"}");
	assert_int_equal(req(f, API_GET, "/machine-config/", NULL), 200);   /* one trailing '/' */
	assert_int_equal(req(f, API_GET, "/version", NULL), 200);
	assert_body(f, "{\"firecracker_version\":*");
	assert_int_equal(req(f, API_GET, "/vm/config", NULL), 200);
	assert_int_equal(req(f, API_GET, "/nothing", NULL), 400);
	assert_body(f, "{\"fault_message\":\"Invalid request method and/or path: GET /nothing.\"}");
	assert_int_equal(req(f, API_OTHER, "/", NULL), 400);
	assert_body(f, "*Invalid request method and/or path: DELETE /.*");
	assert_int_equal(req(f, API_GET, "/actions", NULL), 400);
	assert_int_equal(req(f, API_GET, "/vm", NULL), 400);
	assert_int_equal(req(f, API_GET, "/vmm", NULL), 400);
	assert_int_equal(req(f, API_GET, "relative", NULL), 400);
	assert_int_equal(req(f, API_GET, "/", "{}"), 400);
	assert_body(f, "*GET request cannot have a body.*");
	assert_int_equal(req(f, API_PUT, "/actions", NULL), 400);
	assert_body(f, "*Empty PUT request.*");
	assert_int_equal(req(f, API_PATCH, "/vm", NULL), 400);
	assert_body(f, "*Empty PATCH request.*");
	/* Bytes that are not text never reach the JSON answer as they are. */
	assert_int_equal(req(f, API_GET, "/\xff\x01", NULL), 400);
	assert_body(f, "*GET /??.*");
	assert_int_equal(f->ctx.counters.requests, 14);
	assert_int_equal(f->ctx.counters.errors, 10);
}

static void test_ids(void **state)
{
	struct fixture *f = *state;
	char body[256];

	snprintf(body, sizeof(body), "{\"drive_id\": \"a\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\"}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives", body), 400);
	assert_body(f, "*The ID cannot be empty.*");
	assert_int_equal(req(f, API_PUT, "/drives/", body), 400);
	assert_body(f, "*The ID cannot be empty.*");
	assert_int_equal(req(f, API_PUT, "/drives/a-b", body), 400);
	assert_body(f, "*only contain alphanumeric characters and underscores*");
	assert_int_equal(req(f, API_PUT, "/drives/\xc3\xa9", body), 400);
	assert_int_equal(req(f, API_PUT, "/drives/a/b", body), 400);
	assert_body(f, "*Invalid request method and/or path*");
	assert_int_equal(req(f, API_PUT, "/drives/b", body), 400);
	assert_body(f, "*The id from the path does not match the id from the body!*");
	assert_int_equal(req(f, API_PUT, "/drives/a", body), 204);
	assert_true(apij_id_valid("Az_09"));
	assert_false(apij_id_valid(""));
	assert_false(apij_id_valid("a.b"));
}

/* ---- JSON ---- */

static void test_json_strict(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(req(f, API_PUT, "/machine-config",
			     "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"x\": 1}"), 400);
	assert_body(f, "*unknown field `x`, expected one of `vcpu_count`, `mem_size_mib`, *");
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": true, "
			     "\"mem_size_mib\": 64}"), 400);
	assert_body(f, "*field `vcpu_count`: expected a whole number.*");
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": 1}"), 400);
	assert_body(f, "*missing field `mem_size_mib`.*");
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": 1, \"vcpu_count\": 1, "
			     "\"mem_size_mib\": 64}"), 400);
	assert_int_equal(req(f, API_PUT, "/machine-config", "[\"text\"]"), 400);
	assert_body(f, "*expected a JSON object.*");
	assert_int_equal(req(f, API_PUT, "/machine-config", "{"), 400);
	assert_body(f, "{\"fault_message\":\"An error occurred when deserializing the json body "
		       "of a request: *");
	/* null is an absent optional field, as Firecracker's deserializer reads it. */
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": 1, "
			     "\"mem_size_mib\": 64, \"smt\": null}"), 204);
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": null, "
			     "\"mem_size_mib\": 64}"), 400);
}

/* ---- machine-config ---- */

static void test_machine_config(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(req(f, API_GET, "/machine-config", NULL), 200);
	assert_body(f, "{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":false,"
		       "\"track_dirty_pages\":false,\"huge_pages\":\"None\"}");
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": 4, "
			     "\"mem_size_mib\": 256, \"smt\": false, \"track_dirty_pages\": false, "
			     "\"huge_pages\": \"None\", \"cpu_template\": \"None\"}"), 204);
	assert_int_equal(f->cfg.vcpus, 4);
	assert_int_equal(f->cfg.memory_mib, 256);
	assert_string_equal(f->cfg.origin.vcpus, "machine-config: vcpu_count");
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"mem_size_mib\": 512}"), 204);
	assert_int_equal(f->cfg.vcpus, 4);
	assert_int_equal(f->cfg.memory_mib, 512);
	/* Refused whole: nothing changes. */
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": 2, "
			     "\"mem_size_mib\": 8}"), 400);
	assert_body(f, "*memory size*8*16 to 262144*");
	assert_int_equal(f->cfg.vcpus, 4);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"vcpu_count\": -1}"), 400);
	assert_body(f, "*field `vcpu_count`: -1 is negative; expected a whole number.*");
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"vcpu_count\": 0}"), 400);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"vcpu_count\": 33}"), 400);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"mem_size_mib\": 15}"), 400);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"mem_size_mib\": 262145}"), 400);
	assert_int_equal(f->cfg.memory_mib, 512);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"mem_size_mib\": 16}"), 204);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"mem_size_mib\": 262144}"), 204);
	assert_int_equal(f->cfg.memory_mib, 262144);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"mem_size_mib\": 512}"), 204);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"smt\": true}"), 400);
	assert_body(f, "*smt*");
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"track_dirty_pages\": true}"), 400);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"huge_pages\": \"2M\"}"), 400);
	assert_body(f, "*no hugetlbfs guest memory*follow ?vm? huge_pages*");
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"huge_pages\": \"1G\"}"), 400);
	assert_body(f, "*unknown variant `1G`*");
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"cpu_template\": \"T2\"}"), 400);
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{}"), 400);
	assert_body(f, "*Empty PATCH request.*");
	assert_int_equal(f->cfg.vcpus, 4);
	assert_int_equal(f->cfg.memory_mib, 512);
}

/* ---- boot-source and InstanceStart ---- */

static void test_boot_source(void **state)
{
	struct fixture *f = *state;
	char body[512], cwd[256];

	assert_int_equal(req(f, API_PUT, "/boot-source", "{\"kernel_image_path\": \"/nonexistent\"}"),
			 400);
	assert_body(f, "*Invalid kernel path: /nonexistent: No such file or directory*");
	assert_null(f->cfg.kernel);
	/* A file volt cannot read (a write-only sysctl: even root cannot). */
	if (access("/proc/sys/vm/compact_memory", F_OK) == 0 &&
	    access("/proc/sys/vm/compact_memory", R_OK) < 0) {
		assert_int_equal(req(f, API_PUT, "/boot-source", "{\"kernel_image_path\": "
				     "\"/proc/sys/vm/compact_memory\"}"), 400);
		assert_body(f, "*Invalid kernel path: /proc/sys/vm/compact_memory: Permission "
			       "denied*");
	}
	snprintf(body, sizeof(body), "{\"kernel_image_path\": \"%s\", \"initrd_path\": \"%s\"}",
		 f->kernel, f->dir);
	assert_int_equal(req(f, API_PUT, "/boot-source", body), 400);
	assert_body(f, "*Invalid initrd path*not a regular file*");
	snprintf(body, sizeof(body), "{\"kernel_image_path\": \"%s\", \"initrd_path\": \"%s\", "
		 "\"boot_args\": \"console=ttyS0 quiet\"}", f->kernel, f->disk);
	assert_int_equal(req(f, API_PUT, "/boot-source", body), 204);
	assert_string_equal(f->cfg.kernel, f->kernel);
	assert_string_equal(f->cfg.initrd, f->disk);
	assert_string_equal(f->ctx.boot_args, "console=ttyS0 quiet");
	/* A new boot source replaces the old one whole: no initrd, default args.
	 * Relative paths are made absolute against volt's working directory,
	 * as read when the API started (getcwd is not allowed after lockdown). */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_string_equal(f->ctx.cwd, cwd);
	free(f->ctx.cwd);
	f->ctx.cwd = strdup(f->dir);
	assert_int_equal(req(f, API_PUT, "/boot-source", "{\"kernel_image_path\": \"vmlinux\"}"), 204);
	assert_string_equal(f->cfg.kernel, f->kernel);
	assert_null(f->cfg.initrd);
	assert_string_equal(f->ctx.boot_args, "console=ttyS0 reboot=k panic=-1");
}

static int boot_calls;

static int count_boot(void *opaque)
{
	boot_calls++;
	return 0;
}

/* With someone to build the VM, InstanceStart hands over and answers when
 * it is built; meanwhile the configuration being built does not change. */
static void test_instance_start_handed_over(void **state)
{
	struct fixture *f = *state;

	put_kernel(f);
	f->ctx.boot = count_boot;
	boot_calls = 0;
	assert_int_equal(f->ctx.counters.actions, 0);
	req(f, API_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}");
	assert_true(f->resp.pending);
	assert_int_equal(boot_calls, 1);
	assert_int_equal(f->ctx.state, API_VM_STARTING);
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": 2, "
			     "\"mem_size_mib\": 64}"), 400);
	assert_body(f, "*not supported after starting the microVM.*");
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}"), 400);
	assert_int_equal(boot_calls, 1);
	/* Built: running, and the start counts as an action (not before). */
	assert_int_equal(f->ctx.counters.actions, 0);
	api_ctx_boot_done(&f->ctx, NULL, "no KVM here", &f->resp);
	assert_int_equal(f->resp.status, 400);
	assert_int_equal(f->ctx.state, API_VM_NOT_STARTED);
	/* Ctrl-Alt-Del and FlushMetrics count once each they are done. */
	f->ctx.state = API_VM_RUNNING;
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"SendCtrlAltDel\"}"), 204);
	assert_int_equal(f->ctx.counters.actions, 1);
}

static void test_instance_start(void **state)
{
	struct fixture *f = *state;
	char moved[PATH_MAX + 8];

	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}"), 400);
	assert_body(f, "*Cannot start microvm without kernel configuration.*");
	put_kernel(f);
	/* The whole configuration is checked again at the start: the kernel
	 * may have gone since PUT /boot-source. */
	snprintf(moved, sizeof(moved), "%s.moved", f->kernel);
	assert_int_equal(rename(f->kernel, moved), 0);
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}"), 400);
	assert_body(f, "*Cannot start the microVM: *No such file or directory*");
	assert_int_equal(rename(moved, f->kernel), 0);
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"Start\"}"), 400);
	assert_body(f, "*unknown variant `Start`, expected one of `FlushMetrics`, `InstanceStart`, "
		       "`SendCtrlAltDel`.*");
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"SendCtrlAltDel\"}"), 400);
	assert_body(f, "*not supported before starting the microVM.*");
	assert_int_equal(req(f, API_PATCH, "/vm", "{\"state\": \"Paused\"}"), 400);
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}"), 204);
	assert_int_equal(f->ctx.state, API_VM_RUNNING);
	assert_string_equal(f->cfg.cmdline, "console=ttyS0");
	assert_int_equal(req(f, API_GET, "/", NULL), 200);
	assert_body(f, "*\"state\":\"Running\"*");
	/* Pre-boot only from here on; the body is still checked first. */
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}"), 400);
	assert_body(f, "*not supported after starting the microVM.*");
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": 1}"), 400);
	assert_body(f, "*missing field*");
	assert_int_equal(req(f, API_PUT, "/machine-config", "{\"vcpu_count\": 1, "
			     "\"mem_size_mib\": 64}"), 400);
	assert_body(f, "*not supported after starting the microVM.*");
	assert_int_equal(req(f, API_PUT, "/logger", "{}"), 400);
	assert_int_equal(req(f, API_PUT, "/metrics", "{\"metrics_path\": \"/tmp/m\"}"), 400);
	assert_int_equal(req(f, API_PATCH, "/vm", "{\"state\": \"Paused\"}"), 204);
	assert_int_equal(f->ctx.state, API_VM_PAUSED);
	assert_int_equal(req(f, API_PATCH, "/vm", "{\"state\": \"Resumed\"}"), 204);
	assert_int_equal(f->ctx.state, API_VM_RUNNING);
	assert_int_equal(req(f, API_PATCH, "/vm", "{\"state\": \"Halted\"}"), 400);
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"SendCtrlAltDel\"}"), 204);
}

/* ---- drives ---- */

static void test_drives(void **state)
{
	struct fixture *f = *state;
	const struct config_instance *inst;
	char body[512];

	put_kernel(f);
	snprintf(body, sizeof(body), "{\"drive_id\": \"data\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\", \"is_read_only\": true, \"io_engine\": \"Async\", "
		 "\"volt_keys\": {\"serial\": \"DATA1\"}}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/data", body), 204);
	snprintf(body, sizeof(body), "{\"drive_id\": \"rootfs\", \"is_root_device\": true, "
		 "\"path_on_host\": \"%s\", \"cache_type\": \"Writeback\"}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/rootfs", body), 204);
	inst = config_instance_find(&f->cfg, "drive", "data");
	assert_non_null(inst);
	assert_string_equal(kv(inst, "plugin"), "virtio-blk");
	assert_string_equal(kv(inst, "path"), f->disk);
	assert_string_equal(kv(inst, "read_only"), "true");
	assert_string_equal(kv(inst, "serial"), "DATA1");
	assert_null(kv(inst, "cache"));
	assert_int_equal(req(f, API_GET, "/vm/config", NULL), 200);
	assert_body(f, "*\"drives\":\\[{\"drive_id\":\"data\",\"is_root_device\":false,"
		       "\"cache_type\":\"Unsafe\",\"is_read_only\":true,*\"io_engine\":\"Async\","
		       "\"volt_plugin\":\"virtio-blk\",\"volt_keys\":{\"serial\":\"DATA1\"}},"
		       "{\"drive_id\":\"rootfs\",\"is_root_device\":true,\"cache_type\":\"Writeback\"*");
	/* Each value as given, not only the defaults. */
	snprintf(body, sizeof(body), "{\"drive_id\": \"scratch\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\", \"is_read_only\": false, \"cache_type\": \"Unsafe\", "
		 "\"io_engine\": \"Sync\"}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/scratch", body), 204);
	assert_string_equal(kv(config_instance_find(&f->cfg, "drive", "scratch"), "read_only"),
			    "false");
	assert_int_equal(req(f, API_GET, "/vm/config", NULL), 200);
	assert_body(f, "*{\"drive_id\":\"scratch\",\"is_root_device\":false,\"cache_type\":"
		       "\"Unsafe\",\"is_read_only\":false,*\"io_engine\":\"Sync\"*");
	/* The root drive: first at boot, named on the command line. */
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}"), 204);
	assert_string_equal(f->cfg.instances[0].id, "rootfs");
	assert_string_equal(f->cfg.cmdline, "console=ttyS0 root=/dev/vda rw");
	/* After boot: only a PATCH that changes nothing Volt cannot change. */
	assert_int_equal(req(f, API_PATCH, "/drives/rootfs", "{\"drive_id\": \"rootfs\"}"), 204);
	snprintf(body, sizeof(body), "{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\"}", f->disk);
	assert_int_equal(req(f, API_PATCH, "/drives/rootfs", body), 204);
	assert_int_equal(req(f, API_PATCH, "/drives/rootfs", "{\"drive_id\": \"rootfs\", "
			     "\"path_on_host\": \"/other.img\"}"), 400);
	assert_body(f, "*virtio-blk*cannot change its backing file*");
	assert_int_equal(req(f, API_PATCH, "/drives/rootfs", "{\"drive_id\": \"rootfs\", "
			     "\"rate_limiter\": {}}"), 400);
	assert_int_equal(req(f, API_PATCH, "/drives/nope", "{\"drive_id\": \"nope\"}"), 400);
	assert_body(f, "*Invalid block device ID: nope.*");
	assert_int_equal(req(f, API_PATCH, "/drives/rootfs", "{\"drive_id\": \"data\"}"), 400);
	assert_body(f, "*The id from the path does not match the id from the body!*");
}

/* An INI file's read_only in any boolean spelling is what the plugin
 * attaches the drive as: GET shows it, and a root drive is "ro". */
static void test_drive_ini_read_only(void **state)
{
	struct fixture *f = *state;
	struct volt_err err = { 0 };
	struct config_instance *inst;
	char ini[512], body[512];

	snprintf(ini, sizeof(ini), "[drive \"d\"]\npath = %s\nread_only = yes\n"
		 "[drive \"w\"]\npath = %s\nread_only = off\n", f->disk, f->disk);
	assert_int_equal(config_load_string(&f->cfg, "a.ini", ini, &err), 0);
	assert_int_equal(req(f, API_GET, "/vm/config", NULL), 200);
	assert_body(f, "*{\"drive_id\":\"d\",*\"is_read_only\":true,*"
		       "{\"drive_id\":\"w\",*\"is_read_only\":false,*");
	put_kernel(f);
	snprintf(body, sizeof(body), "{\"drive_id\": \"r\", \"is_root_device\": true, "
		 "\"path_on_host\": \"%s\", \"is_read_only\": true}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/r", body), 204);
	/* The API writes only "true" and "false"; the root's value is read by
	 * the plugin's parser all the same. */
	inst = config_instance_find(&f->cfg, "drive", "r");
	for (size_t i = 0; i < inst->nkvs; i++)
		if (!strcmp(inst->kvs[i].key, "read_only"))
			strcpy(inst->kvs[i].value, "on");
	assert_true(api_prepare_boot(&f->ctx, &f->resp));
	assert_string_equal(f->cfg.cmdline, "console=ttyS0 root=/dev/vda ro");
}

static void test_drive_refusals(void **state)
{
	struct fixture *f = *state;
	char body[512];

	snprintf(body, sizeof(body), "{\"drive_id\": \"a\", \"is_root_device\": true, "
		 "\"path_on_host\": \"%s\", \"partuuid\": \"1234-01\", \"is_read_only\": true}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/a", body), 204);
	snprintf(body, sizeof(body), "{\"drive_id\": \"b\", \"is_root_device\": true, "
		 "\"path_on_host\": \"%s\"}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/b", body), 400);
	assert_body(f, "*A root block device already exists!*");
	snprintf(body, sizeof(body), "{\"drive_id\": \"b\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\", \"volt_keys\": {\"path\": \"/x\"}}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/b", body), 400);
	assert_body(f, "*volt_keys: 'path' is set by its own field*");
	snprintf(body, sizeof(body), "{\"drive_id\": \"b\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\", \"volt_keys\": {\"Bad\": \"x\"}}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/b", body), 400);
	snprintf(body, sizeof(body), "{\"drive_id\": \"b\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\", \"volt_keys\": {\"n\": [1]}}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/b", body), 400);
	snprintf(body, sizeof(body), "{\"drive_id\": \"b\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\", \"volt_plugin\": \"Bad_Name\"}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/b", body), 400);
	assert_int_equal(req(f, API_PUT, "/drives/b", "{\"drive_id\": \"b\", \"is_root_device\": "
			     "false}"), 400);
	assert_body(f, "*missing field `path_on_host`*");
	assert_int_equal(req(f, API_PUT, "/drives/b", "{\"drive_id\": \"b\", \"is_root_device\": "
			     "false, \"socket\": \"/run/vhost.sock\"}"), 400);
	assert_body(f, "*socket: Volt has no vhost-user block devices*");
	/* The backing file: writable unless read-only (the sysctl is read-only
	 * even to root), and a file or a block device. */
	if (access("/proc/sys/kernel/osrelease", W_OK) < 0) {
		assert_int_equal(req(f, API_PUT, "/drives/b", "{\"drive_id\": \"b\", "
				     "\"is_root_device\": false, \"path_on_host\": "
				     "\"/proc/sys/kernel/osrelease\"}"), 400);
		assert_body(f, "*Unable to open the drive's backing file "
			       "/proc/sys/kernel/osrelease: Permission denied*");
		assert_int_equal(req(f, API_PUT, "/drives/b", "{\"drive_id\": \"b\", "
				     "\"is_root_device\": false, \"is_read_only\": true, "
				     "\"path_on_host\": \"/proc/sys/kernel/osrelease\"}"), 204);
	}
	assert_int_equal(req(f, API_PUT, "/drives/b", "{\"drive_id\": \"b\", \"is_root_device\": "
			     "false, \"path_on_host\": \"/dev/null\"}"), 400);
	assert_body(f, "*/dev/null is neither a regular file nor a block device.*");
	/* Another plugin may need no file at all. */
	assert_int_equal(req(f, API_PUT, "/drives/b", "{\"drive_id\": \"b\", \"is_root_device\": "
			     "false, \"volt_plugin\": \"ram-disk\", \"volt_keys\": {\"size_mib\": 64}}"),
			 204);
	assert_string_equal(kv(config_instance_find(&f->cfg, "drive", "b"), "size_mib"), "64");
	/* Replacing the root drive with a plain one frees the root role. */
	snprintf(body, sizeof(body), "{\"drive_id\": \"a\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\"}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/a", body), 204);
	put_kernel(f);
	assert_true(api_prepare_boot(&f->ctx, &f->resp));
	assert_string_equal(f->cfg.cmdline, "console=ttyS0");
}

static void test_root_partuuid(void **state)
{
	struct fixture *f = *state;
	char body[512];

	put_kernel(f);
	snprintf(body, sizeof(body), "{\"drive_id\": \"other\", \"is_root_device\": false, "
		 "\"path_on_host\": \"%s\"}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/other", body), 204);
	snprintf(body, sizeof(body), "{\"drive_id\": \"r\", \"is_root_device\": true, "
		 "\"path_on_host\": \"%s\", \"partuuid\": \"0eaa91a0-01\", \"is_read_only\": true}",
		 f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/r", body), 204);
	assert_true(api_prepare_boot(&f->ctx, &f->resp));
	assert_string_equal(f->cfg.cmdline, "console=ttyS0 root=PARTUUID=0eaa91a0-01 ro");
	assert_string_equal(f->cfg.instances[0].id, "r");
	/* Again (a failed start is retried): the root args are not doubled. */
	assert_true(api_prepare_boot(&f->ctx, &f->resp));
	assert_string_equal(f->cfg.cmdline, "console=ttyS0 root=PARTUUID=0eaa91a0-01 ro");
	/* Without a partuuid: the first virtio disk, read-only as asked. */
	snprintf(body, sizeof(body), "{\"drive_id\": \"r\", \"is_root_device\": true, "
		 "\"path_on_host\": \"%s\", \"is_read_only\": true}", f->disk);
	assert_int_equal(req(f, API_PUT, "/drives/r", body), 204);
	assert_true(api_prepare_boot(&f->ctx, &f->resp));
	assert_string_equal(f->cfg.cmdline, "console=ttyS0 root=/dev/vda ro");
}

/* partuuid goes onto the kernel command line: only what root=PARTUUID=
 * takes is accepted (a space would add kernel parameters; a long one was
 * cut short, dropping "rw"). */
static void test_partuuid_checked(void **state)
{
	static const char *const good[] = {
		"0eaa91a0-01", "5f4e9c3a-8d21-4b7e-9f3a-2c1d0e6b7a90", "0eaa91a0-01/PARTNROFF=1",
		"0eaa91a0-01/PARTNROFF=-2",
	};
	static const char *const bad[] = {
		"", "0eaa91a0-01 init=/bin/sh", "5f4e9c3a-8d21-4b7e-9f3a-2c1d0e6b7a90-0",
		"0eaa91a0-01/PARTNROFF=", "0eaa91a0-01/PARTNROFF=1234", "xyz", "0eaa91a0-01/",
		"5f4e9c3a-8d21-4b7e-9f3a-2c1d0e6b7a90a",      /* 37: one too many */
		"0eaa91a0-01 init=/bin/5",                    /* 11 bytes, then digits */
		"0eaa91a0-01/PARTNROFF=1 init=/bin/sh",       /* more after the offset */
	};
	struct fixture *f = *state;
	char body[512];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(body, sizeof(body), "{\"drive_id\": \"r\", \"is_root_device\": true, "
			 "\"path_on_host\": \"%s\", \"partuuid\": \"%s\"}", f->disk, good[i]);
		assert_int_equal(req(f, API_PUT, "/drives/r", body), 204);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"drive_id\": \"r\", \"is_root_device\": true, "
			 "\"path_on_host\": \"%s\", \"partuuid\": \"%s\"}", f->disk, bad[i]);
		assert_int_equal(req(f, API_PUT, "/drives/r", body), 400);
		assert_body(f, "*partuuid: *is not a partition UUID*");
	}
}

/* ---- network interfaces ---- */

static void test_network(void **state)
{
	struct fixture *f = *state;
	const struct config_instance *inst;

	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", "
			     "\"host_dev_name\": \"tap0\", \"guest_mac\": \"AA:FC:00:00:00:01\", "
			     "\"mtu\": 9000}"), 204);
	inst = config_instance_find(&f->cfg, "net", "eth0");
	assert_non_null(inst);
	assert_string_equal(kv(inst, "plugin"), "virtio-net");
	assert_string_equal(kv(inst, "backend"), "net-tap");
	assert_string_equal(kv(inst, "tap"), "tap0");
	assert_string_equal(kv(inst, "mac"), "AA:FC:00:00:00:01");
	assert_string_equal(kv(inst, "mtu"), "9000");
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth1", "{\"iface_id\": \"eth1\", "
			     "\"host_dev_name\": \"macvtap3\", \"volt_backend\": \"net-macvtap\", "
			     "\"volt_keys\": {\"offloads\": false}}"), 204);
	inst = config_instance_find(&f->cfg, "net", "eth1");
	assert_string_equal(kv(inst, "link"), "macvtap3");
	assert_null(kv(inst, "tap"));
	assert_null(kv(inst, "mtu"));   /* not given: the plugin's default */
	assert_string_equal(kv(inst, "offloads"), "false");
	assert_int_equal(req(f, API_GET, "/vm/config", NULL), 200);
	assert_body(f, "*\"network-interfaces\":\\[{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\","
		       "\"guest_mac\":\"AA:FC:00:00:00:01\",\"mtu\":9000,\"volt_plugin\":\"virtio-net\","
		       "\"volt_backend\":\"net-tap\"},{\"iface_id\":\"eth1\",\"host_dev_name\":"
		       "\"macvtap3\",*\"volt_keys\":{\"offloads\":\"false\"}}\\]*");
	/* Refusals. */
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth2", "{\"iface_id\": \"eth2\", "
			     "\"host_dev_name\": \"tap0\"}"), 400);
	assert_body(f, "*tap0 is already used*");
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth2", "{\"iface_id\": \"eth2\", "
			     "\"host_dev_name\": \"tap2\", \"guest_mac\": \"aa:fc:00:00:00:01\"}"), 400);
	assert_body(f, "*MAC address*already in use*");
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth2", "{\"iface_id\": \"eth2\", "
			     "\"host_dev_name\": \"a-name-far-too-long\"}"), 400);
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth2", "{\"iface_id\": \"eth2\", "
			     "\"host_dev_name\": \"tap2\", \"guest_mac\": \"aa:fc:00:00:00\"}"), 400);
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth2", "{\"iface_id\": \"eth2\", "
			     "\"host_dev_name\": \"tap2\", \"mtu\": 65536}"), 400);
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth2", "{\"iface_id\": \"eth2\", "
			     "\"host_dev_name\": \"tap2\", \"rx_rate_limiter\": {}}"), 400);
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth2", "{\"iface_id\": \"eth2\", "
			     "\"host_dev_name\": \"tap2\", \"volt_keys\": {\"tap\": \"x\"}}"), 400);
	{
		/* Each of these is refused; the body says which field. */
		static const struct {
			const char *fields, *why;
		} bad[] = {
			{ "\"iface_id\": \"eth3\", \"host_dev_name\": \"tap2\"",
			  "*The id from the path does not match the id from the body!*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"\"",
			  "*host_dev_name: '' is not an interface name*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"tap2-sixteen-chr\"",
			  "*host_dev_name: 'tap2-sixteen-chr' is not an interface name*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"a/b\"",
			  "*host_dev_name: 'a/b' is not an interface name*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"tap2\", "
			  "\"guest_mac\": \"aa:fc:00:00:00:01:02\"", "*guest_mac: *is not a MAC address*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"tap2\", "
			  "\"guest_mac\": \"aa-fc-00-00-00-01\"", "*guest_mac: *is not a MAC address*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"tap2\", "
			  "\"guest_mac\": \"zz:fc:00:00:00:01\"", "*guest_mac: *is not a MAC address*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"tap2\", "
			  "\"tx_rate_limiter\": {}", "*tx_rate_limiter: Volt does not limit*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"tap2\", "
			  "\"volt_plugin\": \"Bad_Name\"", "*volt_plugin: 'Bad_Name' is not a plugin name*" },
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"tap2\", "
			  "\"volt_backend\": \"../x\"", "*volt_backend: '../x' is not a plugin name*" },
			/* A macvtap link is the host device of net-macvtap's interfaces. */
			{ "\"iface_id\": \"eth2\", \"host_dev_name\": \"macvtap3\", "
			  "\"volt_backend\": \"net-macvtap\"", "*host device macvtap3 is already used*" },
		};
		char body[256];

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(body, sizeof(body), "{%s}", bad[i].fields);
			if (req(f, API_PUT, "/network-interfaces/eth2", body) != 400)
				fail_msg("%s: %u %s", body, f->resp.status, f->resp.body);
			assert_body(f, bad[i].why);
		}
		/* 15 bytes is the longest interface name. */
		assert_int_equal(req(f, API_PUT, "/network-interfaces/eth2", "{\"iface_id\": "
				     "\"eth2\", \"host_dev_name\": \"tap2-fifteen-ch\"}"), 204);
	}
	/* The same interface again replaces it. */
	assert_int_equal(req(f, API_PUT, "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", "
			     "\"host_dev_name\": \"tap0\"}"), 204);
	assert_null(kv(config_instance_find(&f->cfg, "net", "eth0"), "mac"));
	assert_int_equal(f->cfg.ninstances, 3);
	assert_int_equal(req(f, API_PATCH, "/network-interfaces/eth0", "{\"iface_id\": \"eth0\"}"),
			 400);
	assert_body(f, "*not supported before starting*");
	/* After boot, PATCH changes nothing Volt cannot change. */
	put_kernel(f);
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}"), 204);
	assert_int_equal(req(f, API_PATCH, "/network-interfaces/eth0", "{\"iface_id\": \"eth0\"}"),
			 204);
	assert_int_equal(req(f, API_PATCH, "/network-interfaces/eth0", "{\"iface_id\": \"eth1\"}"),
			 400);
	assert_body(f, "*The id from the path does not match the id from the body!*");
	assert_int_equal(req(f, API_PATCH, "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", "
			     "\"tx_rate_limiter\": {}}"), 400);
	assert_body(f, "*tx_rate_limiter: Volt does not limit interface rates.*");
}

/* ---- logger, metrics ---- */

static void test_logger(void **state)
{
	struct fixture *f = *state;
	enum log_level old = log_get_level();

	assert_int_equal(req(f, API_PUT, "/logger", "{\"level\": \"Verbose\"}"), 400);
	assert_int_equal(req(f, API_PUT, "/logger", "{\"level\": \"warning\", \"show_level\": true, "
			     "\"module\": \"api\"}"), 204);
	assert_int_equal(log_get_level(), LOG_WARN);
	assert_int_equal(req(f, API_GET, "/vm/config", NULL), 200);
	assert_body(f, "*\"logger\":{\"level\":\"Warning\",\"show_level\":true,"
		       "\"show_log_origin\":false,\"module\":\"api\"}*");
	assert_int_equal(req(f, API_PUT, "/logger", "{\"level\": \"Trace\"}"), 204);
	assert_int_equal(log_get_level(), LOG_DEBUG);
	log_set_level(old);
}

static void test_metrics(void **state)
{
	struct fixture *f = *state;
	char body[160], path[96], line[2048];
	json_t *doc;
	FILE *m;

	snprintf(path, sizeof(path), "%s/metrics.json", f->dir);
	snprintf(body, sizeof(body), "{\"metrics_path\": \"%s\"}", path);
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"FlushMetrics\"}"), 400);
	assert_int_equal(req(f, API_PUT, "/metrics", body), 204);
	assert_int_equal(req(f, API_PUT, "/metrics", body), 400);
	assert_body(f, "*Reinitialization of metrics not allowed.*");
	assert_int_equal(req(f, API_PUT, "/actions", "{\"action_type\": \"FlushMetrics\"}"), 204);
	m = fopen(path, "r");
	assert_non_null(m);
	assert_non_null(fgets(line, sizeof(line), m));
	assert_null(fgets(line + strlen(line), (int)(sizeof(line) - strlen(line)), m));
	fclose(m);
	doc = json_loads(line, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "api_server"),
							    "requests")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "api_server"),
							    "errors")), 2);
	assert_true(json_is_array(json_object_get(doc, "vcpus")));
	assert_true(json_is_array(json_object_get(doc, "devices")));
	json_decref(doc);
}

/* ---- JSON helpers ---- */

static void test_apij_string(void **state)
{
	json_t *s = apij_string("a\xff" "b");

	assert_non_null(s);
	assert_string_equal(json_string_value(s), "a?b");
	json_decref(s);
	/* 0x80 is the first byte that is not ASCII. */
	s = apij_string("\x80" "a\x7f");
	assert_non_null(s);
	assert_string_equal(json_string_value(s), "?a\x7f");
	json_decref(s);
	assert_null(apij_string(NULL));
}

/* A field of the wrong JSON type is refused, naming the type it wants. */
static void test_apij_types(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(req(f, API_PUT, "/boot-source", "{\"kernel_image_path\": 5}"), 400);
	assert_body(f, "*field `kernel_image_path`: expected a string.*");
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"smt\": \"false\"}"), 400);
	assert_body(f, "*field `smt`: expected a boolean.*");
	assert_int_equal(req(f, API_PUT, "/drives/a", "{\"drive_id\": \"a\", \"is_root_device\": "
			     "false, \"volt_plugin\": \"ram-disk\", \"volt_keys\": []}"), 400);
	assert_body(f, "*field `volt_keys`: expected an object.*");
	assert_int_equal(req(f, API_PATCH, "/machine-config", "{\"vcpu_count\": \"2\"}"), 400);
	assert_body(f, "*field `vcpu_count`: expected a whole number.*");
	assert_null(config_instance_find(&f->cfg, "drive", "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_routes),
		T(test_ids),
		T(test_json_strict),
		T(test_machine_config),
		T(test_boot_source),
		T(test_instance_start),
		T(test_instance_start_handed_over),
		T(test_drives),
		T(test_drive_ini_read_only),
		T(test_drive_refusals),
		T(test_root_partuuid),
		T(test_partuuid_checked),
		T(test_network),
		T(test_logger),
		T(test_metrics),
		T(test_apij_string),
		T(test_apij_types),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
