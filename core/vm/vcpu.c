#include "vm/vcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/boot.h"
#include "sandbox/sandbox.h"
#include "util/log.h"
#include "util/thread.h"
#include "vm/cpuid.h"
#include "vm/msr.h"

/* LAPIC register offsets and LVT delivery modes (Intel SDM vol. 3, 10.5.1). */
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x700
#define APIC_MODE_NMI 0x400
#define APIC_MODE_MASK 0x700

static void vcpu_kick_handler(int sig) { (void)sig; }

int vcpu_signals_init(struct volt_err *err)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return verr_set(err, errno, "sigaction: %s", strerror(errno));
	return 0;
}

static int vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg, const char *what,
		      struct volt_err *err)
{
	if (ioctl(vcpu->fd, req, arg) < 0)
		return verr_set(err, errno, "vCPU %u: %s: %s", vcpu->index, what, strerror(errno));
	return 0;
}

/* LINT0 takes the PIC's ExtINT and LINT1 the NMI, as the MP table says and
 * as firmware would leave them. */
static int vcpu_setup_lapic(struct vcpu *vcpu, struct volt_err *err)
{
	struct kvm_lapic_state lapic;
	uint32_t *lvt0 = (uint32_t *)&lapic.regs[APIC_LVT0];
	uint32_t *lvt1 = (uint32_t *)&lapic.regs[APIC_LVT1];
	int r = vcpu_ioctl(vcpu, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC", err);

	if (r)
		return r;
	*lvt0 = (*lvt0 & ~APIC_MODE_MASK) | APIC_MODE_EXTINT;
	*lvt1 = (*lvt1 & ~APIC_MODE_MASK) | APIC_MODE_NMI;
	return vcpu_ioctl(vcpu, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC", err);
}

/* Leaf 0xD.0 EBX (the XSAVE area size for the current XCR0) is recomputed by
 * KVM when it sees the guest write XCR0. Where the guest's XSETBV does not
 * reach KVM (nested under an emulated SVM, as in our rig), the size stays the
 * one for XCR0 = x87, Linux finds it inconsistent and turns XSAVE off.
 * Starting with XCR0 = every user state the guest's CPUID offers makes the
 * size right either way; Linux writes XCR0 itself at boot. */
static int vcpu_setup_xcr0(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid,
			   struct volt_err *err)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	uint64_t xcr0 = 0;

	for (uint32_t i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 0xd && e->index == 0)
			xcr0 = e->eax | (uint64_t)e->edx << 32;
	}
	/* No XSAVE for this guest, or a KVM without XCR access: keep the reset value. */
	if (!(xcr0 & 1) || ioctl(vcpu->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0)
		return 0;
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = xcr0;
	return vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs, "KVM_SET_XCRS", err);
}

static int vcpu_setup_cpuid(struct vcpu *vcpu, struct volt_err *err)
{
	struct kvm_cpuid2 *cpuid = cpuid_build(vcpu->vm->supported_cpuid, vcpu->index,
					       vcpu->vm->nvcpus, err);
	int r;

	if (!cpuid) {
		verr_prefix(err, "vCPU %u: ", vcpu->index);
		return -err->code;
	}
	r = vcpu_ioctl(vcpu, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2", err);
	if (!r)
		r = vcpu_setup_xcr0(vcpu, cpuid, err);
	free(cpuid);
	return r;
}

static int vcpu_setup_boot_regs(struct vcpu *vcpu, uint64_t entry, struct volt_err *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	int r = vcpu_ioctl(vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", err);

	if (r)
		return r;
	boot_sregs_init(&sregs);
	boot_regs_init(&regs, entry);
	boot_fpu_init(&fpu);
	r = vcpu_ioctl(vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS", err);
	if (!r)
		r = vcpu_ioctl(vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS", err);
	if (!r)
		r = vcpu_ioctl(vcpu, KVM_SET_FPU, &fpu, "KVM_SET_FPU", err);
	return r;
}

int vcpu_create(struct vcpu *vcpu, struct vm *vm, unsigned index, uint64_t entry,
		struct volt_err *err)
{
	void *run;
	int r;

	memset(vcpu, 0, sizeof(*vcpu));
	pthread_mutex_init(&vcpu->pause_lock, NULL);
	pthread_cond_init(&vcpu->pause_cond, NULL);
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu->fd < 0)
		return verr_set(err, errno, "vCPU %u: KVM_CREATE_VCPU: %s", index, strerror(errno));
	run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED)
		return verr_set(err, errno, "vCPU %u: mapping kvm_run: %s", index, strerror(errno));
	vcpu->run = run;
	/* CPUID first: KVM derives register and MSR validity from it. */
	/* vcpu_ioctl's errors name the vCPU already; the others do not. */
	r = vcpu_setup_cpuid(vcpu, err);
	if (!r && (r = msr_apply(vcpu->fd, err)))
		verr_prefix(err, "vCPU %u: ", index);
	if (r)
		return r;
	r = vcpu_setup_lapic(vcpu, err);
	if (!r && index == 0)
		r = vcpu_setup_boot_regs(vcpu, entry, err);
	return r;
}

static const char *vcpu_exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "KVM_EXIT_UNKNOWN";
	case KVM_EXIT_EXCEPTION: return "KVM_EXIT_EXCEPTION";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
	default: return "unknown exit";
	}
}

/* KVM on AMD puts the vCPU through INIT before it reports a triple fault
 * (the VMCB is undefined after a shutdown), so its registers then say
 * nothing about where the guest was: say so rather than mislead. */
static const char *vcpu_regs_note(const struct kvm_regs *r, const struct kvm_sregs *s)
{
	if (r->rip == 0xfff0 && s->cs.selector == 0xf000 && !(s->cr0 & 1))
		return " (the INIT state: this KVM resets the vCPU before it reports a triple fault, so where the guest was is lost)";
	return "";
}

/* One line with what happened and where the vCPU was. */
static void vcpu_report(struct vcpu *vcpu, enum log_level level, const char *what)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		log_msg(level, "vCPU %u: %s (registers unavailable: %s)", vcpu->index, what,
			strerror(errno));
		return;
	}
	log_msg(level, "vCPU %u: %s: rip=0x%llx rsp=0x%llx rflags=0x%llx rax=0x%llx rbx=0x%llx "
		"rcx=0x%llx rdx=0x%llx rsi=0x%llx rdi=0x%llx cr0=0x%llx cr2=0x%llx cr3=0x%llx "
		"cr4=0x%llx efer=0x%llx cs=0x%x%s",
		vcpu->index, what, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi,
		r.rdi, s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector, vcpu_regs_note(&r, &s));
}

static void vcpu_exit_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	/* String I/O (rep outsb/insb) arrives as `count` back-to-back items. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		bus_access(&vcpu->vm->pio, run->io.port, data, run->io.size,
			   run->io.direction == KVM_EXIT_IO_OUT);
}

/* Returns true if the vCPU should keep running. */
static bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t *count = &vcpu->exits[run->exit_reason % 64];
	char what[128];

	/* This thread is the only writer; the API thread reads (metrics). */
	__atomic_store_n(count, *count + 1, __ATOMIC_RELAXED);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_exit_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		bus_access(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			   run->mmio.is_write);
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A reset as far as the guest is concerned (Linux ends a reboot
		 * with one when the others fail), but also how a guest kernel
		 * dies when it cannot even take an exception: where it was tells
		 * the two apart. */
		vcpu_report(vcpu, LOG_INFO, "guest triple fault (shutdown), stopping the VM");
		vm_request_exit(vcpu->vm, VM_EXIT_OK);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		log_info("vCPU %u: guest system event %u; stopping the VM", vcpu->index,
			 run->system_event.type);
		vm_request_exit(vcpu->vm, run->system_event.type == KVM_SYSTEM_EVENT_CRASH ?
						  VM_EXIT_ERROR : VM_EXIT_OK);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error, suberror %u%s",
			 run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" : "");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "VM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		snprintf(what, sizeof(what), "unhandled exit %u (%s)", run->exit_reason,
			 vcpu_exit_name(run->exit_reason));
		break;
	}
	vcpu_report(vcpu, LOG_ERROR, what);
	vm_request_exit(vcpu->vm, VM_EXIT_ERROR);
	return false;
}

/* On the vCPU's thread: wait while a pause is wanted (or until the VM
 * stops). */
static void vcpu_hold(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->pause_lock);
	vcpu->held = true;
	pthread_cond_broadcast(&vcpu->pause_cond);
	while (atomic_load(&vcpu->pause_wanted) && !atomic_load(&vcpu->vm->stopping))
		pthread_cond_wait(&vcpu->pause_cond, &vcpu->pause_lock);
	vcpu->held = false;
	/* The pause's kick must not end the next KVM_RUN; a stop's kick comes
	 * with `stopping`, which the loop checks next. */
	vcpu->run->immediate_exit = 0;
	pthread_mutex_unlock(&vcpu->pause_lock);
}

static void *vcpu_thread(void *opaque)
{
	struct vcpu *vcpu = opaque;
	char name[16];
	sigset_t set;
	int r;

	/* Created before lockdown; runs no guest code until the sandbox's gate
	 * opens, then stacks the vCPU threads' filter on itself. */
	snprintf(name, sizeof(name), "vcpu%u", vcpu->index);
	r = sandbox_thread_enter(VOLT_THREAD_VCPU, name);
	if (r) {
		if (r < 0)
			vm_request_exit(vcpu->vm, VM_EXIT_ERROR);
		return NULL;
	}
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (;;) {
		if (atomic_load(&vcpu->pause_wanted))
			vcpu_hold(vcpu);
		if (atomic_load(&vcpu->vm->stopping))
			break;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_error("vCPU %u: KVM_RUN: %s", vcpu->index, strerror(errno));
			vm_request_exit(vcpu->vm, VM_EXIT_ERROR);
			break;
		}
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	pthread_mutex_lock(&vcpu->pause_lock);
	vcpu->exited = true;
	pthread_cond_broadcast(&vcpu->pause_cond);
	pthread_mutex_unlock(&vcpu->pause_lock);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu, struct volt_err *err)
{
	int r = thread_create(&vcpu->thread, THREAD_STACK_SMALL, vcpu_thread, vcpu);

	if (r)
		return verr_set(err, r, "vCPU %u: cannot start its thread: %s", vcpu->index, strerror(r));
	sandbox_gate_expect();
	vcpu->started = true;
	return 0;
}

/* Under pause_lock: a thread being joined is never signalled. */
static void vcpu_kick_locked(struct vcpu *vcpu)
{
	if (!vcpu->started || vcpu->closing)
		return;
	/* immediate_exit covers a kick that lands just before KVM_RUN. */
	vcpu->run->immediate_exit = 1;
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_kick(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->pause_lock);
	vcpu_kick_locked(vcpu);
	/* A held vCPU wakes and sees `stopping`. */
	pthread_cond_broadcast(&vcpu->pause_cond);
	pthread_mutex_unlock(&vcpu->pause_lock);
}

void vcpu_pause(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->pause_lock);
	atomic_store(&vcpu->pause_wanted, true);
	vcpu_kick_locked(vcpu);
	while (vcpu->started && !vcpu->closing && !vcpu->held && !vcpu->exited &&
	       !atomic_load(&vcpu->vm->stopping))
		pthread_cond_wait(&vcpu->pause_cond, &vcpu->pause_lock);
	pthread_mutex_unlock(&vcpu->pause_lock);
}

void vcpu_resume(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->pause_lock);
	atomic_store(&vcpu->pause_wanted, false);
	pthread_cond_broadcast(&vcpu->pause_cond);
	pthread_mutex_unlock(&vcpu->pause_lock);
}

void vcpu_destroy(struct vcpu *vcpu)
{
	/* No kick or pause reaches the thread from here on. The lock and
	 * condition stay usable (they own nothing): a pause on another thread
	 * may still be leaving them. */
	pthread_mutex_lock(&vcpu->pause_lock);
	vcpu->closing = true;
	pthread_cond_broadcast(&vcpu->pause_cond);
	pthread_mutex_unlock(&vcpu->pause_lock);
	if (vcpu->started)
		pthread_join(vcpu->thread, NULL);
	if (vcpu->run)
		munmap(vcpu->run, (size_t)vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->started = false;
	vcpu->run = NULL;
	vcpu->fd = -1;
}
