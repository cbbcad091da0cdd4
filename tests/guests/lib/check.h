/* PASS/FAIL lines for test guests, and the closing summary the host-side
 * tests look for. */
#ifndef VOLT_GUEST_CHECK_H
#define VOLT_GUEST_CHECK_H

extern unsigned guest_pass, guest_fail;

/* "PASS: name" or "FAIL: name: detail", counted in guest_pass/guest_fail. */
void guest_check(int ok, const char *name, const char *detail);

/* "WHAT DONE pass=N fail=M". */
void guest_report(const char *what, unsigned pass, unsigned fail);

#endif
