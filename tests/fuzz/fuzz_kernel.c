/* libFuzzer target: arbitrary bytes as a kernel image. Beyond "no crash, no
 * out-of-bounds access", a load must report a kernel inside guest RAM with
 * its entry inside it, and a refusal must come with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/kernel.h"
#include "vm/layout.h"

#define FUZZ_RAM LAYOUT_MIB(32)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_loaded(const struct guest_mem *mem, const struct boot_kernel *k)
{
	if (k->load_start < LAYOUT_HIMEM_START || k->load_start >= k->load_end)
		abort();
	if (!guest_mem_contains(mem, k->load_start, k->load_end - k->load_start))
		abort();
	if (k->entry < k->load_start || k->entry >= k->load_end)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct volt_err err = { 0 };
	struct guest_mem mem;
	struct boot_kernel k;

	if (guest_mem_init(&mem, FUZZ_RAM, NULL))
		abort();
	if (kernel_load_image(&mem, data, size, &k, &err) == 0)
		fuzz_check_loaded(&mem, &k);
	else if (err.code == 0 || err.msg[0] == '\0')
		abort();
	guest_mem_fini(&mem);
	return 0;
}
