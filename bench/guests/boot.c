/* Boot-time benchmark guest: first thing, write the boot-timer port, then
 * reset. The 17 MiB pad makes the ELF as large as a real vmlinux. */
#include "guest.h"

#define BENCH_PAD_BYTES (17u << 20)

/* Initialised (not .bss) so the bytes are in the file and get loaded. */
__asm__(".pushsection .data.bench_pad, \"aw\", @progbits\n"
	".globl bench_pad\n"
	"bench_pad:\n"
	".fill 17825792, 1, 0x5a\n"
	".popsection\n");
extern const volatile char bench_pad[];

void guest_main(void)
{
	guest_boot_timer(0x01);
	/* Reference the pad so --gc-sections keeps it. */
	if (bench_pad[BENCH_PAD_BYTES - 1] != 0x5a)
		guest_boot_timer(0xee);
}
