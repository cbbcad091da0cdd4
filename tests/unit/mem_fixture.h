/* A cmocka group fixture: 128 MiB of guest RAM in *state, for the tests
 * that load images into guest memory. */
#ifndef VOLT_TEST_MEM_FIXTURE_H
#define VOLT_TEST_MEM_FIXTURE_H

#include <stdlib.h>

#include "vm/guest_mem.h"
#include "vm/layout.h"

#define RAM_SIZE LAYOUT_MIB(128)

static int setup_mem(void **state)
{
	struct guest_mem *mem = calloc(1, sizeof(*mem));

	if (!mem || guest_mem_init(mem, RAM_SIZE, NULL))
		return -1;
	*state = mem;
	return 0;
}

static int teardown_mem(void **state)
{
	guest_mem_fini(*state);
	free(*state);
	return 0;
}

#endif
