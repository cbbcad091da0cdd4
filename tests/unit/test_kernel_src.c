/* Reading kernel and initrd files (kernel_src.c, kernel_image_open) when
 * pread does what it may: stop short (Linux moves at most 0x7ffff000 bytes
 * per call, so any initrd over 2 GiB is read in several), be interrupted
 * (EINTR), or meet the end of a file that shrank. pread is interposed in
 * this executable: the core's static library calls this one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot/kernel.h"
#include "boot/kernel_src.h"
#include "vm/layout.h"
#include "mem_fixture.h"
#include "stdin_fixture.h"

static size_t pread_cap;        /* at most this many bytes per call; 0: no cap */
static unsigned pread_eintr;    /* every Nth call fails with EINTR; 0: never */
static unsigned pread_calls;

static ssize_t pread_interposed(int fd, void *buf, size_t n, off_t off)
{
	pread_calls++;
	if (pread_eintr && pread_calls % pread_eintr == 0) {
		errno = EINTR;
		return -1;
	}
	if (pread_cap && n > pread_cap)
		n = pread_cap;
	return syscall(SYS_pread64, fd, buf, n, off);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return pread_interposed(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	return pread_interposed(fd, buf, n, off);
}

/* fstat too: on fd fstat_fd, the first call cuts the file to
 * fstat_shrink_to bytes after reading its size, as another program could
 * between a loader's look at the size and its next step. */
static int fstat_fd = -1;
static off_t fstat_shrink_to;

static int fstat_interposed(int fd, struct stat *st)
{
	int r = (int)syscall(SYS_fstat, fd, st);

	if (r == 0 && fd == fstat_fd) {
		assert_int_equal(ftruncate(fd, fstat_shrink_to), 0);
		fstat_fd = -1;
	}
	return r;
}

int fstat(int fd, struct stat *st)
{
	return fstat_interposed(fd, st);
}

int fstat64(int fd, struct stat64 *st)
{
	return fstat_interposed(fd, (struct stat *)st);
}

static uint8_t file_byte(size_t off)
{
	return (uint8_t)(off * 11 + off / 251 + 3);
}

static int make_file(char *path, size_t size)
{
	uint8_t *data = malloc(size);
	int fd = mkstemp(path);

	assert_non_null(data);
	assert_true(fd >= 0);
	for (size_t i = 0; i < size; i++)
		data[i] = file_byte(i);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	free(data);
	return fd;
}

static void pread_reset(void)
{
	pread_cap = 0;
	pread_eintr = 0;
	pread_calls = 0;
}

/* A range in the middle of the file, read a few bytes per call and
 * interrupted now and then: every byte lands in place, none around it. */
static void test_read_short_and_interrupted(void **state)
{
	char path[] = "/tmp/volt-test-src-XXXXXX";
	int fd = make_file(path, 65536);
	struct kernel_src src = kernel_src_fd(fd, 65536);
	struct volt_err err = { 0 };
	static uint8_t buf[1024 + 40000 + 1024];
	uint8_t *dst = buf + 1024;

	memset(buf, 0x5a, sizeof(buf));
	pread_cap = 777;
	pread_eintr = 3;
	assert_int_equal(kernel_src_read(&src, 1000, dst, 40000, &err), 0);
	assert_true(pread_calls > 40000 / 777);
	pread_reset();
	for (size_t i = 0; i < 40000; i++)
		if (dst[i] != file_byte(1000 + i))
			fail_msg("byte %zu: 0x%02x, want 0x%02x", i, dst[i], file_byte(1000 + i));
	for (size_t i = 0; i < 1024; i++) {
		assert_int_equal(buf[i], 0x5a);
		assert_int_equal(dst[40000 + i], 0x5a);
	}
	close(fd);
	unlink(path);
}

/* The same for an initrd going into guest RAM. */
static void test_initrd_short_reads(void **state)
{
	struct guest_mem *mem = *state;
	char path[] = "/tmp/volt-test-src-XXXXXX";
	int fd = make_file(path, 300000);
	struct boot_kernel k = { .entry = LAYOUT_MIB(16), .load_start = LAYOUT_MIB(16),
				 .load_end = LAYOUT_MIB(17) };
	struct volt_err err = { 0 };
	uint64_t gpa = 0, size = 0;
	uint8_t *p;

	memset(guest_mem_ptr(mem, LAYOUT_MIB(17), RAM_SIZE - LAYOUT_MIB(17)), 0x5a,
	       RAM_SIZE - LAYOUT_MIB(17));
	pread_cap = 4096 + 7;
	pread_eintr = 5;
	if (initrd_load_fd(mem, fd, 300000, &k, &gpa, &size, &err))
		fail_msg("initrd_load_fd: %s", err.msg);
	pread_reset();
	assert_int_equal(size, 300000);
	p = guest_mem_ptr(mem, gpa, size);
	for (size_t i = 0; i < size; i++)
		if (p[i] != file_byte(i))
			fail_msg("initrd byte %zu: 0x%02x, want 0x%02x", i, p[i], file_byte(i));
	p = guest_mem_ptr(mem, gpa - 4096, 4096);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(p[i], 0x5a);
	close(fd);
	unlink(path);
}

/* The file shrank after it was measured. An EINTR before does not make
 * the end of the file look interrupted too (errno still holds EINTR when
 * pread then returns 0): the read fails, saying so, and does not spin. */
static void test_shrank_after_eintr(void **state)
{
	char path[] = "/tmp/volt-test-src-XXXXXX";
	int fd = make_file(path, 65536);
	struct kernel_src src = kernel_src_fd(fd, 65536);
	struct volt_err err = { 0 };
	static uint8_t dst[65536];

	alarm(10);
	assert_int_equal(ftruncate(fd, 10000), 0);
	pread_eintr = 2;
	assert_int_equal(kernel_src_read(&src, 0, dst, sizeof(dst), &err), -EIO);
	pread_reset();
	assert_non_null(strstr(err.msg, "file shrank to 10000 bytes while being read"));
	alarm(0);
	close(fd);
	unlink(path);
}

/* The last guards, for callers that did not check: a read outside the
 * image is refused (not done), a placement outside guest RAM too. */
static void test_guards(void **state)
{
	static const uint8_t image[4096];
	struct kernel_src src = kernel_src_mem(image, sizeof(image));
	struct volt_err err = { 0 };
	uint8_t dst[64];

	assert_int_equal(kernel_src_read(&src, 4096 - 32, dst, 64, &err), -EIO);
	assert_non_null(strstr(err.msg, "outside the 4096-byte image"));
	err = (struct volt_err){ 0 };
	assert_int_equal(kernel_src_read(&src, UINT64_MAX - 8, dst, 16, &err), -EIO);
	assert_int_equal(kernel_src_read(&src, 4096, dst, 0, &err), 0);
	err = (struct volt_err){ 0 };
	assert_int_equal(kernel_src_place(&src, *state, RAM_SIZE - 16, 0, 64, NULL, &err),
			 -EFAULT);
	if (!strstr(err.msg, "are not guest RAM"))
		fail_msg("message: %s", err.msg);
}

#define KBASE LAYOUT_MIB(16)

/* A minimal vmlinux in a file: one PT_LOAD of 0x3000 bytes at file offset
 * 0x1000, loaded at 16 MiB, entered at its start. */
static int make_elf(char *path)
{
	static uint8_t img[0x4000];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_entry = KBASE;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = KBASE,
			    .p_vaddr = KBASE, .p_filesz = 0x3000, .p_memsz = 0x3000 };
	for (size_t i = 0x1000; i < sizeof(img); i++)
		img[i] = file_byte(i);
	assert_int_equal(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
	return fd;
}

/* The lowest free fd: what the next open gets. */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* Loading a kernel and an initrd, or refusing them, leaves no fd open. */
static void test_no_fd_left_open(void **state)
{
	char kpath[] = "/tmp/volt-test-src-XXXXXX", ipath[] = "/tmp/volt-test-src-XXXXXX";
	char epath[] = "/tmp/volt-test-src-XXXXXX";
	int fd, before;
	struct volt_err err = { 0 };
	struct boot_kernel k;
	uint64_t gpa, size;
	size_t len;

	close(make_elf(kpath));
	close(make_file(ipath, 8192));
	fd = mkstemp(epath);
	close(fd);
	before = next_fd();
	if (kernel_load(*state, kpath, &k, &err))
		fail_msg("kernel_load: %s", err.msg);
	if (initrd_load(*state, ipath, &k, &gpa, &size, &err))
		fail_msg("initrd_load: %s", err.msg);
	assert_true(kernel_load(*state, epath, &k, &err) < 0);        /* empty */
	err = (struct volt_err){ 0 };
	assert_true(kernel_image_open("/tmp", "kernel", &len, &err) < 0); /* not a file */
	err = (struct volt_err){ 0 };
	assert_true(initrd_load(*state, epath, &k, &gpa, &size, &err) < 0);
	assert_int_equal(next_fd(), before);
	unlink(kpath);
	unlink(ipath);
	unlink(epath);
}

/* With kernel_pages = shared, a file cut short after its pages were mapped
 * (pages past its end would fault once the guest touches them) fails the
 * load, saying so. */
static void test_shrank_after_mapping(void **state)
{
	char path[] = "/tmp/volt-test-src-XXXXXX";
	int fd = make_elf(path);
	struct guest_mem mem;
	struct volt_err err = { 0 };
	struct boot_kernel k;

	assert_int_equal(guest_mem_init(&mem, LAYOUT_MIB(64), NULL), 0);
	fstat_fd = fd;
	fstat_shrink_to = 0x2000;
	assert_int_equal(kernel_load_fd(&mem, fd, 0x4000, KERNEL_PAGES_SHARED, &k, &err), -EIO);
	assert_int_equal(fstat_fd, -1); /* the cut happened */
	if (!strstr(err.msg, "file shrank to 8192 bytes while being loaded"))
		fail_msg("message: %s", err.msg);
	guest_mem_fini(&mem); /* without touching the mapped pages */
	close(fd);
	unlink(path);
}

/* volt started with stdin closed opens its kernel and initrd as fd 0:
 * they load as from any other fd. */
static void test_open_as_fd_0(void **state)
{
	char path[] = "/tmp/volt-test-src-XXXXXX", kpath[] = "/tmp/volt-test-src-XXXXXX";
	int saved, got, kret, iret;
	struct volt_err err = { 0 }, kerr = { 0 }, ierr = { 0 };
	struct boot_kernel k = { 0 };
	uint64_t gpa = 0, size = 0;
	size_t len = 0;
	uint8_t *p;

	close(make_file(path, 8192));
	close(make_elf(kpath));
	memset(guest_mem_ptr(*state, KBASE, 0x3000), 0, 0x3000);
	saved = stdin_away();
	got = kernel_image_open(path, "initrd", &len, &err);
	if (got >= 0)
		close(got);
	kret = kernel_load(*state, kpath, &k, &kerr);
	iret = initrd_load(*state, path, &k, &gpa, &size, &ierr);
	stdin_back(saved);
	if (got < 0)
		fail_msg("kernel_image_open: %s", err.msg);
	assert_int_equal(got, 0);
	assert_int_equal(len, 8192);
	if (kret)
		fail_msg("kernel_load: %s", kerr.msg);
	assert_int_equal(k.entry, KBASE);
	p = guest_mem_ptr(*state, KBASE, 0x3000);
	for (size_t i = 0; i < 0x3000; i++)
		assert_int_equal(p[i], file_byte(0x1000 + i));
	if (iret)
		fail_msg("initrd_load: %s", ierr.msg);
	assert_int_equal(size, 8192);
	p = guest_mem_ptr(*state, gpa, size);
	for (size_t i = 0; i < size; i++)
		assert_int_equal(p[i], file_byte(i));
	unlink(path);
	unlink(kpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_short_and_interrupted),
		cmocka_unit_test(test_initrd_short_reads),
		cmocka_unit_test(test_shrank_after_eintr),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_no_fd_left_open),
		cmocka_unit_test(test_shrank_after_mapping),
		cmocka_unit_test(test_open_as_fd_0),
	};

	return cmocka_run_group_tests(tests, setup_mem, teardown_mem);
}
