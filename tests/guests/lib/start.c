/* Entry: save what volt passed in registers, switch to our own stack (the
 * boot stack at 0x8ff0 sits just above the zero page), call guest_main(),
 * then reset. Nothing else is set up: no IDT, no SSE. */
#include "guest.h"

#include "io.h"

#define GUEST_STACK_SIZE 16384

struct guest_entry_state guest_entry __attribute__((section(".data")));
static uint8_t guest_stack[GUEST_STACK_SIZE] __attribute__((aligned(16), used));

__asm__(".pushsection .text.start, \"ax\", @progbits\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	movq %rsi, guest_entry+0(%rip)\n"
	"	movq %rsp, guest_entry+8(%rip)\n"
	"	pushfq\n"
	"	popq %rax\n"
	"	movq %rax, guest_entry+16(%rip)\n"
	"	movw %cs, guest_entry+24(%rip)\n"
	"	movw %ds, guest_entry+26(%rip)\n"
	"	movw %ss, guest_entry+28(%rip)\n"
	"	leaq guest_stack+" "16384" "(%rip), %rsp\n"
	"	xorl %ebp, %ebp\n"
	"	call guest_main\n"
	"	call guest_exit\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	".size _start, . - _start\n"
	".popsection\n");

_Static_assert(GUEST_STACK_SIZE == 16384, "keep _start's stack size in step");
_Static_assert(__builtin_offsetof(struct guest_entry_state, cs) == 24, "_start offsets");
_Static_assert(__builtin_offsetof(struct guest_entry_state, ss) == 28, "_start offsets");

void guest_exit(void)
{
	outb(0x64, 0xfe);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_boot_timer(uint8_t val)
{
	outb(0x440, val);
}
