/* Error reporting: a failing step fills one volt_err with the context the
 * user needs (file, device, step) and returns -errno; only the top level
 * prints it. Lower layers never print an error they return. */
#ifndef VOLT_UTIL_ERR_H
#define VOLT_UTIL_ERR_H

#include <stddef.h>

struct volt_err {
	int code;       /* positive errno of the first failure, 0 if none */
	char msg[512];  /* human-readable, no trailing newline */
};

/* Record the first error (later ones are ignored so the root cause wins) and
 * return -code, so a caller can write `return verr_set(err, EINVAL, ...)`.
 * err may be NULL. */
int verr_set(struct volt_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the recorded message with more context ("kernel foo: " + msg). */
void verr_prefix(struct volt_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
