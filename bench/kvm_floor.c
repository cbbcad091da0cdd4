/* The floor for "process start to the guest's first instruction" on this
 * host: the KVM calls no VMM can skip (VM, irqchip, one RAM slot, one vCPU,
 * 64-bit-less real-mode entry) and one KVM_RUN that exits on the guest's
 * first instruction, an OUT to the boot-timer port. Prints the time from
 * main() and the CLOCK_MONOTONIC time of that exit, like volt's boot timer. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	/* out %al, $0x80 ... in real mode at 0x1000: mov $0x440,%dx; out %al,(%dx); hlt */
	static const uint8_t code[] = { 0xba, 0x40, 0x04, 0xee, 0xf4 };
	uint64_t start = now_ns(), mem_size = 128ULL << 20, idmap = 0xfffbc000;
	struct kvm_pit_config pit = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_run *run;
	int kvm, vm, vcpu;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("/dev/kvm");
		return 77;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000);
	ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	ioctl(vm, KVM_CREATE_PIT2, &pit);
	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	struct kvm_userspace_memory_region slot = { .memory_size = mem_size, .userspace_addr = (uintptr_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		perror("KVM_SET_USER_MEMORY_REGION");
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run = mmap(NULL, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ioctl(vcpu, KVM_GET_SREGS, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	ioctl(vcpu, KVM_SET_REGS, &regs);
	if (ioctl(vcpu, KVM_RUN, 0) < 0 || run->exit_reason != KVM_EXIT_IO) {
		fprintf(stderr, "kvm-floor: unexpected exit %u\n", run->exit_reason);
		return 1;
	}
	uint64_t t = now_ns();
	printf("kvm-floor: first guest instruction at %llu us after start (monotonic %llu ns)\n",
	       (unsigned long long)(t - start) / 1000, (unsigned long long)t);
	(void)argc;
	(void)argv;
	return 0;
}
