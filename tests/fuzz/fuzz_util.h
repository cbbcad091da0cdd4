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
