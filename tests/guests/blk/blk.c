/* blk: a virtio-blk driver end to end. The guest finds its drives by
 * probing the virtio-mmio window, negotiates VERSION_1, sets up a queue,
 * writes a pattern to sector N (through an indirect table, taking the
 * completion interrupt through the IOAPIC), flushes, reads it back, reads
 * the drive's ID, and sees the read-only second drive refuse a write.
 *
 * Sector N comes from the command line (blk.sector=N, default 77); sector
 * s of the pattern is "VOLT-BLK s=" and s in five digits, then 496 bytes of
 * the letter 'a' + s % 26, so the host can check the image with cmp. The
 * first drive's serial must be "volt-blk-serial0". Prints PASS/FAIL lines
 * and "BLK DONE pass=N fail=M", then resets through the i8042. */
#include <asm/bootparam.h>

#include "guest.h"
#include "check.h"
#include "intr.h"
#include "serial.h"
#include "vblk.h"

#define NSECT         8
#define SERIAL0       "volt-blk-serial0"
#define VEC_BLK       0x40

static uint8_t wbuf[NSECT * 512] __attribute__((aligned(4096)));
static uint8_t rbuf[NSECT * 512] __attribute__((aligned(4096)));

volatile uint32_t blk_irq_count;
void blk_irq_entry(void);

/* Count, acknowledge the local APIC, return. */
__asm__(".pushsection .text\n"
	INTR_HANDLER("blk_irq_entry", "blk_irq_count", "")
	".popsection\n");

/* Vector VEC_BLK from IOAPIC pin `irq` (edge, active high, CPU 0); the
 * legacy PIC masked so the line reaches us once. */
static void irq_setup(unsigned irq)
{
	idt_install();
	idt_set(VEC_BLK, blk_irq_entry);
	pic_mask_all();
	lapic_enable();
	ioapic_route(irq, VEC_BLK);
}

static const char *cmdline(void)
{
	const struct boot_params *bp = (const struct boot_params *)(uintptr_t)guest_entry.rsi;

	return bp && bp->hdr.cmd_line_ptr ? (const char *)(uintptr_t)bp->hdr.cmd_line_ptr : "";
}

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!memcmp(hay, needle, n))
			return true;
	return false;
}

static void fill_pattern(uint8_t *p, uint64_t sector)
{
	for (unsigned k = 0; k < NSECT; k++, p += 512) {
		uint64_t s = sector + k;

		memcpy(p, "VOLT-BLK s=", 11);
		for (int i = 4; i >= 0; i--, s /= 10)
			p[11 + i] = (uint8_t)('0' + s % 10);
		memset(p + 16, 'a' + (sector + k) % 26, 496);
	}
}

static uint64_t capacity(const struct vblk *d)
{
	return vblk_rd(d, VIRTIO_MMIO_CONFIG) | (uint64_t)vblk_rd(d, VIRTIO_MMIO_CONFIG + 4) << 32;
}

/* Write with the completion interrupt enabled; true if it arrived. */
static bool write_with_interrupt(struct vblk *d, uint64_t sector, uint8_t *status)
{
	uint64_t start;

	blk_irq_count = 0;
	__asm__ volatile("sti" ::: "memory");
	*status = vblk_rw(d, VIRTIO_BLK_T_OUT, sector, wbuf, sizeof(wbuf),
			  d->offered & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	for (start = vblk_tsc(); !blk_irq_count && !vblk_elapsed(start, 1000);)
		__asm__ volatile("pause" ::: "memory");
	__asm__ volatile("cli" ::: "memory");
	return blk_irq_count > 0;
}

static void check_rw_drive(struct vblk *d, uint64_t sector)
{
	char id[VIRTIO_BLK_ID_BYTES + 1] = { 0 };
	uint8_t status;

	guest_check(!(d->offered & (1ULL << VIRTIO_BLK_F_RO)), "drive 0 is writable", "VIRTIO_BLK_F_RO offered");
	guest_check(d->offered & (1ULL << VIRTIO_BLK_F_FLUSH), "drive 0 offers FLUSH", "no VIRTIO_BLK_F_FLUSH");
	guest_check(capacity(d) >= sector + NSECT, "drive 0 capacity", "smaller than sector N + 8");
	irq_setup(d->irq);
	fill_pattern(wbuf, sector);
	guest_check(write_with_interrupt(d, sector, &status), "completion interrupt through the IOAPIC",
	      "no interrupt within 1 s of the completion");
	guest_check(status == VIRTIO_BLK_S_OK, "write pattern to sector N", "status not OK");
	guest_check(vblk_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING, "InterruptStatus says used buffer",
	      "VIRTIO_MMIO_INT_VRING not set");
	vblk_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	guest_check(!(vblk_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING), "InterruptACK clears it",
	      "still set");
	guest_check(vblk_rw(d, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false) == VIRTIO_BLK_S_OK, "flush", "status not OK");
	memset(rbuf, 0, sizeof(rbuf));
	status = vblk_rw(d, VIRTIO_BLK_T_IN, sector, rbuf, sizeof(rbuf), false);
	guest_check(status == VIRTIO_BLK_S_OK, "read sector N back", "status not OK");
	guest_check(!memcmp(rbuf, wbuf, sizeof(rbuf)), "read back matches the pattern", "data differs");
	status = vblk_rw(d, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, false);
	guest_check(status == VIRTIO_BLK_S_OK && !memcmp(id, SERIAL0, sizeof(SERIAL0)), "GET_ID gives the serial",
	      "not \"" SERIAL0 "\"");
	serial_puts("BLK: drive 0 ID \"");
	serial_puts(id);
	serial_puts("\", IRQ ");
	serial_dec(d->irq);
	serial_puts(", capacity ");
	serial_dec(capacity(d));
	serial_puts(" sectors\n");
}

static void check_ro_drive(struct vblk *d)
{
	char id[VIRTIO_BLK_ID_BYTES + 1] = { 0 };

	guest_check(d->offered & (1ULL << VIRTIO_BLK_F_RO), "drive 1 offers VIRTIO_BLK_F_RO", "not offered");
	memset(wbuf, 0x55, 512);
	guest_check(vblk_rw(d, VIRTIO_BLK_T_OUT, 0, wbuf, 512, false) == VIRTIO_BLK_S_IOERR,
	      "read-only drive refuses a write (IOERR)", "status not IOERR");
	guest_check(vblk_rw(d, VIRTIO_BLK_T_IN, 0, rbuf, 512, false) == VIRTIO_BLK_S_OK,
	      "read-only drive reads", "status not OK");
	guest_check(rbuf[0] != 0x55, "nothing was written", "sector 0 holds the refused write");
	vblk_rw(d, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, false);
	serial_puts("BLK: drive 1 ID \"");
	serial_puts(id);
	serial_puts("\"\n");
}

void guest_main(void)
{
	const uint64_t want = (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_RO) |
			      (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	struct vblk devs[VBLK_MAX];
	uint64_t sector = 77;
	int n;

	parse_u64(cmdline_find(cmdline(), "blk.sector"), &sector);
	n = vblk_probe(devs, VBLK_MAX);
	guest_check(n == 2, "probe finds two virtio-blk devices", "fewer than two found");
	guest_check(contains(cmdline(), "virtio_mmio.device=4K@0xd0000000:5"),
	      "announced on the command line", "no virtio_mmio.device=4K@0xd0000000:5");
	if (n >= 1) {
		guest_check(vblk_init(&devs[0], want, VBLK_QSIZE, true) == 0, "drive 0 negotiates and runs",
		      "initialisation failed");
		check_rw_drive(&devs[0], sector);
	}
	if (n >= 2) {
		guest_check(vblk_init(&devs[1], want, VBLK_QSIZE, true) == 0, "drive 1 negotiates and runs",
		      "initialisation failed");
		check_ro_drive(&devs[1]);
	}
	guest_check(intr_stray_count == 0, "no stray interrupts", "an unexpected vector arrived");
	guest_report("BLK", guest_pass, guest_fail);
}
