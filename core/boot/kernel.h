/* Kernel and initrd loaders. Images are untrusted input: every offset and
 * size is checked before use, and nothing is written to guest memory outside
 * RAM. A refused image gets a message that says what is wrong with it. */
#ifndef VOLT_BOOT_KERNEL_H
#define VOLT_BOOT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#include "util/err.h"
#include "vm/guest_mem.h"

struct boot_kernel {
	uint64_t entry;       /* guest-physical 64-bit entry point */
	uint64_t load_start;  /* lowest guest-physical byte the kernel occupies */
	uint64_t load_end;    /* one past the highest */
	bool bzimage;
	uint64_t file_bytes;  /* ELF: bytes of the file in the segments (mapped or read) */
	uint64_t shared;      /* of those, bytes mapped from the file (KERNEL_PAGES_SHARED) */
	/* bzImage only: the image's setup header, to be copied into the zero
	 * page (the boot protocol requires the loader to pass it on). */
	struct setup_header setup;
};

/* Load an ELF64 vmlinux or a bzImage from path (detected by content). */
int kernel_load(struct guest_mem *mem, const char *path, struct boot_kernel *out,
		struct volt_err *err);

/* The same from a buffer (tests and fuzzers): the same checks and messages
 * as from a file (core/boot/kernel_src.h). */
int kernel_load_image(struct guest_mem *mem, const uint8_t *img, size_t len,
		      struct boot_kernel *out, struct volt_err *err);
int kernel_load_elf(struct guest_mem *mem, const uint8_t *img, size_t len,
		    struct boot_kernel *out, struct volt_err *err);
int kernel_load_bzimage(struct guest_mem *mem, const uint8_t *img, size_t len,
			struct boot_kernel *out, struct volt_err *err);

/* Open an image file for loading: it must be a non-empty regular file.
 * Returns the fd (and its size in *len) or -errno; what names it in errors. */
int kernel_image_open(const char *path, const char *what, size_t *len, struct volt_err *err);

/* How an ELF kernel's segments reach guest RAM ([vm] kernel_pages; the
 * order is the config's words). PRIVATE: read into it, a copy per VM.
 * SHARED: their whole pages mapped from the file copy-on-write
 * (kernel_src_place), so pages the guest only reads stay the host page
 * cache's, one copy for every VM booted from the file; for one tenant's
 * VMs only (docs/sandbox.md). A bzImage is always read (the guest
 * decompresses it over itself). */
enum kernel_pages {
	KERNEL_PAGES_PRIVATE,
	KERNEL_PAGES_SHARED,
};

/* kernel_load() and initrd_load() on a file kernel_image_open() opened (the
 * fd stays open; a mapping keeps its own reference). The file is read with
 * pread straight into guest RAM (the loader never maps it for its own
 * reads); if it is shorter than len by then, or by the end of a load that
 * mapped pages of it, the load fails saying the file shrank. */
int kernel_load_fd(struct guest_mem *mem, int fd, size_t len, enum kernel_pages pages,
		   struct boot_kernel *out, struct volt_err *err);
int initrd_load_fd(struct guest_mem *mem, int fd, size_t len, const struct boot_kernel *k,
		   uint64_t *gpa, uint64_t *size, struct volt_err *err);

/* Load the initrd from path at the highest page-aligned address that is
 * below the kernel's initrd_addr_max (bzImage) or 4 GiB, below the end of the
 * low RAM region, and above the kernel. */
int initrd_load(struct guest_mem *mem, const char *path, const struct boot_kernel *k,
		uint64_t *gpa, uint64_t *size, struct volt_err *err);

#endif
