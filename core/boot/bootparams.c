/* The zero page (struct boot_params) and the kernel command line, as the
 * 64-bit Linux boot protocol (Documentation/x86/boot.rst) expects them. */
#include "boot/boot.h"

#include <errno.h>
#include <string.h>

#include "vm/layout.h"

/* Boot protocol values that no UAPI header names (boot.rst). */
#define BOOT_LOADER_UNDEFINED  0xff        /* type_of_loader: "undefined" */
#define BOOT_FLAG_MAGIC        0xaa55
#define BOOT_HDR_MAGIC         0x53726448  /* "HdrS" */
#define BOOT_PROTO_CMDLINE_SIZE 0x0206     /* first protocol with cmdline_size */
#define BOOT_OLD_CMDLINE_MAX   255         /* the limit before protocol 2.06 */
/* An ELF vmlinux carries no setup header; give the field the x86_64 default
 * (CONFIG_PHYSICAL_ALIGN, 16 MiB) rather than 0, as other VMMs do. */
#define BOOT_ELF_KERNEL_ALIGN  0x01000000
/* Nor does it say how long a command line it takes. x86 Linux copies
 * COMMAND_LINE_SIZE (2048, the same in every version) bytes of it and drops
 * the rest without a word, the virtio_mmio.device= announcements at its end
 * included; the bzImage of the same kernel says 2047 in cmdline_size. */
#define BOOT_ELF_CMDLINE_MAX   2047

/* Longest command line (without the NUL) a bzImage will take. */
static uint32_t bootparams_kernel_cmdline_max(const struct setup_header *setup)
{
	if (setup->version < BOOT_PROTO_CMDLINE_SIZE)
		return BOOT_OLD_CMDLINE_MAX;
	return setup->cmdline_size;
}

static int bootparams_check_cmdline(const struct boot_kernel *k, size_t len,
				    struct volt_err *err)
{
	uint32_t kmax;

	if (len > LAYOUT_CMDLINE_MAX - 1)
		return verr_set(err, E2BIG,
				"kernel command line is %zu bytes; at most %llu fit at its guest address",
				len, LAYOUT_CMDLINE_MAX - 1);
	if (!k->bzimage) {
		if (len > BOOT_ELF_CMDLINE_MAX)
			return verr_set(err, E2BIG,
					"kernel command line is %zu bytes; an x86 Linux vmlinux keeps at most %u (COMMAND_LINE_SIZE) and drops the rest",
					len, BOOT_ELF_CMDLINE_MAX);
		return 0;
	}
	kmax = bootparams_kernel_cmdline_max(&k->setup);
	if (len > kmax)
		return verr_set(err, E2BIG,
				"kernel command line is %zu bytes; the kernel (boot protocol %u.%02u) accepts at most %u",
				len, (unsigned)k->setup.version >> 8, (unsigned)k->setup.version & 0xff, kmax);
	return 0;
}

/* The image's setup header, less the fields boot.rst marks "write": those
 * are the loader's to fill, and whatever an image carries there (a real
 * one has zeros) must not reach the kernel as if volt had said it: a
 * ramdisk_image/ramdisk_size pair without an initrd makes Linux take guest
 * memory for one, setup_data makes it walk a list from any address,
 * hardware_subarch sends it down another platform's boot path. Volt sets
 * type_of_loader, cmd_line_ptr and the ramdisk itself; it has no setup_data,
 * no real-mode heap and no other subarchitecture than the PC. */
static void bootparams_copy_setup(struct setup_header *hdr, const struct setup_header *setup)
{
	*hdr = *setup;
	hdr->ramdisk_image = 0;
	hdr->ramdisk_size = 0;
	hdr->heap_end_ptr = 0;
	hdr->ext_loader_ver = 0;
	hdr->ext_loader_type = 0;
	hdr->hardware_subarch = 0;
	hdr->hardware_subarch_data = 0;
	hdr->setup_data = 0;
}

static void bootparams_fill_hdr(struct setup_header *hdr, const struct boot_kernel *k,
				size_t cmdline_len)
{
	if (k->bzimage)
		bootparams_copy_setup(hdr, &k->setup);
	else
		hdr->kernel_alignment = BOOT_ELF_KERNEL_ALIGN;
	hdr->type_of_loader = BOOT_LOADER_UNDEFINED;
	hdr->boot_flag = BOOT_FLAG_MAGIC;
	hdr->header = BOOT_HDR_MAGIC;
	hdr->loadflags |= LOADED_HIGH;
	hdr->cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE_ADDR;
	hdr->cmdline_size = (uint32_t)cmdline_len;
}

/* 64-bit addresses and sizes are split: the low half in the setup header,
 * the high half in the ext_ fields of boot_params. */
static void bootparams_fill(struct boot_params *bp, const struct guest_mem *mem,
			    const struct boot_kernel *k, size_t cmdline_len,
			    uint64_t initrd_gpa, uint64_t initrd_size)
{
	memset(bp, 0, sizeof(*bp));
	bootparams_fill_hdr(&bp->hdr, k, cmdline_len);
	bp->ext_cmd_line_ptr = (uint32_t)(LAYOUT_CMDLINE_ADDR >> 32);
	if (initrd_size) {
		bp->hdr.ramdisk_image = (uint32_t)initrd_gpa;
		bp->hdr.ramdisk_size = (uint32_t)initrd_size;
		bp->ext_ramdisk_image = (uint32_t)(initrd_gpa >> 32);
		bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	}
	bp->e820_entries = (uint8_t)e820_build(mem, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
}

int bootparams_write(struct guest_mem *mem, const struct boot_kernel *k, const char *cmdline,
		     uint64_t initrd_gpa, uint64_t initrd_size, struct volt_err *err)
{
	struct boot_params bp;
	size_t len;
	int rc;

	if (!cmdline)
		cmdline = "";
	len = strlen(cmdline);
	rc = bootparams_check_cmdline(k, len, err);
	if (rc)
		return rc;
	if (initrd_size && !guest_mem_contains(mem, initrd_gpa, initrd_size))
		return verr_set(err, EINVAL, "initrd at %#llx (%llu bytes) is not in guest RAM",
				(unsigned long long)initrd_gpa, (unsigned long long)initrd_size);

	bootparams_fill(&bp, mem, k, len, initrd_gpa, initrd_size);
	rc = guest_mem_write(mem, LAYOUT_CMDLINE_ADDR, cmdline, len + 1);
	if (rc)
		return verr_set(err, -rc, "cannot write the command line at %#llx", LAYOUT_CMDLINE_ADDR);
	rc = guest_mem_write(mem, LAYOUT_ZERO_PAGE_ADDR, &bp, sizeof(bp));
	if (rc)
		return verr_set(err, -rc, "cannot write the zero page at %#llx", LAYOUT_ZERO_PAGE_ADDR);
	return 0;
}
