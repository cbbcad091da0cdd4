/* The guest's e820 map. It is derived from the guest_mem regions, so it can
 * never advertise RAM that is not mapped. */
#include "boot/boot.h"

#include <asm/e820.h>

#include "vm/layout.h"

/* Append [start, end) of type unless it is empty or the table is full. */
static unsigned e820_add(struct boot_e820_entry *table, unsigned n, unsigned cap,
			 uint64_t start, uint64_t end, uint32_t type)
{
	if (n >= cap || end <= start)
		return n;
	table[n].addr = start;
	table[n].size = end - start;
	table[n].type = type;
	return n + 1;
}

unsigned e820_build(const struct guest_mem *mem, struct boot_e820_entry *table, unsigned cap)
{
	const struct guest_mem_region *low = &mem->regions[0];
	unsigned n = 0;

	n = e820_add(table, n, cap, 0, LAYOUT_EBDA_START, E820_RAM);
	/* The EBDA holds the MP table, and Linux expects 640 KiB..1 MiB to be
	 * the legacy VGA/ROM area, never usable RAM. */
	n = e820_add(table, n, cap, LAYOUT_EBDA_START, LAYOUT_EBDA_END, E820_RESERVED);
	n = e820_add(table, n, cap, LAYOUT_HIMEM_START, low->gpa + low->size, E820_RAM);
	if (mem->nregions > 1) {
		const struct guest_mem_region *high = &mem->regions[1];

		n = e820_add(table, n, cap, high->gpa, high->gpa + high->size, E820_RAM);
	}
	return n;
}
