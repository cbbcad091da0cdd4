/* bootparams_write: the zero page and command line read back from a real
 * guest_mem, for an ELF kernel and a bzImage, and the refusals. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/boot.h"
#include "vm/layout.h"

#define CMDLINE "console=ttyS0 reboot=k panic=-1"

static struct guest_mem *mem_new(uint64_t ram)
{
	struct guest_mem *mem = calloc(1, sizeof(*mem));
	struct volt_err err = { 0 };

	assert_non_null(mem);
	assert_int_equal(guest_mem_init(mem, ram, &err), 0);
	return mem;
}

static void mem_free(struct guest_mem *mem)
{
	guest_mem_fini(mem);
	free(mem);
}

static void read_zero_page(const struct guest_mem *mem, struct boot_params *bp)
{
	assert_int_equal(guest_mem_read(mem, LAYOUT_ZERO_PAGE_ADDR, bp, sizeof(*bp)), 0);
}

static void check_loader_fields(const struct boot_params *bp)
{
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.boot_flag, 0xaa55);
	assert_int_equal(bp->hdr.header, 0x53726448);
	assert_true(bp->hdr.loadflags & LOADED_HIGH);
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE_ADDR);
	assert_int_equal(bp->ext_cmd_line_ptr, 0);
}

static void check_cmdline(const struct guest_mem *mem, const struct boot_params *bp,
			  const char *want)
{
	size_t len = strlen(want);
	const char *got = guest_mem_ptr(mem, bp->hdr.cmd_line_ptr, len + 1);

	assert_non_null(got);
	assert_memory_equal(got, want, len);
	assert_int_equal(got[len], '\0');
	assert_int_equal(bp->hdr.cmdline_size, len);
}

static void check_e820_copied(const struct guest_mem *mem, const struct boot_params *bp)
{
	struct boot_e820_entry want[E820_MAX_ENTRIES_ZEROPAGE];
	unsigned n = e820_build(mem, want, E820_MAX_ENTRIES_ZEROPAGE);

	assert_int_equal(bp->e820_entries, n);
	assert_memory_equal(bp->e820_table, want, n * sizeof(want[0]));
}

static void test_elf(void **state)
{
	struct guest_mem *mem = mem_new(LAYOUT_MIB(128));
	struct boot_kernel k = { .entry = 0x1000000, .load_start = 0x1000000, .load_end = 0x2000000 };
	struct volt_err err = { 0 };
	struct boot_params bp;

	/* Whatever was in the zero page before must not survive. */
	memset(guest_mem_ptr(mem, LAYOUT_ZERO_PAGE_ADDR, sizeof(bp)), 0xaa, sizeof(bp));
	assert_int_equal(bootparams_write(mem, &k, CMDLINE, 0x6000000, 0x123456, &err), 0);
	read_zero_page(mem, &bp);
	check_loader_fields(&bp);
	check_cmdline(mem, &bp, CMDLINE);
	check_e820_copied(mem, &bp);
	assert_int_equal(bp.hdr.kernel_alignment, 0x01000000);
	assert_int_equal(bp.hdr.ramdisk_image, 0x6000000);
	assert_int_equal(bp.hdr.ramdisk_size, 0x123456);
	assert_int_equal(bp.ext_ramdisk_image, 0);
	assert_int_equal(bp.ext_ramdisk_size, 0);
	assert_int_equal(bp.screen_info.orig_video_mode, 0);
	assert_int_equal(bp.hdr.setup_sects, 0);
	mem_free(mem);
}

static void test_elf_no_initrd(void **state)
{
	struct guest_mem *mem = mem_new(LAYOUT_MIB(128));
	struct boot_kernel k = { .entry = 0x1000000 };
	struct volt_err err = { 0 };
	struct boot_params bp;

	assert_int_equal(bootparams_write(mem, &k, "", 0, 0, &err), 0);
	read_zero_page(mem, &bp);
	check_cmdline(mem, &bp, "");
	assert_int_equal(bp.hdr.ramdisk_image, 0);
	assert_int_equal(bp.hdr.ramdisk_size, 0);
	mem_free(mem);
}

/* An initrd above 4 GiB needs the ext_ high halves. */
static void test_initrd_above_4g(void **state)
{
	struct guest_mem *mem = mem_new(LAYOUT_GIB(4));
	struct boot_kernel k = { .entry = 0x1000000 };
	struct volt_err err = { 0 };
	uint64_t gpa = LAYOUT_GIB(4) + LAYOUT_MIB(16);
	struct boot_params bp;

	assert_int_equal(bootparams_write(mem, &k, CMDLINE, gpa, LAYOUT_MIB(2), &err), 0);
	read_zero_page(mem, &bp);
	assert_int_equal(bp.hdr.ramdisk_image, LAYOUT_MIB(16));
	assert_int_equal(bp.ext_ramdisk_image, 1);
	assert_int_equal(bp.hdr.ramdisk_size, LAYOUT_MIB(2));
	assert_int_equal(bp.ext_ramdisk_size, 0);
	assert_int_equal(bp.e820_entries, 4);
	check_e820_copied(mem, &bp);
	mem_free(mem);
}

/* An initrd of 4 GiB or more needs ext_ramdisk_size, the size's high half. */
static void test_initrd_4g_or_more(void **state)
{
	struct guest_mem *mem = mem_new(LAYOUT_GIB(12));
	struct boot_kernel k = { .entry = 0x1000000 };
	struct volt_err err = { 0 };
	uint64_t gpa = LAYOUT_GIB(4) + LAYOUT_MIB(16), size = LAYOUT_GIB(5) + LAYOUT_MIB(2);
	struct boot_params bp;

	assert_int_equal(bootparams_write(mem, &k, CMDLINE, gpa, size, &err), 0);
	read_zero_page(mem, &bp);
	assert_int_equal(bp.hdr.ramdisk_size, LAYOUT_GIB(1) + LAYOUT_MIB(2));
	assert_int_equal(bp.ext_ramdisk_size, 1);
	mem_free(mem);
}

static void test_initrd_outside_ram(void **state)
{
	struct guest_mem *mem = mem_new(LAYOUT_MIB(128));
	struct boot_kernel k = { .entry = 0x1000000 };
	struct volt_err err = { 0 };

	assert_int_equal(bootparams_write(mem, &k, CMDLINE, LAYOUT_MIB(127), LAYOUT_MIB(2), &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "initrd"));
	mem_free(mem);
}

static struct boot_kernel bzimage_kernel(void)
{
	struct boot_kernel k = { .entry = 0x1000200, .bzimage = true };

	k.setup.setup_sects = 27;
	k.setup.syssize = 0x1234;
	k.setup.version = 0x020f;
	k.setup.type_of_loader = 0;
	k.setup.loadflags = CAN_USE_HEAP;
	k.setup.kernel_alignment = 0x200000;
	k.setup.relocatable_kernel = 1;
	k.setup.xloadflags = XLF_KERNEL_64;
	k.setup.cmdline_size = 2047;
	k.setup.init_size = 0x2000000;
	k.setup.pref_address = 0x1000000;
	return k;
}

static void test_bzimage(void **state)
{
	struct guest_mem *mem = mem_new(LAYOUT_MIB(128));
	struct boot_kernel k = bzimage_kernel();
	struct volt_err err = { 0 };
	struct boot_params bp;

	assert_int_equal(bootparams_write(mem, &k, CMDLINE, 0x6000000, 0x1000, &err), 0);
	read_zero_page(mem, &bp);
	/* The kernel's own header fields are passed on... */
	assert_int_equal(bp.hdr.setup_sects, 27);
	assert_int_equal(bp.hdr.syssize, 0x1234);
	assert_int_equal(bp.hdr.version, 0x020f);
	assert_int_equal(bp.hdr.kernel_alignment, 0x200000);
	assert_int_equal(bp.hdr.relocatable_kernel, 1);
	assert_int_equal(bp.hdr.xloadflags, XLF_KERNEL_64);
	assert_int_equal(bp.hdr.init_size, 0x2000000);
	assert_int_equal(bp.hdr.pref_address, 0x1000000);
	assert_true(bp.hdr.loadflags & CAN_USE_HEAP);
	/* ...and the loader's fields override them. */
	check_loader_fields(&bp);
	check_cmdline(mem, &bp, CMDLINE);
	check_e820_copied(mem, &bp);
	assert_int_equal(bp.hdr.ramdisk_image, 0x6000000);
	assert_int_equal(bp.hdr.ramdisk_size, 0x1000);
	mem_free(mem);
}

/* The fields boot.rst leaves to the loader are volt's, whatever the image
 * says in them: no initrd means no ramdisk, and there is no setup_data. */
static void test_bzimage_loader_fields_not_passed_on(void **state)
{
	struct guest_mem *mem = mem_new(LAYOUT_MIB(128));
	struct boot_kernel k = bzimage_kernel();
	struct volt_err err = { 0 };
	struct boot_params bp;

	k.setup.ramdisk_image = 0x30;
	k.setup.ramdisk_size = 0x1000;
	k.setup.heap_end_ptr = 0xfe00;
	k.setup.ext_loader_ver = 1;
	k.setup.ext_loader_type = 2;
	k.setup.hardware_subarch = 2;  /* X86_SUBARCH_XEN */
	k.setup.hardware_subarch_data = 0x1234;
	k.setup.setup_data = 0x5000;
	assert_int_equal(bootparams_write(mem, &k, CMDLINE, 0, 0, &err), 0);
	read_zero_page(mem, &bp);
	assert_int_equal(bp.hdr.ramdisk_image, 0);
	assert_int_equal(bp.hdr.ramdisk_size, 0);
	assert_int_equal(bp.hdr.heap_end_ptr, 0);
	assert_int_equal(bp.hdr.ext_loader_ver, 0);
	assert_int_equal(bp.hdr.ext_loader_type, 0);
	assert_int_equal(bp.hdr.hardware_subarch, 0);
	assert_int_equal(bp.hdr.hardware_subarch_data, 0);
	assert_int_equal(bp.hdr.setup_data, 0);
	/* The kernel's own fields still pass. */
	assert_int_equal(bp.hdr.init_size, 0x2000000);
	mem_free(mem);
}

static char *string_of(size_t len)
{
	char *s = malloc(len + 1);

	assert_non_null(s);
	memset(s, 'x', len);
	s[len] = '\0';
	return s;
}

/* k takes a command line of exactly `limit` bytes and refuses one more,
 * with both lengths in the message. */
static void check_cmdline_limit(const struct boot_kernel *k, size_t limit)
{
	struct guest_mem *mem = mem_new(LAYOUT_MIB(128));
	struct volt_err err = { 0 };
	char *fits = string_of(limit), *too_long = string_of(limit + 1);
	char want[2][24];

	snprintf(want[0], sizeof(want[0]), "%zu", limit);
	snprintf(want[1], sizeof(want[1]), "%zu", limit + 1);
	assert_int_equal(bootparams_write(mem, k, fits, 0, 0, &err), 0);
	assert_int_equal(bootparams_write(mem, k, too_long, 0, 0, &err), -E2BIG);
	assert_non_null(strstr(err.msg, want[0]));
	assert_non_null(strstr(err.msg, want[1]));
	free(fits);
	free(too_long);
	mem_free(mem);
}

static void test_bzimage_cmdline_limit(void **state)
{
	struct boot_kernel k = bzimage_kernel();

	check_cmdline_limit(&k, 2047);
}

/* Before protocol 2.06 the header had no cmdline_size: the limit was 255. */
static void test_old_protocol_cmdline_limit(void **state)
{
	struct boot_kernel k = bzimage_kernel();

	k.setup.version = 0x0205;
	k.setup.cmdline_size = 0;
	check_cmdline_limit(&k, 255);
	/* 2.06 is the first protocol with cmdline_size: it counts from there. */
	k.setup.version = 0x0206;
	k.setup.cmdline_size = 300;
	check_cmdline_limit(&k, 300);
}

/* The command line ends with its NUL in guest memory, whatever was there. */
static void test_cmdline_terminated(void **state)
{
	struct guest_mem *mem = mem_new(LAYOUT_MIB(128));
	struct boot_kernel k = { .entry = 0x1000000 };
	char *p = guest_mem_ptr(mem, LAYOUT_CMDLINE_ADDR, 64);

	memset(p, 'x', 64);
	assert_int_equal(bootparams_write(mem, &k, "quiet", 0, 0, NULL), 0);
	assert_string_equal(p, "quiet");
	mem_free(mem);
}

/* A bzImage may declare any cmdline_size: the buffer at its guest address
 * is the limit then. */
static void test_cmdline_too_long_for_layout(void **state)
{
	struct boot_kernel k = bzimage_kernel();

	k.setup.cmdline_size = 0xffffffff;
	check_cmdline_limit(&k, LAYOUT_CMDLINE_MAX - 1);
}

/* A vmlinux has no header to say it, but Linux keeps 2047 bytes of the
 * command line and silently drops the rest: the devices announced at its
 * end would vanish (seen in the rig: "Cannot open root device vda"). */
static void test_elf_cmdline_limit(void **state)
{
	struct boot_kernel k = { .entry = 0x1000000 };

	check_cmdline_limit(&k, 2047);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf),
		cmocka_unit_test(test_elf_no_initrd),
		cmocka_unit_test(test_initrd_above_4g),
		cmocka_unit_test(test_initrd_4g_or_more),
		cmocka_unit_test(test_initrd_outside_ram),
		cmocka_unit_test(test_bzimage),
		cmocka_unit_test(test_bzimage_loader_fields_not_passed_on),
		cmocka_unit_test(test_bzimage_cmdline_limit),
		cmocka_unit_test(test_old_protocol_cmdline_limit),
		cmocka_unit_test(test_cmdline_terminated),
		cmocka_unit_test(test_cmdline_too_long_for_layout),
		cmocka_unit_test(test_elf_cmdline_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
