/* Intel MultiProcessor Specification 1.4 structures. Linux's UAPI has no MP
 * table header, so the layouts are defined once here; each cites the spec's
 * table or section. All are packed and little-endian, as the spec lays
 * them out. */
#ifndef VOLT_BOOT_MPTABLE_DEFS_H
#define VOLT_BOOT_MPTABLE_DEFS_H

#include <stdint.h>

#define MP_SPEC_REV_1_4 4

/* Table 4-1: MP floating pointer structure (signature "_MP_"). */
struct mp_floating_pointer {
	char signature[4];
	uint32_t config_table;   /* physical address of the "PCMP" header */
	uint8_t length;          /* in 16-byte paragraphs */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];      /* feature[0] == 0: a configuration table exists */
} __attribute__((packed));

/* Table 4-2: MP configuration table header (signature "PCMP"). */
struct mp_config_header {
	char signature[4];
	uint16_t base_length;    /* header plus all base entries */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

/* Table 4-3: entry type codes; base entries must appear in this order. */
enum mp_entry_type {
	MP_ENTRY_PROCESSOR = 0,
	MP_ENTRY_BUS = 1,
	MP_ENTRY_IOAPIC = 2,
	MP_ENTRY_IO_INTERRUPT = 3,
	MP_ENTRY_LOCAL_INTERRUPT = 4,
};

/* Table 4-4 (section 4.3.1): processor entry. */
#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP     0x02
struct mp_processor {
	uint8_t type;
	uint8_t lapic_id;
	uint8_t lapic_version;
	uint8_t cpu_flags;
	uint32_t cpu_signature;  /* Table 4-5: stepping, model, family */
	uint32_t feature_flags;  /* Table 4-6: CPUID.1:EDX */
	uint32_t reserved[2];
} __attribute__((packed));

/* Section 4.3.2: bus entry; the type is a space-padded string. */
struct mp_bus {
	uint8_t type;
	uint8_t bus_id;
	char bus_type[6];
} __attribute__((packed));

/* Section 4.3.3: I/O APIC entry. */
#define MP_IOAPIC_ENABLED 0x01
struct mp_ioapic {
	uint8_t type;
	uint8_t ioapic_id;
	uint8_t ioapic_version;
	uint8_t flags;
	uint32_t addr;
} __attribute__((packed));

/* Table 4-11: interrupt types. */
enum mp_irq_type {
	MP_IRQ_INT = 0,
	MP_IRQ_NMI = 1,
	MP_IRQ_SMI = 2,
	MP_IRQ_EXTINT = 3,
};

/* Tables 4-10 and 4-12: I/O and local interrupt assignment entries share
 * one layout; dst_id is an I/O APIC or local APIC ID (0xff: all), dst_pin
 * an INTIN or LINTIN number. flags 0 = polarity and trigger conform to the
 * bus (for ISA: active high, edge). */
#define MP_APIC_ALL 0xff
struct mp_interrupt {
	uint8_t type;
	uint8_t irq_type;
	uint16_t flags;
	uint8_t src_bus_id;
	uint8_t src_bus_irq;
	uint8_t dst_id;
	uint8_t dst_pin;
} __attribute__((packed));

_Static_assert(sizeof(struct mp_floating_pointer) == 16, "MP spec Table 4-1");
_Static_assert(sizeof(struct mp_config_header) == 44, "MP spec Table 4-2");
_Static_assert(sizeof(struct mp_processor) == 20, "MP spec Table 4-3");
_Static_assert(sizeof(struct mp_bus) == 8, "MP spec Table 4-3");
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP spec Table 4-3");
_Static_assert(sizeof(struct mp_interrupt) == 8, "MP spec Table 4-3");

#endif
