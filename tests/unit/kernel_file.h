/* The loader tests load each image three times: from the buffer
 * (kernel_load_image) and from a file (kernel_load_fd, what volt runs),
 * copied and mapped, and require the same result, message and guest bytes
 * from all. */
#ifndef VOLT_TEST_KERNEL_FILE_H
#define VOLT_TEST_KERNEL_FILE_H

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/kernel.h"

/* The image in a memfd: a regular file, as kernel_image_open() requires. */
static int image_memfd(const void *buf, size_t len)
{
	int fd = memfd_create("volt-test-kernel", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
	return fd;
}

/* Where a loaded kernel's bytes lie: an ELF's segments between load_start
 * and load_end; a bzImage's load_end also counts the room it decompresses
 * into (up to all of RAM), which the loader does not write, so only as far
 * as its file is long. */
static uint64_t loaded_size(const struct boot_kernel *k, size_t len)
{
	uint64_t size = k->load_end - k->load_start;

	return k->bzimage && len < size ? len : size;
}

/* k was loaded from buf: scribble over where it lies, load buf again and
 * return a copy of the result (so bytes no load writes hold the scribble
 * too), then scribble again for the next load to write over. */
static uint8_t *reload_scribbled(struct guest_mem *mem, const uint8_t *buf, size_t len,
				 const struct boot_kernel *k, uint64_t *size)
{
	struct volt_err err = { 0 };
	struct boot_kernel again;
	uint8_t *at, *want;

	*size = loaded_size(k, len);
	at = guest_mem_ptr(mem, k->load_start, *size);
	want = malloc(*size);
	assert_non_null(at);
	assert_non_null(want);
	memset(at, 0xa5, *size);
	assert_int_equal(kernel_load_image(mem, buf, len, &again, &err), 0);
	memcpy(want, at, *size);
	memset(at, 0xa5, *size);
	return want;
}

/* Load fd as `pages` asks, over the scribble, and require what loading from
 * the buffer gave: the result, the message, the kernel's description and
 * (if it loaded) the guest bytes. */
static void load_fd_same(struct guest_mem *mem, int fd, size_t len, enum kernel_pages pages,
			 int ret, const struct boot_kernel *k, const struct volt_err *err,
			 uint8_t *at, const uint8_t *want, uint64_t size)
{
	struct volt_err ferr = { 0 };
	struct boot_kernel fk;
	int fret = kernel_load_fd(mem, fd, len, pages, &fk, &ferr);

	if (fret != ret || strcmp(ferr.msg, err->msg) != 0)
		fail_msg("from the buffer: %d \"%s\"; from a file (%s): %d \"%s\"", ret, err->msg,
			 pages == KERNEL_PAGES_SHARED ? "shared" : "private", fret, ferr.msg);
	assert_int_equal(ferr.code, err->code);
	if (ret)
		return;
	assert_int_equal(fk.entry, k->entry);
	assert_int_equal(fk.load_start, k->load_start);
	assert_int_equal(fk.load_end, k->load_end);
	assert_int_equal(fk.bzimage, k->bzimage);
	assert_memory_equal(&fk.setup, &k->setup, sizeof(fk.setup));
	if (pages == KERNEL_PAGES_PRIVATE || fk.bzimage)
		assert_int_equal(fk.shared, 0);
	assert_memory_equal(at, want, size);
}

/* Load from buf, then from a file holding the same bytes, copied and then
 * mapped (KERNEL_PAGES_SHARED); returns the buffer load's result (in *k and
 * *err). */
static int load_both(struct guest_mem *mem, const uint8_t *buf, size_t len,
		     struct boot_kernel *k, struct volt_err *err)
{
	uint8_t *at = NULL, *want = NULL;
	uint64_t size = 0;
	int fd = image_memfd(buf, len);
	int ret = kernel_load_image(mem, buf, len, k, err);

	if (ret == 0) {
		want = reload_scribbled(mem, buf, len, k, &size);
		at = guest_mem_ptr(mem, k->load_start, size);
	}
	load_fd_same(mem, fd, len, KERNEL_PAGES_PRIVATE, ret, k, err, at, want, size);
	if (at)
		memset(at, 0xa5, size);
	load_fd_same(mem, fd, len, KERNEL_PAGES_SHARED, ret, k, err, at, want, size);
	close(fd);
	free(want);
	return ret;
}

/* In a child whose seccomp filter refuses any mmap of the image's fd, load
 * the image from the file as `pages` asks and compare guest memory with
 * what loading it from buf writes. Private: the loader must never map the
 * file (its pages would count in volt's RSS). Shared: a mapping that fails
 * must leave guest RAM whole and the bytes copied instead. */
static void load_fd_unmapped(struct guest_mem *mem, const uint8_t *buf, size_t len,
			     enum kernel_pages pages)
{
	struct volt_err err = { 0 };
	struct boot_kernel k, fk;
	uint8_t *at, *want;
	uint64_t size;
	int fd = image_memfd(buf, len), st;
	pid_t pid;

	assert_int_equal(kernel_load_image(mem, buf, len, &k, &err), 0);
	want = reload_scribbled(mem, buf, len, &k, &size);
	at = guest_mem_ptr(mem, k.load_start, size);
	fflush(NULL);
	/* The child loads into guest RAM, which volt keeps from children. */
	assert_int_equal(madvise(mem->base, mem->map_size, MADV_DOFORK), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(mmap), 1,
					     (struct scmp_arg_cmp){ .arg = 4, .op = SCMP_CMP_EQ,
								   .datum_a = (scmp_datum_t)fd }) ||
		    seccomp_load(ctx))
			_exit(2);
		if (kernel_load_fd(mem, fd, len, pages, &fk, &err)) {
			fprintf(stderr, "load from the file failed: %s\n", err.msg);
			_exit(1);
		}
		_exit(memcmp(at, want, size) ? 3 : fk.shared ? 4 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(madvise(mem->base, mem->map_size, MADV_DONTFORK), 0);
	close(fd);
	free(want);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child status 0x%x (exit 1: load failed, 2: no seccomp filter, 3: guest memory differs, 4: pages mapped)",
			 st);
}

#endif
