/* The host API: everything a plugin instance may ask of the core. The core
 * hands this table to create(); a plugin keeps the pointer and calls nothing
 * else in the executable (plugins link with -z defs and need no symbol from
 * volt). Every function takes the instance handle it was given. */
#ifndef VOLT_HOST_H
#define VOLT_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <volt/abi.h>
#include <volt/virtqueue.h>

struct volt_instance;
struct volt_net_backend_ops;

enum volt_log_level {
	VOLT_LOG_ERROR = 0,
	VOLT_LOG_WARN = 1,
	VOLT_LOG_INFO = 2,
	VOLT_LOG_DEBUG = 3,
};

/* MMIO/PIO region handler, called on a vCPU thread. len is 1, 2, 4 or 8,
 * and offset + len never exceeds the region's size: an access that runs
 * past the end is answered by the core as if nobody claimed it (reads all
 * ones, writes dropped). */
typedef void (*volt_region_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			       bool is_write);

/* fd readiness callback: runs on the instance's I/O thread. */
typedef void (*volt_fd_fn)(void *opaque, int fd, uint32_t events);

/* Landlock access a plugin asks for on a path it opens after lockdown. */
#define VOLT_PATH_READ  0x1u
#define VOLT_PATH_WRITE 0x2u
/* ABI 1.2: a directory the plugin may remove files from (a socket it
 * bound, at exit), and do nothing else in: no read, no write, no new file. */
#define VOLT_PATH_REMOVE 0x4u

/* A net backend instance as a device sees it. */
struct volt_net_port {
	const struct volt_net_backend_ops *ops;
	void *state;
};

struct volt_host_api {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;

	/* ---- identity and configuration ---- */
	const char *(*instance_name)(struct volt_instance *inst);
	/* The value of a key the plugin declared: the configured text, else
	 * the declared default, else NULL. Already checked against its type. */
	const char *(*config_get)(struct volt_instance *inst, const char *key);
	bool (*config_get_bool)(struct volt_instance *inst, const char *key);
	uint64_t (*config_get_u64)(struct volt_instance *inst, const char *key);

	/* ---- logging: one line, prefixed with the plugin and instance ----
	 * In create, realize and start the last error is held: if the hook
	 * fails it is the reason on volt's failure line, else it is printed
	 * then. */
	void (*log)(struct volt_instance *inst, enum volt_log_level level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* ---- guest memory: every access checked in one place ---- */
	/* Host pointer for [gpa, gpa+len) if all of it is guest RAM, else NULL. */
	void *(*guest_ptr)(struct volt_instance *inst, uint64_t gpa, uint64_t len);
	/* Up to cap RAM regions (for vhost memory tables); returns the count. */
	unsigned (*guest_regions)(struct volt_instance *inst, struct volt_mem_region *out,
				  unsigned cap);

	/* ---- virtqueues (virtio devices) ----
	 * From the I/O thread: queue_notify, or an fd callback. Not from a hook
	 * the transport runs under its lock (device.h): -EDEADLK there. */
	/* Next available chain: 1 with elem filled, 0 if the queue is empty,
	 * -errno if the driver broke the ring (the core has then already put
	 * the device into DEVICE_NEEDS_RESET and logged why). */
	int (*vq_pop)(struct volt_instance *inst, unsigned queue, struct volt_vq_elem *elem);
	/* Return a chain with `written` bytes written into its writable part.
	 * The guest does not see it yet: pushes are published together (one
	 * used-ring index store) at the next vq_notify, at a vq_pop that finds
	 * the queue empty, and when the core's queue_notify call returns. Push
	 * every chain of one frame before any of those, so a driver never sees
	 * part of a frame (Linux's virtio-net drops a merged-buffer frame whose
	 * later buffers are missing). */
	void (*vq_push)(struct volt_instance *inst, unsigned queue, const struct volt_vq_elem *elem,
			uint32_t written);
	/* Publish the pushes so far, then interrupt the guest for them if it
	 * asked to be (EVENT_IDX). */
	void (*vq_notify)(struct volt_instance *inst, unsigned queue);
	/* Queue addresses and fds for a data plane outside the core (vhost).
	 * This hands the queue over: the core stops polling it and reports
	 * every interrupt as a used-buffer one. Only a data plane calls it;
	 * for the ring's size alone, vq_size (ABI 1.1). */
	int (*vq_info)(struct volt_instance *inst, unsigned queue, struct volt_vq_info *info);

	/* ---- interrupts and notifications ---- */
	/* Tell the guest the device configuration changed. */
	void (*config_changed)(struct volt_instance *inst);
	/* Register an eventfd that KVM signals when the guest writes `len` bytes
	 * at guest-physical `addr` (MMIO), or port `addr` (PIO if is_pio). */
	int (*ioeventfd_add)(struct volt_instance *inst, uint64_t addr, uint32_t len, bool is_pio,
			     int fd);
	/* Register an eventfd that raises the instance's interrupt line. */
	int (*irqfd_add)(struct volt_instance *inst, int fd);
	/* The instance's interrupt line (GSI), for devices that are not virtio. */
	unsigned (*irq_line)(struct volt_instance *inst);
	/* Pulse the instance's interrupt line once. */
	void (*irq_raise)(struct volt_instance *inst);

	/* ---- the instance's I/O thread ---- */
	int (*fd_watch)(struct volt_instance *inst, int fd, uint32_t events, volt_fd_fn fn,
			void *opaque);
	/* Stop watching fd. Called from another thread than the I/O thread,
	 * it does not wait: a callback already taken from the set may still
	 * run, once. Before freeing what the callback uses, wait for it (a
	 * lock the callback holds, as virtio-net's receive path does). */
	void (*fd_unwatch)(struct volt_instance *inst, int fd);

	/* ---- regions (devices that are not virtio, at realize) ---- */
	/* Claim `size` bytes of the MMIO window; the core picks the address. */
	int (*mmio_register)(struct volt_instance *inst, uint64_t size, volt_region_fn fn,
			     void *opaque, uint64_t *gpa);
	int (*pio_register)(struct volt_instance *inst, uint16_t port, uint16_t size,
			    volt_region_fn fn, void *opaque);
	/* Add to the guest kernel command line (e.g. a device announcement). */
	int (*cmdline_append)(struct volt_instance *inst, const char *text);

	/* ---- sandbox (at realize) ---- */
	/* Bind fd to a slot named by the plugin's syscall declarations. */
	int (*sandbox_bind_fd)(struct volt_instance *inst, uint32_t slot, int fd);
	/* A path the plugin opens after lockdown (VOLT_PATH_READ, _WRITE), or
	 * a directory it removes files from (VOLT_PATH_REMOVE). */
	int (*sandbox_allow_path)(struct volt_instance *inst, const char *path, uint32_t access);

	/* ---- faults ---- */
	/* The device cannot go on (a host error, not a guest one): the core
	 * marks it broken, tells the guest (DEVICE_NEEDS_RESET), logs once.
	 * From any thread, and from inside any hook (activate and
	 * set_features included). A virtio device keeps its fd watches (the
	 * guest's reset brings it back): stop watching an fd whose readiness
	 * it will not drain meanwhile, or the I/O thread never sleeps. */
	void (*device_broken)(struct volt_instance *inst, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/* ---- networking ---- */
	/* The backend instance attached to this device (`backend = ...`). A
	 * device in a [net] section must call it by the end of realize, or
	 * the core refuses the VM: the section is for network devices. */
	int (*net_port)(struct volt_instance *inst, struct volt_net_port *port);

	/* ---- ABI 1.1 ---- */
	/* The size the driver gave a ready queue (its descriptor count), with
	 * no side effect; -ENODEV if the queue is not ready. */
	int (*vq_size)(struct volt_instance *inst, unsigned queue);
};

#endif
