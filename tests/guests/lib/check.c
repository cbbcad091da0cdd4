#include "check.h"

#include "serial.h"

unsigned guest_pass, guest_fail;

void guest_check(int ok, const char *name, const char *detail)
{
	serial_puts(ok ? "PASS: " : "FAIL: ");
	serial_puts(name);
	if (!ok) {
		serial_puts(": ");
		serial_puts(detail);
		guest_fail++;
	} else {
		guest_pass++;
	}
	serial_putc('\n');
}

void guest_report(const char *what, unsigned pass, unsigned fail)
{
	serial_puts(what);
	serial_puts(" DONE pass=");
	serial_dec(pass);
	serial_puts(" fail=");
	serial_dec(fail);
	serial_putc('\n');
}
