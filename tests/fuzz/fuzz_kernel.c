/* libFuzzer target: arbitrary bytes as a kernel image. Beyond "no crash, no
 * out-of-bounds access", a load must report a kernel inside guest RAM with
 * its entry inside it, and a refusal must come with a message. The bytes are
 * loaded three times, from the buffer and from a file (what volt runs),
 * copied and mapped ([vm] kernel_pages), and all must give the same result,
 * message and guest memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* The input as a file, in one memfd reused for every input. */
static int fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	return fd;
}

static void fuzz_same(const struct guest_mem *a, const struct boot_kernel *ka,
		      const struct guest_mem *b, const struct boot_kernel *kb)
{
	uint64_t len = ka->load_end - ka->load_start;

	if (ka->entry != kb->entry || ka->load_start != kb->load_start ||
	    ka->load_end != kb->load_end || ka->bzimage != kb->bzimage ||
	    memcmp(&ka->setup, &kb->setup, sizeof(ka->setup)) != 0)
		abort();
	if (memcmp(guest_mem_ptr(a, ka->load_start, len), guest_mem_ptr(b, kb->load_start, len), len))
		abort();
}

/* The file loaded as `pages` asks into a fresh guest RAM must give what the
 * buffer gave: the same result, message, kernel and guest bytes. */
static void fuzz_file_same(const struct guest_mem *mem, const struct boot_kernel *k,
			   const struct volt_err *err, int ret, int fd, size_t size,
			   enum kernel_pages pages)
{
	struct volt_err ferr = { 0 };
	struct guest_mem fmem;
	struct boot_kernel fk;
	int fret;

	if (guest_mem_init(&fmem, FUZZ_RAM, NULL))
		abort();
	fret = kernel_load_fd(&fmem, fd, size, pages, &fk, &ferr);
	if (ret != fret || err->code != ferr.code || strcmp(err->msg, ferr.msg) != 0)
		abort();
	if (ret == 0)
		fuzz_same(mem, k, &fmem, &fk);
	guest_mem_fini(&fmem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct volt_err err = { 0 };
	struct guest_mem mem;
	struct boot_kernel k;
	int ret, fd;

	if (guest_mem_init(&mem, FUZZ_RAM, NULL))
		abort();
	ret = kernel_load_image(&mem, data, size, &k, &err);
	if (ret == 0)
		fuzz_check_loaded(&mem, &k);
	else if (err.code == 0 || err.msg[0] == '\0')
		abort();
	fd = fuzz_file(data, size);
	fuzz_file_same(&mem, &k, &err, ret, fd, size, KERNEL_PAGES_PRIVATE);
	fuzz_file_same(&mem, &k, &err, ret, fd, size, KERNEL_PAGES_SHARED);
	guest_mem_fini(&mem);
	return 0;
}
