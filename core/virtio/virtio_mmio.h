/* The virtio-mmio transport (version 2, virtio 1.2 section 4.2) in front of
 * a device plugin's struct volt_device_ops. The transport owns the register
 * file, the status state machine, feature negotiation, the split
 * virtqueues, the interrupt line (irqfd) and queue notifications
 * (ioeventfd, watched on the device's I/O thread). A device never sees a
 * register offset. */
#ifndef VOLT_VIRTIO_VIRTIO_MMIO_H
#define VOLT_VIRTIO_VIRTIO_MMIO_H

#include <stdint.h>

#include <volt/device.h>
#include <volt/virtqueue.h>

#include "loop/iothread.h"
#include "util/err.h"
#include "vm/vm.h"

struct virtio_mmio_dev;

struct virtio_mmio_params {
	const char *name;                   /* for log lines: "drive rootfs" */
	const struct volt_device_ops *ops;  /* the device (already size-checked) */
	void *state;                        /* the device's state, passed to ops */
	struct iothread *io;                /* where queue notifications run */
	/* Called (on any thread) when the driver resets the device, after the
	 * transport cleared its own state, so the plugin's reset hook runs. */
	void (*reset)(void *state);
};

/* Create the transport: take the next free slot in the virtio MMIO window
 * (address from LAYOUT_VIRTIO_MMIO_BASE, IRQ from LAYOUT_VIRTIO_IRQ_FIRST),
 * claim its registers on the MMIO bus, register an irqfd, and one
 * ioeventfd per queue on the QueueNotify register. */
int virtio_mmio_create(struct vm *vm, const struct virtio_mmio_params *params,
		       struct virtio_mmio_dev **out, struct volt_err *err);
void virtio_mmio_destroy(struct virtio_mmio_dev *dev);

/* The kernel command-line announcement, "virtio_mmio.device=4K@0x...:N". */
const char *virtio_mmio_cmdline(const struct virtio_mmio_dev *dev);
uint64_t virtio_mmio_base(const struct virtio_mmio_dev *dev);
unsigned virtio_mmio_irq(const struct virtio_mmio_dev *dev);

/* Teardown, before the device's I/O thread is joined: from now on every
 * queue looks empty to the plugin (vq_pop answers 0) and no kick or poll
 * calls queue_notify, so a queue_notify in progress ends after the request
 * in hand instead of serving whatever the guest left in the ring. Pushes
 * and notifies still work. For good: nothing undoes it, a reset neither. */
void virtio_mmio_stop(struct virtio_mmio_dev *dev);

/* The queue operations behind the host API's vq_* calls (I/O thread). */
int virtio_mmio_vq_pop(struct virtio_mmio_dev *dev, unsigned queue, struct volt_vq_elem *elem);
void virtio_mmio_vq_push(struct virtio_mmio_dev *dev, unsigned queue,
			 const struct volt_vq_elem *elem, uint32_t written);
void virtio_mmio_vq_notify(struct virtio_mmio_dev *dev, unsigned queue);
int virtio_mmio_vq_info(struct virtio_mmio_dev *dev, unsigned queue, struct volt_vq_info *info);
/* A ready queue's size, nothing else changed; -ENODEV if not ready. */
int virtio_mmio_vq_size(struct virtio_mmio_dev *dev, unsigned queue);
void virtio_mmio_config_changed(struct virtio_mmio_dev *dev);

/* A fault: set DEVICE_NEEDS_RESET, interrupt the guest, log one line. The
 * VMM and other devices go on. */
void virtio_mmio_set_broken(struct virtio_mmio_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
