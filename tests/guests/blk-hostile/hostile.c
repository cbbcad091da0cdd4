/* blk-hostile: a driver that breaks the rules on its first virtio-blk drive,
 * one act at a time, and then checks that the VMM still serves it (after a
 * reset) and the second drive (which it never abused).
 *
 * Acts, each on a freshly reset drive 0, with what the device must do:
 *   1 a buffer outside RAM               DEVICE_NEEDS_RESET, nothing used
 *   2 a buffer crossing the end of RAM   DEVICE_NEEDS_RESET
 *   3 a buffer of 2^32-1 bytes           DEVICE_NEEDS_RESET
 *   4 a looping chain                    DEVICE_NEEDS_RESET
 *   5 an indirect table in a table       DEVICE_NEEDS_RESET
 *   6 a 8-byte request header            answered VIRTIO_BLK_S_IOERR
 *   7 the status byte device-readable    returned unanswered, 0 bytes used
 *   8 a queue size of 6                  DEVICE_NEEDS_RESET
 *   9 a notify before DRIVER_OK          ignored; the drive works after
 * The VMM logs exactly one line for each. Prints PASS/FAIL lines and
 * "HOSTILE DONE pass=N fail=M", then resets through the i8042. */
#include <asm/bootparam.h>

#include "guest.h"
#include "io.h"
#include "check.h"
#include "serial.h"
#include "vblk.h"

#define WANT ((1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

static uint8_t buf[4096] __attribute__((aligned(4096)));
static uint8_t buf2[4096] __attribute__((aligned(4096)));

/* The end of guest RAM, from the e820 map in the zero page. */
static uint64_t ram_end(void)
{
	const struct boot_params *bp = (const struct boot_params *)(uintptr_t)guest_entry.rsi;
	uint64_t end = 0;

	for (unsigned i = 0; i < bp->e820_entries && i < E820_MAX_ENTRIES_ZEROPAGE; i++) {
		const struct boot_e820_entry *e = &bp->e820_table[i];

		if (e->type == 1 && e->addr + e->size > end) /* E820_RAM */
			end = e->addr + e->size;
	}
	return end;
}

static void set_desc(struct vring_desc *t, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	t[i] = (struct vring_desc){ addr, len, flags, next };
}

static uint64_t addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* A read request whose data buffer is (data, len): header, data, status. */
static void read_chain(struct vblk *d, uint64_t data, uint32_t len)
{
	d->hdr->type = VIRTIO_BLK_T_IN;
	d->hdr->sector = 0;
	set_desc(d->desc, 0, addr(d->hdr), 16, VRING_DESC_F_NEXT, 1);
	set_desc(d->desc, 1, data, len, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(d->desc, 2, addr(d->status), 1, VRING_DESC_F_WRITE, 0);
}

/* Post chain 0 and expect the device to give up on it. */
static void expect_needs_reset(struct vblk *d, const char *name)
{
	vblk_kick(d, 0);
	guest_check(vblk_wait(d, 3000, NULL) == -1, name, "no DEVICE_NEEDS_RESET (or a buffer was used)");
}

static bool fresh(struct vblk *d, const char *act)
{
	if (vblk_init(d, WANT, VBLK_QSIZE, true) == 0)
		return true;
	guest_check(0, act, "the drive did not come back after a reset");
	return false;
}

static void act_outside_ram(struct vblk *d, uint64_t end)
{
	if (!fresh(d, "outside RAM"))
		return;
	read_chain(d, end + 0x100000, 512);
	expect_needs_reset(d, "1 buffer outside RAM: DEVICE_NEEDS_RESET");
}

static void act_crossing_end(struct vblk *d, uint64_t end)
{
	if (!fresh(d, "crossing RAM end"))
		return;
	read_chain(d, end - 256, 512);
	expect_needs_reset(d, "2 buffer crossing the end of RAM: DEVICE_NEEDS_RESET");
}

static void act_huge_length(struct vblk *d)
{
	if (!fresh(d, "huge length"))
		return;
	read_chain(d, addr(buf), 0xffffffffu);
	expect_needs_reset(d, "3 buffer of 2^32-1 bytes: DEVICE_NEEDS_RESET");
}

static void act_loop(struct vblk *d)
{
	if (!fresh(d, "loop"))
		return;
	read_chain(d, addr(buf), 512);
	set_desc(d->desc, 2, addr(d->status), 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	expect_needs_reset(d, "4 looping chain: DEVICE_NEEDS_RESET");
}

static void act_nested_indirect(struct vblk *d)
{
	struct vring_desc *inner = d->itable + 8;

	if (!fresh(d, "nested indirect"))
		return;
	set_desc(inner, 0, addr(d->hdr), 16, 0, 0);
	set_desc(d->itable, 0, addr(inner), 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(d->desc, 0, addr(d->itable), 16, VRING_DESC_F_INDIRECT, 0);
	expect_needs_reset(d, "5 indirect table inside an indirect table: DEVICE_NEEDS_RESET");
}

static void act_short_header(struct vblk *d)
{
	uint32_t len = 0;

	if (!fresh(d, "short header"))
		return;
	*d->status = 0xee;
	set_desc(d->desc, 0, addr(d->hdr), 8, VRING_DESC_F_NEXT, 1);
	set_desc(d->desc, 1, addr(d->status), 1, VRING_DESC_F_WRITE, 0);
	vblk_kick(d, 0);
	guest_check(vblk_wait(d, 3000, &len) == 1 && *(volatile uint8_t *)d->status == VIRTIO_BLK_S_IOERR,
	      "6 header of 8 bytes: answered IOERR", "no IOERR answer");
	guest_check(!vblk_needs_reset(d), "6 the drive carries on", "DEVICE_NEEDS_RESET set");
}

static void act_status_readable(struct vblk *d)
{
	uint32_t len = 99;

	if (!fresh(d, "readable status"))
		return;
	*d->status = 0xee;
	d->hdr->type = VIRTIO_BLK_T_OUT;
	d->hdr->sector = 0;
	set_desc(d->desc, 0, addr(d->hdr), 16, VRING_DESC_F_NEXT, 1);
	set_desc(d->desc, 1, addr(buf), 512, VRING_DESC_F_NEXT, 2);
	set_desc(d->desc, 2, addr(d->status), 1, 0, 0);
	vblk_kick(d, 0);
	guest_check(vblk_wait(d, 3000, &len) == 1 && len == 0 && *(volatile uint8_t *)d->status == 0xee,
	      "7 status byte device-readable: returned with 0 bytes, unwritten", "not so");
	guest_check(!vblk_needs_reset(d), "7 the drive carries on", "DEVICE_NEEDS_RESET set");
}

static void act_queue_size(struct vblk *d)
{
	if (!fresh(d, "queue size"))
		return;
	vblk_wr(d, VIRTIO_MMIO_STATUS, 0);
	vblk_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vblk_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vblk_wr(d, VIRTIO_MMIO_QUEUE_NUM, 6);
	guest_check(vblk_needs_reset(d), "8 queue size 6: DEVICE_NEEDS_RESET", "not set");
}

static void act_early_notify(struct vblk *d)
{
	uint64_t start;

	if (vblk_init(d, WANT, VBLK_QSIZE, false) != 0) {
		guest_check(0, "early notify", "the drive did not come back after a reset");
		return;
	}
	read_chain(d, addr(buf), 512);
	vblk_kick(d, 0); /* before DRIVER_OK */
	for (start = vblk_tsc(); !vblk_elapsed(start, 200);)
		__asm__ volatile("pause");
	guest_check(d->used->idx == 0 && !vblk_needs_reset(d), "9 notify before DRIVER_OK: ignored",
	      "the request was served or the drive broke");
	vblk_wr(d, VIRTIO_MMIO_STATUS, vblk_rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	vblk_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	guest_check(vblk_wait(d, 3000, NULL) == 1 && *(volatile uint8_t *)d->status == VIRTIO_BLK_S_OK,
	      "9 after DRIVER_OK the same request is served", "not served");
}

/* Write and read back one 4 KiB block on a drive. */
static void check_works(struct vblk *d, const char *name, uint64_t sector)
{
	bool ok = vblk_init(d, WANT, VBLK_QSIZE, true) == 0;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31 + sector);
	memset(buf2, 0, sizeof(buf2));
	ok = ok && vblk_rw(d, VIRTIO_BLK_T_OUT, sector, buf, sizeof(buf), false) == VIRTIO_BLK_S_OK;
	ok = ok && vblk_rw(d, VIRTIO_BLK_T_IN, sector, buf2, sizeof(buf2), true) == VIRTIO_BLK_S_OK;
	guest_check(ok && !memcmp(buf, buf2, sizeof(buf)), name, "write and read back failed");
}

void guest_main(void)
{
	struct vblk devs[VBLK_MAX];
	uint64_t end = ram_end();
	int n = vblk_probe(devs, VBLK_MAX);

	serial_puts("HOSTILE: RAM ends at ");
	serial_hex(end);
	serial_putc('\n');
	guest_check(n == 2, "probe finds two virtio-blk devices", "fewer than two found");
	if (n < 2)
		goto done;
	act_outside_ram(&devs[0], end);
	act_crossing_end(&devs[0], end);
	act_huge_length(&devs[0]);
	act_loop(&devs[0]);
	act_nested_indirect(&devs[0]);
	act_short_header(&devs[0]);
	act_status_readable(&devs[0]);
	act_queue_size(&devs[0]);
	act_early_notify(&devs[0]);
	check_works(&devs[0], "drive 0 works again after a reset", 16);
	check_works(&devs[1], "drive 1 was never disturbed", 16);
done:
	guest_report("HOSTILE", guest_pass, guest_fail);
}
