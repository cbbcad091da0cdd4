/* Accepting a plugin descriptor: ABI version and struct sizes first, then a
 * copy normalised to the core's struct sizes, then the data it declares
 * (name, kind, keys, syscalls, ops). Nothing here calls plugin code. */
#include "plugin/registry.h"
#include "sandbox/sandbox.h"

#include <errno.h>
#include <string.h>

#include "plugin/keys.h"
#include "plugin/syscall_check.h"

/* Whoever appends a field to one of these structs must extend the copies
 * below (and keep the v1.0 sizes: they are what old plugins report). */
_Static_assert(sizeof(struct volt_plugin_desc) == PLUGIN_DESC_V1_0_SIZE,
	       "struct volt_plugin_desc changed: update plugin_desc_copy()");
_Static_assert(sizeof(struct volt_device_ops) == PLUGIN_DEVICE_OPS_V1_0_SIZE,
	       "struct volt_device_ops changed: update plugin_ops_copy()");
_Static_assert(sizeof(struct volt_net_backend_ops) == PLUGIN_NET_OPS_V1_3_SIZE,
	       "struct volt_net_backend_ops changed: update plugin_ops_copy()");

#define PLUGIN_NAME_MAX 64

const char *plugin_kind_name(uint32_t kind)
{
	switch (kind) {
	case VOLT_PLUGIN_DEVICE:
		return "device";
	case VOLT_PLUGIN_NET_BACKEND:
		return "network backend";
	}
	return "unknown kind";
}

bool plugin_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > PLUGIN_NAME_MAX || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Copy the first `have` bytes of a size-versioned struct into a `want`-byte
 * one and zero the rest: fields an older plugin does not know read as 0. */
static void plugin_copy_sized(void *dst, size_t want, const void *src, size_t have)
{
	memset(dst, 0, want);
	memcpy(dst, src, have < want ? have : want);
}

static int plugin_desc_check_version(const struct volt_plugin_desc *raw, unsigned entry_major,
				     struct volt_err *err)
{
	/* struct_size first: the version fields lie beyond it. */
	if (raw->struct_size < offsetof(struct volt_plugin_desc, kind))
		return verr_set(err, EINVAL, "descriptor is %u bytes, smaller than a Volt %d.0 "
				"descriptor (%u bytes)", raw->struct_size, VOLT_ABI_MAJOR,
				PLUGIN_DESC_V1_0_SIZE);
	if (raw->abi_major != entry_major || raw->abi_major != VOLT_ABI_MAJOR)
		return verr_set(err, EPROTO, "built for Volt plugin ABI %u, this volt speaks %d",
				raw->abi_major, VOLT_ABI_MAJOR);
	if (raw->abi_minor > VOLT_ABI_MINOR)
		return verr_set(err, EPROTO, "built for Volt plugin ABI %u.%u, newer than this "
				"volt's %d.%d", raw->abi_major, raw->abi_minor, VOLT_ABI_MAJOR,
				VOLT_ABI_MINOR);
	if (raw->struct_size < PLUGIN_DESC_V1_0_SIZE)
		return verr_set(err, EINVAL, "descriptor is %u bytes, smaller than a Volt %d.0 "
				"descriptor (%u bytes)", raw->struct_size, VOLT_ABI_MAJOR,
				PLUGIN_DESC_V1_0_SIZE);
	return 0;
}

/* The kind's ops table: its own struct_size, at least the v1.0 size. */
static int plugin_ops_copy(struct plugin *p, const void *raw_ops, struct volt_err *err)
{
	const char *what;
	uint32_t have, min;
	void *dst;
	size_t want;

	if (p->desc.kind == VOLT_PLUGIN_DEVICE) {
		what = "device ops";
		min = PLUGIN_DEVICE_OPS_V1_0_SIZE;
		dst = &p->ops.device;
		want = sizeof(p->ops.device);
	} else if (p->desc.kind == VOLT_PLUGIN_NET_BACKEND) {
		what = "network backend ops";
		min = PLUGIN_NET_OPS_V1_0_SIZE;
		dst = &p->ops.net;
		want = sizeof(p->ops.net);
	} else {
		return verr_set(err, EINVAL, "unknown plugin kind %u (known: %d device, "
				"%d network backend)", p->desc.kind, VOLT_PLUGIN_DEVICE,
				VOLT_PLUGIN_NET_BACKEND);
	}
	if (!raw_ops)
		return verr_set(err, EINVAL, "a %s plugin needs a %s table (desc.ops is NULL)",
				plugin_kind_name(p->desc.kind), what);
	memcpy(&have, raw_ops, sizeof(have));
	if (have < min)
		return verr_set(err, EINVAL, "%s table is %u bytes, smaller than Volt %d.0's "
				"(%u bytes)", what, have, VOLT_ABI_MAJOR, min);
	plugin_copy_sized(dst, want, raw_ops, have);
	p->desc.ops = dst;
	return 0;
}

int plugin_desc_accept(struct plugin *p, const struct volt_plugin_desc *raw, unsigned entry_major,
		       struct volt_err *err)
{
	int r;

	if (!raw)
		return verr_set(err, EINVAL, "its entry function returned no descriptor");
	r = plugin_desc_check_version(raw, entry_major, err);
	if (r)
		return r;
	plugin_copy_sized(&p->desc, sizeof(p->desc), raw, raw->struct_size);
	p->desc.struct_size = sizeof(p->desc);
	r = plugin_ops_copy(p, raw->ops, err);
	if (!r)
		r = plugin_desc_validate(&p->desc, err);
	return r;
}

static int plugin_key_validate(const struct volt_key *k, uint32_t i, struct volt_err *err)
{
	struct volt_err verr = { 0 };

	if (!k->name || !keys_name_valid(k->name))
		return verr_set(err, EINVAL, "key %u: name '%s' is not made of [a-z0-9_]", i,
				k->name ? k->name : "(null)");
	if (keys_reserved(k->name))
		return verr_set(err, EINVAL, "key %s: reserved for the core (plugin, backend)",
				k->name);
	if (k->type < VOLT_KEY_STRING || k->type > VOLT_KEY_MAC)
		return verr_set(err, EINVAL, "key %s: unknown type %u", k->name, k->type);
	if (k->flags & ~(VOLT_KEY_REQUIRED | VOLT_KEY_PATH_WRITE))
		return verr_set(err, EINVAL, "key %s: unknown flags 0x%x", k->name, k->flags);
	if ((k->flags & VOLT_KEY_PATH_WRITE) && k->type != VOLT_KEY_PATH)
		return verr_set(err, EINVAL, "key %s: VOLT_KEY_PATH_WRITE on a key that is not "
				"a path", k->name);
	if ((k->flags & VOLT_KEY_REQUIRED) && k->default_value)
		return verr_set(err, EINVAL, "key %s: required, yet has a default", k->name);
	if (k->type == VOLT_KEY_U64 && k->min > k->max)
		return verr_set(err, EINVAL, "key %s: min %llu is above max %llu", k->name,
				(unsigned long long)k->min, (unsigned long long)k->max);
	if (!k->help || !k->help[0])
		return verr_set(err, EINVAL, "key %s: no help line", k->name);
	/* A path default is checked where it is used: it names the host's file. */
	if (k->default_value && k->type != VOLT_KEY_PATH &&
	    keys_check_value(k, k->default_value, NULL, &verr))
		return verr_set(err, EINVAL, "key %s: default %s", k->name, verr.msg);
	return 0;
}

static int plugin_keys_validate(const struct volt_plugin_desc *desc, struct volt_err *err)
{
	if (desc->nkeys && !desc->keys)
		return verr_set(err, EINVAL, "declares %u keys but no key table", desc->nkeys);
	for (uint32_t i = 0; i < desc->nkeys; i++) {
		int r = plugin_key_validate(&desc->keys[i], i, err);

		if (r)
			return r;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(desc->keys[j].name, desc->keys[i].name))
				return verr_set(err, EINVAL, "key %s: declared twice",
						desc->keys[i].name);
	}
	return 0;
}

static int plugin_syscall_validate(const struct volt_syscall *s, uint32_t i,
				   struct volt_err *err)
{
	if (!s->name || !s->name[0])
		return verr_set(err, EINVAL, "syscall %u: no name", i);
	/* Refused here, at load time, not only when the filter is built. */
	if (!sandbox_syscall_known(s->name))
		return verr_set(err, EINVAL, "syscall %u: '%s' is not a syscall libseccomp knows on "
				"x86_64", i, s->name);
	if (!s->reason || !s->reason[0])
		return verr_set(err, EINVAL, "syscall %s: no reason (one line: why the plugin "
				"needs it)", s->name);
	if (!s->threads || (s->threads & ~VOLT_THREAD_ALL))
		return verr_set(err, EINVAL, "syscall %s: thread mask 0x%x is not a VOLT_THREAD_* "
				"mask", s->name, s->threads);
	if (s->fd_slot != VOLT_FD_ANY && s->fd_slot >= VOLT_FD_SLOTS)
		return verr_set(err, EINVAL, "syscall %s: fd slot %u (slots are 0..%d)", s->name,
				s->fd_slot, VOLT_FD_SLOTS - 1);
	if (s->nioctls && !s->ioctls)
		return verr_set(err, EINVAL, "syscall %s: %u ioctl requests but no table",
				s->name, s->nioctls);
	if (s->nioctls && strcmp(s->name, "ioctl"))
		return verr_set(err, EINVAL, "syscall %s: ioctl requests on a syscall that is not "
				"ioctl", s->name);
	return 0;
}

static int plugin_syscalls_validate(const struct volt_plugin_desc *desc, struct volt_err *err)
{
	if (desc->nsyscalls && !desc->syscalls)
		return verr_set(err, EINVAL, "declares %u syscalls but no syscall table",
				desc->nsyscalls);
	for (uint32_t i = 0; i < desc->nsyscalls; i++) {
		int r = plugin_syscall_validate(&desc->syscalls[i], i, err);

		if (r)
			return r;
	}
	return plugin_check_syscalls(desc, err);
}

/* What the transport relies on for a virtio device. */
static int plugin_device_ops_validate(const struct volt_device_ops *ops, struct volt_err *err)
{
	uint16_t qmax = ops->queue_max_size;

	if (!ops->virtio_id) {
		if (ops->num_queues)
			return verr_set(err, EINVAL, "device ops: %u queues on a device that is not "
					"virtio (virtio_id 0)", ops->num_queues);
		return 0;
	}
	if (!ops->num_queues)
		return verr_set(err, EINVAL, "device ops: a virtio device with no queues");
	if (!qmax || (qmax & (qmax - 1)) || qmax > VOLT_VQ_MAX_SIZE)
		return verr_set(err, EINVAL, "device ops: queue_max_size %u is not a power of two "
				"up to %d", qmax, VOLT_VQ_MAX_SIZE);
	if (ops->config_size && (!ops->config_read))
		return verr_set(err, EINVAL, "device ops: %u bytes of configuration space but no "
				"config_read", ops->config_size);
	if (!ops->queue_notify)
		return verr_set(err, EINVAL, "device ops: a virtio device without queue_notify");
	return 0;
}

static int plugin_net_ops_validate(const struct volt_net_backend_ops *ops, struct volt_err *err)
{
	bool dataplane = ops->dataplane_start != NULL;

	if (!dataplane && (!ops->recv || !ops->send))
		return verr_set(err, EINVAL, "network backend ops: needs recv and send, or "
				"dataplane_start");
	if (dataplane != (ops->dataplane_stop != NULL))
		return verr_set(err, EINVAL, "network backend ops: dataplane_start and "
				"dataplane_stop come together");
	return 0;
}

int plugin_desc_validate(const struct volt_plugin_desc *desc, struct volt_err *err)
{
	int r;

	if (!desc->name || !plugin_name_valid(desc->name))
		return verr_set(err, EINVAL, "plugin name '%s' is not made of [a-z0-9-]",
				desc->name ? desc->name : "(null)");
	if (!desc->version || !desc->license || !desc->description)
		return verr_set(err, EINVAL, "descriptor lacks its version, license or description");
	r = plugin_keys_validate(desc, err);
	if (!r)
		r = plugin_syscalls_validate(desc, err);
	if (r)
		return r;
	if (desc->kind != VOLT_PLUGIN_DEVICE && desc->kind != VOLT_PLUGIN_NET_BACKEND)
		return verr_set(err, EINVAL, "unknown plugin kind %u (known: %d device, "
				"%d network backend)", desc->kind, VOLT_PLUGIN_DEVICE,
				VOLT_PLUGIN_NET_BACKEND);
	if (!desc->ops)
		return verr_set(err, EINVAL, "a %s plugin needs its ops table (desc.ops is NULL)",
				plugin_kind_name(desc->kind));
	if (desc->kind == VOLT_PLUGIN_DEVICE)
		return plugin_device_ops_validate(desc->ops, err);
	return plugin_net_ops_validate(desc->ops, err);
}
