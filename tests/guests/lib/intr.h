/* Interrupts for the test guests: a 64-bit IDT, the local APIC, IOAPIC
 * redirection entries and the legacy PIC. A guest installs the IDT, sets
 * the vectors it expects with idt_set(), and writes their handlers in
 * assembly with INTR_HANDLER (no SSE, no C interrupt frames).
 *
 * Exceptions are fatal on the test rig's KVM, so every vector has a gate:
 * idt_install() points all 256 at a handler that only counts, in
 * intr_stray_count, which a guest checks is still 0 at the end. */
#ifndef VOLT_GUEST_INTR_H
#define VOLT_GUEST_INTR_H

#include <stdint.h>

/* The local APIC's EOI register (LAPIC base 0xfee00000 + 0xb0), for the
 * handlers' assembly. */
#define INTR_LAPIC_EOI 0xfee000b0

#define INTR_STR_(x) #x
#define INTR_STR(x)  INTR_STR_(x)

/* A handler for a top-level __asm__ in .text: save %rax and %rdx, run
 * `extra` (more assembly, free to use both), add one to the global
 * uint32_t `counter`, signal EOI to the local APIC, iretq. name and
 * counter are symbol names as strings. */
#define INTR_HANDLER(name, counter, extra)                        \
	".globl " name "\n" name ":\n"                            \
	"	pushq %rax\n"                                     \
	"	pushq %rdx\n"                                     \
	extra                                                     \
	"	incl " counter "(%rip)\n"                         \
	"	movl $" INTR_STR(INTR_LAPIC_EOI) ", %eax\n"       \
	"	movl $0, (%rax)\n"                                \
	"	popq %rdx\n"                                      \
	"	popq %rax\n"                                      \
	"	iretq\n"

/* Interrupts that arrived on a vector no idt_set() claimed. */
extern volatile uint32_t intr_stray_count;

/* Fill the IDT with the stray handler on every vector and load it. */
void idt_install(void);

/* Point `vector` at `handler` (a present, DPL 0, 64-bit interrupt gate). */
void idt_set(unsigned vector, void (*handler)(void));

/* Software-enable the local APIC (spurious vector 0xff) and accept
 * interrupts of every priority (TPR 0). */
void lapic_enable(void);

/* Start the LAPIC timer: `vector` every `count` bus clocks (divide by 1). */
void lapic_timer_periodic(uint8_t vector, uint32_t count);

/* Stop the LAPIC timer and mask its LVT entry. */
void lapic_timer_stop(void);

/* IOAPIC `pin` to `vector`: fixed delivery, physical destination APIC 0,
 * active high, edge, unmasked. */
void ioapic_route(unsigned pin, uint8_t vector);

/* Mask IOAPIC `pin`, keeping the rest of its entry. */
void ioapic_mask(unsigned pin);

/* Mask every line of both legacy PICs, so an ISA line that the IOAPIC
 * also carries reaches the CPU once, through the IOAPIC. */
void pic_mask_all(void);

#endif
