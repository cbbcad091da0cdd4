/* A guest kernel that dies: it says where, then executes ud2 with no IDT
 * (start.c sets none up). The #UD cannot be delivered, nor the #DF after it,
 * so the CPU shuts down: KVM_EXIT_SHUTDOWN, which volt reports with the vCPU's
 * registers. */
#include "guest.h"
#include "serial.h"

extern const char triple_ud2[];

static void put_hex(uint64_t v)
{
	serial_puts("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		serial_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

void guest_main(void)
{
	serial_puts("TRIPLE ud2 at ");
	put_hex((uint64_t)(uintptr_t)triple_ud2);
	serial_puts("\n");
	__asm__ volatile(".globl triple_ud2\ntriple_ud2: ud2");
}
