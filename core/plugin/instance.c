/* Instances: from configuration sections to running plugin state, and back. */
#include "plugin/instance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/virtio_ids.h>

#include "sandbox/sandbox.h"
#include "util/log.h"
#include "virtio/virtio_mmio.h"
#include "vm/layout.h"

/* What each instance section is, and the plugins it uses by default. A
 * virtio device is checked against the section's class (its virtio device
 * ID), so that the section's other parts fit it: [drive] sections are the
 * guest's disks in order (/dev/vda first, the API's root drive), [net] ones
 * open a backend for their device. A device that is not virtio has no ID
 * to go by, and may be a third party's disk or network card: any section. */
static const struct {
	const char *kind;          /* section: [drive "id"] */
	const char *plugin;        /* default `plugin =`, NULL = must be named */
	const char *backend;       /* default `backend =`, NULL = no backend */
	uint32_t virtio_id;        /* its virtio devices' ID; 0: any other ID */
	const char *device_is;     /* what such a device is, in a refusal */
} instance_kinds[] = {
	{ "drive", "virtio-blk", NULL, VIRTIO_ID_BLOCK, "a block device" },
	{ "net", "virtio-net", "net-tap", VIRTIO_ID_NET, "a network device" },
	/* any other device: `plugin = hello-echo`; always last */
	{ "device", NULL, NULL, 0, "a virtio device of neither kind" },
};

const char *instance_kind_default_for(const char *name, bool backend)
{
	for (size_t k = 0; k < sizeof(instance_kinds) / sizeof(instance_kinds[0]); k++) {
		const char *dflt = backend ? instance_kinds[k].backend : instance_kinds[k].plugin;

		if (dflt && !strcmp(dflt, name))
			return instance_kinds[k].kind;
	}
	return NULL;
}

bool instance_is_broken(const struct volt_instance *inst)
{
	return atomic_load(&inst->broken);
}

const char *instance_config_get(const struct volt_instance *inst, const char *key)
{
	for (uint32_t i = 0; i < inst->config.nkeys; i++)
		if (!strcmp(inst->config.keys[i].name, key))
			return inst->config.values[i];
	return NULL;
}

static const struct config_kv *instance_kv(const struct config_instance *sec, const char *key)
{
	for (size_t i = 0; i < sec->nkvs; i++)
		if (!strcmp(sec->kvs[i].key, key))
			return &sec->kvs[i];
	return NULL;
}

/* ---- prepare: plugins and keys, before any KVM call ---------------------- */

/* The plugin named by `key` in sec (or its default), of kind `kind`. */
static int instance_plugin(struct plugin_set *ps, const struct volt_config *cfg,
			   const struct config_instance *sec, const char *key, const char *dflt,
			   uint32_t kind, struct plugin **out, struct volt_err *err)
{
	const struct config_kv *kv = instance_kv(sec, key);
	const char *file = cfg->path ? cfg->path : "<config>";
	const char *name = kv ? kv->value : dflt;
	char where[KEYS_WHERE_MAX];
	int r;

	keys_where(where, sizeof(where), file, kv ? kv->line : sec->line, sec);
	if (!name) {
		ps->config_error = true;
		return verr_set(err, EINVAL, "%s: [%s \"%s\"]: %s is required (which %s plugin)",
				where, sec->kind, sec->id, key, plugin_kind_name(kind));
	}
	r = plugin_registry_get(&ps->reg, name, out, err);

	if (r == -ENOENT) {
		ps->config_error = true;
		if (kv)
			verr_prefix(err, "%s: %s: ", where, key);
		else
			verr_prefix(err, "%s: [%s \"%s\"]: %s (the default): ", where, sec->kind,
				    sec->id, key);
		return r;
	}
	if (r)
		return r;
	if ((*out)->desc.kind == kind)
		return 0;
	ps->config_error = true;
	return verr_set(err, EINVAL, "%s: %s: %s is a %s plugin, not a %s (%s)", where, key,
			name, plugin_kind_name((*out)->desc.kind), plugin_kind_name(kind),
			(*out)->file);
}

/* The section a device of this virtio ID goes in. */
static size_t instance_kind_of_device(uint32_t virtio_id)
{
	size_t n = sizeof(instance_kinds) / sizeof(instance_kinds[0]);

	for (size_t k = 0; k < n; k++)
		if (instance_kinds[k].virtio_id == virtio_id)
			return k;
	return n - 1; /* [device] */
}

/* sec's device plugin p, if virtio, belongs in a section of sec's kind (k). */
static int instance_check_class(struct plugin_set *ps, const struct volt_config *cfg,
				const struct config_instance *sec, size_t k,
				const struct plugin *p, struct volt_err *err)
{
	uint32_t id = p->ops.device.virtio_id;
	size_t want = instance_kind_of_device(id);
	const struct config_kv *kv = instance_kv(sec, "plugin");
	char where[KEYS_WHERE_MAX];

	if (id == 0 || want == k)
		return 0;
	ps->config_error = true;
	keys_where(where, sizeof(where), cfg->path ? cfg->path : "<config>",
		   kv ? kv->line : sec->line, sec);
	return verr_set(err, EINVAL, "%s: plugin: %s is %s (virtio device ID %u): it goes in a "
			"[%s] section, not [%s]", where, p->desc.name, instance_kinds[want].device_is,
			id, instance_kinds[want].kind, sec->kind);
}

static struct volt_instance *instance_new(struct plugin_set *ps,
					  const struct config_instance *sec, struct plugin *p,
					  struct volt_err *err)
{
	struct volt_instance *inst = calloc(1, sizeof(*inst));
	struct volt_instance **arr = realloc(ps->insts, (ps->ninsts + 1) * sizeof(*arr));

	if (arr)
		ps->insts = arr;
	if (!inst || !arr || asprintf(&inst->name, "%s %s", sec->kind, sec->id) < 0) {
		free(inst);
		verr_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	inst->section = sec;
	inst->plugin = p;
	inst->set = ps;
	inst->config = (struct keys_user){ .plugin = p->desc.name, .keys = p->desc.keys,
					   .nkeys = p->desc.nkeys };
	for (unsigned i = 0; i < VOLT_FD_SLOTS; i++)
		inst->fd_slots[i] = -1;
	inst->io = &inst->own_io;
	ps->insts[ps->ninsts++] = inst;
	return inst;
}

static int instance_prepare_section(struct plugin_set *ps, const struct volt_config *cfg,
				    const struct config_instance *sec, struct volt_err *err)
{
	const struct keys_origin origin = { .file = cfg->path, .base_dir = cfg->base_dir };
	struct plugin *dev_plugin, *be_plugin = NULL;
	struct volt_instance *dev, *be = NULL;
	struct keys_user users[2];
	size_t k;
	int r;

	for (k = 0; k < sizeof(instance_kinds) / sizeof(instance_kinds[0]); k++)
		if (!strcmp(instance_kinds[k].kind, sec->kind))
			break;
	if (k == sizeof(instance_kinds) / sizeof(instance_kinds[0]))
		return verr_set(err, EINVAL, "[%s \"%s\"]: not a plugin section", sec->kind,
				sec->id);
	if (!instance_kinds[k].backend && instance_kv(sec, "backend")) {
		char where[KEYS_WHERE_MAX];

		ps->config_error = true;
		return verr_set(err, EINVAL, "%s: backend: only [net] sections have a backend",
				keys_where(where, sizeof(where), cfg->path ? cfg->path : "<config>",
					   instance_kv(sec, "backend")->line, sec));
	}
	r = instance_plugin(ps, cfg, sec, "plugin", instance_kinds[k].plugin, VOLT_PLUGIN_DEVICE,
			    &dev_plugin, err);
	if (!r)
		r = instance_check_class(ps, cfg, sec, k, dev_plugin, err);
	if (!r && instance_kinds[k].backend)
		r = instance_plugin(ps, cfg, sec, "backend", instance_kinds[k].backend,
				    VOLT_PLUGIN_NET_BACKEND, &be_plugin, err);
	if (r)
		return r;
	/* A backend runs before its device: it is created first. */
	if (be_plugin && !(be = instance_new(ps, sec, be_plugin, err)))
		return -ENOMEM;
	dev = instance_new(ps, sec, dev_plugin, err);
	if (!dev)
		return -ENOMEM;
	if (be) {
		be->device = dev;
		be->io = &dev->own_io;
		dev->backend = be;
	}
	users[0] = dev->config;
	if (be)
		users[1] = be->config;
	r = keys_check_section(sec, &origin, users, be ? 2 : 1, err);
	dev->config.values = users[0].values;
	if (be)
		be->config.values = users[1].values;
	if (r)
		ps->config_error = true;
	return r;
}

int plugin_set_prepare(struct plugin_set *ps, const struct volt_config *cfg,
		       const struct volt_static_plugin *statics, unsigned nstatics,
		       struct volt_err *err)
{
	int r = 0;

	memset(ps, 0, sizeof(*ps));
	if (!cfg->ninstances)
		return 0;
	r = plugin_registry_init(&ps->reg, cfg->plugin_dir, statics, nstatics, err);
	if (r)
		return r;
	ps->reg_inited = true;
	for (size_t i = 0; !r && i < cfg->ninstances; i++)
		r = instance_prepare_section(ps, cfg, &cfg->instances[i], err);
	return r;
}

/* ---- realize: create, transport, realize --------------------------------- */

/* The one line a failed hook gets: the plugin's own error line is the
 * reason if it logged one, else the errno; a refusal of the core's says
 * what it refused. */
static int instance_fail(struct volt_instance *inst, const char *step, int r,
			 struct volt_err *err)
{
	char reason[sizeof(inst->logged_error)];

	if (r > 0)
		r = -EIO; /* hooks return -errno; a positive value is still a failure */
	snprintf(reason, sizeof(reason), "%s",
		 inst->logged_error[0] ? inst->logged_error : strerror(-r));
	inst->logged_error[0] = '\0';
	if (inst->refusal[0])
		return verr_set(err, -r, "%s (%s): %s failed: %s (%s)", inst->name,
				inst->plugin->desc.name, step, reason, inst->refusal);
	return verr_set(err, -r, "%s (%s): %s failed: %s", inst->name, inst->plugin->desc.name,
			step, reason);
}

/* After a hook: a failure gets its line; after a success an error line
 * the plugin logged is printed as it would have been. */
static int instance_hook_done(struct volt_instance *inst, const char *step, int r,
			      struct volt_err *err)
{
	if (r)
		return instance_fail(inst, step, r, err);
	plugin_host_log_held(inst);
	return 0;
}

int plugin_set_cmdline_add(struct plugin_set *ps, const char *text)
{
	char *joined;

	if (asprintf(&joined, "%s%s%s", ps->cmdline ? ps->cmdline : "", ps->cmdline ? " " : "",
		     text) < 0)
		return -ENOMEM;
	free(ps->cmdline);
	ps->cmdline = joined;
	return 0;
}

/* A nonexistent reset hook stays a no-op for the transport. */
static void instance_reset_none(void *state)
{
}

static int instance_transport(struct volt_instance *inst, struct volt_err *err)
{
	const struct volt_plugin_desc *d = &inst->plugin->desc;
	const struct virtio_mmio_params params = {
		.name = inst->name,
		.ops = &inst->plugin->ops.device,
		.state = inst->state,
		.io = &inst->io->thread,
		.reset = d->reset ? d->reset : instance_reset_none,
	};
	int r = virtio_mmio_create(inst->set->vm, &params, &inst->vdev, err);

	if (r) {
		verr_prefix(err, "%s (%s): virtio-mmio transport: ", inst->name, d->name);
		return r;
	}
	if (plugin_set_cmdline_add(inst->set, virtio_mmio_cmdline(inst->vdev)))
		return verr_set(err, ENOMEM, "out of memory");
	return 0;
}

static bool instance_is_virtio(const struct volt_instance *inst)
{
	return inst->plugin->desc.kind == VOLT_PLUGIN_DEVICE && inst->plugin->ops.device.virtio_id;
}

static void instance_io_failed(void *vm)
{
	vm_request_exit(vm, VM_EXIT_ERROR);
}

/* A device's I/O thread (not started yet), which its backend shares. */
static int instance_io_ready(struct volt_instance *dev, struct volt_err *err)
{
	char name[16];
	int r;

	if (dev->own_io.inited)
		return 0;
	snprintf(name, sizeof(name), "io-%s", dev->section->id);
	r = instance_io_init(&dev->own_io, name, err);
	if (!r)
		iothread_on_fail(&dev->own_io.thread, instance_io_failed, dev->set->vm);
	return r;
}

/* A [net] section opens a backend (a tap, a macvtap link) for its device.
 * A device that never asked for it is not a network device: without this
 * `[net "x"] plugin = some-device` would make a tap nobody uses. */
static int instance_check_backend_taken(const struct volt_instance *inst, struct volt_err *err)
{
	if (!inst->backend || inst->backend_taken)
		return 0;
	return verr_set(err, EINVAL, "%s (%s): the device never took its network backend (%s): "
			"a [net] section is for network devices; put %s in a [device] section",
			inst->name, inst->plugin->desc.name, inst->backend->plugin->desc.name,
			inst->plugin->desc.name);
}

/* create, the transport, realize: while the instance is in INSTANCE_SETUP. */
static int instance_setup(struct volt_instance *inst, struct volt_err *err)
{
	const struct volt_plugin_desc *d = &inst->plugin->desc;
	int r = 0;

	if (d->create) {
		r = d->create(&plugin_host_api, inst, &inst->state);
		r = instance_hook_done(inst, "create", r, err);
		if (r)
			return r;
	}
	if (instance_is_virtio(inst)) {
		r = instance_transport(inst, err);
		if (r)
			return r;
	}
	if (d->realize) {
		inst->refusal[0] = '\0';
		r = d->realize(inst->state);
		r = instance_hook_done(inst, "realize", r, err);
	}
	return r;
}

static int instance_realize(struct volt_instance *inst, struct volt_err *err)
{
	int r = instance_io_ready(inst->device ? inst->device : inst, err);

	if (r)
		return r;
	inst->stage = INSTANCE_SETUP;
	inst->created = true;
	inst->refusal[0] = '\0';
	inst->logged_error[0] = '\0';
	r = instance_setup(inst, err);
	/* Out of setup before anything else runs: destroy's log lines, if it
	 * comes next, print as they are logged. */
	inst->stage = r ? INSTANCE_FAILED : INSTANCE_REALIZED;
	inst->refusal[0] = '\0';
	return r ? r : instance_check_backend_taken(inst, err);
}

/* The transport counts IRQs up, non-virtio devices count down: they must
 * not have met. */
static int plugin_set_check_irqs(struct plugin_set *ps, struct volt_err *err)
{
	for (size_t i = 0; i < ps->ninsts; i++) {
		const struct volt_instance *a = ps->insts[i];

		if (!a->irq)
			continue;
		for (size_t j = 0; j < ps->ninsts; j++) {
			const struct volt_instance *b = ps->insts[j];

			if (b->vdev && virtio_mmio_irq(b->vdev) == a->irq)
				return verr_set(err, ENOSPC, "out of interrupt lines: %s and %s "
						"both got IRQ %u (at most %d devices)", a->name,
						b->name, a->irq, LAYOUT_VIRTIO_IRQ_LAST -
						LAYOUT_VIRTIO_IRQ_FIRST + 1);
		}
	}
	return 0;
}

int plugin_set_realize(struct plugin_set *ps, struct vm *vm, struct volt_err *err)
{
	int r = 0;

	ps->vm = vm;
	ps->mmio_next = LAYOUT_PLUGIN_MMIO_BASE;
	ps->irq_next = LAYOUT_VIRTIO_IRQ_LAST;
	for (size_t i = 0; !r && i < ps->ninsts; i++)
		r = instance_realize(ps->insts[i], err);
	return r ? r : plugin_set_check_irqs(ps, err);
}

const char *plugin_set_cmdline(const struct plugin_set *ps)
{
	return ps->cmdline ? ps->cmdline : "";
}

unsigned instance_irq_alloc(struct volt_instance *inst)
{
	struct plugin_set *ps = inst->set;

	if (inst->irq || inst->stage != INSTANCE_SETUP)
		return inst->irq;
	if (ps->irq_next < LAYOUT_VIRTIO_IRQ_FIRST)
		return 0;
	inst->irq = ps->irq_next--;
	return inst->irq;
}

/* ---- start --------------------------------------------------------------- */

int plugin_set_start(struct plugin_set *ps, struct volt_err *err)
{
	for (size_t i = 0; i < ps->ninsts; i++) {
		struct volt_instance *inst = ps->insts[i];
		int r = 0;

		/* After lockdown: a violation in the hook names this plugin. */
		sandbox_set_current_plugin(inst->plugin->desc.name);
		inst->stage = INSTANCE_STARTING;
		if (inst->plugin->desc.start)
			r = inst->plugin->desc.start(inst->state);
		sandbox_set_current_plugin(NULL);

		r = instance_hook_done(inst, "start", r, err);
		/* Out of start before destroy: its log lines print as logged. */
		inst->stage = r ? INSTANCE_FAILED : INSTANCE_STARTED;
		if (r)
			return r;
	}
	for (size_t i = 0; i < ps->ninsts; i++) {
		struct volt_instance *inst = ps->insts[i];
		int r = inst->io == &inst->own_io ? instance_io_start(inst->io, err) : 0;

		if (r)
			return r;
	}
	return 0;
}

/* ---- destroy ------------------------------------------------------------- */

static void instance_kvm_fds_undo(struct volt_instance *inst)
{
	int vm_fd = inst->set->vm ? inst->set->vm->vm_fd : -1;

	while (inst->kvm_fds) {
		struct instance_kvm_fd *k = inst->kvm_fds;

		inst->kvm_fds = k->next;
		if (vm_fd >= 0 && k->is_irqfd) {
			k->irqfd.flags |= KVM_IRQFD_FLAG_DEASSIGN;
			ioctl(vm_fd, KVM_IRQFD, &k->irqfd);
		} else if (vm_fd >= 0) {
			k->ioeventfd.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
			ioctl(vm_fd, KVM_IOEVENTFD, &k->ioeventfd);
		}
		free(k);
	}
}

static void instance_teardown(struct volt_instance *inst)
{
	const struct volt_plugin_desc *d = &inst->plugin->desc;

	if (inst->vdev)
		virtio_mmio_destroy(inst->vdev);
	inst->vdev = NULL;
	instance_io_unwatch_all(inst->io, inst);
	instance_kvm_fds_undo(inst);
	if (inst->created && d->destroy) {
		sandbox_set_current_plugin(d->name);
		d->destroy(inst->state);
		sandbox_set_current_plugin(NULL);
	}
	inst->created = false;
	inst->state = NULL;
}

static void instance_free(struct volt_instance *inst)
{
	instance_io_fini(&inst->own_io);
	while (inst->regions) {
		struct instance_region *reg = inst->regions;

		inst->regions = reg->next;
		free(reg);
	}
	while (inst->paths) {
		struct instance_path *p = inst->paths;

		inst->paths = p->next;
		free(p->path);
		free(p);
	}
	keys_values_free(&inst->config);
	free(inst->name);
	free(inst);
}

void plugin_set_destroy(struct plugin_set *ps)
{
	/* The guest's backlog is left unserved: a device's I/O thread that is
	 * working through a full ring finishes the request in hand, then
	 * finds the ring empty, so the joins below wait for one request per
	 * device, not for all a hostile guest posted before it reset the VM
	 * (minutes on a disk). The vCPUs are stopped by now (machine_destroy),
	 * so no driver is left to miss the answers. */
	for (size_t i = 0; i < ps->ninsts; i++)
		if (ps->insts[i]->vdev)
			virtio_mmio_stop(ps->insts[i]->vdev);
	/* No callback may run while hooks tear state down. */
	for (size_t i = 0; i < ps->ninsts; i++)
		instance_io_stop(&ps->insts[i]->own_io);
	for (size_t i = ps->ninsts; i-- > 0;)
		instance_teardown(ps->insts[i]);
	for (size_t i = ps->ninsts; i-- > 0;)
		instance_free(ps->insts[i]);
	free(ps->insts);
	free(ps->cmdline);
	/* Last: the plugins' code goes away with their handles. */
	if (ps->reg_inited)
		plugin_registry_fini(&ps->reg);
	memset(ps, 0, sizeof(*ps));
}
