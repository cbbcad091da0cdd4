/* echo: drives the hello-echo example plugin (examples/plugin-hello) from
 * inside the guest. It finds the device's page from the command line
 * ("hello_echo.base=0x<address>", which the plugin adds) or else by the
 * layout rule (the first plugin MMIO page, 0xd8000000), then checks the
 * three registers. One line per check ("PASS: name" or "FAIL: name: ..."),
 * then "ECHO DONE pass=N fail=M", then a reset through the i8042.
 *
 * With "echo_test.scratch_reset=N" on the command line it also checks that
 * SCRATCH starts at N (the plugin's scratch_reset key). */
#include <asm/bootparam.h>

#include "guest.h"
#include "io.h"
#include "check.h"
#include "serial.h"

#define ZERO_PAGE_ADDR      0x7000ULL
#define PLUGIN_MMIO_BASE    0xd8000000ULL /* LAYOUT_PLUGIN_MMIO_BASE */

#define ECHO_REG_MAGIC      0x0
#define ECHO_REG_SCRATCH    0x4
#define ECHO_REG_WRITES     0x8
#define ECHO_MAGIC          0x4f484345u /* "ECHO" */

static unsigned n_pass, n_fail;

static void check(int ok, const char *name, uint64_t got, uint64_t want)
{
	if (ok) {
		n_pass++;
		serial_puts("PASS: ");
		serial_puts(name);
		serial_putc('\n');
		return;
	}
	n_fail++;
	serial_puts("FAIL: ");
	serial_puts(name);
	serial_puts(": got ");
	serial_hex(got);
	serial_puts(", want ");
	serial_hex(want);
	serial_putc('\n');
}

static const char *cmdline(void)
{
	const struct boot_params *bp = (const struct boot_params *)(uintptr_t)ZERO_PAGE_ADDR;

	return (const char *)(uintptr_t)bp->hdr.cmd_line_ptr;
}

/* "0x..." up to a space or the end; -1 if malformed. */
static int parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	for (s += 2; *s && *s != ' '; s++, digits++) {
		char c = *s;

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint64_t)(c - 'A' + 10);
		else
			return -1;
	}
	if (digits < 1 || digits > 16)
		return -1;
	*out = v;
	return 0;
}

static uint64_t echo_base(void)
{
	const char *arg = cmdline_find(cmdline(), "hello_echo.base");
	uint64_t base;

	if (arg && !parse_hex(arg, &base)) {
		serial_puts("INFO: echo at ");
		serial_hex(base);
		serial_puts(" (hello_echo.base on the command line)\n");
		return base;
	}
	serial_puts("INFO: echo at ");
	serial_hex(PLUGIN_MMIO_BASE);
	serial_puts(" (the first plugin MMIO page)\n");
	return PLUGIN_MMIO_BASE;
}

void guest_main(void)
{
	uint64_t base = echo_base(), want_reset;
	uint32_t v;

	check(base == PLUGIN_MMIO_BASE, "echo is at the first plugin MMIO page", base,
	      PLUGIN_MMIO_BASE);

	v = mmio_read32(base + ECHO_REG_MAGIC);
	check(v == ECHO_MAGIC, "magic reads ECHO", v, ECHO_MAGIC);

	if (!parse_u64(cmdline_find(cmdline(), "echo_test.scratch_reset"), &want_reset)) {
		v = mmio_read32(base + ECHO_REG_SCRATCH);
		check(v == want_reset, "scratch starts at scratch_reset", v, want_reset);
	}
	v = mmio_read32(base + ECHO_REG_WRITES);
	check(v == 0, "write counter starts at 0", v, 0);

	mmio_write32(base + ECHO_REG_SCRATCH, 0xa5a5f00du);
	v = mmio_read32(base + ECHO_REG_SCRATCH);
	check(v == 0xa5a5f00du, "scratch reads back the first write", v, 0xa5a5f00du);

	mmio_write32(base + ECHO_REG_SCRATCH, 0x12345678u);
	v = mmio_read32(base + ECHO_REG_SCRATCH);
	check(v == 0x12345678u, "scratch reads back the second write", v, 0x12345678u);

	/* Read-only registers ignore writes and do not count them. */
	mmio_write32(base + ECHO_REG_MAGIC, 0);
	v = mmio_read32(base + ECHO_REG_MAGIC);
	check(v == ECHO_MAGIC, "magic ignores writes", v, ECHO_MAGIC);

	v = mmio_read32(base + ECHO_REG_WRITES);
	check(v == 2, "write counter counts the scratch writes", v, 2);

	guest_report("ECHO", n_pass, n_fail);
}
