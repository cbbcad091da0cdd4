/* Device plugins. A virtio device sets virtio_id: the core puts its
 * virtio-mmio transport in front (registers, feature negotiation, queues,
 * interrupts) and the plugin sees only features, its configuration space and
 * queue notifications. A device that is not virtio sets virtio_id to 0 and
 * claims its own MMIO or PIO region through the host API at realize. */
#ifndef VOLT_DEVICE_H
#define VOLT_DEVICE_H

#include <stdint.h>

#include <volt/abi.h>

struct volt_device_ops {
	uint32_t struct_size;
	uint32_t virtio_id;        /* VIRTIO_ID_* from <linux/virtio_ids.h>, or 0 */
	uint16_t num_queues;
	uint16_t queue_max_size;   /* power of two, <= VOLT_VQ_MAX_SIZE */
	uint32_t config_size;      /* bytes of device configuration space */

	/* features, set_features, config_read, config_write and activate run
	 * on the vCPU that made the access, with the transport's device lock
	 * held: from them, config_changed, vq_size and device_broken work;
	 * vq_pop, vq_push, vq_notify and vq_info are refused (-EDEADLK, said
	 * once), since the queues may be the I/O thread's at that moment. The
	 * plugin's reset hook runs on that vCPU too, after the lock is let go.
	 * Declare what these make as VOLT_THREAD_VCPU syscalls. */

	/* Device feature bits offered (the transport adds VIRTIO_F_VERSION_1
	 * and the ring features it implements). */
	uint64_t (*features)(void *state);
	/* The driver's accepted features, at FEATURES_OK; -errno refuses them. */
	int (*set_features)(void *state, uint64_t features);
	/* Configuration space access (vCPU thread); offset+len <= config_size. */
	void (*config_read)(void *state, uint32_t offset, void *data, uint32_t len);
	void (*config_write)(void *state, uint32_t offset, const void *data, uint32_t len);
	/* DRIVER_OK: queues are set up; -errno puts the device in NEEDS_RESET. */
	int (*activate)(void *state);
	/* The driver notified `queue` (I/O thread). */
	void (*queue_notify)(void *state, unsigned queue);
};

#endif
