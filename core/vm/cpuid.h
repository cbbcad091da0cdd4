/* CPUID filtering: what the guest sees is KVM_GET_SUPPORTED_CPUID passed
 * through one table of per-leaf rules (cpuid.c). */
#ifndef VOLT_VM_CPUID_H
#define VOLT_VM_CPUID_H

#include <linux/kvm.h>

#include "util/err.h"

/* Build the CPUID entries for vCPU `index` of `count` (APIC ID == index, one
 * socket, `count` cores, one thread each) from KVM's supported list. Returns
 * a malloc'd kvm_cpuid2 (free() it), or NULL with err set. */
struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported, unsigned index,
			       unsigned count, struct volt_err *err);

/* Ask KVM for its supported CPUID list (malloc'd). */
struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd, struct volt_err *err);

#endif
