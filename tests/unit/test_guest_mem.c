/* Guest RAM: mapping a file into it copy-on-write (guest_mem_map_file), as
 * [vm] kernel_pages = shared does for an ELF kernel's segments; the huge-page
 * policy of [vm] huge_pages (guest_mem_set_huge, guest_mem_advise_fill). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm/guest_mem.h"
#include "vm/layout.h"
#include "mem_fixture.h"
#include "vmflags.h"

#define AT    LAYOUT_MIB(16)
#define PAGES 4

/* A memfd of `pages` pages, page i filled with byte 'a' + i. */
static int pattern_file(const char *name, unsigned pages)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	uint8_t page[GUEST_MEM_PAGE];

	assert_true(fd >= 0);
	for (unsigned i = 0; i < pages; i++) {
		memset(page, 'a' + i, sizeof(page));
		assert_int_equal(pwrite(fd, page, sizeof(page), (off_t)(i * GUEST_MEM_PAGE)),
				 (ssize_t)sizeof(page));
	}
	return fd;
}

/* The name /proc/self/maps gives the mapping that holds p ("" if none). */
static void maps_name(const void *p, char *name, size_t cap)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	assert_non_null(f);
	name[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		int at = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at) < 2)
			continue;
		if ((uintptr_t)p >= lo && (uintptr_t)p < hi) {
			snprintf(name, cap, "%s", line + at);
			name[strcspn(name, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

/* guest_mem_ptr is where a guest address becomes a host pointer: every
 * byte of the range must be RAM, and no sum may wrap. */
static void test_ptr_bounds(void **state)
{
	struct guest_mem *mem = *state;
	struct guest_mem big;
	const uint64_t hole = LAYOUT_MMIO_HOLE_START, high = LAYOUT_MMIO_HOLE_END;
	struct volt_err err = { 0 };

	assert_ptr_equal(guest_mem_ptr(mem, 0, RAM_SIZE), mem->base);
	assert_null(guest_mem_ptr(mem, 0, RAM_SIZE + 1));
	assert_ptr_equal(guest_mem_ptr(mem, RAM_SIZE - 1, 1), mem->base + RAM_SIZE - 1);
	assert_null(guest_mem_ptr(mem, RAM_SIZE - 1, 2));
	assert_null(guest_mem_ptr(mem, RAM_SIZE, 1));
	assert_null(guest_mem_ptr(mem, RAM_SIZE + 1, 0));
	assert_null(guest_mem_ptr(mem, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(mem, 0x1000, UINT64_MAX));
	assert_false(guest_mem_contains(mem, RAM_SIZE - 0x1000, 0x1001));
	assert_int_equal(guest_mem_write(mem, RAM_SIZE - 1, "ab", 2), -EFAULT);

	/* Above 3 GiB RAM continues at 4 GiB: the hole between is not RAM. */
	assert_int_equal(guest_mem_init(&big, hole + LAYOUT_MIB(16), NULL), 0);
	assert_int_equal(big.nregions, 2);
	assert_ptr_equal(guest_mem_ptr(&big, hole - 1, 1), big.base + hole - 1);
	assert_null(guest_mem_ptr(&big, hole - 1, 2));
	assert_null(guest_mem_ptr(&big, hole, 1));
	assert_null(guest_mem_ptr(&big, high - 1, 1));
	assert_ptr_equal(guest_mem_ptr(&big, high, LAYOUT_MIB(16)), big.base + hole);
	assert_null(guest_mem_ptr(&big, high, LAYOUT_MIB(16) + 1));
	assert_int_equal(guest_mem_end(&big), high + LAYOUT_MIB(16));
	guest_mem_fini(&big);

	/* Whole pages only, and at least 1 MiB. */
	assert_int_equal(guest_mem_init(&big, LAYOUT_MIB(2) + 512, &err), -EINVAL);
	assert_int_equal(guest_mem_init(&big, LAYOUT_MIB(1) - 4096, NULL), -EINVAL);
}

/* The guest sees the file's bytes, through a mapping of the file (which is
 * the point: the pages are the page cache's until written), and its writes
 * stay its own. */
static void test_map_file_private_copy_on_write(void **state)
{
	struct guest_mem *mem = *state;
	struct volt_err err = { 0 };
	int fd = pattern_file("volt-test-cow", PAGES);
	uint8_t *p = guest_mem_ptr(mem, AT, PAGES * GUEST_MEM_PAGE), byte = 0;
	char name[256];

	/* Map pages 1..2 of the file over guest pages 1..2 of the range. */
	assert_int_equal(guest_mem_map_file(mem, AT + GUEST_MEM_PAGE, 2 * GUEST_MEM_PAGE, fd,
					    GUEST_MEM_PAGE, &err), 0);
	assert_int_equal(p[0], 0);
	assert_int_equal(p[GUEST_MEM_PAGE], 'b');
	assert_int_equal(p[3 * GUEST_MEM_PAGE - 1], 'c');
	assert_int_equal(p[3 * GUEST_MEM_PAGE], 0);
	maps_name(p + GUEST_MEM_PAGE, name, sizeof(name));
	assert_non_null(strstr(name, "volt-test-cow"));
	maps_name(p, name, sizeof(name));
	assert_null(strstr(name, "volt-test-cow"));

	p[GUEST_MEM_PAGE] = 'X';
	assert_int_equal(pread(fd, &byte, 1, GUEST_MEM_PAGE), 1);
	assert_int_equal(byte, 'b');
	close(fd);
	/* The mapping keeps the file: the bytes are still there. */
	assert_int_equal(p[2 * GUEST_MEM_PAGE], 'c');
}

static void test_map_file_refuses_partial_pages(void **state)
{
	struct guest_mem *mem = *state;
	struct volt_err err = { 0 };
	int fd = pattern_file("volt-test-partial", PAGES);

	assert_int_equal(guest_mem_map_file(mem, AT + 1, GUEST_MEM_PAGE, fd, 0, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not whole pages of guest RAM"));
	assert_int_equal(guest_mem_map_file(mem, AT, 100, fd, 0, &err), -EINVAL);
	err = (struct volt_err){ 0 };
	assert_int_equal(guest_mem_map_file(mem, AT, GUEST_MEM_PAGE, fd, 512, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "from file offset 0x200: not whole pages of guest RAM"));
	assert_int_equal(guest_mem_map_file(mem, AT, 0, fd, 0, &err), -EINVAL);
	/* Not RAM: past the end. */
	assert_int_equal(guest_mem_map_file(mem, RAM_SIZE, GUEST_MEM_PAGE, fd, 0, &err), -EINVAL);
	close(fd);
}

/* A file that cannot be mapped (opened write-only: refused before anything
 * is replaced) leaves guest RAM at that range as it was, so the loader can
 * copy instead; it is not the file's, and what the guest had is still
 * there. */
static void test_map_file_failure_keeps_ram(void **state)
{
	struct guest_mem *mem = *state;
	struct volt_err err = { 0 };
	char path[] = "/tmp/volt-test-mapXXXXXX";
	int rfd = mkstemp(path), wfd;
	uint8_t *p = guest_mem_ptr(mem, AT, GUEST_MEM_PAGE);
	char name[256];

	assert_true(rfd >= 0);
	assert_int_equal(ftruncate(rfd, GUEST_MEM_PAGE), 0);
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	unlink(path);
	close(rfd);
	assert_true(wfd >= 0);
	p[0] = 7;
	assert_int_equal(guest_mem_map_file(mem, AT, GUEST_MEM_PAGE, wfd, 0, &err), -EACCES);
	assert_non_null(strstr(err.msg, "cannot map 4096 bytes of the file at guest 0x1000000"));
	close(wfd);
	maps_name(p, name, sizeof(name));
	assert_null(strstr(name, "volt-test-map"));
	assert_int_equal(p[0], 7);
	p[GUEST_MEM_PAGE - 1] = 9;
	assert_int_equal(p[GUEST_MEM_PAGE - 1], 9);
}

/* Guest RAM is never inherited by a child process ("dc": do not copy on
 * fork) nor written into a core dump ("dd"), RAM the file mapping replaced
 * included; the range beyond the mapped file keeps both too. */
static void test_kept_private(void **state)
{
	struct guest_mem *mem = *state;
	struct volt_err err = { 0 };
	int fd = pattern_file("volt-test-fork", PAGES);
	uint8_t *p = guest_mem_ptr(mem, AT, PAGES * GUEST_MEM_PAGE);

	assert_true(vmflag(mem->base, "dc"));
	assert_true(vmflag(mem->base + mem->map_size - 1, "dc"));
	assert_true(vmflag(mem->base, "dd"));
	assert_true(vmflag(mem->base + mem->map_size - 1, "dd"));
	assert_int_equal(guest_mem_map_file(mem, AT + GUEST_MEM_PAGE, GUEST_MEM_PAGE, fd, 0, &err),
			 0);
	close(fd);
	assert_true(vmflag(p + GUEST_MEM_PAGE, "dc"));
	assert_true(vmflag(p + GUEST_MEM_PAGE, "dd"));
	assert_true(vmflag(p, "dc"));
	assert_true(vmflag(p + 2 * GUEST_MEM_PAGE, "dd"));
}

/* A fill from 17 MiB to 21 MiB: one whole huge page inside, 18-20 MiB. */
#define FILL     LAYOUT_MIB(17)
#define FILL_LEN LAYOUT_MIB(4)
#define HUGE_LO  LAYOUT_MIB(18)
#define HUGE_HI  LAYOUT_MIB(20)

/* auto: nothing is refused; the huge pages inside a range the VMM fills are
 * advised for. */
static void test_huge_auto(void **state)
{
	struct guest_mem *mem = *state;
	uint8_t *huge = guest_mem_ptr(mem, HUGE_LO, HUGE_HI - HUGE_LO);

	skip_without_thp();
	assert_int_equal(guest_mem_set_huge(mem, GUEST_MEM_HUGE_AUTO, NULL), 0);
	assert_false(vmflag(mem->base, "nh"));
	guest_mem_advise_fill(mem, FILL, FILL_LEN);
	assert_true(vmflag(huge, "hg"));
	assert_false(vmflag(huge - 1, "hg"));
	assert_false(vmflag(mem->base, "hg"));
	assert_false(vmflag(mem->base, "nh"));
}

/* loaded: 4 KiB pages everywhere but the whole huge pages inside the filled
 * range; its ends, where the guest's free memory may begin, stay on 4 KiB. */
static void test_huge_loaded(void **state)
{
	struct guest_mem *mem = *state;
	uint8_t *fill = guest_mem_ptr(mem, FILL, FILL_LEN);
	uint8_t *huge = guest_mem_ptr(mem, HUGE_LO, HUGE_HI - HUGE_LO);

	skip_without_thp();
	assert_int_equal(guest_mem_set_huge(mem, GUEST_MEM_HUGE_LOADED, NULL), 0);
	assert_true(vmflag(mem->base, "nh"));
	assert_true(vmflag(huge, "nh"));
	guest_mem_advise_fill(mem, FILL, FILL_LEN);
	assert_true(vmflag(huge, "hg"));
	assert_false(vmflag(huge, "nh"));
	assert_true(vmflag(huge + (HUGE_HI - HUGE_LO) - 1, "hg"));
	assert_true(vmflag(huge - 1, "nh"));                 /* the fill's first MiB */
	assert_true(vmflag(fill, "nh"));
	assert_true(vmflag(huge + (HUGE_HI - HUGE_LO), "nh")); /* its last MiB */
	assert_true(vmflag(fill + FILL_LEN - 1, "nh"));
	assert_true(vmflag(mem->base + mem->map_size - 1, "nh"));
}

/* loaded: a fill smaller than a huge page, or one that holds none whole (an
 * initrd of a few MiB at an odd address), gets none. */
static void test_huge_loaded_small(void **state)
{
	struct guest_mem *mem = *state;
	uint8_t *p = guest_mem_ptr(mem, LAYOUT_MIB(16), LAYOUT_MIB(4));

	skip_without_thp();
	assert_int_equal(guest_mem_set_huge(mem, GUEST_MEM_HUGE_LOADED, NULL), 0);
	guest_mem_advise_fill(mem, LAYOUT_MIB(16), LAYOUT_MIB(1));
	guest_mem_advise_fill(mem, LAYOUT_MIB(17), LAYOUT_MIB(2) + GUEST_MEM_PAGE);
	for (uint64_t off = 0; off < LAYOUT_MIB(4); off += GUEST_MEM_PAGE)
		assert_false(vmflag(p + off, "hg"));
	/* The same range exactly on huge-page boundaries gets its page. */
	guest_mem_advise_fill(mem, LAYOUT_MIB(18), LAYOUT_MIB(2));
	assert_true(vmflag(p + LAYOUT_MIB(2), "hg"));
	assert_true(vmflag(p + LAYOUT_MIB(4) - 1, "hg"));
	assert_false(vmflag(p + LAYOUT_MIB(2) - 1, "hg"));
}

/* never: the filled range stays on 4 KiB pages too. */
static void test_huge_never(void **state)
{
	struct guest_mem *mem = *state;
	uint8_t *fill = guest_mem_ptr(mem, FILL, FILL_LEN);

	skip_without_thp();
	assert_int_equal(guest_mem_set_huge(mem, GUEST_MEM_HUGE_NEVER, NULL), 0);
	guest_mem_advise_fill(mem, FILL, FILL_LEN);
	assert_true(vmflag(fill, "nh"));
	assert_false(vmflag(fill, "hg"));
	assert_true(vmflag(mem->base, "nh"));
	assert_true(vmflag(mem->base + mem->map_size - 1, "nh"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ptr_bounds, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_map_file_private_copy_on_write, setup_mem,
						teardown_mem),
		cmocka_unit_test_setup_teardown(test_map_file_refuses_partial_pages, setup_mem,
						teardown_mem),
		cmocka_unit_test_setup_teardown(test_map_file_failure_keeps_ram, setup_mem,
						teardown_mem),
		cmocka_unit_test_setup_teardown(test_kept_private, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_huge_auto, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_huge_loaded, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_huge_loaded_small, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_huge_never, setup_mem, teardown_mem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
