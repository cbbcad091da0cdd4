/* Shared by the libFuzzer targets: the input read as little-endian numbers
 * (zeros once it runs out), a check that names the invariant it found
 * broken, and the check every popped virtqueue element must pass. */
#ifndef VOLT_TESTS_FUZZ_UTIL_H
#define VOLT_TESTS_FUZZ_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <volt/virtqueue.h>

/* The bytes of the input not read yet. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

/* Text targets: the input with every 0x01 followed by two bytes n (little-
 * endian) replaced by n more copies of the byte before it (none at the
 * start), so a few bytes can say what libFuzzer's usual 4 KiB inputs
 * cannot: lines, keys and strings of tens of kilobytes, nesting thousands
 * deep. Stops at `cap` bytes. A malloc'd NUL-terminated copy (NULL if out
 * of memory); its length in *len. 0x01 is a control character that the
 * text formats refuse anyway, and 0x02-0x1f still reach them. */
#define FUZZ_REPEAT 0x01

static inline char *fuzz_expand(const uint8_t *data, size_t size, size_t cap, size_t *len)
{
	size_t n = 0, want = 0;
	char *out;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == FUZZ_REPEAT && i + 2 < size) {
			want += (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
			i += 2;
		} else {
			want++;
		}
	}
	want = want < cap ? want : cap;
	out = malloc(want + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < size && n < want; i++) {
		if (data[i] == FUZZ_REPEAT && i + 2 < size) {
			size_t k = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;

			i += 2;
			if (!n)
				continue;
			k = k < want - n ? k : want - n;
			memset(out + n, out[n - 1], k);
			n += k;
		} else {
			out[n++] = (char)data[i];
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/* abort() unless ok, saying which invariant failed (what) first: the crash
 * report then starts with the broken promise, not only a stack. */
static inline void fuzz_require(bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "%s: invariant violated: %s\n", program_invocation_short_name, what);
	abort();
}

/* Is [p, p+len) guest RAM? (The target's own view of its regions.) */
typedef bool (*fuzz_in_ram_fn)(const void *ctx, const void *p, size_t len);

/* A popped element: at most VOLT_VQ_MAX_SIZE segments, every one inside
 * guest RAM, with the readable and writable lengths it reports; abort()
 * otherwise. */
static inline void fuzz_check_elem(const struct volt_vq_elem *e, fuzz_in_ram_fn in_ram,
				   const void *ctx)
{
	uint64_t out = 0, in = 0;

	if (e->nout + e->nin > VOLT_VQ_MAX_SIZE)
		abort();
	for (unsigned i = 0; i < e->nout + e->nin; i++) {
		if (!in_ram(ctx, e->iov[i].iov_base, e->iov[i].iov_len))
			abort();
		if (i < e->nout)
			out += e->iov[i].iov_len;
		else
			in += e->iov[i].iov_len;
	}
	if (out != e->out_len || in != e->in_len)
		abort();
}

#endif
