/* The MSRs set on every vCPU before it runs, as Firecracker sets them. */
#ifndef VOLT_VM_MSR_H
#define VOLT_VM_MSR_H

#include <stddef.h>

#include <linux/kvm.h>

#include "util/err.h"

/* Fill out with the boot MSR list; returns the number of entries (<= cap). */
size_t msr_boot_entries(struct kvm_msr_entry *out, size_t cap);

/* KVM_SET_MSRS with the boot list on vcpu_fd. */
int msr_apply(int vcpu_fd, struct volt_err *err);

#endif
