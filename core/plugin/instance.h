/* Plugin instances: each [drive "id"] and [net "id"] section of the
 * configuration becomes one instance of a device plugin (and, for [net],
 * one of a network backend plugin too), with its own checked configuration,
 * I/O thread, regions, interrupt line, fd slots and allowed paths.
 *
 * The machine drives them in this order:
 *   plugin_set_prepare  after config parsing, before any KVM call: load the
 *                       plugins the configuration names, check its keys;
 *   plugin_set_realize  after vm_create, before vCPUs: create and realize
 *                       every instance (a net backend before its device),
 *                       put a virtio-mmio transport in front of virtio
 *                       devices; everything is opened here;
 *   (sandbox lockdown)
 *   plugin_set_start    start hooks, then the I/O threads;
 *   plugin_set_destroy  virtio queues closed to the guest's backlog (each
 *                       I/O thread ends after the request in hand), I/O
 *                       threads stopped, then destroy hooks in reverse
 *                       order, for whatever was created (also after a
 *                       failure at any step).
 * The sandbox reads each instance's plugin descriptor (syscalls), fd slots
 * and allowed paths from here. */
#ifndef VOLT_PLUGIN_INSTANCE_H
#define VOLT_PLUGIN_INSTANCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <volt/host.h>
#include <volt/plugin.h>

#include "config/config.h"
#include "plugin/instance_io.h"
#include "plugin/keys.h"
#include "plugin/registry.h"
#include "util/err.h"
#include "vm/vm.h"

struct virtio_mmio_dev;
struct plugin_set;

/* An MMIO or PIO region a plugin claimed (handlers run on vCPU threads). */
struct instance_region {
	struct volt_instance *inst;
	uint64_t base;
	uint64_t size;
	bool is_pio;
	volt_region_fn fn;
	void *opaque;
	struct instance_region *next;
};

/* An ioeventfd or irqfd registered for the instance, undone at destroy. */
struct instance_kvm_fd {
	bool is_irqfd;
	struct kvm_ioeventfd ioeventfd;
	struct kvm_irqfd irqfd;
	struct instance_kvm_fd *next;
};

/* A path the plugin opens after lockdown (VOLT_PATH_* access). */
struct instance_path {
	char *path;
	uint32_t access;
	struct instance_path *next;
};

enum instance_stage {
	INSTANCE_NEW,        /* configuration checked, nothing run */
	INSTANCE_SETUP,      /* in create or realize: regions, fds, paths allowed */
	INSTANCE_REALIZED,
	INSTANCE_STARTING,   /* in start: its error lines are held too */
	INSTANCE_STARTED,
	INSTANCE_FAILED,     /* create, realize or start failed: destroy is all that is left */
};

struct volt_instance {
	char *name;                          /* "drive rootfs", "net eth0" */
	const struct config_instance *section;
	struct plugin *plugin;
	struct keys_user config;             /* declared keys and their values */
	struct plugin_set *set;
	struct volt_instance *backend;       /* a net device: its backend */
	bool backend_taken;                  /* the device asked for it (net_port) */
	struct volt_instance *device;        /* a net backend: its device */

	enum instance_stage stage;
	bool created;                        /* create was called: destroy is due */
	void *state;                         /* the plugin's, from create */

	struct instance_io own_io;           /* devices own one ... */
	struct instance_io *io;              /* ... a backend uses its device's */
	struct virtio_mmio_dev *vdev;        /* virtio devices */
	unsigned irq;                        /* non-virtio devices: 0 until asked */
	struct instance_region *regions;
	struct instance_kvm_fd *kvm_fds;
	int fd_slots[VOLT_FD_SLOTS];         /* -1 = unbound */
	struct instance_path *paths;
	atomic_bool broken;
	atomic_bool irq_missing_logged; /* irq_raise without a line, said once */
	/* Why the host API last refused a call during create or realize: the
	 * hook's failure line carries it, so the cause is reported once. */
	char refusal[256];
	/* The plugin's last error line (host->log) during create, realize or start,
	 * held back: a failing hook's line gives it as the reason instead of
	 * strerror, so the user reads it once, with the instance's name. */
	char logged_error[384];
};

struct plugin_set {
	struct plugin_registry reg;
	bool reg_inited;
	struct volt_instance **insts;  /* creation order; destroyed in reverse */
	size_t ninsts;
	struct vm *vm;                 /* from plugin_set_realize on */
	char *cmdline;                 /* device announcements for the guest */
	uint64_t mmio_next;            /* next free address, plugin MMIO window */
	unsigned irq_next;             /* next IRQ handed out, counting down */
	bool config_error;             /* the failure is the configuration's */
};

/* Load the plugins cfg names (the slim table `statics` first, then the
 * plugin directory) and check every section against their keys. On
 * failure ps->config_error tells a configuration error (exit status 2:
 * unknown plugin, wrong kind, bad key or value) from a refused plugin. */
int plugin_set_prepare(struct plugin_set *ps, const struct volt_config *cfg,
		       const struct volt_static_plugin *statics, unsigned nstatics,
		       struct volt_err *err);

/* Create and realize every instance on vm; virtio devices get their
 * transport and their announcement in plugin_set_cmdline(). */
int plugin_set_realize(struct plugin_set *ps, struct vm *vm, struct volt_err *err);

/* What the instances add to the guest's kernel command line ("" if none). */
const char *plugin_set_cmdline(const struct plugin_set *ps);
/* Append " text" to it; -ENOMEM. */
int plugin_set_cmdline_add(struct plugin_set *ps, const char *text);

/* Start hooks in order, then each device's I/O thread. */
int plugin_set_start(struct plugin_set *ps, struct volt_err *err);

/* Tear down whatever exists, in reverse order; safe on a zeroed set and
 * after a failure at any step. */
void plugin_set_destroy(struct plugin_set *ps);

/* The table every instance is handed (host_api.c). */
extern const struct volt_host_api plugin_host_api;
/* Print the error line host->log held back, if no failure line took it
 * (host_api.c). */
void plugin_host_log_held(struct volt_instance *inst);

/* The kind of section ("drive", "net") whose default plugin (backend
 * false) or default backend (true) is `name`, or NULL. */
const char *instance_kind_default_for(const char *name, bool backend);

bool instance_is_broken(const struct volt_instance *inst);
/* The value of a declared key (see struct keys_user), or NULL. */
const char *instance_config_get(const struct volt_instance *inst, const char *key);
/* Claim the instance's interrupt line (non-virtio), counting down from
 * LAYOUT_VIRTIO_IRQ_LAST; 0 if none is left. */
unsigned instance_irq_alloc(struct volt_instance *inst);

#endif
