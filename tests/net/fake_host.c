#include "fake_host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/epoll.h>

static struct fake_host *fh_of(struct volt_instance *inst)
{
	return inst->fh;
}

static const char *fake_instance_name(struct volt_instance *inst)
{
	return "net eth0";
}

static const char *fake_config_get(struct volt_instance *inst, const char *key)
{
	struct fake_host *fh = fh_of(inst);

	for (unsigned i = 0; i < fh->nkeys; i++)
		if (!strcmp(fh->keys[i], key))
			return fh->values[i];
	for (uint32_t i = 0; fh->desc && i < fh->desc->nkeys; i++)
		if (!strcmp(fh->desc->keys[i].name, key))
			return fh->desc->keys[i].default_value;
	return NULL;
}

static bool fake_config_get_bool(struct volt_instance *inst, const char *key)
{
	const char *v = fake_config_get(inst, key);

	return v && (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"));
}

static uint64_t fake_config_get_u64(struct volt_instance *inst, const char *key)
{
	const char *v = fake_config_get(inst, key);

	return v ? strtoull(v, NULL, 0) : 0;
}

static void fake_log(struct volt_instance *inst, enum volt_log_level level, const char *fmt, ...)
{
	struct fake_host *fh = fh_of(inst);
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (getenv("FAKE_HOST_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
	if (n > 0 && fh->loglen + (size_t)n + 2 < sizeof(fh->log)) {
		memcpy(fh->log + fh->loglen, line, (size_t)n);
		fh->loglen += (size_t)n;
		fh->log[fh->loglen++] = '\n';
		fh->log[fh->loglen] = 0;
	}
}

static unsigned fake_guest_regions(struct volt_instance *inst, struct volt_mem_region *out,
				   unsigned cap)
{
	struct fake_host *fh = fh_of(inst);
	unsigned n = fh->nregions < cap ? fh->nregions : cap;

	memcpy(out, fh->regions, n * sizeof(*out));
	return n;
}

static int fake_vq_pop(struct volt_instance *inst, unsigned queue, struct volt_vq_elem *elem)
{
	struct fake_vq *q = &fh_of(inst)->vq[queue];

	if (q->pop_error)
		return q->pop_error;
	q->notify_on = !q->count;
	if (!q->count)
		return 0;
	*elem = q->elems[q->first];
	q->first = (q->first + 1) % FAKE_ELEMS;
	q->count--;
	if (fh_of(inst)->on_pop)
		fh_of(inst)->on_pop(fh_of(inst), queue);
	return 1;
}

static void fake_vq_push(struct volt_instance *inst, unsigned queue,
			 const struct volt_vq_elem *elem, uint32_t written)
{
	struct fake_vq *q = &fh_of(inst)->vq[queue];

	if (q->nused < FAKE_USED)
		q->used[q->nused++] = (struct fake_used){ elem->head,
							  written < elem->in_len ? written : elem->in_len };
}

static void fake_vq_notify(struct volt_instance *inst, unsigned queue)
{
	fh_of(inst)->vq[queue].notifies++;
}

static int fake_vq_info(struct volt_instance *inst, unsigned queue, struct volt_vq_info *info)
{
	struct fake_vq *q = &fh_of(inst)->vq[queue];

	if (queue >= FAKE_QUEUES || !q->size)
		return -ENODEV;
	info->size = q->size;
	info->desc_gpa = 0x1000 * (queue + 1);
	info->kick_fd = q->kick_fd;
	info->call_fd = q->call_fd;
	return 0;
}

static int fake_vq_size(struct volt_instance *inst, unsigned queue)
{
	if (queue >= FAKE_QUEUES || !fh_of(inst)->vq[queue].size)
		return -ENODEV;
	return fh_of(inst)->vq[queue].size;
}

static int fake_fd_watch(struct volt_instance *inst, int fd, uint32_t events, volt_fd_fn fn,
			 void *opaque)
{
	struct fake_host *fh = fh_of(inst);
	struct fake_watch *free_slot = NULL;

	for (unsigned i = 0; i < FAKE_WATCHES; i++) {
		if (fh->watch[i].on && fh->watch[i].fd == fd)
			return -EEXIST;
		if (!fh->watch[i].on && !free_slot)
			free_slot = &fh->watch[i];
	}
	if (!free_slot)
		return -ENOSPC;
	*free_slot = (struct fake_watch){ fd, events, fn, opaque, true };
	fh->watches++;
	return 0;
}

static void fake_fd_unwatch(struct volt_instance *inst, int fd)
{
	struct fake_host *fh = fh_of(inst);

	fh->unwatches++;
	for (unsigned i = 0; i < FAKE_WATCHES; i++)
		if (fh->watch[i].on && fh->watch[i].fd == fd)
			fh->watch[i].on = false;
}

static int fake_sandbox_bind_fd(struct volt_instance *inst, uint32_t slot, int fd)
{
	if (slot >= VOLT_FD_SLOTS || fd < 0)
		return -EINVAL;
	fh_of(inst)->slots[slot] = fd;
	return 0;
}

static void fake_device_broken(struct volt_instance *inst, const char *fmt, ...)
{
	struct fake_host *fh = fh_of(inst);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fh->broken, sizeof(fh->broken), fmt, ap);
	va_end(ap);
}

static int fake_net_port(struct volt_instance *inst, struct volt_net_port *port)
{
	struct fake_host *fh = fh_of(inst);

	if (!fh->has_port)
		return -ENODEV;
	*port = fh->port;
	return 0;
}

struct fake_host *fake_host_new(const struct volt_plugin_desc *desc)
{
	struct fake_host *fh = calloc(1, sizeof(*fh));

	if (!fh)
		abort();
	fh->inst.fh = fh;
	fh->desc = desc;
	for (unsigned i = 0; i < VOLT_FD_SLOTS; i++)
		fh->slots[i] = -1;
	for (unsigned q = 0; q < FAKE_QUEUES; q++) {
		fh->vq[q].elems = calloc(FAKE_ELEMS, sizeof(struct volt_vq_elem));
		fh->vq[q].size = 256;
		fh->vq[q].kick_fd = fh->vq[q].call_fd = -1;
		if (!fh->vq[q].elems)
			abort();
	}
	fh->api = (struct volt_host_api){
		.struct_size = sizeof(struct volt_host_api),
		.abi_major = VOLT_ABI_MAJOR,
		.abi_minor = VOLT_ABI_MINOR,
		.instance_name = fake_instance_name,
		.config_get = fake_config_get,
		.config_get_bool = fake_config_get_bool,
		.config_get_u64 = fake_config_get_u64,
		.log = fake_log,
		.guest_regions = fake_guest_regions,
		.vq_pop = fake_vq_pop,
		.vq_push = fake_vq_push,
		.vq_notify = fake_vq_notify,
		.vq_info = fake_vq_info,
		.vq_size = fake_vq_size,
		.fd_watch = fake_fd_watch,
		.fd_unwatch = fake_fd_unwatch,
		.sandbox_bind_fd = fake_sandbox_bind_fd,
		.device_broken = fake_device_broken,
		.net_port = fake_net_port,
	};
	return fh;
}

void fake_host_free(struct fake_host *fh)
{
	for (unsigned q = 0; q < FAKE_QUEUES; q++)
		free(fh->vq[q].elems);
	free(fh);
}

void fake_host_set(struct fake_host *fh, const char *key, const char *value)
{
	if (fh->nkeys < FAKE_KEYS) {
		fh->keys[fh->nkeys] = key;
		fh->values[fh->nkeys++] = value;
	}
}

uint16_t fake_vq_add(struct fake_host *fh, unsigned queue, const struct iovec *iov,
		     unsigned nout, unsigned nin)
{
	struct fake_vq *q = &fh->vq[queue];
	static uint16_t next_head[FAKE_QUEUES];
	struct volt_vq_elem *e;

	if (q->count == FAKE_ELEMS)
		abort();
	e = &q->elems[(q->first + q->count) % FAKE_ELEMS];
	memset(e, 0, offsetof(struct volt_vq_elem, iov));
	e->head = next_head[queue]++ % 256;
	e->nout = (uint16_t)nout;
	e->nin = (uint16_t)nin;
	for (unsigned i = 0; i < nout + nin; i++) {
		e->iov[i] = iov[i];
		if (i < nout)
			e->out_len += (uint32_t)iov[i].iov_len;
		else
			e->in_len += (uint32_t)iov[i].iov_len;
	}
	q->count++;
	return e->head;
}

struct fake_watch *fake_watched(struct fake_host *fh, int fd)
{
	for (unsigned i = 0; i < FAKE_WATCHES; i++)
		if (fh->watch[i].on && fh->watch[i].fd == fd)
			return &fh->watch[i];
	return NULL;
}

bool fake_fire(struct fake_host *fh, int fd)
{
	struct fake_watch *w = fake_watched(fh, fd);

	if (!w)
		return false;
	w->fn(w->opaque, fd, EPOLLIN);
	return true;
}

bool fake_log_has(const struct fake_host *fh, const char *text)
{
	return strstr(fh->log, text) != NULL;
}
