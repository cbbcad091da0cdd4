#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int verr_set(struct volt_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (code < 0)
		code = -code;
	if (!err || err->code)
		return -code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -code;
}

void verr_prefix(struct volt_err *err, const char *fmt, ...)
{
	char joined[2 * sizeof(err->msg)];
	size_t n;
	va_list ap;
	int len;

	if (!err || !err->code)
		return;
	va_start(ap, fmt);
	len = vsnprintf(joined, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = len < 0 ? 0 : (size_t)len < sizeof(err->msg) ? (size_t)len : sizeof(err->msg) - 1;
	memcpy(joined + n, err->msg, sizeof(err->msg));
	/* Keep the end of a too-long message off rather than the prefix. */
	memcpy(err->msg, joined, sizeof(err->msg) - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
}
