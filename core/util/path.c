#include "util/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *path_resolve(const char *base, const char *path)
{
	char *out;

	if (!base || path[0] == '/')
		return strdup(path);
	return asprintf(&out, "%s/%s", base, path) < 0 ? NULL : out;
}
