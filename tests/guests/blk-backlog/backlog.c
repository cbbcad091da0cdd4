/* blk-backlog: a guest that leaves its virtio-blk drive a full ring of the
 * largest requests the drive allows, then stops, so the host can time
 * volt's exit against the backlog.
 *
 * It reads size_max and seg_max (1 MiB if SIZE_MAX is not offered, as by
 * a volt from before it was), builds one indirect table of header,
 * seg_max segments of size_max over one stretch of guest RAM at 32 MiB
 * that nothing else uses (so at least 48 MiB of RAM), and status, makes
 * all 256 ring entries that table, notifies once, and gives the drive's
 * I/O thread 300 ms to get into the backlog (256 x 254 MiB read from the
 * image's holes; used->idx moves only when a batch ends, so there is
 * nothing to wait for). Then, with backlog.mode=
 *   reset  it prints "BACKLOG RESET used=N" and resets through the i8042;
 *   hold   it prints "BACKLOG HOLD used=N" and spins until volt is stopped;
 * N < 256 says the backlog was not served yet. Before that it prints
 * PASS/FAIL lines for what it checked. backlog.seg=BYTES (at most 16 MiB)
 * makes the segments that long instead: 16777216 is the review's
 * request of almost 4 GiB, which the drive must refuse. */
#include <asm/bootparam.h>
#include <stddef.h>

#include "guest.h"
#include "check.h"
#include "serial.h"
#include "vblk.h"

#define QSIZE      256
#define SEG_GPA    (32ULL << 20)   /* every segment: guest RAM the guest never touches */
#define SEG_DEFAULT (1u << 20)     /* without SIZE_MAX */
#define SEG_MOST   (16u << 20)
#define WANT       ((1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

static const char *cmdline(void)
{
	const struct boot_params *bp = (const struct boot_params *)(uintptr_t)guest_entry.rsi;

	return bp && bp->hdr.cmd_line_ptr ? (const char *)(uintptr_t)bp->hdr.cmd_line_ptr : "";
}

static uint32_t config32(const struct vblk *d, size_t off)
{
	return vblk_rd(d, VIRTIO_MMIO_CONFIG + (uint32_t)off);
}

static uint64_t addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* header | nseg x (SEG_GPA, seglen) | status, in the indirect table;
 * returns the table's length in bytes. */
static uint32_t build_table(struct vblk *d, uint32_t nseg, uint32_t seglen)
{
	struct vring_desc *t = d->itable;
	uint16_t n = 0;

	d->hdr->type = VIRTIO_BLK_T_IN;
	d->hdr->ioprio = 0;
	d->hdr->sector = 0;
	t[n] = (struct vring_desc){ addr(d->hdr), 16, VRING_DESC_F_NEXT, (uint16_t)(n + 1) };
	n++;
	for (uint32_t i = 0; i < nseg; i++, n++)
		t[n] = (struct vring_desc){ SEG_GPA, seglen,
					    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (uint16_t)(n + 1) };
	t[n] = (struct vring_desc){ addr(d->status), 1, VRING_DESC_F_WRITE, 0 };
	return (uint32_t)(n + 1) * sizeof(*t);
}

/* Every ring entry the same table; one notify for all. */
static void post_backlog(struct vblk *d, uint32_t table_len)
{
	for (uint16_t i = 0; i < QSIZE; i++) {
		d->desc[i] = (struct vring_desc){ addr(d->itable), table_len, VRING_DESC_F_INDIRECT, 0 };
		d->avail->ring[i] = i;
	}
	d->avail_idx = QSIZE;
	__atomic_store_n(&d->avail->idx, d->avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vblk_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* The segments: size_max x seg_max as the drive says (1 MiB without
 * SIZE_MAX), or backlog.seg=BYTES of them. */
static void segments(const struct vblk *d, uint32_t *size_max, uint32_t *seg_max)
{
	bool offered = d->offered & (1ULL << VIRTIO_BLK_F_SIZE_MAX);
	uint64_t seg = 0;

	guest_check(offered, "the drive offers SIZE_MAX", "not offered (1 MiB segments assumed)");
	*size_max = offered ? config32(d, offsetof(struct virtio_blk_config, size_max)) : SEG_DEFAULT;
	*seg_max = config32(d, offsetof(struct virtio_blk_config, seg_max));
	guest_check(*size_max >= 4096 && *size_max <= SEG_MOST && *seg_max >= 1 && *seg_max <= 254,
		    "size_max and seg_max usable", "out of range");
	if (*size_max > SEG_MOST || *seg_max > 254 || *seg_max == 0) {
		*size_max = SEG_DEFAULT;
		*seg_max = 254;
	}
	if (parse_u64(cmdline_find(cmdline(), "backlog.seg"), &seg) == 0 && seg && seg <= SEG_MOST)
		*size_max = (uint32_t)seg;
}

void guest_main(void)
{
	const char *mode = cmdline_find(cmdline(), "backlog.mode");
	bool hold = mode && strlen(mode) >= 4 && !memcmp(mode, "hold", 4);
	uint32_t size_max, seg_max;
	struct vblk d;

	if (vblk_probe(&d, 1) != 1 || vblk_init(&d, WANT, QSIZE, true) != 0) {
		guest_check(0, "a virtio-blk drive with a 256-entry queue", "none");
		return;
	}
	segments(&d, &size_max, &seg_max);
	post_backlog(&d, build_table(&d, seg_max, size_max));
	for (uint64_t start = vblk_tsc(); !vblk_elapsed(start, 300);)
		__asm__ volatile("pause");
	guest_check(!vblk_needs_reset(&d), "the drive takes the backlog", "DEVICE_NEEDS_RESET");
	serial_puts(hold ? "BACKLOG HOLD used=" : "BACKLOG RESET used=");
	serial_dec(__atomic_load_n(&d.used->idx, __ATOMIC_ACQUIRE));
	serial_putc('\n');
	if (!hold)
		return; /* _start resets through the i8042 */
	for (;;)
		__asm__ volatile("pause");
}
