/* The virtual machine: the KVM VM fd, guest RAM, the two buses, the vCPUs,
 * and the exit request that ends the run. */
#ifndef VOLT_VM_VM_H
#define VOLT_VM_VM_H

#include <stdatomic.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "bus/bus.h"
#include "loop/evloop.h"
#include "util/err.h"
#include "vm/guest_mem.h"

struct vcpu;

/* Exit statuses of the volt process. */
enum vm_exit_status {
	VM_EXIT_OK = 0,      /* guest reset, triple fault, or SIGTERM/SIGINT */
	VM_EXIT_ERROR = 1,   /* the VM failed (KVM error, unknown exit) */
	VM_EXIT_CONFIG = 2,  /* bad configuration (never from a running VM) */
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int run_size;                     /* KVM_GET_VCPU_MMAP_SIZE */
	struct kvm_cpuid2 *supported_cpuid;
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct evloop *loop;
	unsigned nvcpus;
	struct vcpu *vcpus;
	atomic_bool stopping;             /* set once an exit was requested */
};

/* Map guest RAM; no KVM call yet, so images can be loaded into it while
 * vm_create() runs. */
int vm_init(struct vm *vm, uint64_t ram_size, unsigned nvcpus, struct evloop *loop,
	    struct volt_err *err);

/* Open /dev/kvm, create the VM with its irqchip and PIT, register RAM. */
int vm_create(struct vm *vm, struct volt_err *err);
void vm_destroy(struct vm *vm);

/* Edge-pulse a GSI on the in-kernel irqchip (ISA devices such as the UART). */
void vm_irq_pulse(struct vm *vm, unsigned gsi);

/* Ask the VM to stop with status (from any thread, first request wins). */
void vm_request_exit(struct vm *vm, int status);

#endif
