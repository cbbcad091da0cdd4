/* Plugin configuration keys: each type, required keys, defaults, bounds,
 * unknown keys, and a [net] section shared by a device and its backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/keys.h"

static const struct volt_key blk_keys[] = {
	{ .name = "path", .type = VOLT_KEY_PATH, .flags = VOLT_KEY_REQUIRED, .help = "image" },
	{ .name = "read_only", .type = VOLT_KEY_BOOL, .default_value = "false", .help = "ro" },
	{ .name = "queue_size", .type = VOLT_KEY_U64, .default_value = "128", .min = 1,
	  .max = 256, .help = "entries" },
	{ .name = "serial", .type = VOLT_KEY_STRING, .help = "serial number" },
};

static const struct volt_key dev_keys[] = {
	{ .name = "mac", .type = VOLT_KEY_MAC, .help = "guest MAC" },
	{ .name = "mtu", .type = VOLT_KEY_U64, .default_value = "1500", .help = "MTU" },
};

static const struct volt_key tap_keys[] = {
	{ .name = "tap", .type = VOLT_KEY_STRING, .flags = VOLT_KEY_REQUIRED, .help = "tap name" },
	{ .name = "mac", .type = VOLT_KEY_MAC, .help = "link MAC" },
};

#define NKEYS(k) (uint32_t)(sizeof(k) / sizeof((k)[0]))

/* A section as the config parser stores it: header on line 10, keys below. */
static struct config_instance section(const char *kind, struct config_kv *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kvs[i].line = 11 + (unsigned)i;
	return (struct config_instance){ .kind = (char *)kind, .id = "x", .line = 10, .kvs = kvs,
					 .nkvs = n };
}

static const struct keys_origin origin = { .file = "vm.ini", .base_dir = NULL };

static void test_parse_bool(void **state)
{
	const char *yes[] = { "true", "YES", "on", "1" }, *no[] = { "false", "No", "off", "0" };
	bool b;

	for (int i = 0; i < 4; i++) {
		assert_true(keys_parse_bool(yes[i], &b));
		assert_true(b);
		assert_true(keys_parse_bool(no[i], &b));
		assert_false(b);
	}
	assert_false(keys_parse_bool("maybe", &b));
	assert_false(keys_parse_bool("", &b));
	assert_false(keys_parse_bool("truee", &b));
}

static void test_parse_u64(void **state)
{
	uint64_t v;

	assert_true(keys_parse_u64("0", &v));
	assert_int_equal(v, 0);
	assert_true(keys_parse_u64("4096", &v));
	assert_int_equal(v, 4096);
	assert_true(keys_parse_u64("0x1F", &v));
	assert_int_equal(v, 31);
	assert_true(keys_parse_u64("18446744073709551615", &v));
	assert_true(v == UINT64_MAX);
	assert_false(keys_parse_u64("18446744073709551616", &v)); /* overflow */
	assert_false(keys_parse_u64("-1", &v));
	assert_false(keys_parse_u64(" 1", &v));
	assert_false(keys_parse_u64("1k", &v));
	assert_false(keys_parse_u64("ff", &v));
	assert_false(keys_parse_u64("0x", &v));
	assert_false(keys_parse_u64("", &v));
}

static void test_parse_mac(void **state)
{
	uint8_t mac[6];

	assert_true(keys_parse_mac("52:54:00:ab:CD:ef", mac));
	assert_int_equal(mac[0], 0x52);
	assert_int_equal(mac[5], 0xef);
	assert_false(keys_parse_mac("52:54:00:ab:cd", mac));
	assert_false(keys_parse_mac("52:54:00:ab:cd:ef:00", mac));
	assert_false(keys_parse_mac("52-54-00-ab-cd-ef", mac));
	assert_false(keys_parse_mac("5:54:00:ab:cd:ef0", mac));
	assert_false(keys_parse_mac("zz:54:00:ab:cd:ef", mac));
	assert_false(keys_parse_mac("52:5g:00:ab:cd:ef", mac)); /* the second digit too */
	assert_false(keys_parse_mac("52:54:00:ab:cd:e", mac));
}

static void test_value_types(void **state)
{
	const struct volt_key b = { .name = "b", .type = VOLT_KEY_BOOL };
	const struct volt_key u = { .name = "u", .type = VOLT_KEY_U64, .min = 2, .max = 8 };
	const struct volt_key any = { .name = "n", .type = VOLT_KEY_U64 };
	const struct volt_key m = { .name = "m", .type = VOLT_KEY_MAC };
	const struct volt_key s = { .name = "s", .type = VOLT_KEY_STRING };
	const struct volt_key p = { .name = "p", .type = VOLT_KEY_PATH };
	struct volt_err err = { 0 };

	assert_int_equal(keys_check_value(&b, "maybe", NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)");
	assert_int_equal(keys_check_value(&u, "8", NULL, NULL), 0);
	assert_int_equal(keys_check_value(&u, "2", NULL, NULL), 0);
	err = (struct volt_err){ 0 };
	assert_int_equal(keys_check_value(&u, "9", NULL, &err), -ERANGE);
	assert_string_equal(err.msg, "'9' is out of range [2, 8]");
	assert_int_equal(keys_check_value(&u, "1", NULL, NULL), -ERANGE);
	assert_int_equal(keys_check_value(&u, "x", NULL, NULL), -EINVAL);
	assert_int_equal(keys_check_value(&any, "0", NULL, NULL), 0); /* no bounds */
	assert_int_equal(keys_check_value(&any, "0xffffffffffffffff", NULL, NULL), 0);
	assert_int_equal(keys_check_value(&m, "02:00:00:00:00:01", NULL, NULL), 0);
	assert_int_equal(keys_check_value(&m, "03:00:00:00:00:01", NULL, NULL), -EINVAL);
	assert_int_equal(keys_check_value(&s, "", NULL, NULL), 0);
	assert_int_equal(keys_check_value(&p, "/", NULL, NULL), 0);
	err = (struct volt_err){ 0 };
	assert_int_equal(keys_check_value(&p, "/nonexistent/x", NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "/nonexistent/x: No such file or directory");
	/* Relative to the INI file's directory, not the working directory. */
	assert_int_equal(keys_check_value(&p, "tmp", "/", NULL), 0);
	assert_int_equal(keys_check_value(&p, "tmp", "/nonexistent", NULL), -ENOENT);
	err = (struct volt_err){ 0 };
	assert_int_equal(keys_check_value(&p, "", NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "an empty path");
	/* A path the plugin writes must be writable; reading is enough for
	 * the rest. The sysctl is read-only even to root. */
	{
		const struct volt_key w = { .name = "w", .type = VOLT_KEY_PATH,
					    .flags = VOLT_KEY_PATH_WRITE };
		const char *ro = "/proc/sys/kernel/osrelease";

		if (access(ro, R_OK) == 0 && access(ro, W_OK) < 0) {
			assert_int_equal(keys_check_value(&p, ro, NULL, NULL), 0);
			err = (struct volt_err){ 0 };
			assert_int_equal(keys_check_value(&w, ro, NULL, &err), -EACCES);
			assert_non_null(strstr(err.msg, "Permission denied"));
		}
	}
}

static void test_section_values_and_defaults(void **state)
{
	struct config_kv kvs[] = {
		{ .key = "plugin", .value = "virtio-blk" }, /* the core's own */
		{ .key = "path", .value = "tmp" },
		{ .key = "read_only", .value = "yes" },
	};
	struct config_instance sec = section("drive", kvs, 3);
	struct keys_user u = { .plugin = "virtio-blk", .keys = blk_keys, .nkeys = NKEYS(blk_keys) };
	const struct keys_origin from_root = { .file = "vm.ini", .base_dir = "/" };
	struct volt_err err = { 0 };

	assert_int_equal(keys_check_section(&sec, &from_root, &u, 1, &err), 0);
	assert_string_equal(u.values[0], "//tmp");          /* resolved */
	assert_string_equal(u.values[1], "yes");            /* as configured */
	assert_string_equal(u.values[2], "128");            /* default */
	assert_null(u.values[3]);                           /* neither */
	keys_values_free(&u);
	assert_null(u.values);
}

/* A key is found by its whole name, not a prefix of it. */
static void test_section_keys_by_whole_name(void **state)
{
	static const struct volt_key keys[] = {
		{ .name = "queue", .type = VOLT_KEY_U64, .help = "q" },
		{ .name = "queue_size", .type = VOLT_KEY_U64, .help = "qs" },
	};
	struct config_kv kvs[] = {
		{ .key = "queue_size", .value = "64" },
		{ .key = "queue", .value = "2" },
	};
	struct config_instance sec = section("device", kvs, 2);
	struct keys_user u = { .plugin = "q", .keys = keys, .nkeys = NKEYS(keys) };

	assert_int_equal(keys_check_section(&sec, &origin, &u, 1, NULL), 0);
	assert_string_equal(u.values[0], "2");
	assert_string_equal(u.values[1], "64");
	keys_values_free(&u);
}

static void test_section_unknown_key(void **state)
{
	struct config_kv kvs[] = {
		{ .key = "path", .value = "/" },
		{ .key = "colour", .value = "red" },
	};
	struct config_instance sec = section("drive", kvs, 2);
	struct keys_user u = { .plugin = "virtio-blk", .keys = blk_keys, .nkeys = NKEYS(blk_keys) };
	struct keys_user none = { .plugin = "bare" };
	struct volt_err err = { 0 };

	assert_int_equal(keys_check_section(&sec, &origin, &u, 1, &err), -EINVAL);
	assert_string_equal(err.msg, "vm.ini:12: colour: not a key of plugin virtio-blk (it "
			    "accepts: path, read_only, queue_size, serial)");
	keys_values_free(&u);
	err = (struct volt_err){ 0 };
	assert_int_equal(keys_check_section(&sec, &origin, &none, 1, &err), -EINVAL);
	assert_string_equal(err.msg, "vm.ini:11: path: not a key of plugin bare (it accepts no "
			    "keys)");
	keys_values_free(&none);
}

static void test_section_bad_value(void **state)
{
	struct config_kv kvs[] = {
		{ .key = "path", .value = "/" },
		{ .key = "read_only", .value = "maybe" },
	};
	struct config_instance sec = section("drive", kvs, 2);
	struct keys_user u = { .plugin = "virtio-blk", .keys = blk_keys, .nkeys = NKEYS(blk_keys) };
	struct volt_err err = { 0 };

	assert_int_equal(keys_check_section(&sec, &origin, &u, 1, &err), -EINVAL);
	assert_string_equal(err.msg, "vm.ini:12: read_only: 'maybe' is not a boolean "
			    "(true/false, yes/no, on/off, 1/0)");
	keys_values_free(&u);

	kvs[1] = (struct config_kv){ .key = "queue_size", .value = "512", .line = 12 };
	err = (struct volt_err){ 0 };
	assert_int_equal(keys_check_section(&sec, &origin, &u, 1, &err), -ERANGE);
	assert_string_equal(err.msg, "vm.ini:12: queue_size: '512' is out of range [1, 256]");
	keys_values_free(&u);
}

static void test_section_required(void **state)
{
	struct config_kv kvs[] = { { .key = "read_only", .value = "on" } };
	struct config_instance sec = section("drive", kvs, 1);
	struct keys_user u = { .plugin = "virtio-blk", .keys = blk_keys, .nkeys = NKEYS(blk_keys) };
	struct volt_err err = { 0 };

	sec.id = "rootfs";
	assert_int_equal(keys_check_section(&sec, &origin, &u, 1, &err), -EINVAL);
	assert_string_equal(err.msg, "vm.ini:10: [drive \"rootfs\"]: path is required by "
			    "virtio-blk");
	keys_values_free(&u);
}

/* A path default names the host's file: checked when a section takes it. */
static void test_section_path_default(void **state)
{
	static const struct volt_key keys[] = {
		{ .name = "dev", .type = VOLT_KEY_PATH, .default_value = "/nonexistent/dev",
		  .help = "device node" },
	};
	struct config_instance sec = section("device", NULL, 0);
	struct keys_user u = { .plugin = "p", .keys = keys, .nkeys = NKEYS(keys) };
	struct volt_err err = { 0 };

	assert_int_equal(keys_check_section(&sec, &origin, &u, 1, &err), -ENOENT);
	assert_string_equal(err.msg, "vm.ini:10: [device \"x\"]: dev: default of p: "
			    "/nonexistent/dev: No such file or directory");
	keys_values_free(&u);
}

/* A [net] section: keys of the device, of the backend, or of both. */
static void test_section_device_and_backend(void **state)
{
	struct config_kv kvs[] = {
		{ .key = "plugin", .value = "virtio-net" },
		{ .key = "backend", .value = "net-tap" },
		{ .key = "tap", .value = "tap0" },
		{ .key = "mac", .value = "52:54:00:12:34:56" },
	};
	struct config_instance sec = section("net", kvs, 4);
	struct keys_user u[2] = {
		{ .plugin = "virtio-net", .keys = dev_keys, .nkeys = NKEYS(dev_keys) },
		{ .plugin = "net-tap", .keys = tap_keys, .nkeys = NKEYS(tap_keys) },
	};
	struct volt_err err = { 0 };

	assert_int_equal(keys_check_section(&sec, &origin, u, 2, &err), 0);
	assert_string_equal(u[0].values[0], "52:54:00:12:34:56");
	assert_string_equal(u[0].values[1], "1500");
	assert_string_equal(u[1].values[0], "tap0");
	assert_string_equal(u[1].values[1], "52:54:00:12:34:56");
	keys_values_free(&u[0]);
	keys_values_free(&u[1]);

	kvs[2] = (struct config_kv){ .key = "queues", .value = "2", .line = 13 };
	err = (struct volt_err){ 0 };
	assert_int_equal(keys_check_section(&sec, &origin, u, 2, &err), -EINVAL);
	assert_string_equal(err.msg, "vm.ini:13: queues: not a key of plugin virtio-net or its "
			    "backend net-tap (they accept: mac, mtu, tap)");
	keys_values_free(&u[0]);
	keys_values_free(&u[1]);

	/* The backend's required key, missing. */
	kvs[2] = (struct config_kv){ .key = "mtu", .value = "9000", .line = 13 };
	err = (struct volt_err){ 0 };
	assert_int_equal(keys_check_section(&sec, &origin, u, 2, &err), -EINVAL);
	assert_string_equal(err.msg, "vm.ini:10: [net \"x\"]: tap is required by net-tap");
	keys_values_free(&u[0]);
	keys_values_free(&u[1]);
}

static void test_names(void **state)
{
	assert_true(keys_name_valid("read_only"));
	assert_true(keys_name_valid("q2"));
	assert_false(keys_name_valid(""));
	assert_false(keys_name_valid("Read"));
	assert_false(keys_name_valid("read-only"));
	assert_true(keys_reserved("plugin"));
	assert_true(keys_reserved("backend"));
	assert_false(keys_reserved("path"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_mac),
		cmocka_unit_test(test_value_types),
		cmocka_unit_test(test_section_values_and_defaults),
		cmocka_unit_test(test_section_keys_by_whole_name),
		cmocka_unit_test(test_section_unknown_key),
		cmocka_unit_test(test_section_bad_value),
		cmocka_unit_test(test_section_required),
		cmocka_unit_test(test_section_path_default),
		cmocka_unit_test(test_section_device_and_backend),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
