/* bootcheck: checks from inside the guest what a Linux kernel relies on at
 * its 64-bit entry: the zero page, the e820 map, the command line, the
 * initrd, CPUID and the MP table. One line per check ("PASS: name" or
 * "FAIL: name: detail"), then "BOOTCHECK DONE pass=N fail=M".
 *
 * The expected configuration comes on the command line:
 *   bootcheck.mem_mib=N bootcheck.cpus=N [bootcheck.initrd=1]
 * The initrd, when given, starts with INITRD_HEAD and ends with INITRD_TAIL
 * (tests/integration/bootcheck.sh writes it).
 *
 * The guest runs emulated instruction by instruction: it reads only the
 * structures it checks, never scans RAM. */
#include <asm/bootparam.h>

#include "guest.h"
#include "io.h"
#include "check.h"
#include "serial.h"

#define ZERO_PAGE_ADDR   0x7000ULL
#define CMDLINE_ADDR     0x20000ULL
#define EBDA_START       0x9fc00ULL
#define EBDA_END         0xa0000ULL
#define HIMEM_START      0x100000ULL
#define LOW_HOLE_BYTES   (HIMEM_START - EBDA_START) /* 0x60400 */
#define MMIO_HOLE_START  0xc0000000ULL
#define FOUR_GIB         0x100000000ULL
#define LAPIC_ADDR       0xfee00000U
#define IOAPIC_ADDR      0xfec00000U
#define E820_RAM         1
#define PAGE_SIZE        4096ULL

#define INITRD_HEAD "VOLT-INITRD-HEAD"
#define INITRD_TAIL "VOLT-INITRD-TAIL"

static unsigned n_pass, n_fail;

/* Expected configuration, from the command line. */
static uint64_t exp_mem_mib, exp_cpus;
static int exp_initrd;

static void pass(const char *name)
{
	n_pass++;
	serial_puts("PASS: ");
	serial_puts(name);
	serial_putc('\n');
}

/* "FAIL: name: what" then the caller may add " got 0x.." and a newline via
 * fail_end(). */
static void fail_begin(const char *name, const char *what)
{
	n_fail++;
	serial_puts("FAIL: ");
	serial_puts(name);
	serial_puts(": ");
	serial_puts(what);
}

static void fail(const char *name, const char *what)
{
	fail_begin(name, what);
	serial_putc('\n');
}

static void fail_val(const char *name, const char *what, uint64_t got)
{
	fail_begin(name, what);
	serial_puts(" (got ");
	serial_hex(got);
	serial_puts(")\n");
}

static void fail_val2(const char *name, const char *what, uint64_t got, uint64_t want)
{
	fail_begin(name, what);
	serial_puts(" (got ");
	serial_hex(got);
	serial_puts(", want ");
	serial_hex(want);
	serial_puts(")\n");
}

static const struct boot_params *bp(void)
{
	return (const struct boot_params *)(uintptr_t)ZERO_PAGE_ADDR;
}

static const char *cmdline(void)
{
	return (const char *)(uintptr_t)bp()->hdr.cmd_line_ptr;
}

/* --- entry state and zero page --- */

static void check_entry(void)
{
	const struct guest_entry_state *e = &guest_entry;

	if (e->rsi != ZERO_PAGE_ADDR)
		fail_val2("entry rsi", "RSI is not the zero page", e->rsi, ZERO_PAGE_ADDR);
	else
		pass("entry rsi");

	if (e->cs != 0x08 || e->ds != 0x10 || e->ss != 0x10) {
		fail_begin("entry segments", "want cs=0x8 ds=ss=0x10, got cs=");
		serial_hex(e->cs);
		serial_puts(" ds=");
		serial_hex(e->ds);
		serial_puts(" ss=");
		serial_hex(e->ss);
		serial_putc('\n');
	} else {
		pass("entry segments");
	}

	if (e->rflags & (1u << 9))
		fail_val("entry interrupts", "IF is set at entry, rflags", e->rflags);
	else
		pass("entry interrupts");
}

static void check_zero_page(void)
{
	const struct setup_header *h = &bp()->hdr;

	if (h->boot_flag != 0xaa55)
		fail_val("zeropage boot_flag", "not 0xaa55", h->boot_flag);
	else
		pass("zeropage boot_flag");

	if (h->header != 0x53726448) /* "HdrS" */
		fail_val("zeropage header", "not \"HdrS\"", h->header);
	else
		pass("zeropage header");
}

/* --- command line --- */

/* Returns 0 if the expected values were found (everything else needs them). */
static int check_cmdline(void)
{
	const struct setup_header *h = &bp()->hdr;
	const char *cl;
	uint64_t v, len;

	if (h->cmd_line_ptr != CMDLINE_ADDR || bp()->ext_cmd_line_ptr != 0) {
		fail_val2("cmdline", "cmd_line_ptr", h->cmd_line_ptr, CMDLINE_ADDR);
		return -1;
	}
	cl = cmdline();
	len = strlen(cl);
	if (len != h->cmdline_size) {
		fail_val2("cmdline", "strlen does not match cmdline_size", len, h->cmdline_size);
		return -1;
	}
	pass("cmdline");

	if (parse_u64(cmdline_find(cl, "bootcheck.mem_mib"), &exp_mem_mib) ||
	    parse_u64(cmdline_find(cl, "bootcheck.cpus"), &exp_cpus) || !exp_cpus) {
		fail_begin("cmdline parameters", "need bootcheck.mem_mib=N bootcheck.cpus=N in \"");
		serial_puts(cl);
		serial_puts("\"\n");
		return -1;
	}
	exp_initrd = !parse_u64(cmdline_find(cl, "bootcheck.initrd"), &v) && v;
	serial_puts("INFO: cmdline \"");
	serial_puts(cl);
	serial_puts("\"\n");
	pass("cmdline parameters");
	return 0;
}

/* --- e820 --- */

static const struct boot_e820_entry *e820_ram_containing(uint64_t start, uint64_t end)
{
	const struct boot_params *p = bp();

	for (unsigned i = 0; i < p->e820_entries && i < E820_MAX_ENTRIES_ZEROPAGE; i++) {
		const struct boot_e820_entry *e = &p->e820_table[i];

		if (e->type == E820_RAM && start >= e->addr && end <= e->addr + e->size)
			return e;
	}
	return NULL;
}

static void e820_print(void)
{
	const struct boot_params *p = bp();

	for (unsigned i = 0; i < p->e820_entries && i < E820_MAX_ENTRIES_ZEROPAGE; i++) {
		const struct boot_e820_entry *e = &p->e820_table[i];

		serial_puts("INFO: e820 ");
		serial_hex(e->addr);
		serial_puts("-");
		serial_hex(e->addr + e->size);
		serial_puts(" type ");
		serial_dec(e->type);
		serial_putc('\n');
	}
}

static void check_e820(void)
{
	const struct boot_params *p = bp();
	uint64_t mem = exp_mem_mib << 20, ram = 0, prev_end = 0;
	unsigned n = p->e820_entries;
	int ok = 1, has_4g = 0;

	e820_print();
	if (n == 0 || n > E820_MAX_ENTRIES_ZEROPAGE) {
		fail_val("e820 entries", "bad e820_entries", n);
		return;
	}
	pass("e820 entries");

	for (unsigned i = 0; i < n; i++) {
		const struct boot_e820_entry *e = &p->e820_table[i];

		if (e->size == 0 || e->addr + e->size < e->addr) {
			fail_val("e820 sorted", "empty or wrapping entry at", e->addr);
			ok = 0;
			break;
		}
		if (i && e->addr < prev_end) {
			fail_val2("e820 sorted", "entry overlaps or is out of order", e->addr,
				  prev_end);
			ok = 0;
			break;
		}
		prev_end = e->addr + e->size;
		if (e->type == E820_RAM) {
			ram += e->size;
			if (e->addr == FOUR_GIB)
				has_4g = 1;
		}
	}
	if (ok)
		pass("e820 sorted");

	if (ram != mem - LOW_HOLE_BYTES)
		fail_val2("e820 ram size", "RAM total is not memory minus the EBDA hole", ram,
			  mem - LOW_HOLE_BYTES);
	else
		pass("e820 ram size");

	if (!e820_ram_containing(0, EBDA_START) || !e820_ram_containing(HIMEM_START, 2 * HIMEM_START))
		fail("e820 layout", "no RAM at 0..0x9fc00 or at 1 MiB");
	else if (e820_ram_containing(EBDA_START, EBDA_START + 1))
		fail("e820 layout", "the EBDA (0x9fc00) is in a RAM entry");
	else
		pass("e820 layout");

	if (mem > MMIO_HOLE_START) {
		if (!has_4g)
			fail("e820 high ram", "memory above 3 GiB but no RAM entry at 4 GiB");
		else
			pass("e820 high ram");
	}

	if (!e820_ram_containing((uintptr_t)__image_start, (uintptr_t)__image_end))
		fail_val("e820 kernel", "the kernel image is not in RAM",
			 (uintptr_t)__image_start);
	else
		pass("e820 kernel");
}

/* --- initrd --- */

static void check_initrd(void)
{
	const struct boot_params *p = bp();
	uint64_t start = p->hdr.ramdisk_image | ((uint64_t)p->ext_ramdisk_image << 32);
	uint64_t size = p->hdr.ramdisk_size | ((uint64_t)p->ext_ramdisk_size << 32);
	const struct boot_e820_entry *e;
	const char *img = (const char *)(uintptr_t)start;
	size_t hl = sizeof(INITRD_HEAD) - 1, tl = sizeof(INITRD_TAIL) - 1;

	if (!exp_initrd) {
		if (start || size)
			fail_val("initrd", "no initrd given but ramdisk_image is set", start);
		else
			pass("initrd");
		return;
	}
	serial_puts("INFO: initrd at ");
	serial_hex(start);
	serial_puts(" size ");
	serial_hex(size);
	serial_putc('\n');
	if (!start || size < hl + tl) {
		fail_val("initrd", "missing or too small: ramdisk_size", size);
		return;
	}
	if (start & (PAGE_SIZE - 1)) {
		fail_val("initrd", "ramdisk_image is not page aligned", start);
		return;
	}
	e = e820_ram_containing(start, start + size);
	if (!e || e->addr + e->size > MMIO_HOLE_START) {
		fail_val("initrd", "not inside the low RAM region", start);
		return;
	}
	if (start < (uintptr_t)__image_end && start + size > (uintptr_t)__image_start) {
		fail_val("initrd", "overlaps the kernel image", start);
		return;
	}
	pass("initrd placement");

	if (memcmp(img, INITRD_HEAD, hl) || memcmp(img + size - tl, INITRD_TAIL, tl))
		fail("initrd contents", "first or last bytes do not match the test pattern");
	else
		pass("initrd contents");
}

/* --- CPUID --- */

static void check_cpuid(void)
{
	uint32_t r[4], max_basic, max_ext;
	static const char kvm_sig[12] = "KVMKVMKVM\0\0\0";
	const uint32_t bad_ecx = (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
				 (1u << 15);
	/* AMD: SVM, and the core, northbridge and L3 performance counters. */
	const uint32_t bad_ext_ecx = (1u << 2) | (1u << 23) | (1u << 24) | (1u << 28);
	const uint32_t need_edx = (1u << 11) | (1u << 20) | (1u << 29);

	cpuid(0, 0, r);
	max_basic = r[0];
	cpuid(0x80000000, 0, r);
	max_ext = r[0];

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		fail_val("cpuid hypervisor bit", "leaf 1 ECX bit 31 clear, ecx", r[2]);
	else
		pass("cpuid hypervisor bit");
	if (r[2] & bad_ecx)
		fail_val("cpuid hidden features", "VMX/SMX/DTES64/MONITOR/DS_CPL/PDCM visible, ecx",
			 r[2]);
	else
		pass("cpuid hidden features");
	if ((r[1] >> 24) != 0)
		fail_val("cpuid apic id", "BSP APIC ID is not 0", r[1] >> 24);
	else
		pass("cpuid apic id");
	if (((r[1] >> 16) & 0xff) != exp_cpus)
		fail_val2("cpuid cpu count", "leaf 1 EBX[23:16]", (r[1] >> 16) & 0xff, exp_cpus);
	else
		pass("cpuid cpu count");

	cpuid(0x40000000, 0, r);
	if (memcmp(&r[1], kvm_sig, 4) || memcmp(&r[2], kvm_sig + 4, 4) ||
	    memcmp(&r[3], kvm_sig + 8, 4))
		fail_val("cpuid kvm signature", "leaf 0x40000000 is not KVMKVMKVM, ebx", r[1]);
	else
		pass("cpuid kvm signature");

	if (max_ext < 0x80000001) {
		fail_val("cpuid extended", "max extended leaf", max_ext);
	} else {
		cpuid(0x80000001, 0, r);
		if ((r[3] & need_edx) != need_edx)
			fail_val("cpuid syscall/nx/lm", "0x80000001 EDX lacks bit 11/20/29, edx",
				 r[3]);
		else
			pass("cpuid syscall/nx/lm");
		if (r[2] & bad_ext_ecx)
			fail_val("cpuid no svm, no amd pmu", "0x80000001 ECX has SVM or PERFCTR bits, ecx",
				 r[2]);
		else
			pass("cpuid no svm, no amd pmu");
	}

	/* Leaves beyond the maximum are not the VMM's to fill. */
	if (max_basic >= 6) {
		cpuid(6, 0, r);
		/* All but ARAT (EAX bit 2: KVM's LAPIC timer never stops). */
		if ((r[0] & ~(1u << 2)) | r[1] | r[2] | r[3])
			fail_val("cpuid leaf 6", "power management leaf has more than ARAT, eax", r[0]);
		else
			pass("cpuid leaf 6");
	}
	if (max_basic >= 0xa) {
		cpuid(0xa, 0, r);
		if (r[0] | r[1] | r[2] | r[3])
			fail_val("cpuid leaf 0xa", "PMU leaf not zero, eax", r[0]);
		else
			pass("cpuid leaf 0xa");
	}
	if (max_ext >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		if (r[3] & ~(1u << 8))
			fail_val("cpuid 0x80000007", "EDX has bits other than invariant TSC, edx",
				 r[3]);
		else
			pass("cpuid 0x80000007");
	}
}

/* --- MP table --- */

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static const uint8_t *mp_find(void)
{
	for (uint64_t a = EBDA_START; a < EBDA_END; a += 16) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)a;

		if (!memcmp(p, "_MP_", 4))
			return p;
	}
	return NULL;
}

/* Walk the config table's entries; 0 on success. */
static int mp_entries(const uint8_t *ct, uint16_t len, uint16_t count)
{
	const uint8_t *p = ct + 44, *end = ct + len;
	uint64_t ids = 0;
	unsigned cpus = 0, bsps = 0, ioapics = 0;
	int bsp_is_0 = 0;

	for (unsigned i = 0; i < count; i++) {
		unsigned size = p < end && p[0] == 0 ? 20 : 8;

		if (p + size > end || p[0] > 4) {
			fail_val("mptable entries", "entry past the table or bad type at index", i);
			return -1;
		}
		if (p[0] == 0) {
			cpus++;
			if (p[1] >= 64 || (ids & (1ULL << p[1]))) {
				fail_val("mptable apic ids", "bad or duplicate APIC ID", p[1]);
				return -1;
			}
			ids |= 1ULL << p[1];
			if (!(p[3] & 1)) {
				fail_val("mptable apic ids", "processor not enabled, APIC ID", p[1]);
				return -1;
			}
			if (p[3] & 2) {
				bsps++;
				bsp_is_0 = p[1] == 0;
			}
		} else if (p[0] == 2) {
			ioapics++;
			if (rd32(p + 4) != IOAPIC_ADDR)
				fail_val("mptable ioapic", "IOAPIC address", rd32(p + 4));
			else
				pass("mptable ioapic");
		}
		p += size;
	}
	if (cpus != exp_cpus) {
		fail_val2("mptable cpus", "processor entries", cpus, exp_cpus);
		return -1;
	}
	pass("mptable cpus");
	if (ids != (exp_cpus >= 64 ? ~0ULL : (1ULL << exp_cpus) - 1))
		fail_val("mptable apic ids", "APIC IDs are not 0..n-1, mask", ids);
	else
		pass("mptable apic ids");
	if (bsps != 1 || !bsp_is_0)
		fail_val("mptable bsp", "want exactly one BSP, APIC ID 0; BSP entries", bsps);
	else
		pass("mptable bsp");
	if (!ioapics)
		fail("mptable ioapic", "no IOAPIC entry");
	return 0;
}

static void check_mptable(void)
{
	const uint8_t *fp = mp_find(), *ct;
	uint16_t len;

	if (!fp) {
		fail("mptable floating pointer", "no _MP_ in 0x9fc00..0xa0000");
		return;
	}
	if (fp[8] != 1 || checksum(fp, 16)) {
		fail_val("mptable floating pointer", "bad length or checksum at", (uintptr_t)fp);
		return;
	}
	pass("mptable floating pointer");

	ct = (const uint8_t *)(uintptr_t)rd32(fp + 4);
	if ((uintptr_t)ct < EBDA_START || (uintptr_t)ct >= HIMEM_START ||
	    memcmp(ct, "PCMP", 4)) {
		fail_val("mptable config", "no PCMP table at", (uintptr_t)ct);
		return;
	}
	len = rd16(ct + 4);
	if (len < 44 || (uintptr_t)ct + len > HIMEM_START || checksum(ct, len)) {
		fail_val("mptable config", "bad length or checksum, length", len);
		return;
	}
	if (rd32(ct + 36) != LAPIC_ADDR) {
		fail_val("mptable config", "local APIC address", rd32(ct + 36));
		return;
	}
	pass("mptable config");
	mp_entries(ct, len, rd16(ct + 34));
}

void guest_main(void)
{
	serial_puts("BOOTCHECK START\n");
	check_entry();
	check_zero_page();
	if (check_cmdline() == 0) {
		check_e820();
		check_initrd();
		check_cpuid();
		check_mptable();
	}
	guest_report("BOOTCHECK", n_pass, n_fail);
}
