/* Boot MSRs: the list is exactly Firecracker's, and a real vCPU takes it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm/msr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MSR_IA32_TSC 0x10

/* Written out from the SDM, independently of msr.c. */
static const struct { uint32_t index; uint64_t value; } expected[] = {
	{ 0x174, 0 },		/* MSR_IA32_SYSENTER_CS */
	{ 0x175, 0 },		/* MSR_IA32_SYSENTER_ESP */
	{ 0x176, 0 },		/* MSR_IA32_SYSENTER_EIP */
	{ 0xc0000081, 0 },	/* MSR_STAR */
	{ 0xc0000082, 0 },	/* MSR_LSTAR */
	{ 0xc0000083, 0 },	/* MSR_CSTAR */
	{ 0xc0000084, 0 },	/* MSR_SYSCALL_MASK */
	{ 0xc0000102, 0 },	/* MSR_KERNEL_GS_BASE */
	{ MSR_IA32_TSC, 0 },
	{ 0x1a0, 1 },		/* MSR_IA32_MISC_ENABLE: fast strings */
	{ 0x2ff, 0x806 },	/* MSR_MTRRdefType: enabled, write-back */
};

static const struct kvm_msr_entry *find(const struct kvm_msr_entry *e, size_t n, uint32_t index)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].index == index)
			return &e[i];
	return NULL;
}

static void test_list_exact(void **state)
{
	struct kvm_msr_entry out[32];
	size_t n = msr_boot_entries(out, ARRAY_SIZE(out));

	assert_int_equal(n, ARRAY_SIZE(expected));
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
		const struct kvm_msr_entry *e = find(out, n, expected[i].index);

		if (!e)
			fail_msg("MSR 0x%x missing", expected[i].index);
		assert_int_equal(e->data, expected[i].value);
	}
	/* Same size and every expected one found: no extras, no duplicates. */
}

static void test_cap_respected(void **state)
{
	struct kvm_msr_entry out[4];

	memset(out, 0xa5, sizeof(out));
	assert_int_equal(msr_boot_entries(out, 3), 3);
	assert_int_equal(out[3].index, 0xa5a5a5a5);
	assert_int_equal(msr_boot_entries(out, 0), 0);
}

static int open_kvm_or_skip(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		skip();
	return fd;
}

static void test_apply_real_kvm(void **state)
{
	struct volt_err err = { 0 };
	struct kvm_msrs *get;
	int kvm, vm, vcpu, n;

	kvm = open_kvm_or_skip();
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	assert_true(vm >= 0);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	if (msr_apply(vcpu, &err) < 0)
		fail_msg("%s", err.msg);

	get = calloc(1, sizeof(*get) + ARRAY_SIZE(expected) * sizeof(get->entries[0]));
	assert_non_null(get);
	get->nmsrs = ARRAY_SIZE(expected);
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
		get->entries[i].index = expected[i].index;
	n = ioctl(vcpu, KVM_GET_MSRS, get);
	assert_int_equal(n, ARRAY_SIZE(expected));
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
		/* The TSC ran on since it was set to 0; it cannot be checked exactly. */
		if (expected[i].index == MSR_IA32_TSC)
			continue;
		if (get->entries[i].data != expected[i].value)
			fail_msg("MSR 0x%x reads 0x%llx, want 0x%llx", expected[i].index,
				 (unsigned long long)get->entries[i].data,
				 (unsigned long long)expected[i].value);
	}
	free(get);
	close(vcpu);
	close(vm);
	close(kvm);
}

static void test_apply_bad_fd(void **state)
{
	struct volt_err err = { 0 };

	assert_int_equal(msr_apply(-1, &err), -EBADF);
	assert_int_equal(err.code, EBADF);
	assert_non_null(strstr(err.msg, "KVM_SET_MSRS"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_exact),
		cmocka_unit_test(test_cap_respected),
		cmocka_unit_test(test_apply_real_kvm),
		cmocka_unit_test(test_apply_bad_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
