#include "vm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/log.h"
#include "vm/cpuid.h"
#include "vm/layout.h"

/* Capabilities the VMM cannot run without, with why. */
static const struct {
	int cap;
	const char *name;
} vm_required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel PIC/IOAPIC/LAPIC)" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY (guest RAM from mmap)" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2 (in-kernel PIT)" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD (device interrupts)" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD (queue notifications)" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT (stopping vCPUs)" },
};

static int vm_open_kvm(struct vm *vm, struct volt_err *err)
{
	int version;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return verr_set(err, errno, "cannot open /dev/kvm: %s", strerror(errno));
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return verr_set(err, ENOTSUP, "/dev/kvm speaks API version %d, volt needs %d",
				version, KVM_API_VERSION);
	for (size_t i = 0; i < sizeof(vm_required_caps) / sizeof(vm_required_caps[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, vm_required_caps[i].cap) <= 0)
			return verr_set(err, ENOTSUP, "KVM lacks %s", vm_required_caps[i].name);
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run))
		return verr_set(err, EINVAL, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->supported_cpuid = cpuid_get_supported(vm->kvm_fd, err);
	return vm->supported_cpuid ? 0 : -err->code;
}

static int vm_ioctl(struct vm *vm, unsigned long req, unsigned long arg, const char *what,
		    struct volt_err *err)
{
	if (ioctl(vm->vm_fd, req, arg) < 0)
		return verr_set(err, errno, "%s: %s", what, strerror(errno));
	return 0;
}

/* The TSS and identity-map pages must lie outside RAM and outside anything
 * else on the MMIO bus; they sit just below the BIOS area under 4 GiB. */
static int vm_setup_chipset(struct vm *vm, struct volt_err *err)
{
	uint64_t idmap = LAYOUT_IDENTITY_MAP;
	/* The speaker port 0x61 in KVM too: the PIT's channel 2 gate (Linux
	 * calibrates the TSC with it) and the NMI status bits, which would
	 * read 0xff (SERR and IOCHK) from an empty port. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int r;

	r = vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&idmap, "KVM_SET_IDENTITY_MAP_ADDR", err);
	if (!r)
		r = vm_ioctl(vm, KVM_SET_TSS_ADDR, LAYOUT_TSS_ADDR, "KVM_SET_TSS_ADDR", err);
	if (!r)
		r = vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP", err);
	if (!r)
		r = vm_ioctl(vm, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2", err);
	return r;
}

static int vm_register_memory(struct vm *vm, struct volt_err *err)
{
	int r = 0;

	for (unsigned i = 0; !r && i < vm->mem.nregions; i++) {
		const struct guest_mem_region *reg = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = reg->gpa,
			.memory_size = reg->size,
			.userspace_addr = (uintptr_t)reg->hva,
		};

		r = vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&slot,
			     "KVM_SET_USER_MEMORY_REGION", err);
	}
	return r;
}

int vm_init(struct vm *vm, uint64_t ram_size, unsigned nvcpus, struct evloop *loop,
	    struct volt_err *err)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	vm->loop = loop;
	vm->nvcpus = nvcpus;
	bus_init(&vm->pio, "PIO");
	bus_init(&vm->mmio, "MMIO");
	r = guest_mem_init(&vm->mem, ram_size, err);
	/* Benchmarks use this line to tell guest RAM from VMM memory. */
	if (!r)
		log_debug("guest RAM: %llu MiB at host %p-%p", (unsigned long long)(ram_size >> 20),
			  (void *)vm->mem.base, (void *)(vm->mem.base + vm->mem.map_size));
	return r;
}

/* Guests get no PMU: its counters are a side channel between tenants and
 * KVM's emulation of them has had its share of bugs. CPUID hides it
 * (cpuid.c), but on AMD the legacy counter MSRs answer whatever CPUID
 * says, so KVM's vPMU itself is turned off where KVM can (Linux 6.0 and
 * later; it must happen before any vCPU exists). A KVM that offers no vPMU
 * at all (enable_pmu off, or no host PMU) answers 0 here. */
static int vm_disable_pmu(struct vm *vm, struct volt_err *err)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_PMU_CAPABILITY,
		.args = { KVM_PMU_CAP_DISABLE },
	};
	int r = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PMU_CAPABILITY);

	if (r <= 0 || !(r & KVM_PMU_CAP_DISABLE)) {
		log_debug("guest PMU: KVM offers none to turn off (KVM_CAP_PMU_CAPABILITY %d)", r);
		return 0;
	}
	r = vm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap, "KVM_ENABLE_CAP(KVM_CAP_PMU_CAPABILITY)", err);
	if (!r)
		log_debug("guest PMU: off (KVM_PMU_CAP_DISABLE)");
	return r;
}

int vm_create(struct vm *vm, struct volt_err *err)
{
	int r = vm_open_kvm(vm, err);

	if (r)
		return r;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return verr_set(err, errno, "KVM_CREATE_VM: %s", strerror(errno));
	r = vm_disable_pmu(vm, err);
	if (!r)
		r = vm_setup_chipset(vm, err);
	if (!r)
		r = vm_register_memory(vm, err);
	return r;
}

void vm_destroy(struct vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	guest_mem_fini(&vm->mem);
	free(vm->supported_cpuid);
	bus_fini(&vm->pio);
	bus_fini(&vm->mmio);
	vm->vm_fd = vm->kvm_fd = -1;
}

void vm_irq_pulse(struct vm *vm, unsigned gsi)
{
	struct kvm_irq_level level = { .irq = gsi, .level = 1 };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &level) < 0)
		log_warn("raising IRQ %u: %s", gsi, strerror(errno));
	level.level = 0;
	ioctl(vm->vm_fd, KVM_IRQ_LINE, &level);
}

void vm_request_exit(struct vm *vm, int status)
{
	atomic_store(&vm->stopping, true);
	evloop_stop_async(vm->loop, status);
}
