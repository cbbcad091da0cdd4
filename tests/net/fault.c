#include "fault.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>

bool fail_calloc;

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_calloc) {
		fail_calloc = false;
		return NULL;
	}
	return __real_calloc(n, size);
}

int bind_refused_slot1(struct volt_instance *inst, uint32_t slot, int fd)
{
	(void)inst;
	(void)fd;
	return slot == 1 ? -ENOSPC : 0;
}

int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}
