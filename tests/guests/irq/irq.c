/* irq: external interrupts end to end. The guest installs a 64-bit IDT,
 * enables its local APIC, routes IOAPIC pin 4 (COM1) to vector 0x24, masks
 * the legacy PIC and asks the UART for a THR-empty interrupt; then it waits
 * with `sti; hlt` until the handler has run. A periodic LAPIC timer (vector
 * 0x30), checked first, bounds every hlt so a lost interrupt gives FAIL, not
 * a hang. A last check does the same for the PIT (ISA IRQ 0, which volt's MP
 * table puts on IOAPIC pin 0; pin 2 is counted too, as some VMMs use it).
 *
 * Exceptions are fatal on the test rig's KVM, so every vector has a gate. */
#include "guest.h"
#include "io.h"
#include "check.h"
#include "intr.h"
#include "serial.h"

#define PIT_CH0          0x40
#define PIT_CMD          0x43
#define PIT_HZ           1193182

#define VEC_UART         0x24
#define VEC_PIT_PIN0     0x25
#define VEC_PIT_PIN2     0x26
#define VEC_TIMER        0x30

#define UART_IRQ_PIN     4
#define WAIT_TICKS       100 /* LAPIC timer periods (10 ms) per wait */
#define WAIT_TSC         (3ULL << 30) /* about a second at 3 GHz */

/* Written by the handlers below. */
volatile uint32_t irq_uart_count, irq_uart_iir, irq_timer_count;
volatile uint32_t irq_pit_count, irq_pit0_count, irq_pit2_count;

void irq_uart_entry(void);
void irq_timer_entry(void);
void irq_pit0_entry(void);
void irq_pit2_entry(void);

/* Handlers: count, acknowledge the local APIC, return. The UART handler
 * also reads IIR, as a driver would, which clears a THR-empty condition. */
__asm__(".pushsection .text\n"
	INTR_HANDLER("irq_uart_entry", "irq_uart_count",
		     "	movw $0x3fa, %dx\n"
		     "	inb %dx, %al\n"
		     "	movzbl %al, %eax\n"
		     "	movl %eax, irq_uart_iir(%rip)\n")
	INTR_HANDLER("irq_timer_entry", "irq_timer_count", "")
	INTR_HANDLER("irq_pit0_entry", "irq_pit0_count", "	incl irq_pit_count(%rip)\n")
	INTR_HANDLER("irq_pit2_entry", "irq_pit2_count", "	incl irq_pit_count(%rip)\n")
	".popsection\n");

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static int lapic_timer_ok;

/* Wait with interrupts enabled until *count reaches want, or WAIT_TICKS
 * LAPIC timer periods, or WAIT_TSC cycles (wall time: the TSC runs at the
 * host's rate however slowly the guest is emulated) have passed. Once the
 * LAPIC timer is known to tick, every hlt is bounded and the wait uses
 * `sti; hlt` (the sti shadow covers hlt, so an interrupt already pending
 * wakes it); before that it spins. */
static void wait_for(volatile uint32_t *count, uint32_t want)
{
	uint32_t ticks = irq_timer_count;
	uint64_t tsc = rdtsc();

	while (*count < want && irq_timer_count - ticks < WAIT_TICKS &&
	       rdtsc() - tsc < WAIT_TSC) {
		if (lapic_timer_ok)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		else
			__asm__ volatile("sti; pause; cli" ::: "memory");
	}
}

static void check_lapic_timer(void)
{
	lapic_timer_periodic(VEC_TIMER, 10000000); /* 10 ms at KVM's 1 GHz APIC bus */
	wait_for(&irq_timer_count, 2);
	lapic_timer_ok = irq_timer_count >= 2;
	guest_check(lapic_timer_ok, "lapic timer", "fewer than 2 LAPIC timer interrupts (vector 0x30)");
}

static void check_uart(void)
{
	uint8_t iir_idle = inb(COM1_IIR);

	ioapic_route(UART_IRQ_PIN, VEC_UART);
	outb(COM1_IER, 0x02); /* ETBEI: interrupt when THR is empty */
	wait_for(&irq_uart_count, 1);
	outb(COM1_IER, 0x00);
	ioapic_mask(UART_IRQ_PIN);

	guest_check((iir_idle & 0x0f) == 0x01, "uart iir idle", "IIR did not read 0x01 before IER was set");
	if (irq_uart_count) {
		serial_puts("IRQ: received vector 0x24 from the UART (IRQ 4), IIR ");
		serial_hex(irq_uart_iir);
		serial_putc('\n');
	}
	guest_check(irq_uart_count > 0, "uart irq", "no interrupt on vector 0x24 within 1 s");
	guest_check((irq_uart_iir & 0x0f) == 0x02, "uart iir thre",
	      "IIR in the handler was not 0x02 (THR empty)");
}

static void check_pit(void)
{
	uint16_t div = PIT_HZ / 100;

	ioapic_route(0, VEC_PIT_PIN0);
	ioapic_route(2, VEC_PIT_PIN2);
	outb(PIT_CMD, 0x34); /* channel 0, lo/hi byte, mode 2 (rate generator) */
	outb(PIT_CH0, (uint8_t)div);
	outb(PIT_CH0, (uint8_t)(div >> 8));
	irq_pit0_count = irq_pit2_count = 0;
	wait_for(&irq_pit_count, 3);
	ioapic_mask(0);
	ioapic_mask(2);
	outb(PIT_CMD, 0x30); /* mode 0, no count written: the channel stops */

	serial_puts("IRQ: PIT ticks on IOAPIC pin 0: ");
	serial_dec(irq_pit0_count);
	serial_puts(", pin 2: ");
	serial_dec(irq_pit2_count);
	serial_putc('\n');
	guest_check(irq_pit0_count + irq_pit2_count >= 3, "pit irq", "fewer than 3 PIT interrupts in 1 s");
}

void guest_main(void)
{
	idt_install();
	idt_set(VEC_UART, irq_uart_entry);
	idt_set(VEC_PIT_PIN0, irq_pit0_entry);
	idt_set(VEC_PIT_PIN2, irq_pit2_entry);
	idt_set(VEC_TIMER, irq_timer_entry);
	pic_mask_all();
	lapic_enable();

	check_lapic_timer();
	check_uart();
	check_pit();

	lapic_timer_stop();
	serial_puts("IRQ: LAPIC timer ticks ");
	serial_dec(irq_timer_count);
	serial_puts(", stray interrupts ");
	serial_dec(intr_stray_count);
	serial_putc('\n');
	guest_check(intr_stray_count == 0, "no stray interrupts", "an unexpected vector arrived");
	guest_report("IRQ", guest_pass, guest_fail);
}
