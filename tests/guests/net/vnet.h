/* A minimal virtio-net driver over virtio-mmio (version 2), polled: no
 * interrupts. It finds the device by probing the virtio-mmio slots, resets
 * it, negotiates VERSION_1 and MAC (and MRG_RXBUF if asked), sets up one
 * receive and one transmit queue of VNET_QSIZE entries in its own memory
 * (identity-mapped: a pointer is its guest-physical address), and keeps
 * the receive queue full of VNET_RXBUF-byte buffers. */
#ifndef VOLT_GUEST_VNET_H
#define VOLT_GUEST_VNET_H

#include <stdint.h>

#define VNET_MMIO_BASE  0xd0000000ULL /* LAYOUT_VIRTIO_MMIO_BASE */
#define VNET_MMIO_SLOTS 19            /* IRQs 5..23 */
#define VNET_QSIZE      8
#define VNET_RXBUF      2048
#define VNET_HDR_LEN    12            /* struct virtio_net_hdr_v1 */

struct vnet {
	uint64_t base;
	uint8_t mac[6];
	uint64_t features;     /* accepted */
	uint16_t rx_used_seen; /* used-ring entries consumed by us */
	uint16_t tx_used_seen;
	uint16_t rx_avail;     /* our avail->idx */
	uint16_t tx_avail;
};

/* Probe the slots for a virtio-mmio v2 network device; 0 if found. */
int vnet_probe(struct vnet *v);

#define VNET_MRG_RXBUF 0x1 /* negotiate VIRTIO_NET_F_MRG_RXBUF */
#define VNET_CSUM      0x2 /* negotiate CSUM and GUEST_CSUM (the host's tap
			    * then gets TUN_F_CSUM) */

/* Reset, negotiate (VNET_* options), set up both queues, fill RX,
 * DRIVER_OK. 0 or a negative step number (which step failed is printed). */
int vnet_init(struct vnet *v, unsigned options);

/* Send one frame (a zeroed header added here, as two descriptors); wait
 * (bounded) until the device used it. 0 or -1. */
int vnet_send(struct vnet *v, const void *frame, uint32_t len);

/* The same with the header given: hdr_len bytes of hdr as the first
 * descriptor (a short one is garbage a hostile guest may send). */
int vnet_send_hdr(struct vnet *v, const void *hdr, uint32_t hdr_len, const void *frame,
		  uint32_t len);

/* Poll for a received frame until `tsc_budget` TSC cycles have passed.
 * Returns the frame length (without the header) and points *frame at it;
 * -1 on timeout. The buffer is handed back to the device on the next call. */
int vnet_recv(struct vnet *v, const uint8_t **frame, uint64_t tsc_budget);

/* Status 0: the device lets go of the queues. */
void vnet_reset(struct vnet *v);

uint64_t vnet_rdtsc(void);

#endif
