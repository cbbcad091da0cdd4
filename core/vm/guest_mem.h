/* Guest RAM: one anonymous mapping, registered with KVM as one or two slots
 * (RAM above LAYOUT_MMIO_HOLE_START moves to 4 GiB).
 *
 * This is the only place that turns a guest-physical address into a host
 * pointer. Every access to guest memory from the VMM, a device or a plugin
 * goes through guest_mem_ptr() (or the copy helpers built on it), which
 * rejects ranges that leave RAM, straddle the hole, or overflow. */
#ifndef VOLT_VM_GUEST_MEM_H
#define VOLT_VM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define GUEST_MEM_MAX_REGIONS 2
#define GUEST_MEM_PAGE 4096ULL

struct guest_mem_region {
	uint64_t gpa;   /* first guest-physical address */
	uint64_t size;  /* bytes */
	uint8_t *hva;   /* host address of gpa */
};

/* Which guest RAM transparent huge pages may back ([vm] huge_pages, the
 * index of its word). A huge page costs 2 MiB of host memory as soon as the
 * guest touches any byte of it, but KVM maps it with one fault instead of
 * 512: fewer faults (a faster boot) against the memory of the pages the
 * guest touches sparsely (docs/benchmarks.md has both measured). */
enum guest_mem_huge {
	GUEST_MEM_HUGE_AUTO,   /* as the host's THP policy says; the ranges the
				* VMM fills are advised for huge pages */
	GUEST_MEM_HUGE_LOADED, /* only the ranges the VMM fills (kernel, initrd) */
	GUEST_MEM_HUGE_NEVER,  /* none: 4 KiB pages, the guest costs the pages it touches */
};

struct guest_mem {
	uint8_t *base;       /* the whole mapping (all regions, back to back) */
	size_t map_size;     /* == ram_size */
	uint64_t ram_size;   /* total RAM in bytes */
	unsigned nregions;
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	enum guest_mem_huge huge; /* GUEST_MEM_HUGE_AUTO unless guest_mem_set_huge */
};

/* Map ram_size bytes (a multiple of 4 KiB, at least 1 MiB) and lay them out
 * around the MMIO hole. Nothing is registered with KVM here. */
int guest_mem_init(struct guest_mem *mem, uint64_t ram_size, struct volt_err *err);
void guest_mem_fini(struct guest_mem *mem);

/* Apply a huge-page policy to all of guest RAM, before anything is written
 * to it. LOADED and NEVER advise the host against huge pages everywhere
 * (MADV_NOHUGEPAGE); LOADED lets guest_mem_advise_fill take its ranges back.
 * A host kernel without THP has no huge pages to refuse: that is success.
 * -errno from madvise otherwise. */
int guest_mem_set_huge(struct guest_mem *mem, enum guest_mem_huge huge, struct volt_err *err);

/* Host pointer for [gpa, gpa+len) if the whole range is RAM inside one
 * region, else NULL. len == 0 is valid iff gpa is inside (or at the end of)
 * a region. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* True if [gpa, gpa+len) is RAM (as guest_mem_ptr would accept). */
bool guest_mem_contains(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy in and out of guest memory; -EFAULT if the range is not RAM. */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len);
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len);

/* The VMM is about to fill [gpa, gpa+len) (a kernel image or an initrd):
 * back the 2 MiB pages wholly inside it with transparent huge pages, so
 * filling them costs one fault per 2 MiB instead of one per 4 KiB. The ends
 * stay on 4 KiB pages: past a kernel image's end its free memory begins,
 * which a small guest may never touch, and a huge page there would cost up
 * to 2 MiB of it (1.5 MiB for the project's guest, docs/benchmarks.md). A
 * hint: nothing fails if the host has THP off; nothing is done under
 * GUEST_MEM_HUGE_NEVER. */
void guest_mem_advise_fill(struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Replace guest RAM [gpa, gpa+len) with a private (copy-on-write) mapping
 * of the file fd from offset off: the guest reads the file's page-cache
 * pages, shared with every other mapping of the file, and a page becomes
 * the guest's own only when something writes it. gpa, len and off must be
 * multiples of GUEST_MEM_PAGE and the range inside one RAM region.
 *
 * -errno on failure, with the range still guest RAM (as it was, or, if
 * the failed mapping had already removed it, fresh zeroed memory), so the
 * caller may copy the bytes instead; -EFAULT if the range is a hole now:
 * the VM must not start. The file must not shrink while mapped: pages past
 * its new end would fault (SIGBUS for whichever VMM thread touches them,
 * -EFAULT from KVM_RUN). */
int guest_mem_map_file(struct guest_mem *mem, uint64_t gpa, uint64_t len, int fd, uint64_t off,
		       struct volt_err *err);

/* Highest guest-physical address + 1 that is RAM. */
uint64_t guest_mem_end(const struct guest_mem *mem);

#endif
