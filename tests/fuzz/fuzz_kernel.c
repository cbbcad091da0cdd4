/* libFuzzer target: arbitrary bytes as a kernel image. Beyond "no crash, no
 * out-of-bounds access", a load must report a kernel inside guest RAM with
 * its entry inside it and the image's bytes where its headers say (a
 * bzImage's protected-mode kernel at 1 MiB, each ELF PT_LOAD segment's
 * file bytes at its address and zeros after them), and a refusal must come
 * with a message. The image is loaded three times, from the buffer and from
 * a file (what volt runs), copied and mapped ([vm] kernel_pages), and all
 * must give the same result, message and guest memory.
 *
 * Input: the image itself, or (starting with "\x7fSPR") a sparse one the
 * harness builds, so that a few hundred bytes can say what libFuzzer's
 * usual 4 KiB inputs cannot: a bzImage with up to 255 setup sectors, ELF
 * program headers and segment data megabytes into the file. After the
 * magic:
 *   3 bytes   the image's length (mod SPARSE_MAX + 1)
 *   1 byte    bit 0: the background is a pattern of the offset (else zeros)
 *   then extents, each 3 bytes offset, 2 bytes length n, n bytes written at
 *   that offset (cut at the image's end, or where the input ends); later
 *   ones over earlier ones.
 * The sparse image is poisoned either side, nearly as a buffer of its own. */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sanitizer/asan_interface.h>

#include "boot/kernel.h"
#include "vm/layout.h"

#include "fuzz_util.h"

#define FUZZ_RAM LAYOUT_MIB(32)
#define SPARSE_MAGIC "\x7fSPR"
#define SPARSE_MAX LAYOUT_MIB(4)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The loaded image's bytes are where its headers say (the load passed
 * every check, so the headers are sound). */
static void fuzz_check_placed(const struct guest_mem *mem, const struct boot_kernel *k,
			      const uint8_t *img, size_t len)
{
	Elf64_Ehdr eh;

	if (k->bzimage) {
		unsigned sects = img[0x1f1] ? img[0x1f1] : 4;
		size_t setup = (size_t)(sects + 1) * 512;
		const uint8_t *at = guest_mem_ptr(mem, LAYOUT_HIMEM_START, len - setup);

		fuzz_require(setup < len && at && !memcmp(at, img + setup, len - setup),
			     "a bzImage's kernel is at 1 MiB");
		return;
	}
	memcpy(&eh, img, sizeof(eh));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		const uint8_t *at;

		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		at = guest_mem_ptr(mem, ph.p_paddr, ph.p_memsz);
		fuzz_require(at && !memcmp(at, img + ph.p_offset, ph.p_filesz),
			     "an ELF segment's file bytes are at its address");
		for (uint64_t b = ph.p_filesz, n; b < ph.p_memsz; b += n) {
			static const uint8_t zeros[4096];

			n = ph.p_memsz - b < sizeof(zeros) ? ph.p_memsz - b : sizeof(zeros);
			fuzz_require(!memcmp(at + b, zeros, n),
				     "an ELF segment's bytes past its file size are zero");
		}
	}
}

static void fuzz_check_loaded(const struct guest_mem *mem, const struct boot_kernel *k,
			      const uint8_t *img, size_t len)
{
	if (k->load_start < LAYOUT_HIMEM_START || k->load_start >= k->load_end)
		abort();
	if (!guest_mem_contains(mem, k->load_start, k->load_end - k->load_start))
		abort();
	if (k->entry < k->load_start || k->entry >= k->load_end)
		abort();
	fuzz_check_placed(mem, k, img, len);
}

/* SPARSE_MAX bytes, each a function of its offset, made once (a loop per
 * input would spend most of the fuzzer's time in its traced compares). */
static const uint8_t *fuzz_pattern(void)
{
	static uint8_t *pattern;

	if (!pattern) {
		pattern = malloc(SPARSE_MAX);
		if (!pattern)
			abort();
		for (size_t i = 0; i < SPARSE_MAX; i++)
			pattern[i] = (uint8_t)(i ^ i >> 8 ^ i >> 16);
	}
	return pattern;
}

/* The image the input describes: itself, or a sparse one built at the end
 * of one block kept for every input (no input pays for mapping megabytes
 * afresh), the bytes before it poisoned: ASan catches a read past its end
 * at the first byte, as in a buffer of its own, and one before its start
 * from at most 7 bytes before (its shadow's granule). */
static const uint8_t *fuzz_image(const uint8_t *data, size_t size, size_t *len)
{
	static uint8_t *block;
	struct fuzz_in in = { data, size };
	size_t l;
	uint8_t *img;

	*len = size;
	if (size < 4 || memcmp(data, SPARSE_MAGIC, 4) != 0)
		return data;
	if (!block && !(block = malloc(SPARSE_MAX)))
		abort();
	in.p += 4;
	in.n -= 4;
	l = (size_t)fuzz_take(&in, 3) % (SPARSE_MAX + 1);
	img = block + SPARSE_MAX - l;
	ASAN_POISON_MEMORY_REGION(block, SPARSE_MAX - l);
	ASAN_UNPOISON_MEMORY_REGION(img, l);
	if (fuzz_take(&in, 1) & 1)
		memcpy(img, fuzz_pattern(), l);
	else
		memset(img, 0, l);
	while (in.n) {
		size_t off = (size_t)fuzz_take(&in, 3), n = (size_t)fuzz_take(&in, 2);

		n = n < in.n ? n : in.n;
		if (off < l)
			memcpy(img + off, in.p, n < l - off ? n : l - off);
		in.p += n;
		in.n -= n;
	}
	*len = l;
	return img;
}

/* The input as a file, in one memfd reused for every input. */
static int fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
	/* Written over, then cut: pages of the last input's file are reused. */
	if (fd < 0 || pwrite(fd, data, size, 0) != (ssize_t)size || ftruncate(fd, (off_t)size))
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
	const uint8_t *img = fuzz_image(data, size, &size);
	int ret, fd;

	if (guest_mem_init(&mem, FUZZ_RAM, NULL))
		abort();
	ret = kernel_load_image(&mem, img, size, &k, &err);
	if (ret == 0)
		fuzz_check_loaded(&mem, &k, img, size);
	else if (err.code == 0 || err.msg[0] == '\0')
		abort();
	fd = fuzz_file(img, size);
	fuzz_file_same(&mem, &k, &err, ret, fd, size, KERNEL_PAGES_PRIVATE);
	fuzz_file_same(&mem, &k, &err, ret, fd, size, KERNEL_PAGES_SHARED);
	guest_mem_fini(&mem);
	return 0;
}
