/* Landlock: after lockdown the process may open only the paths in the
 * policy (plugins' sandbox_allow_path), with the access asked for. Files
 * opened before lockdown keep working: Landlock checks at open time. */
#ifndef VOLT_SANDBOX_LANDLOCK_H
#define VOLT_SANDBOX_LANDLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "sandbox/policy.h"
#include "util/err.h"

/* The newest Landlock ABI Volt knows how to use. */
#define SB_LANDLOCK_ABI_MAX 7

/* What a ruleset of a given ABI handles (denies unless a rule allows). */
struct sb_landlock_rights {
	uint64_t fs;      /* LANDLOCK_ACCESS_FS_* */
	uint64_t net;     /* LANDLOCK_ACCESS_NET_* (ABI 4): no rule, so no TCP bind/connect */
	uint64_t scoped;  /* LANDLOCK_SCOPE_* (ABI 6) */
};

/* The kernel's Landlock ABI, capped at SB_LANDLOCK_ABI_MAX; 0 if Landlock
 * is not available (not built, or not in the LSM list). */
int sb_landlock_abi(void);

void sb_landlock_handled(int abi, struct sb_landlock_rights *out);

/* The rights a rule grants for VOLT_PATH_* access on a directory, a device
 * node or another file, under abi. */
uint64_t sb_landlock_path_rights(int abi, uint32_t access, bool is_dir, bool is_dev);

/* Names of the rights in mask, ", "-separated, into buf. */
void sb_landlock_fs_names(uint64_t mask, char *buf, size_t cap);

/* Restrict the calling thread (and the threads it creates afterwards) to
 * the policy's paths with the given ABI (> 0). With keep non-NULL the
 * ruleset's fd stays open there, for sb_landlock_restrict on a thread that
 * already exists; the caller closes it. */
int sb_landlock_apply(const struct sb_policy *p, int abi, int *keep, struct volt_err *err);

/* Restrict the calling thread with a ruleset sb_landlock_apply kept. */
int sb_landlock_restrict(int ruleset, struct volt_err *err);

#endif
