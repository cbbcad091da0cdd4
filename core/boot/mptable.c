/* The MP table (Intel MultiProcessor Specification 1.4): how a guest
 * without ACPI learns its CPUs, its IOAPIC and how the ISA IRQs are wired.
 * Linux looks for the floating pointer in the last KiB of base memory, so
 * the whole table goes at LAYOUT_EBDA_START, which e820 reserves. */
#include "boot/boot.h"

#include <errno.h>
#include <string.h>

#include "boot/mptable_defs.h"
#include "config/config.h"
#include "vm/layout.h"

#define MPTABLE_LAPIC_VERSION  0x14   /* an integrated local APIC, as KVM's */
#define MPTABLE_IOAPIC_VERSION 0x11   /* KVM's IOAPIC version register */
#define MPTABLE_CPU_SIGNATURE  0x600  /* family 6; Linux reads CPUID anyway */
#define MPTABLE_CPU_FEATURES   0x201  /* CPUID.1:EDX FPU | APIC */
/* Every pin of KVM's IOAPIC, not only the 16 ISA IRQs: Linux gives an IRQ
 * number only to a pin the table wires, and virtio-mmio and plugin devices
 * use IRQs up to LAYOUT_VIRTIO_IRQ_LAST (23); one on an unwired pin fails
 * its request_irq (probe error -22). */
#define MPTABLE_IOAPIC_PINS    KVM_IOAPIC_NUM_PINS
#define MPTABLE_ISA_BUS_ID     0

/* The entries that do not depend on ncpus: bus, IOAPIC, its pins, LINT0/1. */
#define MPTABLE_FIXED_ENTRIES  (1 + 1 + MPTABLE_IOAPIC_PINS + 2)
#define MPTABLE_SIZE(ncpus) \
	(sizeof(struct mp_floating_pointer) + sizeof(struct mp_config_header) + \
	 (ncpus) * sizeof(struct mp_processor) + sizeof(struct mp_bus) + \
	 sizeof(struct mp_ioapic) + (MPTABLE_IOAPIC_PINS + 2) * sizeof(struct mp_interrupt))
#define MPTABLE_MAX_SIZE MPTABLE_SIZE(CONFIG_VCPUS_MAX)

_Static_assert(LAYOUT_VIRTIO_IRQ_LAST < MPTABLE_IOAPIC_PINS,
	       "a device IRQ without an MP table entry does not exist in Linux");

/* The largest table must fit in the EBDA range that e820 reserves. */
_Static_assert(LAYOUT_EBDA_START + MPTABLE_MAX_SIZE <= LAYOUT_EBDA_END,
	       "MP table for CONFIG_VCPUS_MAX vCPUs overflows the EBDA");

/* The table is built in a host buffer, then copied in with one checked write. */
struct mptable_buf {
	uint8_t data[MPTABLE_MAX_SIZE];
	size_t len;
};

static void *mptable_append(struct mptable_buf *b, const void *entry, size_t size)
{
	void *dst = b->data + b->len;

	memcpy(dst, entry, size);
	b->len += size;
	return dst;
}

/* The byte that makes all len bytes (including itself, still 0) sum to 0. */
static uint8_t mptable_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

static void mptable_add_cpus(struct mptable_buf *b, unsigned ncpus)
{
	for (unsigned i = 0; i < ncpus; i++) {
		struct mp_processor cpu = {
			.type = MP_ENTRY_PROCESSOR,
			.lapic_id = (uint8_t)i,  /* cpuid.c gives vCPU i APIC ID i */
			.lapic_version = MPTABLE_LAPIC_VERSION,
			.cpu_flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.cpu_signature = MPTABLE_CPU_SIGNATURE,
			.feature_flags = MPTABLE_CPU_FEATURES,
		};

		mptable_append(b, &cpu, sizeof(cpu));
	}
}

static void mptable_add_bus_ioapic(struct mptable_buf *b, uint8_t ioapic_id)
{
	struct mp_bus bus = { .type = MP_ENTRY_BUS, .bus_id = MPTABLE_ISA_BUS_ID };
	struct mp_ioapic ioapic = {
		.type = MP_ENTRY_IOAPIC,
		.ioapic_id = ioapic_id,
		.ioapic_version = MPTABLE_IOAPIC_VERSION,
		.flags = MP_IOAPIC_ENABLED,
		.addr = (uint32_t)LAYOUT_IOAPIC_ADDR,
	};

	memcpy(bus.bus_type, "ISA   ", sizeof(bus.bus_type));
	mptable_append(b, &bus, sizeof(bus));
	mptable_append(b, &ioapic, sizeof(ioapic));
}

/* IRQ i is wired to IOAPIC pin i, as KVM's in-kernel irqchip routes GSI i.
 * All on the ISA bus (edge, active high), as the devices' irqfds pulse. */
static void mptable_add_irqs(struct mptable_buf *b, uint8_t ioapic_id)
{
	for (uint8_t irq = 0; irq < MPTABLE_IOAPIC_PINS; irq++) {
		struct mp_interrupt e = {
			.type = MP_ENTRY_IO_INTERRUPT,
			.irq_type = MP_IRQ_INT,
			.src_bus_id = MPTABLE_ISA_BUS_ID,
			.src_bus_irq = irq,
			.dst_id = ioapic_id,
			.dst_pin = irq,
		};

		mptable_append(b, &e, sizeof(e));
	}
}

/* The PC wiring of every local APIC: the 8259 on LINT0, NMI on LINT1. */
static void mptable_add_lints(struct mptable_buf *b)
{
	struct mp_interrupt e = {
		.type = MP_ENTRY_LOCAL_INTERRUPT,
		.src_bus_id = MPTABLE_ISA_BUS_ID,
		.dst_id = MP_APIC_ALL,
	};

	e.irq_type = MP_IRQ_EXTINT;
	e.dst_pin = 0;
	mptable_append(b, &e, sizeof(e));
	e.irq_type = MP_IRQ_NMI;
	e.dst_pin = 1;
	mptable_append(b, &e, sizeof(e));
}

static void mptable_add_floating_pointer(struct mptable_buf *b)
{
	struct mp_floating_pointer fp = {
		.config_table = (uint32_t)(LAYOUT_EBDA_START + sizeof(fp)),
		.length = 1,
		.spec_rev = MP_SPEC_REV_1_4,
	};

	memcpy(fp.signature, "_MP_", sizeof(fp.signature));
	fp.checksum = mptable_checksum((const uint8_t *)&fp, sizeof(fp));
	mptable_append(b, &fp, sizeof(fp));
}

/* The header goes in first with its counts; its checksum covers the entries,
 * so it is filled in last. */
static void mptable_build(struct mptable_buf *b, unsigned ncpus)
{
	struct mp_config_header hdr = {
		.base_length = (uint16_t)(MPTABLE_SIZE(ncpus) - sizeof(struct mp_floating_pointer)),
		.spec_rev = MP_SPEC_REV_1_4,
		.entry_count = (uint16_t)(ncpus + MPTABLE_FIXED_ENTRIES),
		.lapic_addr = (uint32_t)LAYOUT_LAPIC_ADDR,
	};
	struct mp_config_header *h;
	uint8_t ioapic_id = (uint8_t)ncpus;  /* the first ID after the CPUs' */

	memcpy(hdr.signature, "PCMP", sizeof(hdr.signature));
	memcpy(hdr.oem_id, "VOLT    ", sizeof(hdr.oem_id));
	memcpy(hdr.product_id, "MICROVM     ", sizeof(hdr.product_id));

	b->len = 0;
	mptable_add_floating_pointer(b);
	h = mptable_append(b, &hdr, sizeof(hdr));
	mptable_add_cpus(b, ncpus);
	mptable_add_bus_ioapic(b, ioapic_id);
	mptable_add_irqs(b, ioapic_id);
	mptable_add_lints(b);
	h->checksum = mptable_checksum((const uint8_t *)h, hdr.base_length);
}

int mptable_write(struct guest_mem *mem, unsigned ncpus, struct volt_err *err)
{
	struct mptable_buf b;
	int rc;

	if (ncpus == 0 || ncpus > CONFIG_VCPUS_MAX)
		return verr_set(err, EINVAL, "MP table for %u vCPUs: must be 1 to %u",
				ncpus, CONFIG_VCPUS_MAX);
	mptable_build(&b, ncpus);
	rc = guest_mem_write(mem, LAYOUT_EBDA_START, b.data, b.len);
	if (rc)
		return verr_set(err, -rc, "cannot write the MP table at %#llx", LAYOUT_EBDA_START);
	return 0;
}
