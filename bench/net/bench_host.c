#include "bench_host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/thread.h"

/* epoll tags: kicks are 0..BH_QUEUES-1, then the control eventfd, then
 * watch slots. */
#define BH_TAG_CTL   BH_QUEUES
#define BH_TAG_WATCH (BH_QUEUES + 1)

static const char *bh_name(struct volt_instance *inst)
{
	return "net bench";
}

static const char *bh_config_get(struct volt_instance *inst, const char *key)
{
	for (unsigned i = 0; i < inst->nkeys; i++)
		if (!strcmp(inst->keys[i], key))
			return inst->values[i];
	for (uint32_t i = 0; i < inst->desc->nkeys; i++)
		if (!strcmp(inst->desc->keys[i].name, key))
			return inst->desc->keys[i].default_value;
	return NULL;
}

static bool bh_config_get_bool(struct volt_instance *inst, const char *key)
{
	const char *v = bh_config_get(inst, key);

	return v && (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on"));
}

static uint64_t bh_config_get_u64(struct volt_instance *inst, const char *key)
{
	const char *v = bh_config_get(inst, key);

	return v ? strtoull(v, NULL, 0) : 0;
}

static void bh_log(struct volt_instance *inst, enum volt_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > VOLT_LOG_WARN && !getenv("BENCH_VERBOSE"))
		return;
	fprintf(stderr, "%s: ", inst->desc->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *bh_guest_ptr(struct volt_instance *inst, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&inst->bh->mem, gpa, len);
}

static unsigned bh_guest_regions(struct volt_instance *inst, struct volt_mem_region *out,
				 unsigned cap)
{
	const struct guest_mem *m = &inst->bh->mem;
	unsigned n = 0;

	for (; n < m->nregions && n < cap; n++)
		out[n] = (struct volt_mem_region){ m->regions[n].gpa, m->regions[n].size,
						   m->regions[n].hva };
	return n;
}

static void bh_lock(struct bench_host *bh)
{
	if (!bh->in_kick)
		pthread_mutex_lock(&bh->dev_lock);
}

static void bh_unlock(struct bench_host *bh)
{
	if (!bh->in_kick)
		pthread_mutex_unlock(&bh->dev_lock);
}

static int bh_vq_pop(struct volt_instance *inst, unsigned q, struct volt_vq_elem *elem)
{
	struct bench_host *bh = inst->bh;
	struct volt_err err;
	int r;

	err.code = 0;
	bh_lock(bh);
	r = vq_pop(&bh->vq[q], elem, &err);
	bh_unlock(bh);
	if (r < 0)
		snprintf(bh->broken, sizeof(bh->broken), "queue %u: %s", q, err.msg);
	return r;
}

static void bh_vq_push(struct volt_instance *inst, unsigned q, const struct volt_vq_elem *elem,
		       uint32_t written)
{
	bh_lock(inst->bh);
	vq_push(&inst->bh->vq[q], elem, written);
	bh_unlock(inst->bh);
}

/* An interrupt is an eventfd write, as volt's irqfd. */
static void bh_vq_notify(struct volt_instance *inst, unsigned q)
{
	uint64_t one = 1;
	bool raise;

	bh_lock(inst->bh);
	raise = vq_should_notify(&inst->bh->vq[q]);
	bh_unlock(inst->bh);
	if (raise) {
		inst->bh->notifies[q]++;
		if (write(inst->bh->irq_efd[q], &one, sizeof(one)) < 0) {
			/* a full counter still wakes the driver */
		}
	}
}

static int bh_vq_size(struct volt_instance *inst, unsigned q)
{
	return inst->bh->vq[q].ready ? inst->bh->vq[q].size : -ENODEV;
}

static int bh_vq_info(struct volt_instance *inst, unsigned q, struct volt_vq_info *info)
{
	struct virtqueue *vq = &inst->bh->vq[q];

	if (!vq->ready)
		return -ENODEV;
	/* As the transport: a queue whose rings were handed out is not polled. */
	bh_lock(inst->bh);
	(void)vq_poll_end(vq);
	inst->bh->info_out[q] = true;
	bh_unlock(inst->bh);
	info->size = vq->size;
	info->desc_gpa = vq->desc_gpa;
	info->avail_gpa = vq->avail_gpa;
	info->used_gpa = vq->used_gpa;
	info->desc_hva = vq->vr.desc;
	info->avail_hva = vq->vr.avail;
	info->used_hva = vq->vr.used;
	info->features = inst->bh->features;
	info->kick_fd = info->call_fd = -1;
	if (inst->bh->kernel_dp) {
		/* The data plane reads the kicks and writes the interrupts
		 * itself: the I/O thread must not take its kicks. */
		epoll_ctl(inst->bh->epfd, EPOLL_CTL_DEL, inst->bh->kick_efd[q], NULL);
		info->kick_fd = inst->bh->kick_efd[q];
		info->call_fd = inst->bh->irq_efd[q];
	}
	return 0;
}

static int bh_fd_watch(struct volt_instance *inst, int fd, uint32_t events, volt_fd_fn fn,
			void *opaque)
{
	struct bench_host *bh = inst->bh;
	int r = -ENOSPC, free_slot = -1;

	pthread_mutex_lock(&bh->watch_lock);
	for (int i = 0; i < BH_WATCHES; i++) {
		if (bh->watch[i].fd == fd) {
			r = -EEXIST;
			goto out;
		}
		if (bh->watch[i].fd < 0 && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0) {
		struct epoll_event ev = { .events = events,
					  .data.u64 = (uint64_t)(BH_TAG_WATCH + free_slot) };

		bh->watch[free_slot] = (struct bench_watch){ fd, fn, opaque };
		r = epoll_ctl(bh->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
		if (r)
			bh->watch[free_slot].fd = -1;
	}
out:
	pthread_mutex_unlock(&bh->watch_lock);
	return r;
}

static void bh_fd_unwatch(struct volt_instance *inst, int fd)
{
	struct bench_host *bh = inst->bh;

	pthread_mutex_lock(&bh->watch_lock);
	for (int i = 0; i < BH_WATCHES; i++) {
		if (bh->watch[i].fd == fd) {
			epoll_ctl(bh->epfd, EPOLL_CTL_DEL, fd, NULL);
			bh->watch[i].fd = -1;
		}
	}
	pthread_mutex_unlock(&bh->watch_lock);
}

static int bh_bind_fd(struct volt_instance *inst, uint32_t slot, int fd)
{
	return 0;
}

static void bh_device_broken(struct volt_instance *inst, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inst->bh->broken, sizeof(inst->bh->broken), fmt, ap);
	va_end(ap);
}

static int bh_net_port(struct volt_instance *inst, struct volt_net_port *port)
{
	struct bench_host *bh = inst->bh;

	port->ops = bh->backend.desc->ops;
	port->state = bh->backend.state;
	return 0;
}

int bench_host_init(struct bench_host *bh, unsigned ram_mib,
		    const struct volt_plugin_desc *device, const struct volt_plugin_desc *backend)
{
	struct volt_err err = { 0 };

	memset(bh, 0, sizeof(*bh));
	if (guest_mem_init(&bh->mem, (uint64_t)ram_mib << 20, &err)) {
		fprintf(stderr, "guest memory: %s\n", err.msg);
		return -ENOMEM;
	}
	bh->epfd = epoll_create1(EPOLL_CLOEXEC);
	bh->ctl_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bh->epfd < 0 || bh->ctl_efd < 0)
		return -errno;
	for (unsigned q = 0; q < BH_QUEUES; q++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = q };

		bh->kick_efd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		bh->irq_efd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (bh->kick_efd[q] < 0 || bh->irq_efd[q] < 0 ||
		    epoll_ctl(bh->epfd, EPOLL_CTL_ADD, bh->kick_efd[q], &ev) < 0)
			return -errno;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = BH_TAG_CTL };

		if (epoll_ctl(bh->epfd, EPOLL_CTL_ADD, bh->ctl_efd, &ev) < 0)
			return -errno;
	}
	for (int i = 0; i < BH_WATCHES; i++)
		bh->watch[i].fd = -1;
	pthread_mutex_init(&bh->watch_lock, NULL);
	pthread_mutex_init(&bh->dev_lock, NULL);
	pthread_mutex_init(&bh->io_lock, NULL);
	pthread_cond_init(&bh->io_cond, NULL);
	for (unsigned q = 0; q < BH_QUEUES; q++)
		vq_init(&bh->vq[q], &bh->mem);
	bh->dev = (struct volt_instance){ .bh = bh, .desc = device };
	bh->backend = (struct volt_instance){ .bh = bh, .desc = backend };
	bh->api = (struct volt_host_api){
		.struct_size = sizeof(struct volt_host_api),
		.abi_major = VOLT_ABI_MAJOR,
		.abi_minor = VOLT_ABI_MINOR,
		.instance_name = bh_name,
		.config_get = bh_config_get,
		.config_get_bool = bh_config_get_bool,
		.config_get_u64 = bh_config_get_u64,
		.log = bh_log,
		.guest_ptr = bh_guest_ptr,
		.guest_regions = bh_guest_regions,
		.vq_pop = bh_vq_pop,
		.vq_push = bh_vq_push,
		.vq_notify = bh_vq_notify,
		.vq_info = bh_vq_info,
		.vq_size = bh_vq_size,
		.fd_watch = bh_fd_watch,
		.fd_unwatch = bh_fd_unwatch,
		.sandbox_bind_fd = bh_bind_fd,
		.device_broken = bh_device_broken,
		.net_port = bh_net_port,
	};
	return 0;
}

void bench_host_fini(struct bench_host *bh)
{
	for (unsigned q = 0; q < BH_QUEUES; q++) {
		close(bh->kick_efd[q]);
		close(bh->irq_efd[q]);
	}
	close(bh->ctl_efd);
	close(bh->epfd);
	pthread_mutex_destroy(&bh->watch_lock);
	pthread_mutex_destroy(&bh->dev_lock);
	pthread_mutex_destroy(&bh->io_lock);
	pthread_cond_destroy(&bh->io_cond);
	guest_mem_fini(&bh->mem);
}

void bench_host_set(struct volt_instance *inst, const char *key, const char *value)
{
	if (inst->nkeys < BH_KEYS) {
		inst->keys[inst->nkeys] = key;
		inst->values[inst->nkeys++] = value;
	}
}

static int bh_up(struct bench_host *bh, struct volt_instance *inst)
{
	int r = inst->desc->create(&bh->api, inst, &inst->state);

	return r ? r : inst->desc->realize ? inst->desc->realize(inst->state) : 0;
}

int bench_host_realize(struct bench_host *bh)
{
	int r = bh_up(bh, &bh->backend);

	return r ? r : bh_up(bh, &bh->dev);
}

void bench_host_destroy(struct bench_host *bh)
{
	if (bh->dev.state)
		bh->dev.desc->destroy(bh->dev.state);
	if (bh->backend.state)
		bh->backend.desc->destroy(bh->backend.state);
	bh->dev.state = bh->backend.state = NULL;
}

int bench_host_activate(struct bench_host *bh, uint64_t features, uint16_t qsize,
			const uint64_t desc[BH_QUEUES], const uint64_t avail[BH_QUEUES],
			const uint64_t used[BH_QUEUES])
{
	const struct volt_device_ops *ops = bh->dev.desc->ops;
	struct volt_err err = { 0 };
	int r;

	for (unsigned q = 0; q < BH_QUEUES; q++) {
		vq_reset(&bh->vq[q]);
		r = vq_setup(&bh->vq[q], qsize, desc[q], avail[q], used[q], features, &err);
		if (r) {
			fprintf(stderr, "queue %u: %s\n", q, err.msg);
			return r;
		}
	}
	bh->features = features;
	r = ops->set_features(bh->dev.state, features);
	return r ? r : ops->activate(bh->dev.state);
}

/* ---- the I/O thread ---------------------------------------------------- */

/* Park here while a pause is asked for; true if the thread must stop. */
static bool bh_io_gate(struct bench_host *bh)
{
	bool stop;

	pthread_mutex_lock(&bh->io_lock);
	while (bh->pause_req && !bh->stop_req) {
		bh->paused = true;
		if (bh->call_fn) {
			bh->call_fn(bh->call_arg);
			bh->call_fn = NULL;
		}
		pthread_cond_broadcast(&bh->io_cond);
		pthread_cond_wait(&bh->io_cond, &bh->io_lock);
	}
	bh->paused = false;
	stop = bh->stop_req;
	pthread_mutex_unlock(&bh->io_lock);
	return stop;
}

/* As the transport's section: queue_notify for each queue in `due`. */
static void bh_run_queues(struct bench_host *bh, unsigned due)
{
	const struct volt_device_ops *ops = bh->dev.desc->ops;

	bh->in_kick = true;
	for (unsigned q = 0; q < BH_QUEUES; q++)
		if (due & (1u << q))
			ops->queue_notify(bh->dev.state, q);
	for (unsigned q = 0; q < BH_QUEUES; q++)
		vq_flush(&bh->vq[q]);
	bh->in_kick = false;
}

/* The transport's poll handlers (core/virtio/virtio_mmio.c), mirrored:
 * the device lock around the look, queue_notify outside it. */
static bool bh_poll(void *opaque)
{
	struct bench_host *bh = opaque;
	unsigned due = 0;

	pthread_mutex_lock(&bh->dev_lock);
	for (unsigned q = 0; q < BH_QUEUES; q++) {
		if (bh->info_out[q])
			continue;
		vq_poll_begin(&bh->vq[q]);
		if (vq_poll_new(&bh->vq[q]))
			due |= 1u << q;
	}
	pthread_mutex_unlock(&bh->dev_lock);
	if (due)
		bh_run_queues(bh, due);
	return due != 0;
}

static bool bh_poll_end(void *opaque)
{
	struct bench_host *bh = opaque;
	unsigned due = 0;

	pthread_mutex_lock(&bh->dev_lock);
	for (unsigned q = 0; q < BH_QUEUES; q++)
		if (vq_poll_end(&bh->vq[q]) && !bh->info_out[q])
			due |= 1u << q;
	pthread_mutex_unlock(&bh->dev_lock);
	if (due)
		bh_run_queues(bh, due);
	return due != 0;
}

static void bh_io_dispatch(struct bench_host *bh, uint64_t tag, uint32_t events)
{
	uint64_t v;

	if (tag < BH_QUEUES) {
		/* As volt's transport: drain the ioeventfd, then queue_notify. */
		if (read(bh->kick_efd[tag], &v, sizeof(v)) == sizeof(v)) {
			pthread_mutex_lock(&bh->dev_lock);
			vq_poll_new(&bh->vq[tag]); /* this kick's news */
			pthread_mutex_unlock(&bh->dev_lock);
			bh_run_queues(bh, 1u << tag);
		}
	} else if (tag == BH_TAG_CTL) {
		if (read(bh->ctl_efd, &v, sizeof(v)) < 0) {
			/* nothing pending */
		}
	} else {
		struct bench_watch w;

		pthread_mutex_lock(&bh->watch_lock);
		w = bh->watch[tag - BH_TAG_WATCH];
		pthread_mutex_unlock(&bh->watch_lock);
		if (w.fd >= 0)
			w.fn(w.opaque, w.fd, events);
	}
}

static void *bh_io_main(void *opaque)
{
	struct bench_host *bh = opaque;
	struct epoll_event ev[8];

	pthread_setname_np(pthread_self(), "bench-io"); /* for perf --comm */
	poller_init(&bh->poller, bh->poll_max_ns);
	poller_add(&bh->poller, &(struct poll_handler){ bh_poll, bh_poll_end, bh });

	for (;;) {
		int n = poller_wait(&bh->poller, bh->epfd, ev, 8);

		/* The pause flag is read under a lock only when the control
		 * eventfd woke us: no lock on the data path. */
		for (int i = 0; i < n; i++)
			if (ev[i].data.u64 == BH_TAG_CTL && bh_io_gate(bh))
				return NULL;
		for (int i = 0; i < n; i++)
			bh_io_dispatch(bh, ev[i].data.u64, ev[i].events);
	}
}

static void bh_io_poke(struct bench_host *bh)
{
	uint64_t one = 1;

	if (write(bh->ctl_efd, &one, sizeof(one)) < 0) {
		/* already pending */
	}
}

int bench_host_io_start(struct bench_host *bh)
{
	int r;

	bh->pause_req = bh->stop_req = bh->paused = false;
	memset(bh->info_out, 0, sizeof(bh->info_out));
	r = thread_create(&bh->io, THREAD_STACK_SMALL, bh_io_main, bh); /* as volt's */
	bh->io_running = r == 0;
	return -r;
}

void bench_host_io_stop(struct bench_host *bh)
{
	if (!bh->io_running)
		return;
	pthread_mutex_lock(&bh->io_lock);
	bh->stop_req = true;
	pthread_cond_broadcast(&bh->io_cond);
	pthread_mutex_unlock(&bh->io_lock);
	bh_io_poke(bh);
	pthread_join(bh->io, NULL);
	bh->io_running = false;
}

void bench_host_io_pause(struct bench_host *bh)
{
	pthread_mutex_lock(&bh->io_lock);
	bh->pause_req = true;
	bh_io_poke(bh);
	while (!bh->paused)
		pthread_cond_wait(&bh->io_cond, &bh->io_lock);
	pthread_mutex_unlock(&bh->io_lock);
}

void bench_host_io_call(struct bench_host *bh, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&bh->io_lock);
	bh->call_fn = fn;
	bh->call_arg = arg;
	pthread_cond_broadcast(&bh->io_cond);
	while (bh->call_fn)
		pthread_cond_wait(&bh->io_cond, &bh->io_lock);
	pthread_mutex_unlock(&bh->io_lock);
}

void bench_host_io_resume(struct bench_host *bh)
{
	pthread_mutex_lock(&bh->io_lock);
	bh->pause_req = false;
	pthread_cond_broadcast(&bh->io_cond);
	pthread_mutex_unlock(&bh->io_lock);
}

double bench_host_io_cpu(struct bench_host *bh)
{
	struct timespec ts;
	clockid_t cid;

	if (!bh->io_running || pthread_getcpuclockid(bh->io, &cid) || clock_gettime(cid, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
