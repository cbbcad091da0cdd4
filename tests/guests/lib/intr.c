/* The IDT, local APIC, IOAPIC and legacy PIC set-up the test guests share
 * (see intr.h). */
#include "intr.h"

#include "io.h"

#define LAPIC_BASE        0xfee00000ULL
#define LAPIC_TPR         0x080
#define LAPIC_EOI         0x0b0
#define LAPIC_SVR         0x0f0
#define LAPIC_LVT_TIMER   0x320
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_DIV   0x3e0
#define SVR_ENABLE        (1u << 8)
#define LVT_MASKED        (1u << 16)
#define LVT_PERIODIC      (1u << 17)
#define TIMER_DIV_1       0xb
#define VEC_SPURIOUS      0xff

#define IOAPIC_BASE       0xfec00000ULL
#define IOAPIC_REGSEL     0x00
#define IOAPIC_WIN        0x10
#define IOAPIC_REDIR(pin) (0x10 + 2 * (pin))
#define REDIR_MASKED      (1u << 16)

#define PIC1_DATA         0x21
#define PIC2_DATA         0xa1

_Static_assert(LAPIC_BASE + LAPIC_EOI == INTR_LAPIC_EOI, "the handlers' EOI address");

struct idt_gate {
	uint16_t off_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

volatile uint32_t intr_stray_count;
void intr_stray_entry(void);

__asm__(".pushsection .text\n"
	INTR_HANDLER("intr_stray_entry", "intr_stray_count", "")
	".popsection\n");

void idt_set(unsigned vector, void (*handler)(void))
{
	uint64_t off = (uint64_t)(uintptr_t)handler;

	idt[vector] = (struct idt_gate){
		.off_lo = (uint16_t)off,
		.selector = 0x08,
		.ist = 0,
		.type_attr = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
		.off_mid = (uint16_t)(off >> 16),
		.off_hi = (uint32_t)(off >> 32),
	};
}

void idt_install(void)
{
	struct idt_ptr p = { .limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt };

	for (unsigned v = 0; v < 256; v++)
		idt_set(v, intr_stray_entry);
	__asm__ volatile("lidt %0" : : "m"(p));
}

static void lapic_write(unsigned reg, uint32_t val)
{
	mmio_write32(LAPIC_BASE + reg, val);
}

void lapic_enable(void)
{
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
}

void lapic_timer_periodic(uint8_t vector, uint32_t count)
{
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
	lapic_write(LAPIC_LVT_TIMER, vector | LVT_PERIODIC);
	lapic_write(LAPIC_TIMER_INIT, count);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_TIMER_INIT, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

static void ioapic_write(unsigned reg, uint32_t val)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOAPIC_WIN, val);
}

static uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	return mmio_read32(IOAPIC_BASE + IOAPIC_WIN);
}

void ioapic_route(unsigned pin, uint8_t vector)
{
	/* The high word (destination) first, so the entry is never live with
	 * a stale destination. */
	ioapic_write(IOAPIC_REDIR(pin) + 1, 0);
	ioapic_write(IOAPIC_REDIR(pin), vector);
}

void ioapic_mask(unsigned pin)
{
	ioapic_write(IOAPIC_REDIR(pin), ioapic_read(IOAPIC_REDIR(pin)) | REDIR_MASKED);
}

void pic_mask_all(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}
