/* vCPUs: one thread each, running KVM_RUN and dispatching exits to the PIO
 * and MMIO buses. */
#ifndef VOLT_VM_VCPU_H
#define VOLT_VM_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
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
	/* Pausing (vcpu_pause): the thread holds outside KVM_RUN while
	 * pause_wanted. The lock also orders kicks against vcpu_destroy. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pause_wanted;
	bool held;              /* the thread is holding */
	bool exited;            /* the thread left its loop */
	bool closing;           /* vcpu_destroy is joining the thread */
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

/* Hold the vCPU outside KVM_RUN (any thread but its own): returns once it
 * holds, has left its loop, or the VM is stopping. A vCPU that has not
 * run yet holds before its first KVM_RUN. */
void vcpu_pause(struct vcpu *vcpu);

/* Let a held vCPU run again (any thread). */
void vcpu_resume(struct vcpu *vcpu);

/* Wait for the thread (after vcpu_kick) and release the vCPU. */
void vcpu_destroy(struct vcpu *vcpu);

#endif
