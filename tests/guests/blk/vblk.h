/* A minimal virtio-mmio (version 2) virtio-blk driver for the test guests:
 * probe the slots, negotiate, one queue, polled completions bounded by the
 * TSC. Layouts come from the kernel's UAPI headers, as in the VMM. */
#ifndef VOLT_GUEST_VBLK_H
#define VOLT_GUEST_VBLK_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#define VBLK_WINDOW     0xd0000000ULL /* the virtio-mmio window: slot i at +i * 4 KiB */
#define VBLK_SLOT_SIZE  0x1000ULL
#define VBLK_SLOTS      19            /* IRQs 5..23 */
#define VBLK_IRQ_FIRST  5
#define VBLK_QSIZE      8
#define VBLK_MAX        2

#define VBLK_TIMEOUT    0xffu         /* vblk_rw: no completion in time */

struct vblk {
	uint64_t base;
	unsigned slot, irq;
	uint64_t offered;                 /* device features */
	uint16_t qsize;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;               /* next avail->idx */
	uint16_t used_seen;               /* used->idx we have consumed */
	/* Per-device request buffers. */
	struct virtio_blk_outhdr *hdr;
	uint8_t *status;
	struct vring_desc *itable;        /* an indirect table (16 entries) */
};

uint32_t vblk_rd(const struct vblk *d, uint32_t off);
void vblk_wr(const struct vblk *d, uint32_t off, uint32_t v);

/* Find virtio-blk devices by probing the window (magic "virt", version 2,
 * device ID 2); returns how many, at most max. */
int vblk_probe(struct vblk *devs, int max);

/* Reset, negotiate `want` (masked by the offer; VERSION_1 always), set up
 * queue 0 with `qsize` entries, and (if driver_ok) set DRIVER_OK. Returns
 * 0, or -1 with a reason printed. */
int vblk_init(struct vblk *d, uint64_t want, uint16_t qsize, bool driver_ok);

/* Make chain `head` available and notify queue 0. */
void vblk_kick(struct vblk *d, uint16_t head);

/* Wait for the next used entry: 1 when it arrived (*len = its length),
 * -1 when the device set DEVICE_NEEDS_RESET, 0 after `ms` milliseconds. */
int vblk_wait(struct vblk *d, unsigned ms, uint32_t *len);

/* One request: header, data (len bytes, writable for IN and GET_ID), status.
 * With `indirect`, the chain is one indirect table. Returns the status byte
 * or VBLK_TIMEOUT. */
uint8_t vblk_rw(struct vblk *d, uint32_t type, uint64_t sector, void *buf, uint32_t len,
		bool indirect);

bool vblk_needs_reset(const struct vblk *d);

/* TSC-bounded waiting: the TSC runs at the host's rate however slowly the
 * guest is emulated. */
uint64_t vblk_tsc(void);
bool vblk_elapsed(uint64_t start, unsigned ms);

#endif
