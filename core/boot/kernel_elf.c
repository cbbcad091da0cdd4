/* ELF64 vmlinux loader: PT_LOAD segments go to their physical addresses.
 *
 * Every header field is untrusted. All checks run before the first byte is
 * written, so a refused image leaves guest memory as it was. The headers are
 * read into local copies (the image gives no alignment guarantee for
 * e_phoff); segment data goes from the source straight into guest RAM. */
#include "boot/kernel.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/kernel_src.h"
#include "vm/layout.h"

/* One PT_LOAD segment that passed the per-segment checks. */
struct elf_seg {
	unsigned idx;      /* position in the program header table, for messages */
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t memsz;    /* > 0: empty segments are dropped */
	uint64_t offset;
	uint64_t filesz;   /* <= memsz */
};

static int elf_check_ident(const uint8_t *img, size_t len, struct volt_err *err)
{
	if (len < SELFMAG || memcmp(img, ELFMAG, SELFMAG) != 0)
		return verr_set(err, ENOEXEC, "not an ELF file (no ELF magic)");
	if (len < EI_NIDENT)
		return verr_set(err, ENOEXEC, "truncated: %zu bytes ends inside the ELF identification (%d bytes)",
				len, EI_NIDENT);
	if (img[EI_CLASS] != ELFCLASS64)
		return verr_set(err, ENOEXEC, "wrong class: ELF class %u is not ELFCLASS64 (only a 64-bit vmlinux can be loaded)",
				img[EI_CLASS]);
	if (img[EI_DATA] != ELFDATA2LSB)
		return verr_set(err, ENOEXEC, "ELF data encoding %u is not little-endian (ELFDATA2LSB)",
				img[EI_DATA]);
	return 0;
}

/* The checks see the image's first bytes (as many as there are, up to the
 * ELF header's size) and its length. */
static int elf_check_ehdr(const struct kernel_src *src, Elf64_Ehdr *eh, struct volt_err *err)
{
	uint8_t head[sizeof(*eh)];
	size_t len = src->len;
	int ret = kernel_src_read(src, 0, head, len < sizeof(head) ? len : sizeof(head), err);

	if (!ret)
		ret = elf_check_ident(head, len, err);
	if (ret)
		return ret;
	if (len < sizeof(*eh))
		return verr_set(err, ENOEXEC, "truncated: %zu bytes is smaller than an ELF64 header (%zu bytes)",
				len, sizeof(*eh));
	memcpy(eh, head, sizeof(*eh));
	if (eh->e_machine != EM_X86_64)
		return verr_set(err, ENOEXEC, "ELF machine %u is not x86_64 (EM_X86_64 = %d)",
				eh->e_machine, EM_X86_64);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return verr_set(err, ENOEXEC, "ELF program header entry size %u is not %zu",
				eh->e_phentsize, sizeof(Elf64_Phdr));
	/* With PN_XNUM the real count hides in section header 0; vmlinux never
	 * has that many segments, so refuse rather than parse sections. */
	if (eh->e_phnum == PN_XNUM)
		return verr_set(err, ENOEXEC, "ELF uses extended program header numbering (PN_XNUM), which is not supported");
	if (eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return verr_set(err, ENOEXEC, "truncated: ELF program header table at offset 0x%llx (%u entries) is past the end of the file (%zu bytes)",
				(unsigned long long)eh->e_phoff, eh->e_phnum, len);
	return 0;
}

static int elf_check_seg_file(const struct elf_seg *s, size_t len, struct volt_err *err)
{
	if (s->offset > len || s->filesz > len - s->offset)
		return verr_set(err, ENOEXEC, "truncated: ELF segment %u file data at offset 0x%llx size 0x%llx past end of file (%zu bytes)",
				s->idx, (unsigned long long)s->offset, (unsigned long long)s->filesz, len);
	return 0;
}

static int elf_check_seg_ram(const struct guest_mem *mem, const struct elf_seg *s,
			     struct volt_err *err)
{
	unsigned long long at = s->paddr, size = s->memsz;

	if (s->paddr > UINT64_MAX - s->memsz)
		return verr_set(err, ENOEXEC, "ELF program header %u: segment at 0x%llx size 0x%llx wraps around the end of the address space",
				s->idx, at, size);
	/* The zero page, page tables, command line and MP table live there. */
	if (s->paddr < LAYOUT_HIMEM_START)
		return verr_set(err, ENOEXEC, "ELF program header %u: segment at 0x%llx size 0x%llx overlaps the boot area below 1 MiB",
				s->idx, at, size);
	if (s->paddr + s->memsz > guest_mem_end(mem))
		return verr_set(err, EFBIG, "ELF program header %u: segment at 0x%llx size 0x%llx extends past the end of guest RAM (%llu MiB)",
				s->idx, at, size, (unsigned long long)(mem->ram_size >> 20));
	if (!guest_mem_contains(mem, s->paddr, s->memsz))
		return verr_set(err, EFBIG, "ELF program header %u: segment at 0x%llx size 0x%llx is not inside guest RAM (it touches the MMIO hole 0x%llx-0x%llx)",
				s->idx, at, size, LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END);
	/* The 64-bit boot protocol enters a kernel that is identity-mapped,
	 * and the boot page tables map the first 4 GiB: code or data above
	 * would fault at once, a triple fault that ends the VM like a reset. */
	if (s->paddr + s->memsz > LAYOUT_BOOT_MAPPED_END)
		return verr_set(err, ENOEXEC, "ELF program header %u: segment at 0x%llx size 0x%llx lies above 4 GiB, which the boot page tables do not map",
				s->idx, at, size);
	return 0;
}

static int elf_check_seg(const struct guest_mem *mem, const struct elf_seg *s, size_t len,
			 struct volt_err *err)
{
	int ret;

	if (s->filesz > s->memsz)
		return verr_set(err, ENOEXEC, "ELF program header %u: file size 0x%llx is larger than memory size 0x%llx",
				s->idx, (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->memsz == 0)  /* loads nothing, so its offset and addresses do not matter */
		return 0;
	ret = elf_check_seg_file(s, len, err);
	return ret ? ret : elf_check_seg_ram(mem, s, err);
}

/* Check every PT_LOAD segment on its own and collect the non-empty ones. */
static int elf_collect(const struct guest_mem *mem, const Elf64_Phdr *phdrs, size_t len,
		       const Elf64_Ehdr *eh, struct elf_seg *segs, unsigned *n,
		       struct volt_err *err)
{
	*n = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];
		struct elf_seg *s = &segs[*n];
		int ret;

		if (ph->p_type != PT_LOAD)
			continue;
		*s = (struct elf_seg){ i, ph->p_paddr, ph->p_vaddr, ph->p_memsz, ph->p_offset,
				       ph->p_filesz };
		ret = elf_check_seg(mem, s, len, err);
		if (ret)
			return ret;
		if (s->memsz)
			(*n)++;
	}
	if (*n == 0)
		return verr_set(err, ENOEXEC, "ELF has no PT_LOAD segment to load");
	return 0;
}

static int elf_seg_cmp(const void *a, const void *b)
{
	const struct elf_seg *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Sorted by address, any overlap shows up between neighbours; sorting keeps
 * a hostile image with 65535 segments from costing a quadratic scan. */
static int elf_check_overlaps(struct elf_seg *segs, unsigned n, struct volt_err *err)
{
	qsort(segs, n, sizeof(*segs), elf_seg_cmp);
	for (unsigned i = 1; i < n; i++) {
		const struct elf_seg *a = &segs[i - 1], *b = &segs[i];

		if (b->paddr - a->paddr >= a->memsz)
			continue;
		return verr_set(err, ENOEXEC, "ELF program headers %u and %u overlap (0x%llx-0x%llx and 0x%llx-0x%llx)",
				a->idx < b->idx ? a->idx : b->idx, a->idx < b->idx ? b->idx : a->idx,
				(unsigned long long)a->paddr, (unsigned long long)(a->paddr + a->memsz),
				(unsigned long long)b->paddr, (unsigned long long)(b->paddr + b->memsz));
	}
	return 0;
}

/* vmlinux's e_entry is already physical (startup_64), but an image whose
 * entry is virtual gets it moved by its segment's virtual-to-physical
 * offset. Either way the result must be code we loaded. */
static int elf_entry(const struct elf_seg *segs, unsigned n, uint64_t e_entry,
		     uint64_t *entry, struct volt_err *err)
{
	uint64_t phys = e_entry;

	for (unsigned i = 0; i < n; i++) {
		if (e_entry >= segs[i].vaddr && e_entry - segs[i].vaddr < segs[i].memsz) {
			phys = e_entry - segs[i].vaddr + segs[i].paddr;
			break;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (phys >= segs[i].paddr && phys - segs[i].paddr < segs[i].memsz) {
			*entry = phys;
			return 0;
		}
	}
	return verr_set(err, ENOEXEC, "ELF entry point 0x%llx is not inside any loaded segment",
			(unsigned long long)e_entry);
}

/* Each segment's file bytes straight into guest RAM (read, or mapped for a
 * shared source: kernel_src_place), then its bss zeroed. The checks
 * passed, so only reading the source can fail now. */
static int elf_copy(struct guest_mem *mem, const struct kernel_src *image,
		    const struct elf_seg *segs, unsigned n, struct boot_kernel *out,
		    struct volt_err *err)
{
	struct kernel_src src = *image;  /* this load's own mapping budget */

	src.maps_left = src.share ? KERNEL_SRC_MAX_MAPS : 0;
	out->load_start = segs[0].paddr;
	/* One range for the whole image: its segments meet mid-huge-page, and
	 * each one's own whole huge pages would leave those out. Sorted and
	 * not overlapping (elf_check_overlaps), so the last segment ends last. */
	guest_mem_advise_fill(mem, segs[0].paddr, segs[n - 1].paddr + segs[n - 1].memsz - segs[0].paddr);
	for (unsigned i = 0; i < n; i++) {
		const struct elf_seg *s = &segs[i];
		uint8_t *dst = guest_mem_ptr(mem, s->paddr, s->memsz);
		uint64_t mapped;
		int ret;

		if (!dst)  /* cannot happen after elf_check_seg_ram; cheap to check */
			return verr_set(err, EFAULT, "ELF program header %u: segment at 0x%llx is not in guest RAM",
					s->idx, (unsigned long long)s->paddr);
		ret = kernel_src_place(&src, mem, s->paddr, s->offset, s->filesz, &mapped, err);
		if (ret)
			return ret;
		out->shared += mapped;
		out->file_bytes += s->filesz;
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
		if (s->paddr + s->memsz > out->load_end)
			out->load_end = s->paddr + s->memsz;
	}
	return 0;
}

/* The whole program header table in one read (checked to be in the file). */
static int elf_read_phdrs(const struct kernel_src *src, const Elf64_Ehdr *eh,
			  Elf64_Phdr **phdrs, struct volt_err *err)
{
	size_t size = (size_t)eh->e_phnum * sizeof(**phdrs);

	*phdrs = malloc(size ? size : 1);
	if (!*phdrs)
		return verr_set(err, ENOMEM, "out of memory for %u ELF program headers", eh->e_phnum);
	return kernel_src_read(src, eh->e_phoff, *phdrs, size, err);
}

int kernel_load_elf_src(struct guest_mem *mem, const struct kernel_src *src,
			struct boot_kernel *out, struct volt_err *err)
{
	struct elf_seg *segs = NULL;
	Elf64_Phdr *phdrs = NULL;
	Elf64_Ehdr eh = { 0 };
	unsigned n;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = elf_check_ehdr(src, &eh, err);
	if (ret)
		return ret;
	segs = calloc(eh.e_phnum ? eh.e_phnum : 1, sizeof(*segs));
	if (!segs)
		return verr_set(err, ENOMEM, "out of memory for %u ELF program headers", eh.e_phnum);
	ret = elf_read_phdrs(src, &eh, &phdrs, err);
	if (!ret)
		ret = elf_collect(mem, phdrs, src->len, &eh, segs, &n, err);
	if (!ret)
		ret = elf_check_overlaps(segs, n, err);
	if (!ret)
		ret = elf_entry(segs, n, eh.e_entry, &out->entry, err);
	if (!ret)
		ret = elf_copy(mem, src, segs, n, out, err);
	free(phdrs);
	free(segs);
	return ret;
}

int kernel_load_elf(struct guest_mem *mem, const uint8_t *img, size_t len,
		    struct boot_kernel *out, struct volt_err *err)
{
	struct kernel_src src = kernel_src_mem(img, len);

	return kernel_load_elf_src(mem, &src, out, err);
}
