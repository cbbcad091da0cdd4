/* vCPUs: one thread each, running KVM_RUN and dispatching exits to the PIO
 * and MMIO buses. */
#ifndef VOLT_VM_VCPU_H
#define VOLT_VM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "util/err.h"
#include "vm/vm.h"

struct vcpu {
	struct vm *vm;
	unsigned index;         /* == APIC ID */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	uint64_t exits[64];     /* count per KVM exit reason (metrics) */
};

/* Signal used to kick a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

/* Install the (empty) kick handler; call once before any vCPU thread exists. */
int vcpu_signals_init(struct volt_err *err);

/* Create vCPU index, set its CPUID, MSRs and LAPIC; the boot vCPU (index 0)
 * also gets the 64-bit entry registers. Application processors wait for
 * INIT/SIPI from the guest, as on hardware. */
int vcpu_create(struct vcpu *vcpu, struct vm *vm, unsigned index, uint64_t entry,
		struct volt_err *err);

/* Create the vCPU's thread (before the sandbox's lockdown); it waits at
 * the sandbox's gate before it runs guest code. */
int vcpu_start(struct vcpu *vcpu, struct volt_err *err);

/* Make the vCPU leave KVM_RUN and its thread end (any thread). */
void vcpu_kick(struct vcpu *vcpu);

/* Wait for the thread (after vcpu_kick) and release the vCPU. */
void vcpu_destroy(struct vcpu *vcpu);

#endif
