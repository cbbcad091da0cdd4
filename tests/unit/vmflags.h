/* The VmFlags of the host mapping that holds an address (/proc/self/smaps),
 * for the tests of guest RAM's madvise policy. */
#ifndef VOLT_TEST_VMFLAGS_H
#define VOLT_TEST_VMFLAGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The VmFlags the kernel reports for the mapping that holds p:
 * "hg" advised for huge pages, "nh" advised against (/proc/PID/smaps). */
static inline void smaps_vmflags(const void *p, char *flags, size_t cap)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;

	assert_non_null(f);
	flags[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) /* a mapping's first line */
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, cap, "%s", line + 8);
			break;
		}
	}
	fclose(f);
}

static inline bool vmflag(const void *p, const char *flag)
{
	char flags[512], *tok, *save = NULL;

	smaps_vmflags(p, flags, sizeof(flags));
	for (tok = strtok_r(flags, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, flag))
			return true;
	return false;
}

/* Without THP in the host kernel there is no flag to look at. */
static inline void skip_without_thp(void)
{
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK)) {
		print_message("SKIP: the host kernel has no transparent huge pages\n");
		skip();
	}
}

#endif
