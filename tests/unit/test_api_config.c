/* Unit tests for the configuration the API relies on: --api-sock and
 * [api] socket, a kernel that may come later, and instances set from
 * outside a file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "plugin/keys.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int setup(void **state)
{
	struct volt_config *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	config_init(cfg);
	*state = cfg;
	return 0;
}

static int teardown(void **state)
{
	config_free(*state);
	free(*state);
	return 0;
}

static void test_flag_without_kernel(void **state)
{
	struct volt_config *cfg = *state;
	struct volt_err err = { 0 };
	char *argv[] = { "volt", "--api-sock", "/tmp/volt-test.sock" };

	/* The API may give the kernel later: no kernel is no error here. */
	assert_int_equal(config_from_args(cfg, ARGC(argv), argv, &err), 0);
	assert_string_equal(cfg->api_sock, "/tmp/volt-test.sock");
	assert_null(cfg->kernel);
	assert_string_equal(cfg->origin.api_sock, "--api-sock");
}

static void test_no_api_still_needs_kernel(void **state)
{
	struct volt_config *cfg = *state;
	struct volt_err err = { 0 };
	char *argv[] = { "volt", "--vcpus", "2" };

	assert_true(config_from_args(cfg, ARGC(argv), argv, &err) < 0);
	assert_non_null(strstr(err.msg, "no kernel"));
}

static void test_api_kernel_still_checked(void **state)
{
	struct volt_config *cfg = *state;
	struct volt_err err = { 0 };
	char *argv[] = { "volt", "--api-sock", "/tmp/x.sock", "--kernel", "/nonexistent/vmlinux" };

	/* A kernel that is given must still exist. */
	assert_true(config_from_args(cfg, ARGC(argv), argv, &err) < 0);
	assert_non_null(strstr(err.msg, "--kernel: /nonexistent/vmlinux"));
}

static void test_ini_section(void **state)
{
	struct volt_config *cfg = *state;
	struct volt_err err = { 0 };

	assert_int_equal(config_load_string(cfg, "t.ini", "[api]\nsocket = /run/v.sock\n", &err), 0);
	assert_string_equal(cfg->api_sock, "/run/v.sock");
	assert_string_equal(cfg->origin.api_sock, "t.ini:2: socket");
	assert_true(config_load_string(cfg, "u.ini", "[api]\nsock = /x\n", &err) < 0);
	assert_non_null(strstr(err.msg, "u.ini:2: sock: unknown key in [api] (known: socket)"));
}

static void test_ini_section_relative(void **state)
{
	struct volt_config *cfg = *state;
	struct volt_err err = { 0 };
	char dir[] = "/tmp/volt-apicfg-XXXXXX", path[64];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[api]\nsocket = api.sock\n", f);
	fclose(f);
	/* Relative to the file, as every other path in it. */
	assert_int_equal(config_load_file(cfg, path, &err), 0);
	assert_true(strncmp(cfg->api_sock, "/tmp/volt-apicfg-", 17) == 0);
	assert_non_null(strstr(cfg->api_sock, "/api.sock"));
	unlink(path);
	rmdir(dir);
}

static void test_instance_set_and_replace(void **state)
{
	struct volt_config *cfg = *state;
	struct volt_err err = { 0 };
	const struct config_kv a[] = { { "plugin", "virtio-blk", 0 }, { "path", "/a.img", 0 } };
	const struct config_kv b[] = { { "plugin", "virtio-blk", 0 }, { "path", "/b.img", 0 },
				       { "read_only", "true", 0 } };
	struct config_instance *inst;

	assert_int_equal(config_load_string(cfg, "t.ini",
					    "[net \"eth0\"]\nplugin = virtio-net\n", &err), 0);
	assert_int_equal(config_instance_set(cfg, "drive", "root", NULL, a, 2, &err), 0);
	assert_int_equal(cfg->ninstances, 2);
	inst = config_instance_find(cfg, "drive", "root");
	assert_non_null(inst);
	assert_int_equal(inst->nkvs, 2);
	assert_string_equal(inst->kvs[1].value, "/a.img");
	/* Replacing keeps the place; only the values change. */
	assert_int_equal(config_instance_set(cfg, "drive", "root", NULL, b, 3, &err), 0);
	assert_int_equal(cfg->ninstances, 2);
	assert_ptr_equal(config_instance_find(cfg, "drive", "root"), &cfg->instances[1]);
	assert_int_equal(cfg->instances[1].nkvs, 3);
	assert_string_equal(cfg->instances[1].kvs[2].key, "read_only");
	assert_null(config_instance_find(cfg, "drive", "eth0"));
	assert_non_null(config_instance_find(cfg, "net", "eth0"));
	/* A section from the file has its line until it is replaced. */
	assert_int_equal(cfg->instances[0].line, 1);
	assert_int_equal(config_instance_set(cfg, "net", "eth0", NULL, a, 1, &err), 0);
	assert_int_equal(cfg->instances[0].line, 0);
	assert_int_equal(cfg->instances[0].nkvs, 1);
}

/* A file's section the API replaced: its errors name the request, not the
 * file's line, which set values the request dropped. */
static void test_instance_replaced_names_request(void **state)
{
	static const struct volt_key blk_keys[] = {
		{ .name = "path", .type = VOLT_KEY_PATH, .flags = VOLT_KEY_REQUIRED, .help = "p" },
	};
	const struct config_kv kv[] = { { "plugin", "virtio-blk", 0 } };
	const struct keys_origin origin = { .file = "a.ini" };
	struct keys_user user = { .plugin = "virtio-blk", .keys = blk_keys, .nkeys = 1 };
	struct volt_config *cfg = *state;
	struct volt_err err = { 0 };

	assert_int_equal(config_load_string(cfg, "a.ini", "[vm]\nvcpus = 1\n[drive \"r\"]\n"
					    "path = /r.img\n", &err), 0);
	assert_int_equal(config_instance_set(cfg, "drive", "r", "PUT /drives/r", kv, 1, &err), 0);
	assert_int_equal(keys_check_section(config_instance_find(cfg, "drive", "r"), &origin,
					    &user, 1, &err), -EINVAL);
	assert_string_equal(err.msg, "PUT /drives/r: [drive \"r\"]: path is required by "
			    "virtio-blk");
	keys_values_free(&user);
}

static void test_instance_move_first(void **state)
{
	struct volt_config *cfg = *state;
	struct volt_err err = { 0 };
	const struct config_kv kv[] = { { "plugin", "virtio-blk", 0 } };

	assert_int_equal(config_load_string(cfg, "t.ini",
					    "[net \"eth0\"]\nplugin = virtio-net\n", &err), 0);
	assert_int_equal(config_instance_set(cfg, "drive", "data", NULL, kv, 1, &err), 0);
	assert_int_equal(config_instance_set(cfg, "drive", "scratch", NULL, kv, 1, &err), 0);
	assert_int_equal(config_instance_set(cfg, "drive", "root", NULL, kv, 1, &err), 0);
	config_instance_move_first(cfg, "drive", "root");
	/* Before the other drives; instances of other kinds keep their places. */
	assert_string_equal(cfg->instances[0].id, "eth0");
	assert_string_equal(cfg->instances[1].id, "root");
	assert_string_equal(cfg->instances[2].id, "data");
	assert_string_equal(cfg->instances[3].id, "scratch");
	/* Already first, or absent: nothing moves. */
	config_instance_move_first(cfg, "drive", "root");
	config_instance_move_first(cfg, "drive", "nope");
	assert_string_equal(cfg->instances[1].id, "root");
	assert_string_equal(cfg->instances[3].id, "scratch");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_flag_without_kernel),
		T(test_no_api_still_needs_kernel),
		T(test_api_kernel_still_checked),
		T(test_ini_section),
		T(test_ini_section_relative),
		T(test_instance_set_and_replace),
		T(test_instance_replaced_names_request),
		T(test_instance_move_first),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
