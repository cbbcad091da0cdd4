/* The one-line violation report (SIGSYS from SECCOMP_RET_TRAP). */
#ifndef VOLT_SANDBOX_REPORT_H
#define VOLT_SANDBOX_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Fill the syscall name table and install the SIGSYS handler; before
 * lockdown (it allocates). Idempotent. */
int sb_report_install(struct volt_err *err);

/* The name of syscall nr ("unknown" if none); safe in a signal handler
 * once sb_report_install() ran. */
const char *sb_report_syscall_name(int nr);

/* Remember what each plugin declared (copied: p may go), so that a report
 * can say whether the plugin it blames declared the call. Before lockdown. */
struct sb_policy;
void sb_report_note_policy(const struct sb_policy *p);

/* The calling thread's type (VOLT_THREAD_*), for the report; main by default. */
void sb_report_set_thread_type(uint32_t type);

/* The report line for a blocked syscall made on a thread of this type,
 * newline included, into out (cap bytes, NUL-terminated); returns its
 * length. Async-signal-safe. */
size_t sb_report_format(char *out, size_t cap, int nr, const char *thread, uint32_t type,
			const char *plugin, unsigned long long arg0, unsigned long long arg1);

#endif
