#include "vm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/layout.h"

#define GUEST_MEM_HUGE (2ULL << 20)

/* Map RAM at a 2 MiB-aligned host address, so guest and host huge pages
 * line up (KVM can then map 2 MiB at a time). NORESERVE: a 4 GiB guest that
 * touches 100 MiB costs 100 MiB. */
static void *guest_mem_map_aligned(uint64_t size)
{
	uint8_t *p = mmap(NULL, size + GUEST_MEM_HUGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t start, head;

	if (p == MAP_FAILED)
		return NULL;
	start = ((uintptr_t)p + GUEST_MEM_HUGE - 1) & ~(uintptr_t)(GUEST_MEM_HUGE - 1);
	head = start - (uintptr_t)p;
	if (head)
		munmap(p, head);
	munmap((uint8_t *)start + size, GUEST_MEM_HUGE - head);
	return (void *)start;
}

/* Guest RAM stays the guest's:
 * - no child process inherits it (a plugin's helper, forked before
 *   lockdown): the child would hold the guest's data, and share its pages
 *   copy-on-write, so each page the guest then wrote would be copied and
 *   the old one kept for as long as the child lived;
 * - no core dump of volt holds it: a tenant's memory does not belong in
 *   the host's crash reports (systemd-coredump keeps them), nor gigabytes
 *   of it in each one. */
static int guest_mem_keep_private(void *at, uint64_t len)
{
	if (madvise(at, len, MADV_DONTFORK) || madvise(at, len, MADV_DONTDUMP))
		return -errno;
	return 0;
}

void guest_mem_advise_fill(struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (mem->huge == GUEST_MEM_HUGE_NEVER)
		return;
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		uint64_t lo, hi, end = gpa + len;

		if (end < gpa || gpa >= r->gpa + r->size || end <= r->gpa)
			continue;
		/* Only the huge pages wholly inside the range (r->hva is 2 MiB
		 * aligned, as are region sizes but the last). */
		lo = gpa > r->gpa ? gpa - r->gpa : 0;
		lo = (lo + GUEST_MEM_HUGE - 1) & ~(GUEST_MEM_HUGE - 1);
		hi = end - r->gpa < r->size ? end - r->gpa : r->size;
		hi &= ~(GUEST_MEM_HUGE - 1);
		if (lo < hi)
			madvise(r->hva + lo, hi - lo, MADV_HUGEPAGE);
	}
}

int guest_mem_init(struct guest_mem *mem, uint64_t ram_size, struct volt_err *err)
{
	uint64_t low;
	void *p;
	int r;

	memset(mem, 0, sizeof(*mem));
	if (ram_size < LAYOUT_MIB(1) || ram_size % 4096)
		return verr_set(err, EINVAL, "guest RAM of %llu bytes: must be a multiple of 4 KiB and at least 1 MiB",
				(unsigned long long)ram_size);
	p = guest_mem_map_aligned(ram_size);
	if (!p)
		return verr_set(err, errno, "cannot map %llu MiB of guest RAM: %s",
				(unsigned long long)(ram_size >> 20), strerror(errno));
	mem->base = p;
	mem->map_size = ram_size;
	mem->ram_size = ram_size;
	r = guest_mem_keep_private(p, ram_size);
	if (r) {
		guest_mem_fini(mem);
		return verr_set(err, -r, "cannot keep guest RAM from child processes and core dumps (madvise): %s",
				strerror(-r));
	}

	low = ram_size < LAYOUT_MMIO_HOLE_START ? ram_size : LAYOUT_MMIO_HOLE_START;
	mem->regions[0] = (struct guest_mem_region){ 0, low, mem->base };
	mem->nregions = 1;
	if (ram_size > low) {
		mem->regions[1] = (struct guest_mem_region){
			LAYOUT_MMIO_HOLE_END, ram_size - low, mem->base + low };
		mem->nregions = 2;
	}
	return 0;
}

int guest_mem_set_huge(struct guest_mem *mem, enum guest_mem_huge huge, struct volt_err *err)
{
	mem->huge = huge;
	if (huge == GUEST_MEM_HUGE_AUTO)
		return 0;
	/* EINVAL: a kernel built without THP knows no MADV_NOHUGEPAGE, and has
	 * no huge pages to give either. */
	if (madvise(mem->base, mem->map_size, MADV_NOHUGEPAGE) && errno != EINVAL)
		return verr_set(err, errno, "cannot keep huge pages off guest RAM (madvise): %s",
				strerror(errno));
	return 0;
}

void guest_mem_fini(struct guest_mem *mem)
{
	if (mem->base)
		munmap(mem->base, mem->map_size);
	memset(mem, 0, sizeof(*mem));
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		uint64_t off;

		if (gpa < r->gpa)
			continue;
		off = gpa - r->gpa;
		/* Written so that no addition can wrap: off <= size, then len <= size - off. */
		if (off > r->size || len > r->size - off)
			continue;
		return r->hva + off;
	}
	return NULL;
}

bool guest_mem_contains(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(mem, gpa, len) != NULL;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len)
{
	const void *src = guest_mem_ptr(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(buf, src, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len)
{
	void *dst = guest_mem_ptr(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, buf, len);
	return 0;
}

/* After a failed MAP_FIXED the range is either untouched (most failures
 * come before anything is replaced) or unmapped: fill a hole with fresh
 * anonymous memory, but never over a mapping, which NOREPLACE refuses (the
 * range is still RAM then, or another thread mapped into the hole and it
 * must not be clobbered). 0 if the range is RAM again, -EFAULT if not. */
static int guest_mem_refill(uint8_t *at, uint64_t len)
{
	void *p = mmap(at, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);

	if (p == at)
		return guest_mem_keep_private(at, len) ? -EFAULT : 0;
	if (p != MAP_FAILED) {  /* a kernel without NOREPLACE took it as a hint */
		munmap(p, len);
		return -EFAULT;
	}
	return errno == EEXIST ? 0 : -EFAULT;
}

int guest_mem_map_file(struct guest_mem *mem, uint64_t gpa, uint64_t len, int fd, uint64_t off,
		       struct volt_err *err)
{
	uint8_t *at = guest_mem_ptr(mem, gpa, len);
	int e, r;

	if (!at || !len || (gpa | len | off) % GUEST_MEM_PAGE)
		return verr_set(err, EINVAL, "cannot map %llu bytes at 0x%llx from file offset 0x%llx: not whole pages of guest RAM",
				(unsigned long long)len, (unsigned long long)gpa,
				(unsigned long long)off);
	if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd,
		 (off_t)off) != MAP_FAILED) {
		/* A new mapping: the advice on the RAM it replaced is gone. */
		r = guest_mem_keep_private(at, len);
		if (r)
			return verr_set(err, -r, "cannot keep the file's pages at guest 0x%llx from child processes and core dumps (madvise): %s",
					(unsigned long long)gpa, strerror(-r));
		return 0;
	}
	e = errno;
	if (guest_mem_refill(at, len))
		return verr_set(err, EFAULT, "cannot map the file at guest 0x%llx (%s), and guest RAM there is gone",
				(unsigned long long)gpa, strerror(e));
	return verr_set(err, e, "cannot map %llu bytes of the file at guest 0x%llx: %s",
			(unsigned long long)len, (unsigned long long)gpa, strerror(e));
}

uint64_t guest_mem_end(const struct guest_mem *mem)
{
	const struct guest_mem_region *r = &mem->regions[mem->nregions - 1];

	return r->gpa + r->size;
}
