/* The host API: everything a plugin instance may ask of the core, checked
 * here. Guest memory only through guest_mem_ptr(); virtqueues, interrupts of
 * virtio devices and faults through the virtio-mmio transport; regions,
 * command-line text, fd slots and paths only while the instance is being
 * created or realized (nothing changes on the buses once vCPUs run). */
#include "plugin/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "sandbox/sandbox.h"
#include "util/log.h"
#include "virtio/virtio_mmio.h"
#include "vm/layout.h"

#define HOST_PAGE 0x1000ULL

static void host_log_core(struct volt_instance *inst, enum log_level level, const char *fmt,
			  ...) __attribute__((format(printf, 3, 4)));

/* "virtio-blk drive rootfs: <text>" */
static void host_vlog(struct volt_instance *inst, enum log_level level, const char *fmt,
		      va_list ap)
{
	char text[768];

	if (level > log_get_level())
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	log_msg(level, "%s %s: %s", inst->plugin->desc.name, inst->name, text);
}

static void host_log_core(struct volt_instance *inst, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(inst, level, fmt, ap);
	va_end(ap);
}

/* The host API refuses a call: in create or realize the reason goes into
 * the hook's failure line (instance_fail) if the hook fails, so it is not
 * reported twice; at run time nothing else would report it. */
static void host_refuse(struct volt_instance *inst, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void host_refuse(struct volt_instance *inst, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (inst->stage == INSTANCE_SETUP)
		vsnprintf(inst->refusal, sizeof(inst->refusal), fmt, ap);
	else
		host_vlog(inst, LOG_ERROR, fmt, ap);
	va_end(ap);
}

/* Calls that shape the machine are only for create and realize. */
static bool host_in_setup(struct volt_instance *inst, const char *call)
{
	if (inst->stage == INSTANCE_SETUP)
		return true;
	host_log_core(inst, LOG_ERROR, "%s: only allowed in create or realize", call);
	return false;
}

/* ---- identity and configuration ------------------------------------------ */

static const char *host_instance_name(struct volt_instance *inst)
{
	return inst->name;
}

static const char *host_config_get(struct volt_instance *inst, const char *key)
{
	return instance_config_get(inst, key);
}

static bool host_config_get_bool(struct volt_instance *inst, const char *key)
{
	const char *v = instance_config_get(inst, key);
	bool b = false;

	return v && keys_parse_bool(v, &b) && b;
}

static uint64_t host_config_get_u64(struct volt_instance *inst, const char *key)
{
	const char *v = instance_config_get(inst, key);
	uint64_t n = 0;

	return v && keys_parse_u64(v, &n) ? n : 0;
}

void plugin_host_log_held(struct volt_instance *inst)
{
	if (!inst->logged_error[0])
		return;
	host_log_core(inst, LOG_ERROR, "%s", inst->logged_error);
	inst->logged_error[0] = '\0';
}

/* An error in create, realize or start is most likely why the hook fails: it is
 * held for the failure line (instance_fail). Only the last is; one before
 * it is printed now, in its turn. Warnings and the rest print at once. */
static void host_log(struct volt_instance *inst, enum volt_log_level level, const char *fmt, ...)
{
	enum log_level l = level <= VOLT_LOG_DEBUG ? (enum log_level)level : LOG_DEBUG;
	va_list ap;

	va_start(ap, fmt);
	if (l == LOG_ERROR && (inst->stage == INSTANCE_SETUP || inst->stage == INSTANCE_STARTING)) {
		plugin_host_log_held(inst);
		vsnprintf(inst->logged_error, sizeof(inst->logged_error), fmt, ap);
	} else {
		host_vlog(inst, l, fmt, ap);
	}
	va_end(ap);
}

/* ---- guest memory ------------------------------------------------------- */

static void *host_guest_ptr(struct volt_instance *inst, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&inst->set->vm->mem, gpa, len);
}

static unsigned host_guest_regions(struct volt_instance *inst, struct volt_mem_region *out,
				   unsigned cap)
{
	const struct guest_mem *mem = &inst->set->vm->mem;
	unsigned n = 0;

	for (; n < mem->nregions && n < cap; n++)
		out[n] = (struct volt_mem_region){ .gpa = mem->regions[n].gpa,
						   .size = mem->regions[n].size,
						   .hva = mem->regions[n].hva };
	return n;
}

/* ---- virtqueues ------------------------------------------------------------ */

static int host_vq_pop(struct volt_instance *inst, unsigned queue, struct volt_vq_elem *elem)
{
	return inst->vdev ? virtio_mmio_vq_pop(inst->vdev, queue, elem) : -ENODEV;
}

static void host_vq_push(struct volt_instance *inst, unsigned queue,
			 const struct volt_vq_elem *elem, uint32_t written)
{
	if (inst->vdev)
		virtio_mmio_vq_push(inst->vdev, queue, elem, written);
}

static void host_vq_notify(struct volt_instance *inst, unsigned queue)
{
	if (inst->vdev)
		virtio_mmio_vq_notify(inst->vdev, queue);
}

/* struct volt_vq_info is size-versioned: fill only what the plugin knows. */
static int host_vq_info(struct volt_instance *inst, unsigned queue, struct volt_vq_info *info)
{
	struct volt_vq_info full = { .struct_size = sizeof(full) };
	uint32_t have = info->struct_size;
	int r;

	if (!inst->vdev)
		return -ENODEV;
	if (have < offsetof(struct volt_vq_info, size))
		return -EINVAL;
	r = virtio_mmio_vq_info(inst->vdev, queue, &full);
	if (r)
		return r;
	memcpy(info, &full, have < sizeof(full) ? have : sizeof(full));
	info->struct_size = have;
	return 0;
}

static int host_vq_size(struct volt_instance *inst, unsigned queue)
{
	return inst->vdev ? virtio_mmio_vq_size(inst->vdev, queue) : -ENODEV;
}

/* ---- interrupts and notifications -------------------------------------- */

static void host_config_changed(struct volt_instance *inst)
{
	if (inst->vdev)
		virtio_mmio_config_changed(inst->vdev);
}

static unsigned host_irq_line(struct volt_instance *inst)
{
	return inst->vdev ? virtio_mmio_irq(inst->vdev) : instance_irq_alloc(inst);
}

static void host_irq_raise(struct volt_instance *inst)
{
	unsigned line = host_irq_line(inst);

	if (line)
		vm_irq_pulse(inst->set->vm, line);
	else if (!atomic_exchange(&inst->irq_missing_logged, true))
		host_log_core(inst, LOG_ERROR, "irq_raise: no interrupt line (call irq_line in "
			      "create or realize to get one): the guest is not interrupted");
}

/* An ioeventfd only inside the instance's own registers. */
static bool host_owns(const struct volt_instance *inst, uint64_t addr, uint32_t len, bool is_pio)
{
	uint64_t end = addr + (len ? len : 1);

	if (end < addr)
		return false;
	if (!is_pio && inst->vdev) {
		uint64_t base = virtio_mmio_base(inst->vdev);

		if (addr >= base && end <= base + LAYOUT_VIRTIO_MMIO_SIZE)
			return true;
	}
	for (const struct instance_region *r = inst->regions; r; r = r->next)
		if (r->is_pio == is_pio && addr >= r->base && end <= r->base + r->size)
			return true;
	return false;
}

static int host_kvm_fd_keep(struct volt_instance *inst, const struct instance_kvm_fd *k)
{
	struct instance_kvm_fd *copy = malloc(sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	*copy = *k;
	copy->next = inst->kvm_fds;
	inst->kvm_fds = copy;
	return 0;
}

static int host_ioeventfd_add(struct volt_instance *inst, uint64_t addr, uint32_t len,
			      bool is_pio, int fd)
{
	struct instance_kvm_fd k = { .ioeventfd = { .addr = addr, .len = len, .fd = fd,
						    .flags = is_pio ? KVM_IOEVENTFD_FLAG_PIO : 0 } };

	/* KVM_IOEVENTFD and KVM_IRQFD are the main thread's, before lockdown. */
	if (!host_in_setup(inst, "ioeventfd_add"))
		return -EPERM;
	if (len != 0 && len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (!host_owns(inst, addr, len, is_pio)) {
		host_refuse(inst, "ioeventfd_add: %s 0x%llx is not in the device's own registers",
			    is_pio ? "port" : "address", (unsigned long long)addr);
		return -EPERM;
	}
	if (ioctl(inst->set->vm->vm_fd, KVM_IOEVENTFD, &k.ioeventfd) < 0)
		return -errno;
	return host_kvm_fd_keep(inst, &k);
}

static int host_irqfd_add(struct volt_instance *inst, int fd)
{
	struct instance_kvm_fd k = { .is_irqfd = true, .irqfd = { .fd = (uint32_t)fd } };

	if (!host_in_setup(inst, "irqfd_add"))
		return -EPERM;
	k.irqfd.gsi = host_irq_line(inst);
	if (!k.irqfd.gsi)
		return -ENOSPC;
	if (ioctl(inst->set->vm->vm_fd, KVM_IRQFD, &k.irqfd) < 0)
		return -errno;
	return host_kvm_fd_keep(inst, &k);
}

/* ---- the instance's I/O thread -------------------------------------------- */

static int host_fd_watch(struct volt_instance *inst, int fd, uint32_t events, volt_fd_fn fn,
			 void *opaque)
{
	if (fd < 0 || !fn)
		return -EINVAL;
	return instance_io_watch(inst->io, inst, fd, events, fn, opaque);
}

static void host_fd_unwatch(struct volt_instance *inst, int fd)
{
	instance_io_unwatch(inst->io, fd);
}

/* ---- regions -------------------------------------------------------------- */

static void host_region_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			       bool is_write)
{
	struct instance_region *reg = opaque;

	if (instance_is_broken(reg->inst)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	/* On a vCPU thread: a sandbox violation in the handler names the plugin. */
	sandbox_set_current_plugin(reg->inst->plugin->desc.name);
	reg->fn(reg->opaque, offset, data, len, is_write);
	sandbox_set_current_plugin(NULL);
}

static int host_region_add(struct volt_instance *inst, struct bus *bus, uint64_t base,
			   uint64_t size, bool is_pio, volt_region_fn fn, void *opaque)
{
	struct instance_region *reg = calloc(1, sizeof(*reg));
	struct volt_err err = { 0 };

	if (!reg)
		return -ENOMEM;
	*reg = (struct instance_region){ .inst = inst, .base = base, .size = size,
					 .is_pio = is_pio, .fn = fn, .opaque = opaque };
	if (bus_register(bus, base, size, host_region_access, reg, inst->name, &err)) {
		host_refuse(inst, "%s", err.msg);
		free(reg);
		return -err.code;
	}
	reg->next = inst->regions;
	inst->regions = reg;
	return 0;
}

static int host_mmio_register(struct volt_instance *inst, uint64_t size, volt_region_fn fn,
			      void *opaque, uint64_t *gpa)
{
	struct plugin_set *ps = inst->set;
	uint64_t base = ps->mmio_next;
	int r;

	if (!host_in_setup(inst, "mmio_register"))
		return -EPERM;
	if (!size || !fn || size > LAYOUT_PLUGIN_MMIO_SIZE)
		return -EINVAL;
	size = (size + HOST_PAGE - 1) & ~(HOST_PAGE - 1);
	if (base + size > LAYOUT_PLUGIN_MMIO_BASE + LAYOUT_PLUGIN_MMIO_SIZE) {
		host_refuse(inst, "mmio_register: the plugin MMIO window is full");
		return -ENOSPC;
	}
	r = host_region_add(inst, &ps->vm->mmio, base, size, false, fn, opaque);
	if (r)
		return r;
	ps->mmio_next = base + size;
	*gpa = base;
	return 0;
}

static int host_pio_register(struct volt_instance *inst, uint16_t port, uint16_t size,
			     volt_region_fn fn, void *opaque)
{
	if (!host_in_setup(inst, "pio_register"))
		return -EPERM;
	if (!size || !fn || (uint32_t)port + size > 0x10000)
		return -EINVAL;
	return host_region_add(inst, &inst->set->vm->pio, port, size, true, fn, opaque);
}

static int host_cmdline_append(struct volt_instance *inst, const char *text)
{
	if (!host_in_setup(inst, "cmdline_append"))
		return -EPERM;
	if (!text || !text[0] || strpbrk(text, "\n\r\t"))
		return -EINVAL;
	return plugin_set_cmdline_add(inst->set, text);
}

/* ---- sandbox ----------------------------------------------------------------- */

static int host_sandbox_bind_fd(struct volt_instance *inst, uint32_t slot, int fd)
{
	if (!host_in_setup(inst, "sandbox_bind_fd"))
		return -EPERM;
	if (slot >= VOLT_FD_SLOTS || fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EINVAL;
	inst->fd_slots[slot] = fd;
	return 0;
}

static int host_sandbox_allow_path(struct volt_instance *inst, const char *path, uint32_t access)
{
	struct instance_path *p;

	if (!host_in_setup(inst, "sandbox_allow_path"))
		return -EPERM;
	if (!path || !path[0] || !access ||
	    (access & ~(VOLT_PATH_READ | VOLT_PATH_WRITE | VOLT_PATH_REMOVE)))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->path = strdup(path))) {
		free(p);
		return -ENOMEM;
	}
	p->access = access;
	p->next = inst->paths;
	inst->paths = p;
	return 0;
}

/* ---- faults -------------------------------------------------------------- */

static void host_device_broken(struct volt_instance *inst, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (inst->vdev) {
		virtio_mmio_set_broken(inst->vdev, "%s", why);
		return;
	}
	/* Not virtio: no status to tell the guest; its handlers stop here. */
	if (!atomic_exchange(&inst->broken, true))
		host_log_core(inst, LOG_ERROR, "device broken, no longer serviced: %s", why);
}

/* ---- networking ---------------------------------------------------------- */

static int host_net_port(struct volt_instance *inst, struct volt_net_port *port)
{
	if (!inst->backend)
		return -ENODEV;
	port->ops = &inst->backend->plugin->ops.net;
	port->state = inst->backend->state;
	inst->backend_taken = true;
	return 0;
}

const struct volt_host_api plugin_host_api = {
	.struct_size = sizeof(struct volt_host_api),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.instance_name = host_instance_name,
	.config_get = host_config_get,
	.config_get_bool = host_config_get_bool,
	.config_get_u64 = host_config_get_u64,
	.log = host_log,
	.guest_ptr = host_guest_ptr,
	.guest_regions = host_guest_regions,
	.vq_pop = host_vq_pop,
	.vq_push = host_vq_push,
	.vq_notify = host_vq_notify,
	.vq_info = host_vq_info,
	.vq_size = host_vq_size,
	.config_changed = host_config_changed,
	.ioeventfd_add = host_ioeventfd_add,
	.irqfd_add = host_irqfd_add,
	.irq_line = host_irq_line,
	.irq_raise = host_irq_raise,
	.fd_watch = host_fd_watch,
	.fd_unwatch = host_fd_unwatch,
	.mmio_register = host_mmio_register,
	.pio_register = host_pio_register,
	.cmdline_append = host_cmdline_append,
	.sandbox_bind_fd = host_sandbox_bind_fd,
	.sandbox_allow_path = host_sandbox_allow_path,
	.device_broken = host_device_broken,
	.net_port = host_net_port,
};
