/* bzImage loader (Documentation/arch/x86/boot.rst): the protected-mode
 * kernel goes to 1 MiB and is entered through its 64-bit entry point, so the
 * real-mode setup code is never run; only its header is passed on.
 *
 * The checks need only the image's first sectors (up to the setup header's
 * end) and its length; the protected-mode kernel goes from the source
 * straight into guest RAM once they all pass. */
#include "boot/kernel.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "boot/kernel_src.h"
#include "vm/layout.h"

/* The setup header sits in the image where it sits in the zero page. */
#define BZ_HDR_OFFSET   offsetof(struct boot_params, hdr)
#define BZ_SIG_OFFSET   offsetof(struct boot_params, hdr.header)
#define BZ_HDR_MAX_END  (BZ_HDR_OFFSET + sizeof(struct setup_header))
/* 2.10 added pref_address and init_size, which the fit check needs. */
#define BZ_MIN_VERSION  0x020a
#define BZ_NEEDED_END   (BZ_HDR_OFFSET + offsetof(struct setup_header, init_size) + 4)
#define BZ_SECTOR       512
#define BZ_DEFAULT_SECTS 4      /* setup_sects == 0 means 4 */
#define BZ_ENTRY64      0x200   /* 64-bit entry, from the load address */
#define BZ_LOAD_ADDR    LAYOUT_HIMEM_START

/* Where the protected-mode kernel is in the file and how much it claims. */
struct bz_layout {
	uint64_t setup_size;    /* boot sector + setup code */
	uint64_t pm_size;       /* the rest of the file, copied to 1 MiB */
	uint64_t run_start;     /* where it decompresses itself */
};

/* The image's first bytes, up to the end of the largest setup header. */
static int bz_read_head(const struct kernel_src *src, uint8_t head[BZ_HDR_MAX_END],
			struct volt_err *err)
{
	size_t n = src->len < BZ_HDR_MAX_END ? src->len : BZ_HDR_MAX_END;

	memset(head, 0, BZ_HDR_MAX_END);
	return kernel_src_read(src, 0, head, n, err);
}

/* img holds the image's first min(len, BZ_HDR_MAX_END) bytes. */
static int bz_read_header(const uint8_t *img, size_t len, struct setup_header *hdr,
			  struct volt_err *err)
{
	if (len < BZ_SIG_OFFSET + 4 || memcmp(img + BZ_SIG_OFFSET, "HdrS", 4) != 0)
		return verr_set(err, ENOEXEC, "not a bzImage (no HdrS signature at offset 0x%zx)",
				BZ_SIG_OFFSET);
	if (len < BZ_HDR_MAX_END)
		return verr_set(err, ENOEXEC, "truncated: %zu bytes ends inside the bzImage setup header",
				len);
	memcpy(hdr, img + BZ_HDR_OFFSET, sizeof(*hdr));
	return 0;
}

/* The short jump at 0x200 skips the header, so its target is the header's
 * end; bytes past it are setup code, not header fields. */
static size_t bz_header_end(const uint8_t *img)
{
	return BZ_SIG_OFFSET + img[BZ_SIG_OFFSET - 1];
}

static int bz_check_header(const struct setup_header *hdr, const uint8_t *img,
			   struct volt_err *err)
{
	if (hdr->version < BZ_MIN_VERSION)
		return verr_set(err, ENOEXEC, "bzImage boot protocol %u.%02u is too old (need 2.10 or later)",
				(unsigned)hdr->version >> 8, (unsigned)hdr->version & 0xff);
	if (bz_header_end(img) < BZ_NEEDED_END)
		return verr_set(err, ENOEXEC, "bzImage setup header ends at 0x%zx, before the boot protocol 2.10 fields (0x%zx)",
				bz_header_end(img), BZ_NEEDED_END);
	if (!(hdr->loadflags & LOADED_HIGH))
		return verr_set(err, ENOEXEC, "bzImage does not set LOADED_HIGH: its kernel cannot run at 1 MiB");
	if (!(hdr->xloadflags & XLF_KERNEL_64))
		return verr_set(err, ENOEXEC, "bzImage has no 64-bit entry point (XLF_KERNEL_64 not set in xloadflags)");
	return 0;
}

/* boot.rst, init_size: a relocatable kernel moves to pref_address if it is
 * loaded lower, rounded up to kernel_alignment; any other runs at
 * pref_address (taken as never below where we load it). It needs init_size
 * bytes from there, so that is what must fit, not just the file. */
static uint64_t bz_run_start(const struct setup_header *hdr)
{
	uint64_t start = hdr->pref_address > BZ_LOAD_ADDR ? hdr->pref_address : BZ_LOAD_ADDR;
	uint64_t align = hdr->kernel_alignment;

	if (hdr->relocatable_kernel && align > 1 && start <= UINT64_MAX - align)
		start = (start + align - 1) / align * align;
	return start;
}

static int bz_measure(const struct setup_header *hdr, size_t len, struct bz_layout *l,
		      struct volt_err *err)
{
	unsigned sects = hdr->setup_sects ? hdr->setup_sects : BZ_DEFAULT_SECTS;

	l->setup_size = (uint64_t)(sects + 1) * BZ_SECTOR;
	if (l->setup_size >= len)
		return verr_set(err, ENOEXEC, "truncated: bzImage setup code is %llu bytes but the file has only %zu bytes",
				(unsigned long long)l->setup_size, len);
	l->pm_size = len - l->setup_size;
	if (l->pm_size <= BZ_ENTRY64)
		return verr_set(err, ENOEXEC, "truncated: bzImage kernel of %llu bytes ends before its 64-bit entry point (0x%x)",
				(unsigned long long)l->pm_size, BZ_ENTRY64);
	/* syssize counts 16-byte paragraphs, rounded up. */
	if ((uint64_t)hdr->syssize * 16 > l->pm_size + 15)
		return verr_set(err, ENOEXEC, "truncated: bzImage header says the kernel is %llu bytes (syssize) but the file has %llu after the setup code",
				(unsigned long long)hdr->syssize * 16, (unsigned long long)l->pm_size);
	l->run_start = bz_run_start(hdr);
	return 0;
}

static int bz_check_fit(const struct guest_mem *mem, const struct setup_header *hdr,
			const struct bz_layout *l, struct volt_err *err)
{
	uint64_t low_end = mem->regions[0].gpa + mem->regions[0].size;

	if (!guest_mem_contains(mem, BZ_LOAD_ADDR, l->pm_size))
		return verr_set(err, EFBIG, "bzImage kernel of %llu bytes does not fit in guest RAM at 1 MiB (%llu MiB of RAM)",
				(unsigned long long)l->pm_size, (unsigned long long)(mem->ram_size >> 20));
	if (l->run_start > low_end || hdr->init_size > low_end - l->run_start)
		return verr_set(err, EFBIG, "bzImage needs %u bytes (init_size) at 0x%llx to decompress, past the end of low guest RAM at 0x%llx",
				hdr->init_size, (unsigned long long)l->run_start,
				(unsigned long long)low_end);
	return 0;
}

/* Copy only the header the image declares and zero the rest, as the boot
 * protocol asks of a loader filling the zero page. */
static void bz_copy_setup(struct setup_header *dst, const uint8_t *img)
{
	size_t end = bz_header_end(img);

	if (end > BZ_HDR_MAX_END)
		end = BZ_HDR_MAX_END;
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, img + BZ_HDR_OFFSET, end - BZ_HDR_OFFSET);
}

/* The protected-mode kernel to 1 MiB: all checks passed, so only reading
 * the source can fail now. */
static int bz_copy_kernel(struct guest_mem *mem, const struct kernel_src *src,
			  const struct bz_layout *l, struct volt_err *err)
{
	uint8_t *dst = guest_mem_ptr(mem, BZ_LOAD_ADDR, l->pm_size);

	if (!dst)  /* cannot happen after bz_check_fit; cheap to check */
		return verr_set(err, EFAULT, "bzImage kernel at 0x%llx is not in guest RAM",
				(unsigned long long)BZ_LOAD_ADDR);
	guest_mem_advise_fill(mem, BZ_LOAD_ADDR, l->pm_size);
	return kernel_src_read(src, l->setup_size, dst, l->pm_size, err);
}

int kernel_load_bzimage_src(struct guest_mem *mem, const struct kernel_src *src,
			    struct boot_kernel *out, struct volt_err *err)
{
	struct setup_header hdr = { 0 };
	struct bz_layout l = { 0 };
	uint8_t img[BZ_HDR_MAX_END];
	uint64_t run_end;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = bz_read_head(src, img, err);
	if (!ret)
		ret = bz_read_header(img, src->len, &hdr, err);
	if (!ret)
		ret = bz_check_header(&hdr, img, err);
	if (!ret)
		ret = bz_measure(&hdr, src->len, &l, err);
	if (!ret)
		ret = bz_check_fit(mem, &hdr, &l, err);
	if (!ret)
		ret = bz_copy_kernel(mem, src, &l, err);
	if (ret)
		return ret;
	bz_copy_setup(&out->setup, img);
	run_end = l.run_start + hdr.init_size;
	out->entry = BZ_LOAD_ADDR + BZ_ENTRY64;
	out->load_start = BZ_LOAD_ADDR;
	out->load_end = BZ_LOAD_ADDR + l.pm_size > run_end ? BZ_LOAD_ADDR + l.pm_size : run_end;
	out->bzimage = true;
	return 0;
}

int kernel_load_bzimage(struct guest_mem *mem, const uint8_t *img, size_t len,
			struct boot_kernel *out, struct volt_err *err)
{
	struct kernel_src src = kernel_src_mem(img, len);

	return kernel_load_bzimage_src(mem, &src, out, err);
}
