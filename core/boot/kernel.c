/* Kernel and initrd files: both are read with pread straight into guest
 * RAM, so the file's pages are copied once, from the page cache, and never
 * count in volt's RSS; with KERNEL_PAGES_SHARED an ELF kernel's whole pages
 * are mapped into guest RAM instead (kernel_src_place). */
#include "boot/kernel.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/kernel_src.h"
#include "vm/layout.h"

#define INITRD_ALIGN   4096ULL
#define INITRD_ELF_MAX LAYOUT_GIB(4) /* no header to say otherwise: below 4 GiB */
#define BZ_SIG_OFFSET  offsetof(struct boot_params, hdr.header)

int kernel_load_src(struct guest_mem *mem, const struct kernel_src *src,
		    struct boot_kernel *out, struct volt_err *err)
{
	uint8_t head[BZ_SIG_OFFSET + 4];
	size_t n = src->len < sizeof(head) ? src->len : sizeof(head);
	int ret;

	memset(out, 0, sizeof(*out));
	ret = kernel_src_read(src, 0, head, n, err);
	if (ret)
		return ret;
	if (n >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0)
		return kernel_load_elf_src(mem, src, out, err);
	if (n >= BZ_SIG_OFFSET + 4 && memcmp(head + BZ_SIG_OFFSET, "HdrS", 4) == 0)
		return kernel_load_bzimage_src(mem, src, out, err);
	return verr_set(err, ENOEXEC, "not an ELF64 or bzImage kernel (no ELF magic, no HdrS signature)");
}

int kernel_load_image(struct guest_mem *mem, const uint8_t *img, size_t len,
		      struct boot_kernel *out, struct volt_err *err)
{
	struct kernel_src src = kernel_src_mem(img, len);

	return kernel_load_src(mem, &src, out, err);
}

int kernel_image_open(const char *path, const char *what, size_t *len, struct volt_err *err)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return verr_set(err, errno, "cannot open %s: %s", what, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = verr_set(err, errno, "cannot stat %s: %s", what, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		ret = verr_set(err, EINVAL, "%s is not a regular file", what);
	} else if (st.st_size == 0) {
		ret = verr_set(err, EINVAL, "%s file is empty", what);
	} else {
		*len = (size_t)st.st_size;
		return fd;
	}
	close(fd);
	return ret;
}

int kernel_load(struct guest_mem *mem, const char *path, struct boot_kernel *out,
		struct volt_err *err)
{
	size_t len;
	int fd, ret;

	fd = kernel_image_open(path, "kernel", &len, err);
	if (fd < 0)
		return fd;
	ret = kernel_load_fd(mem, fd, len, KERNEL_PAGES_PRIVATE, out, err);
	close(fd);
	return ret;
}

/* Mapped pages past a shrunken file's end would fault once touched: check
 * again after mapping, so a file cut short during the load fails it. */
static int kernel_check_still_whole(int fd, size_t len, struct volt_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return verr_set(err, errno, "cannot stat the kernel after mapping it: %s",
				strerror(errno));
	if ((uint64_t)st.st_size < len)
		return verr_set(err, EIO, "file shrank to %llu bytes while being loaded (expected %zu)",
				(unsigned long long)st.st_size, len);
	return 0;
}

int kernel_load_fd(struct guest_mem *mem, int fd, size_t len, enum kernel_pages pages,
		   struct boot_kernel *out, struct volt_err *err)
{
	struct kernel_src src = kernel_src_fd(fd, len);
	int ret;

	src.share = pages == KERNEL_PAGES_SHARED;
	ret = kernel_load_src(mem, &src, out, err);
	if (!ret && out->shared)
		ret = kernel_check_still_whole(fd, len, err);
	return ret;
}

/* One past the highest byte the initrd may occupy. */
static uint64_t initrd_limit(const struct guest_mem *mem, const struct boot_kernel *k)
{
	uint64_t limit = k->bzimage ? (uint64_t)k->setup.initrd_addr_max + 1 : INITRD_ELF_MAX;
	uint64_t low_end = mem->regions[0].gpa + mem->regions[0].size;

	return limit < low_end ? limit : low_end;
}

/* As high as possible, so the kernel's early allocations below it have room. */
static int initrd_place(const struct guest_mem *mem, const struct boot_kernel *k,
			uint64_t size, uint64_t *gpa, struct volt_err *err)
{
	uint64_t limit = initrd_limit(mem, k);
	uint64_t floor = k->load_end > LAYOUT_HIMEM_START ? k->load_end : LAYOUT_HIMEM_START;

	if (size <= limit && (limit - size) / INITRD_ALIGN * INITRD_ALIGN >= floor) {
		*gpa = (limit - size) / INITRD_ALIGN * INITRD_ALIGN;
		return 0;
	}
	return verr_set(err, EFBIG, "initrd of %llu bytes does not fit between the kernel end (0x%llx) and the initrd limit (0x%llx): %llu bytes free",
			(unsigned long long)size, (unsigned long long)floor, (unsigned long long)limit,
			(unsigned long long)(limit > floor ? limit - floor : 0));
}

int initrd_load(struct guest_mem *mem, const char *path, const struct boot_kernel *k,
		uint64_t *gpa, uint64_t *size, struct volt_err *err)
{
	size_t len;
	int fd, ret;

	fd = kernel_image_open(path, "initrd", &len, err);
	if (fd < 0)
		return fd;
	ret = initrd_load_fd(mem, fd, len, k, gpa, size, err);
	close(fd);
	return ret;
}

int initrd_load_fd(struct guest_mem *mem, int fd, size_t len, const struct boot_kernel *k,
		   uint64_t *gpa, uint64_t *size, struct volt_err *err)
{
	struct kernel_src src = kernel_src_fd(fd, len);
	uint8_t *dst;
	uint64_t at = 0;
	int ret;

	ret = initrd_place(mem, k, len, &at, err);
	if (!ret) {
		/* Cannot fail after initrd_place; checked anyway, it is cheap. */
		dst = guest_mem_ptr(mem, at, len);
		guest_mem_advise_fill(mem, at, len);
		ret = dst ? kernel_src_read(&src, 0, dst, len, err)
			  : verr_set(err, EFAULT, "initrd at 0x%llx is not in guest RAM",
				     (unsigned long long)at);
	}
	if (ret)
		return ret;
	*gpa = at;
	*size = len;
	return 0;
}
