/* Free fd 0 for a test, as a volt started with stdin closed has it (the
 * next file it opens is then fd 0, which code must not take for "none");
 * stdin_back() puts stdin back (or leaves fd 0 closed if it was). */
#ifndef VOLT_TEST_STDIN_FIXTURE_H
#define VOLT_TEST_STDIN_FIXTURE_H

#include <unistd.h>

static int stdin_away(void)
{
	int saved = dup(0);

	close(0);
	return saved;
}

static void stdin_back(int saved)
{
	if (saved >= 0) {
		dup2(saved, 0);
		close(saved);
	} else {
		close(0);
	}
}

#endif
