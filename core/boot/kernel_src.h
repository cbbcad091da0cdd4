/* Where a kernel image's bytes come from: a buffer (tests, fuzzers) or a
 * file read with pread (the kernel_load_fd() path; initrd_load_fd() reads
 * through it too). The ELF and bzImage loaders parse through this one
 * interface, so both paths run the same checks. The loader's own reads
 * never map the file (mapped file pages would count in volt's RSS until
 * unmapped); only kernel_src_place() of a shared source maps file pages,
 * and then straight into guest RAM, where they stay. */
#ifndef VOLT_BOOT_KERNEL_SRC_H
#define VOLT_BOOT_KERNEL_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/kernel.h"

struct kernel_src {
	size_t len;          /* image size: every read lies inside it */
	/* Copy n bytes at off (inside the image) to dst; 0 or -errno. */
	int (*read)(const struct kernel_src *src, uint64_t off, void *dst, size_t n,
		    struct volt_err *err);
	const uint8_t *buf;  /* kernel_src_mem */
	int fd;              /* kernel_src_fd */
	bool share;          /* kernel_src_place may map the file (KERNEL_PAGES_SHARED) */
	unsigned maps_left;  /* kernel_src_place: spans it may still map */
};

/* A vmlinux has four or five PT_LOAD segments. Each mapped span splits
 * guest RAM's mapping (up to two more VMAs), so an image of thousands of
 * tiny segments could otherwise use up vm.max_map_count. */
#define KERNEL_SRC_MAX_MAPS 16

/* A source over len bytes of memory at buf, copied with memcpy. */
struct kernel_src kernel_src_mem(const uint8_t *buf, size_t len);

/* A source over the first len bytes of the file fd, read with pread (the
 * file offset is not used). A file shorter than len when read gives an
 * error saying it shrank. */
struct kernel_src kernel_src_fd(int fd, size_t len);

/* Read n bytes at off into dst. A range outside the image is refused, not
 * read (the loaders check offsets first; this is the last guard). */
int kernel_src_read(const struct kernel_src *src, uint64_t off, void *dst, size_t n,
		    struct volt_err *err);

/* Put n bytes of the image at off into guest RAM at gpa (the caller has
 * checked that both ranges exist). A shared file source with maps_left
 * maps the whole pages of the range copy-on-write (guest_mem_map_file)
 * when the file offset and gpa are equally aligned, and reads the partial
 * pages at either end; any other source, or a range that cannot be mapped,
 * is read (and after a failed mapping, every later range of the load).
 * *mapped (if not NULL) gets the number of bytes mapped. */
int kernel_src_place(struct kernel_src *src, struct guest_mem *mem, uint64_t gpa,
		     uint64_t off, size_t n, uint64_t *mapped, struct volt_err *err);

/* kernel_load_image(), kernel_load_elf() and kernel_load_bzimage() over a
 * source. Every check runs before the first byte is written to guest
 * memory; only an I/O error while reading the segments themselves can leave
 * a kernel partly written (the load fails either way). */
int kernel_load_src(struct guest_mem *mem, const struct kernel_src *src,
		    struct boot_kernel *out, struct volt_err *err);
int kernel_load_elf_src(struct guest_mem *mem, const struct kernel_src *src,
			struct boot_kernel *out, struct volt_err *err);
int kernel_load_bzimage_src(struct guest_mem *mem, const struct kernel_src *src,
			    struct boot_kernel *out, struct volt_err *err);

#endif
