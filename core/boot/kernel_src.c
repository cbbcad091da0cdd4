/* Image sources: a buffer, or a file read with pread. */
#include "boot/kernel_src.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "vm/guest_mem.h"

static int src_mem_read(const struct kernel_src *src, uint64_t off, void *dst, size_t n,
			struct volt_err *err)
{
	memcpy(dst, src->buf + off, n);
	return 0;
}

/* pread may stop short (a signal, a huge request): go on from there. Zero
 * bytes before the end means the file is shorter than it was when opened. */
static int src_fd_read(const struct kernel_src *src, uint64_t off, void *dst, size_t n,
		       struct volt_err *err)
{
	uint8_t *p = dst;
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(src->fd, p + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return verr_set(err, errno, "read failed at offset %llu: %s",
					(unsigned long long)(off + done), strerror(errno));
		if (r == 0)
			return verr_set(err, EIO, "file shrank to %llu bytes while being read (expected %zu)",
					(unsigned long long)(off + done), src->len);
		done += (size_t)r;
	}
	return 0;
}

struct kernel_src kernel_src_mem(const uint8_t *buf, size_t len)
{
	return (struct kernel_src){ .len = len, .read = src_mem_read, .buf = buf, .fd = -1 };
}

struct kernel_src kernel_src_fd(int fd, size_t len)
{
	return (struct kernel_src){ .len = len, .read = src_fd_read, .fd = fd };
}

int kernel_src_read(const struct kernel_src *src, uint64_t off, void *dst, size_t n,
		    struct volt_err *err)
{
	if (off > src->len || n > src->len - off)
		return verr_set(err, EIO, "read of %zu bytes at offset %llu is outside the %zu-byte image",
				n, (unsigned long long)off, src->len);
	return n ? src->read(src, off, dst, n, err) : 0;
}

/* The whole pages inside [gpa, gpa+n) whose file offsets are whole pages
 * too: *head bytes before them, *body bytes of them (0: nothing to map). */
static void src_page_span(uint64_t gpa, uint64_t off, size_t n, uint64_t *head, uint64_t *body)
{
	*head = (GUEST_MEM_PAGE - gpa % GUEST_MEM_PAGE) % GUEST_MEM_PAGE;
	*body = 0;
	if ((gpa - off) % GUEST_MEM_PAGE || *head >= n)
		return;
	*body = (n - *head) & ~(GUEST_MEM_PAGE - 1);
}

/* Map the span's pages; 1 if mapped, 0 if they are to be read instead,
 * -errno if guest RAM was lost trying. */
static int src_map(struct kernel_src *src, struct guest_mem *mem, uint64_t gpa, uint64_t off,
		   uint64_t len, struct volt_err *err)
{
	struct volt_err why = { 0 };
	struct stat st;
	int r;

	/* Pages past the file's end would fault when touched: a file that
	 * shrank is read instead, and the read says so. */
	if (fstat(src->fd, &st) < 0 || (uint64_t)st.st_size < off + len)
		return 0;
	r = guest_mem_map_file(mem, gpa, len, src->fd, off, &why);
	if (r == -EFAULT) {
		*err = why;
		return r;
	}
	if (r) {
		log_debug("kernel pages at 0x%llx and after copied, not shared: %s",
			  (unsigned long long)gpa, why.msg);
		src->maps_left = 0;
		return 0;
	}
	src->maps_left--;
	return 1;
}

/* Why a range of a shared source is read, not mapped (NULL: it is mapped). */
static const char *src_why_read(const struct kernel_src *src, uint64_t gpa, uint64_t off,
				uint64_t body)
{
	if (body)
		return src->maps_left ? NULL : "the load's mapping budget is spent";
	return (gpa - off) % GUEST_MEM_PAGE ? "the file offset and the address are aligned differently"
					    : "no whole page";
}

int kernel_src_place(struct kernel_src *src, struct guest_mem *mem, uint64_t gpa,
		     uint64_t off, size_t n, uint64_t *mapped, struct volt_err *err)
{
	uint8_t *dst = guest_mem_ptr(mem, gpa, n);
	uint64_t head = 0, body = 0;
	const char *why;
	int r = 0;

	if (mapped)
		*mapped = 0;
	if (!dst)
		return verr_set(err, EFAULT, "%zu bytes at guest 0x%llx are not guest RAM", n,
				(unsigned long long)gpa);
	if (off > src->len || n > src->len - off)
		return kernel_src_read(src, off, dst, n, err);  /* refuses, with its message */
	if (src->share && src->fd >= 0 && n) {
		src_page_span(gpa, off, n, &head, &body);
		why = src_why_read(src, gpa, off, body);
		if (why)
			log_debug("kernel bytes at 0x%llx copied, not shared: %s",
				  (unsigned long long)gpa, why);
		else
			r = src_map(src, mem, gpa + head, off + head, body, err);
	}
	if (r < 0)
		return r;
	if (!r)
		return kernel_src_read(src, off, dst, n, err);
	if (mapped)
		*mapped = body;
	r = kernel_src_read(src, off, dst, head, err);
	return r ? r : kernel_src_read(src, off + head + body, dst + head + body, n - head - body, err);
}
