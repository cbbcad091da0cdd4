/* Plugin descriptors: ABI version and struct sizes, the normalised copy, and
 * validation of what a descriptor declares (name, kind, keys, syscalls,
 * ops), on descriptors built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/registry.h"
#include "plugin/syscall_check.h"

static int noop_notify_called;
static void noop_notify(void *state, unsigned queue) { noop_notify_called++; }
static void noop_config_read(void *state, uint32_t off, void *data, uint32_t len) {}
static ssize_t noop_io(void *state, const struct iovec *iov, int iovcnt) { return 0; }
static int noop_dataplane_start(void *state, const struct volt_mem_region *regions,
				unsigned nregions, const struct volt_vq_info *queues,
				unsigned nqueues) { return 0; }
static void noop_dataplane_stop(void *state) {}

static const struct volt_device_ops plain_ops = { .struct_size = sizeof(struct volt_device_ops) };

static const struct volt_device_ops virtio_ops = {
	.struct_size = sizeof(struct volt_device_ops),
	.virtio_id = 2,
	.num_queues = 1,
	.queue_max_size = 256,
	.config_size = 8,
	.config_read = noop_config_read,
	.queue_notify = noop_notify,
};

static const struct volt_net_backend_ops net_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops),
	.vnet_hdr_len = 12,
	.recv = noop_io,
	.send = noop_io,
};

static struct volt_plugin_desc good(void)
{
	return (struct volt_plugin_desc){
		.struct_size = sizeof(struct volt_plugin_desc),
		.abi_major = VOLT_ABI_MAJOR,
		.abi_minor = VOLT_ABI_MINOR,
		.kind = VOLT_PLUGIN_DEVICE,
		.name = "test-dev",
		.version = "1",
		.license = "MIT",
		.description = "a device",
		.ops = &plain_ops,
	};
}

/* Accept d; on failure return the code and leave the message in msg. */
static int accept(const struct volt_plugin_desc *d, struct plugin *p, char *msg)
{
	struct volt_err err = { 0 };
	int r;

	memset(p, 0, sizeof(*p));
	r = plugin_desc_accept(p, d, VOLT_ABI_MAJOR, &err);
	strcpy(msg, err.msg);
	return r;
}

static void test_good_descriptor(void **state)
{
	struct volt_plugin_desc d = good();
	struct plugin p;
	char msg[512];

	assert_int_equal(accept(&d, &p, msg), 0);
	assert_string_equal(p.desc.name, "test-dev");
	/* The core reads the copies, and desc.ops points at its own copy. */
	assert_ptr_equal(p.desc.ops, &p.ops.device);
	assert_int_equal(p.desc.struct_size, sizeof(struct volt_plugin_desc));

	d.ops = &virtio_ops;
	assert_int_equal(accept(&d, &p, msg), 0);
	assert_int_equal(p.ops.device.virtio_id, 2);
	p.ops.device.queue_notify(NULL, 0);
	assert_int_equal(noop_notify_called, 1);

	d.kind = VOLT_PLUGIN_NET_BACKEND;
	d.ops = &net_ops;
	assert_int_equal(accept(&d, &p, msg), 0);
	assert_int_equal(p.ops.net.vnet_hdr_len, 12);
}

/* A descriptor that reports more than the core's size (same minor, a
 * longer tail): only the core's size is copied, and the copy says so. */
static void test_copy_is_bounded(void **state)
{
	struct {
		struct volt_plugin_desc d;
		uint64_t appended;
	} big = { .d = good(), .appended = 0xdeadbeef };
	struct plugin p;
	char msg[512];

	big.d.struct_size = sizeof(big);
	assert_int_equal(accept(&big.d, &p, msg), 0);
	assert_int_equal(p.desc.struct_size, sizeof(struct volt_plugin_desc));
}

static void test_version_and_sizes(void **state)
{
	struct volt_plugin_desc d = good();
	struct volt_device_ops small_ops = { .struct_size = 8 };
	struct volt_err err = { 0 };
	struct plugin p;
	char msg[512];

	d.abi_major = 2;
	assert_int_equal(accept(&d, &p, msg), -EPROTO);
	assert_string_equal(msg, "built for Volt plugin ABI 2, this volt speaks 1");

	d = good();
	d.abi_minor = VOLT_ABI_MINOR + 1;
	assert_int_equal(accept(&d, &p, msg), -EPROTO);
	{
		char want[64];

		snprintf(want, sizeof(want), "newer than this volt's 1.%d", VOLT_ABI_MINOR);
		assert_non_null(strstr(msg, want));
	}

	d = good();
	d.struct_size = 16;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	assert_string_equal(msg, "descriptor is 16 bytes, smaller than a Volt 1.0 descriptor "
			    "(128 bytes)");
	d.struct_size = 4; /* not even the version fields */
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	/* Fields past struct_size are not the plugin's: never read, even the major. */
	d.abi_major = 2;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	assert_string_equal(msg, "descriptor is 4 bytes, smaller than a Volt 1.0 descriptor "
			    "(128 bytes)");
	d = good();
	d.struct_size = PLUGIN_DESC_V1_0_SIZE - 1;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);

	d = good();
	d.ops = &small_ops;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	assert_string_equal(msg, "device ops table is 8 bytes, smaller than Volt 1.0's (64 bytes)");
	small_ops.struct_size = PLUGIN_DEVICE_OPS_V1_0_SIZE - 1;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	{
		struct volt_net_backend_ops small_net = net_ops;

		small_net.struct_size = PLUGIN_NET_OPS_V1_0_SIZE - 1;
		d = good();
		d.kind = VOLT_PLUGIN_NET_BACKEND;
		d.ops = &small_net;
		assert_int_equal(accept(&d, &p, msg), -EINVAL);
		assert_string_equal(msg, "network backend ops table is 63 bytes, smaller than "
				    "Volt 1.0's (64 bytes)");
	}

	d = good();
	d.ops = NULL;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);

	/* The entry symbol's major and the descriptor's must agree. */
	d = good();
	memset(&p, 0, sizeof(p));
	assert_int_equal(plugin_desc_accept(&p, &d, 2, &err), -EPROTO);
	/* Agreeing with each other is not enough: both must be this volt's. */
	d.abi_major = 2;
	memset(&p, 0, sizeof(p));
	assert_int_equal(plugin_desc_accept(&p, &d, 2, &err), -EPROTO);
	assert_int_equal(plugin_desc_accept(&p, NULL, 1, NULL), -EINVAL);
}

static void test_names_and_kind(void **state)
{
	const char *bad[] = { "", "Virtio", "virtio_blk", "-x", "a b", "../x" };
	struct volt_plugin_desc d = good();
	struct plugin p;
	char msg[512];

	assert_true(plugin_name_valid("virtio-blk"));
	assert_true(plugin_name_valid("net-tap2"));
	{
		char name[66];

		memset(name, 'a', 64);
		name[64] = '\0';
		assert_true(plugin_name_valid(name));  /* 64 bytes: the longest */
		name[64] = 'a';
		name[65] = '\0';
		assert_false(plugin_name_valid(name));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(plugin_name_valid(bad[i]));
		d.name = bad[i];
		assert_int_equal(accept(&d, &p, msg), -EINVAL);
	}
	d.name = NULL;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);

	d = good();
	d.kind = 7;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	assert_non_null(strstr(msg, "unknown plugin kind 7"));

	d = good();
	d.license = NULL;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	d = good();
	d.version = NULL;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	assert_string_equal(msg, "descriptor lacks its version, license or description");
	d = good();
	d.description = NULL;
	assert_int_equal(accept(&d, &p, msg), -EINVAL);
	assert_string_equal(msg, "descriptor lacks its version, license or description");
}

static int validate_keys(const struct volt_key *keys, uint32_t n, char *msg)
{
	struct volt_plugin_desc d = good();
	struct volt_err err = { 0 };
	int r;

	d.keys = keys;
	d.nkeys = n;
	r = plugin_desc_validate(&d, &err);
	strcpy(msg, err.msg);
	return r;
}

static void test_keys(void **state)
{
	const struct volt_key ok[] = {
		{ .name = "path", .type = VOLT_KEY_PATH, .flags = VOLT_KEY_REQUIRED | VOLT_KEY_PATH_WRITE,
		  .help = "h" },
		{ .name = "n", .type = VOLT_KEY_U64, .default_value = "0x10", .min = 1, .max = 32,
		  .help = "h" },
		{ .name = "mac", .type = VOLT_KEY_MAC, .default_value = "02:00:00:00:00:01", .help = "h" },
		/* A path default names the host's file: checked where it is used. */
		{ .name = "dev", .type = VOLT_KEY_PATH, .default_value = "/nonexistent", .help = "h" },
	};
	struct volt_key k;
	char msg[512];

	assert_int_equal(validate_keys(ok, 4, msg), 0);
	assert_int_equal(validate_keys(NULL, 1, msg), -EINVAL);

	k = (struct volt_key){ .name = "Bad Key", .type = VOLT_KEY_STRING, .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	assert_string_equal(msg, "key 0: name 'Bad Key' is not made of [a-z0-9_]");
	k = (struct volt_key){ .name = "plugin", .type = VOLT_KEY_STRING, .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "reserved"));
	k = (struct volt_key){ .name = "k", .type = 9, .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	assert_string_equal(msg, "key k: unknown type 9");
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_MAC + 1, .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_STRING, .flags = 0x80, .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	/* Every flag bit but the two known ones. */
	for (unsigned bit = 2; bit < 32; bit++) {
		k = (struct volt_key){ .name = "k", .type = VOLT_KEY_PATH, .flags = 1u << bit,
				       .help = "h" };
		assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
		assert_non_null(strstr(msg, "unknown flags"));
	}
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_STRING, .flags = VOLT_KEY_PATH_WRITE,
			       .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_STRING, .flags = VOLT_KEY_REQUIRED,
			       .default_value = "x", .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	assert_string_equal(msg, "key k: required, yet has a default");
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_BOOL, .default_value = "maybe",
			       .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "key k: default 'maybe' is not a boolean"));
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_U64, .default_value = "64", .min = 1,
			       .max = 32, .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_U64, .min = 5, .max = 0, .help = "h" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "min 5 is above max 0"));
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_STRING };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	assert_string_equal(msg, "key k: no help line");
	k = (struct volt_key){ .name = "k", .type = VOLT_KEY_STRING, .help = "" };
	assert_int_equal(validate_keys(&k, 1, msg), -EINVAL);
	assert_string_equal(msg, "key k: no help line");

	const struct volt_key twice[] = {
		{ .name = "k", .type = VOLT_KEY_STRING, .help = "h" },
		{ .name = "k", .type = VOLT_KEY_BOOL, .help = "h" },
	};
	assert_int_equal(validate_keys(twice, 2, msg), -EINVAL);
	assert_string_equal(msg, "key k: declared twice");
}

static int validate_syscalls(const struct volt_syscall *s, uint32_t n, char *msg)
{
	struct volt_plugin_desc d = good();
	struct volt_err err = { 0 };
	int r;

	d.syscalls = s;
	d.nsyscalls = n;
	r = plugin_desc_validate(&d, &err);
	strcpy(msg, err.msg);
	return r;
}

static void test_syscalls(void **state)
{
	static const uint64_t ioctls[] = { 0x400454ca };
	const struct volt_syscall ok[] = {
		{ .name = "pread64", .threads = VOLT_THREAD_IO, .fd_slot = 0, .reason = "reads" },
		{ .name = "ioctl", .threads = VOLT_THREAD_MAIN, .fd_slot = 1,
		  .ioctls = ioctls, .nioctls = 1, .reason = "offloads" },
	};
	struct volt_syscall s;
	char msg[512];

	assert_int_equal(validate_syscalls(ok, 2, msg), 0);
	assert_int_equal(validate_syscalls(NULL, 1, msg), -EINVAL);

	s = (struct volt_syscall){ .threads = VOLT_THREAD_IO, .fd_slot = VOLT_FD_ANY, .reason = "r" };
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	assert_string_equal(msg, "syscall 0: no name");
	s.name = "";
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	assert_string_equal(msg, "syscall 0: no name");
	s = (struct volt_syscall){ .name = "read", .threads = VOLT_THREAD_IO, .fd_slot = VOLT_FD_ANY };
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "syscall read: no reason"));
	s.reason = "";
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "syscall read: no reason"));
	/* A name libseccomp does not know is refused at load time. */
	s = (struct volt_syscall){ .name = "preadv3", .threads = VOLT_THREAD_IO,
				   .fd_slot = VOLT_FD_ANY, .reason = "r" };
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "'preadv3' is not a syscall libseccomp knows"));
	s = (struct volt_syscall){ .name = "read", .fd_slot = VOLT_FD_ANY, .reason = "r" };
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	s = (struct volt_syscall){ .name = "read", .threads = 0x10, .fd_slot = VOLT_FD_ANY,
				   .reason = "r" };
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	s = (struct volt_syscall){ .name = "read", .threads = VOLT_THREAD_IO,
				   .fd_slot = VOLT_FD_SLOTS, .reason = "r" };
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	s = (struct volt_syscall){ .name = "read", .threads = VOLT_THREAD_IO, .fd_slot = VOLT_FD_ANY,
				   .ioctls = ioctls, .nioctls = 1, .reason = "r" };
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
	s = (struct volt_syscall){ .name = "ioctl", .threads = VOLT_THREAD_IO,
				   .fd_slot = VOLT_FD_ANY, .nioctls = 1, .reason = "r" };
	assert_int_equal(validate_syscalls(&s, 1, msg), -EINVAL);
}

/* seccomp allows a call if any rule matches: an ioctl rule on any fd, or
 * with any request, would undo the core's pinning of KVM's ioctls. */
static void test_unpinned_ioctl(void **state)
{
	static const uint64_t ioctls[] = { 0x400454ca };
	struct volt_syscall s = { .name = "ioctl", .threads = VOLT_THREAD_IO, .fd_slot = VOLT_FD_ANY,
				  .ioctls = ioctls, .nioctls = 1, .reason = "r" };
	char msg[512];

	assert_int_equal(validate_syscalls(&s, 1, msg), -EPERM);
	assert_string_equal(msg, "declares syscall ioctl unpinned: an ioctl rule needs an fd slot "
			    "and its request numbers (unpinned, it would allow every ioctl on "
			    "every fd, KVM's included)");
	s.fd_slot = 0;
	s.ioctls = NULL;
	s.nioctls = 0;
	assert_int_equal(validate_syscalls(&s, 1, msg), -EPERM);
	s.ioctls = ioctls;
	s.nioctls = 1;
	assert_int_equal(validate_syscalls(&s, 1, msg), 0);
}

static void test_denied_syscalls(void **state)
{
	/* All of docs/plugins.md's list: a name dropped from the table is a plugin
	 * that may make it. */
	const char *denied[] = { "execve", "execveat", "fork", "vfork", "clone", "clone3",
				 "ptrace", "process_vm_writev", "process_vm_readv",
				 "personality", "mount", "umount2", "pivot_root", "chroot",
				 "unshare", "setns", "bpf", "perf_event_open", "kexec_load",
				 "kexec_file_load", "init_module", "finit_module",
				 "delete_module", "swapon", "swapoff", "reboot", "keyctl",
				 "add_key", "request_key", "userfaultfd", "seccomp", "prctl",
				 "setuid", "setgid", "setreuid", "setregid", "setresuid",
				 "setresgid", "setfsuid", "setfsgid", "setgroups", "capset",
				 "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
				 "open_tree", "mount_setattr", "kill", "tkill", "tgkill",
				 "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal",
				 "pidfd_open", "pidfd_getfd", "process_madvise",
				 "process_mrelease", "kcmp", "migrate_pages", "move_pages",
				 "madvise", "io_uring_setup", "io_uring_enter",
				 "io_uring_register", "shmat", "shmget", "shmctl",
				 "open_by_handle_at", "name_to_handle_at",
				 "iopl", "ioperm", "settimeofday", "clock_settime",
				 "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
				 "syslog", "acct", "quotactl", "vhangup" };
	const char *allowed[] = { "open", "openat", "read", "pwritev2", "ioctl", "epoll_wait" };
	struct volt_syscall s = { .threads = VOLT_THREAD_IO, .fd_slot = VOLT_FD_ANY, .reason = "r" };
	char msg[512];

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		assert_non_null(plugin_syscall_denied(denied[i]));
		s.name = denied[i];
		assert_int_equal(validate_syscalls(&s, 1, msg), -EPERM);
		assert_non_null(strstr(msg, "which no plugin may make"));
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		assert_null(plugin_syscall_denied(allowed[i]));
	s.name = "execve";
	assert_int_equal(validate_syscalls(&s, 1, msg), -EPERM);
	assert_string_equal(msg, "declares syscall execve, which no plugin may make: it runs "
			    "another program");
}

static void test_ops(void **state)
{
	struct volt_plugin_desc d = good();
	struct volt_device_ops dev = virtio_ops;
	struct volt_net_backend_ops net = net_ops;
	struct volt_err err = { 0 };

	d.ops = &dev;
	dev.queue_max_size = 100;
	assert_int_equal(plugin_desc_validate(&d, &err), -EINVAL);
	dev = virtio_ops;
	dev.num_queues = 0;
	assert_int_equal(plugin_desc_validate(&d, NULL), -EINVAL);
	dev = virtio_ops;
	dev.queue_notify = NULL;
	assert_int_equal(plugin_desc_validate(&d, NULL), -EINVAL);
	dev = plain_ops;
	dev.num_queues = 2; /* queues on a device that is not virtio */
	assert_int_equal(plugin_desc_validate(&d, NULL), -EINVAL);
	/* Queue sizes: a power of two from 1 to VOLT_VQ_MAX_SIZE. */
	dev = virtio_ops;
	dev.queue_max_size = VOLT_VQ_MAX_SIZE;
	assert_int_equal(plugin_desc_validate(&d, NULL), 0);
	dev.queue_max_size = 1;
	assert_int_equal(plugin_desc_validate(&d, NULL), 0);
	dev.queue_max_size = 0;
	assert_int_equal(plugin_desc_validate(&d, NULL), -EINVAL);
	dev.queue_max_size = VOLT_VQ_MAX_SIZE * 2;
	memset(&err, 0, sizeof(err));
	assert_int_equal(plugin_desc_validate(&d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "queue_max_size 512 is not a power of two up to 256"));
	/* Configuration space the transport could not read. */
	dev = virtio_ops;
	dev.config_read = NULL;
	memset(&err, 0, sizeof(err));
	assert_int_equal(plugin_desc_validate(&d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "8 bytes of configuration space but no config_read"));
	dev.config_size = 0;
	assert_int_equal(plugin_desc_validate(&d, NULL), 0);

	d.kind = VOLT_PLUGIN_NET_BACKEND;
	d.ops = &net;
	assert_int_equal(plugin_desc_validate(&d, NULL), 0);
	net.send = NULL;
	assert_int_equal(plugin_desc_validate(&d, NULL), -EINVAL);
	/* A data plane of its own instead of recv/send: start and stop together. */
	net.recv = NULL;
	net.dataplane_start = noop_dataplane_start;
	memset(&err, 0, sizeof(err));
	assert_int_equal(plugin_desc_validate(&d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "dataplane_start and dataplane_stop come together"));
	net.dataplane_stop = noop_dataplane_stop;
	assert_int_equal(plugin_desc_validate(&d, NULL), 0);
	net.dataplane_start = NULL;
	assert_int_equal(plugin_desc_validate(&d, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_descriptor),
		cmocka_unit_test(test_copy_is_bounded),
		cmocka_unit_test(test_version_and_sizes),
		cmocka_unit_test(test_names_and_kind),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_syscalls),
		cmocka_unit_test(test_denied_syscalls),
		cmocka_unit_test(test_unpinned_ioctl),
		cmocka_unit_test(test_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
