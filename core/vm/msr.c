/* The MSRs every vCPU starts with: the values Firecracker sets, so a guest
 * kernel sees the same CPU state it would there. */
#include "vm/msr.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* MSR numbers from the Intel SDM vol. 4; the kernel keeps its msr-index.h
 * out of the UAPI headers, so they are named here. */
#define MSR_IA32_TSC		0x00000010
#define MSR_IA32_SYSENTER_CS	0x00000174
#define MSR_IA32_SYSENTER_ESP	0x00000175
#define MSR_IA32_SYSENTER_EIP	0x00000176
#define MSR_IA32_MISC_ENABLE	0x000001a0
#define MSR_MTRRdefType		0x000002ff
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102

#define MSR_IA32_MISC_ENABLE_FAST_STRING	(1ull << 0)	/* REP MOVS/STOS may use fast strings */
#define MSR_MTRR_DEF_TYPE_ENABLE		(1ull << 11)	/* MTRRs in force */
#define MSR_MTRR_TYPE_WRBACK			6ull		/* default memory type: write-back */

struct msr_boot {
	uint32_t index;
	const char *name;	/* for error messages */
	uint64_t value;
};

#define MSR_BOOT(idx, val) { idx, #idx, val }

static const struct msr_boot msr_boot_table[] = {
	/* 32-bit SYSENTER entry: unused by a 64-bit kernel until it sets it. */
	MSR_BOOT(MSR_IA32_SYSENTER_CS, 0),
	MSR_BOOT(MSR_IA32_SYSENTER_ESP, 0),
	MSR_BOOT(MSR_IA32_SYSENTER_EIP, 0),
	/* SYSCALL targets and flag mask: the kernel programs them in syscall_init(). */
	MSR_BOOT(MSR_STAR, 0),
	MSR_BOOT(MSR_LSTAR, 0),
	MSR_BOOT(MSR_CSTAR, 0),
	MSR_BOOT(MSR_SYSCALL_MASK, 0),
	/* SWAPGS partner: starts empty, as on a CPU out of reset. */
	MSR_BOOT(MSR_KERNEL_GS_BASE, 0),
	/* Guest TSC starts at 0, as on a freshly reset CPU. */
	MSR_BOOT(MSR_IA32_TSC, 0),
	/* Fast strings are on after reset on real hardware; Linux expects them. */
	MSR_BOOT(MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE_FAST_STRING),
	/* No firmware sets up MTRRs: enable them with write-back as the default
	 * type, or the guest would map all of RAM uncached. */
	MSR_BOOT(MSR_MTRRdefType, MSR_MTRR_DEF_TYPE_ENABLE | MSR_MTRR_TYPE_WRBACK),
};

#define MSR_BOOT_COUNT ARRAY_SIZE(msr_boot_table)

size_t msr_boot_entries(struct kvm_msr_entry *out, size_t cap)
{
	size_t n = cap < MSR_BOOT_COUNT ? cap : MSR_BOOT_COUNT;

	for (size_t i = 0; i < n; i++)
		out[i] = (struct kvm_msr_entry){
			.index = msr_boot_table[i].index,
			.data = msr_boot_table[i].value,
		};
	return n;
}

int msr_apply(int vcpu_fd, struct volt_err *err)
{
	struct kvm_msrs *msrs;
	int ret;

	msrs = calloc(1, sizeof(*msrs) + MSR_BOOT_COUNT * sizeof(msrs->entries[0]));
	if (!msrs)
		return verr_set(err, ENOMEM, "cannot allocate the boot MSR list");
	msrs->nmsrs = msr_boot_entries(msrs->entries, MSR_BOOT_COUNT);
	ret = ioctl(vcpu_fd, KVM_SET_MSRS, msrs);
	if (ret < 0) {
		ret = verr_set(err, errno, "KVM_SET_MSRS: %s", strerror(errno));
	} else if ((size_t)ret < MSR_BOOT_COUNT) {
		/* KVM stops at the first MSR it rejects and returns how many it set. */
		const struct msr_boot *m = &msr_boot_table[ret];

		ret = verr_set(err, EINVAL, "KVM_SET_MSRS: KVM rejected %s (0x%x) = 0x%llx",
			       m->name, m->index, (unsigned long long)m->value);
	} else {
		ret = 0;
	}
	free(msrs);
	return ret;
}
