/* The virtio-mmio transport end to end, without a guest: a real KVM VM
 * (skipped when /dev/kvm is not usable) provides guest RAM, the MMIO bus,
 * irqfd and ioeventfd; the test plays the driver through bus_access(), as a
 * vCPU's MMIO exit would, and a fake device plugin runs on a real I/O
 * thread. Hostile driver acts must give DEVICE_NEEDS_RESET (or be ignored)
 * with exactly one log line, and a reset must bring the device back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "loop/iothread.h"
#include "util/log.h"
#include "virtio/virtio_mmio.h"
#include "vm/layout.h"
#include "vm/vm.h"

#define RAM        (16ULL << 20)
#define QMAX       64
#define QSIZE      16
#define DESC_GPA   0x100000ULL
#define AVAIL_GPA  0x101000ULL
#define USED_GPA   0x102000ULL
#define BUF_GPA    0x110000ULL

#define F_VERSION_1 (1ULL << VIRTIO_F_VERSION_1)
#define F_EVENT_IDX (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_INDIRECT  (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_DEVICE    (1ULL << 3) /* a device-specific bit the fake offers */

/* ---- a fake device plugin ---------------------------------------------- */

struct fake {
	struct virtio_mmio_dev *dev;
	atomic_int set_features_calls, activate_calls, notify_calls, reset_calls, pops;
	uint64_t accepted;
	int refuse_features;       /* set_features returns this */
	bool block;                /* queue_notify takes one element and waits for `go` */
	atomic_bool popped, go;
	bool slow_reset;           /* the reset hook takes a while (another vCPU goes on) */
	bool break_on_activate;    /* activate reports the device broken, as a plugin may */
	bool host_calls_in_hooks;  /* activate and config_write call the host (below) */
	int hook_size, hook_pop;   /* what vq_size and vq_pop answered in activate */
	atomic_bool in_reset, hook_overlap;
	uint8_t config[8];
	bool info_q1_in_section;
	int info_r;
};

static uint64_t fake_features(void *state)
{
	/* Transport bits a device must not offer are masked by the transport. */
	return F_DEVICE | (1ULL << VIRTIO_F_ACCESS_PLATFORM);
}

static int fake_set_features(void *state, uint64_t f)
{
	struct fake *fk = state;

	fk->set_features_calls++;
	fk->accepted = f;
	if (atomic_load(&fk->in_reset))
		atomic_store(&fk->hook_overlap, true);
	return fk->refuse_features;
}

static void fake_config_read(void *state, uint32_t off, void *data, uint32_t len)
{
	memcpy(data, ((struct fake *)state)->config + off, len);
}

/* A write to the configuration changes it, and says so, from the hook. */
static void fake_config_write(void *state, uint32_t off, const void *data, uint32_t len)
{
	struct fake *fk = state;

	memcpy(fk->config + off, data, len);
	if (fk->host_calls_in_hooks)
		virtio_mmio_config_changed(fk->dev);
}

static int fake_activate(void *state)
{
	struct fake *fk = state;

	fk->activate_calls++;
	if (atomic_load(&fk->in_reset))
		atomic_store(&fk->hook_overlap, true);
	if (fk->break_on_activate)
		virtio_mmio_set_broken(fk->dev, "its backend is gone");
	if (fk->host_calls_in_hooks) {
		struct volt_vq_elem elem;

		fk->hook_size = virtio_mmio_vq_size(fk->dev, 0);
		fk->hook_pop = virtio_mmio_vq_pop(fk->dev, 0, &elem);
	}
	return 0;
}

static void wait_flag(atomic_bool *flag)
{
	for (int i = 0; i < 5000 && !atomic_load(flag); i++)
		usleep(1000);
}

/* Fill every writable byte with 0xa5, answer with the bytes written. */
static void fake_queue_notify(void *state, unsigned q)
{
	struct fake *fk = state;
	struct volt_vq_elem elem;
	int r;

	fk->notify_calls++;
	while ((r = virtio_mmio_vq_pop(fk->dev, q, &elem)) == 1) {
		fk->pops++;
		for (unsigned i = elem.nout; i < elem.nout + elem.nin; i++)
			memset(elem.iov[i].iov_base, 0xa5, elem.iov[i].iov_len);
		if (fk->info_q1_in_section) {
			struct volt_vq_info info = { .struct_size = sizeof(info) };

			/* A queue disable on a vCPU now waits in mmio_quiesce
			 * (test_disable_rechecks_after_wait). */
			usleep(50 * 1000);
			fk->info_r = virtio_mmio_vq_info(fk->dev, 1, &info);
		}
		if (fk->block) {
			atomic_store(&fk->popped, true);
			wait_flag(&fk->go);
		}
		virtio_mmio_vq_push(fk->dev, q, &elem, elem.in_len);
	}
	virtio_mmio_vq_notify(fk->dev, q);
}

static void fake_reset(void *state)
{
	struct fake *fk = state;

	fk->reset_calls++;
	if (!fk->slow_reset)
		return;
	atomic_store(&fk->in_reset, true);
	usleep(200 * 1000);
	atomic_store(&fk->in_reset, false);
}

static const struct volt_device_ops fake_ops = {
	.struct_size = sizeof(struct volt_device_ops),
	.virtio_id = VIRTIO_ID_BLOCK,
	.num_queues = 2,
	.queue_max_size = QMAX,
	.config_size = 8,
	.features = fake_features,
	.set_features = fake_set_features,
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.activate = fake_activate,
	.queue_notify = fake_queue_notify,
};

/* ---- fixture: a VM, an I/O thread, one transport ------------------------ */

struct fx {
	struct evloop loop;
	struct vm vm;
	struct iothread io;
	struct fake fake;
	struct virtio_mmio_dev *dev;
	uint64_t base;
	uint16_t avail_idx;
	bool have_vm, have_io;
	int log_fd, saved_stderr;
};

static int fx_setup_polling(void **state, uint64_t poll_ns)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct volt_err err = { 0 };
	struct virtio_mmio_params p = {
		.name = "drive test", .ops = &fake_ops, .state = &f->fake, .io = &f->io,
		.reset = fake_reset,
	};

	*state = f;
	f->log_fd = f->saved_stderr = -1;
	log_set_level(LOG_WARN);
	assert_int_equal(evloop_init(&f->loop, &err), 0);
	if (vm_init(&f->vm, RAM, 1, &f->loop, &err) < 0 || vm_create(&f->vm, &err) < 0) {
		fprintf(stderr, "note: no usable KVM (%s): transport tests skipped\n", err.msg);
		vm_destroy(&f->vm);
		return 0;
	}
	f->have_vm = true;
	assert_int_equal(iothread_init(&f->io, "vtest-io", &err), 0);
	f->have_io = true;
	if (virtio_mmio_create(&f->vm, &p, &f->dev, &err) < 0)
		fail_msg("virtio_mmio_create: %s", err.msg);
	f->fake.dev = f->dev;
	f->base = virtio_mmio_base(f->dev);
	/* Polling tests: the window starts open (and never shrinks below a
	 * maximum this long), so the I/O thread is polling from the start. */
	evloop_set_poll_max(&f->io.loop, poll_ns);
	f->io.loop.poller.window.ns = poll_ns;
	assert_int_equal(iothread_start(&f->io, &err), 0);
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_polling(state, 0);
}

static int fx_setup_poll(void **state)
{
	return fx_setup_polling(state, 60ULL * 1000000000ULL);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->have_io)
		iothread_stop(&f->io);
	virtio_mmio_destroy(f->dev);
	if (f->have_io)
		iothread_fini(&f->io);
	if (f->have_vm)
		vm_destroy(&f->vm);
	evloop_fini(&f->loop);
	free(f);
	return 0;
}

#define NEED_KVM(f)            \
	do {                   \
		if (!(f)->dev) \
			skip();        \
	} while (0)

static uint32_t rd(struct fx *f, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	assert_true(bus_access(&f->vm.mmio, f->base + off, (uint8_t *)&v, 4, false));
	return v;
}

static void wr(struct fx *f, uint64_t off, uint32_t v)
{
	assert_true(bus_access(&f->vm.mmio, f->base + off, (uint8_t *)&v, 4, true));
}

static void *gpa(struct fx *f, uint64_t addr, uint64_t len)
{
	void *p = guest_mem_ptr(&f->vm.mem, addr, len);

	assert_non_null(p);
	return p;
}

static struct vring_avail *avail(struct fx *f)
{
	return gpa(f, AVAIL_GPA, 4 + 2 * QSIZE + 2);
}

static struct vring_used *used(struct fx *f)
{
	return gpa(f, USED_GPA, 4 + 8 * QSIZE + 2);
}

static uint16_t used_idx(struct fx *f)
{
	return __atomic_load_n(&used(f)->idx, __ATOMIC_ACQUIRE);
}

static void set_desc(struct fx *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc *d = gpa(f, DESC_GPA + 16 * i, 16);

	*d = (struct vring_desc){ addr, len, flags, next };
}

static void publish(struct fx *f, uint16_t head)
{
	avail(f)->ring[f->avail_idx % QSIZE] = head;
	f->avail_idx++;
	__atomic_store_n(&avail(f)->idx, f->avail_idx, __ATOMIC_RELEASE);
}

/* Wait (up to 5 s) until cond holds; the I/O thread works meanwhile. */
#define WAIT_UNTIL(cond)                                       \
	do {                                                   \
		for (int i_ = 0; i_ < 5000 && !(cond); i_++) \
			usleep(1000);                         \
		assert_true(cond);                             \
	} while (0)

/* ---- log capture: count the lines a driver act produced ---------------- */

static void log_capture(struct fx *f)
{
	char path[] = "/tmp/volt-test-log.XXXXXX";

	f->log_fd = mkstemp(path);
	assert_true(f->log_fd >= 0);
	unlink(path);
	f->saved_stderr = dup(STDERR_FILENO);
	dup2(f->log_fd, STDERR_FILENO);
}

/* Stop capturing; the number of lines that contain `needle`. */
static unsigned log_lines(struct fx *f, const char *needle)
{
	char buf[8192], *line, *save = NULL;
	unsigned n = 0;
	ssize_t len;

	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	len = pread(f->log_fd, buf, sizeof(buf) - 1, 0);
	close(f->log_fd);
	assert_true(len >= 0);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		fprintf(stderr, "  log: %s\n", line);
		n += strstr(line, needle) != NULL;
	}
	return n;
}

/* ---- a driver ---------------------------------------------------------- */

static void negotiate(struct fx *f, uint64_t features)
{
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK);
}

static void queue_setup(struct fx *f, uint32_t q, uint32_t num, uint64_t desc)
{
	memset(avail(f), 0, 4 + 2 * QSIZE + 2);
	f->avail_idx = 0;
	wr(f, VIRTIO_MMIO_QUEUE_SEL, q);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, num);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)AVAIL_GPA);
	wr(f, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)USED_GPA);
	wr(f, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
}

static void driver_ok(struct fx *f)
{
	wr(f, VIRTIO_MMIO_STATUS, rd(f, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Negotiate, set up queue 0, run: the usual start of a driver. */
static void bring_up(struct fx *f)
{
	negotiate(f, F_VERSION_1 | F_EVENT_IDX | F_INDIRECT | F_DEVICE);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	driver_ok(f);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}

/* One 8-byte writable buffer through queue 0; wait for its completion. */
static void roundtrip(struct fx *f)
{
	uint16_t before = used_idx(f);
	uint8_t *buf = gpa(f, BUF_GPA, 8);

	memset(buf, 0, 8);
	set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	WAIT_UNTIL(used_idx(f) == (uint16_t)(before + 1));
	assert_int_equal(buf[7], 0xa5);
	assert_int_equal(used(f)->ring[before % QSIZE].len, 8);
}

static bool needs_reset(struct fx *f)
{
	return rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* The device asked for a reset, saying why once (log_capture first); after
 * the reset it works again. */
static void faulted_then_reset(struct fx *f, const char *why)
{
	assert_true(needs_reset(f));
	assert_int_equal(log_lines(f, why), 1);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	bring_up(f);
	roundtrip(f);
}

/* ---- tests ------------------------------------------------------------- */

static void test_identity(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	assert_int_equal(f->base, LAYOUT_VIRTIO_MMIO_BASE);
	assert_int_equal(virtio_mmio_irq(f->dev), LAYOUT_VIRTIO_IRQ_FIRST);
	assert_string_equal(virtio_mmio_cmdline(f->dev), "virtio_mmio.device=4K@0xd0000000:5");
	assert_int_equal(rd(f, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(f, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)(F_DEVICE | F_EVENT_IDX | F_INDIRECT));
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	/* VERSION_1 offered; ACCESS_PLATFORM from the device masked out. */
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 1);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), QMAX);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
}

/* No shared memory regions, whichever is selected: a region that does
 * not exist has length and base all ones (virtio 1.2 4.2.2). */
static void test_no_shm_regions(void **state)
{
	static const uint32_t regs[] = {
		VIRTIO_MMIO_SHM_LEN_LOW, VIRTIO_MMIO_SHM_LEN_HIGH,
		VIRTIO_MMIO_SHM_BASE_LOW, VIRTIO_MMIO_SHM_BASE_HIGH,
	};
	static const uint32_t ids[] = { 0, 1, 255 };
	struct fx *f = *state;

	NEED_KVM(f);
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		wr(f, VIRTIO_MMIO_SHM_SEL, ids[i]);
		for (unsigned r = 0; r < sizeof(regs) / sizeof(regs[0]); r++)
			if (rd(f, regs[r]) != 0xffffffff)
				fail_msg("region %u, register 0x%03x: 0x%x", ids[i], regs[r],
					 rd(f, regs[r]));
	}
}

static void test_next_slot(void **state)
{
	struct fx *f = *state;
	struct volt_err err = { 0 };
	struct iothread io2;
	struct fake fk2 = { 0 };
	struct virtio_mmio_dev *dev2;
	struct virtio_mmio_params p = { .name = "drive two", .ops = &fake_ops, .state = &fk2, .io = &io2 };

	NEED_KVM(f);
	assert_int_equal(iothread_init(&io2, "vtest-io2", &err), 0);
	assert_int_equal(virtio_mmio_create(&f->vm, &p, &dev2, &err), 0);
	assert_int_equal(virtio_mmio_base(dev2), LAYOUT_VIRTIO_MMIO_BASE + LAYOUT_VIRTIO_MMIO_SIZE);
	assert_int_equal(virtio_mmio_irq(dev2), LAYOUT_VIRTIO_IRQ_FIRST + 1);
	assert_string_equal(virtio_mmio_cmdline(dev2), "virtio_mmio.device=4K@0xd0001000:6");
	virtio_mmio_destroy(dev2);
	iothread_fini(&io2);
}

static void test_features_refused(void **state)
{
	struct fx *f = *state;
	const uint32_t fok = VIRTIO_CONFIG_S_FEATURES_OK;

	NEED_KVM(f);
	log_capture(f);
	/* A legacy driver (no VERSION_1). */
	negotiate(f, F_DEVICE);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS) & fok, 0);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	/* A feature that was not offered. */
	negotiate(f, F_VERSION_1 | (1ULL << VIRTIO_F_ACCESS_PLATFORM));
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS) & fok, 0);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	/* The device itself says no. */
	f->fake.refuse_features = -EINVAL;
	negotiate(f, F_VERSION_1);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS) & fok, 0);
	assert_int_equal(log_lines(f, "FEATURES_OK refused"), 3);
	assert_false(needs_reset(f));
	wr(f, VIRTIO_MMIO_STATUS, 0);
	f->fake.refuse_features = 0;
	negotiate(f, F_VERSION_1 | F_EVENT_IDX | F_DEVICE);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS) & fok, fok);
	assert_int_equal(f->fake.accepted, F_VERSION_1 | F_EVENT_IDX | F_DEVICE);
	/* Features are fixed after FEATURES_OK. */
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	driver_ok(f);
	assert_int_equal(f->fake.activate_calls, 1);
	roundtrip(f);
}

/* Host calls from hooks the transport runs under its lock: those that
 * only need the lock (config_changed, vq_size) work; a queue call is
 * refused (-EDEADLK), said once. None hangs the vCPU. */
static void test_host_calls_from_hooks(void **state)
{
	struct fx *f = *state;
	uint32_t v;

	NEED_KVM(f);
	f->fake.host_calls_in_hooks = true;
	log_capture(f);
	bring_up(f);
	assert_int_equal(f->fake.hook_size, QSIZE);
	assert_int_equal(f->fake.hook_pop, -EDEADLK);
	assert_int_equal(log_lines(f, "vq_pop from a hook that runs under the transport's lock"), 1);
	v = rd(f, VIRTIO_MMIO_CONFIG_GENERATION);
	wr(f, VIRTIO_MMIO_CONFIG, 0x01020304);
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG_GENERATION), v + 1);
	assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	f->fake.host_calls_in_hooks = false;
	roundtrip(f);
}

/* A hook the transport calls under its lock (here activate, at DRIVER_OK
 * on the vCPU) may report the device broken: it is, at once, and the vCPU
 * does not deadlock on its own lock. */
static void test_broken_from_hook(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	f->fake.break_on_activate = true;
	log_capture(f);
	negotiate(f, F_VERSION_1 | F_EVENT_IDX | F_INDIRECT | F_DEVICE);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	driver_ok(f);
	f->fake.break_on_activate = false;
	faulted_then_reset(f, "its backend is gone");
}

static void test_full_request(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	bring_up(f);
	assert_int_equal(f->fake.activate_calls, 1);
	assert_int_equal(f->fake.accepted, F_VERSION_1 | F_EVENT_IDX | F_INDIRECT | F_DEVICE);
	roundtrip(f);
	/* The driver asked for an interrupt at entry 0 (used_event = 0). */
	WAIT_UNTIL(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);
	/* InterruptStatus is read-only: only InterruptACK clears it. */
	wr(f, VIRTIO_MMIO_INTERRUPT_STATUS, 0xffffffffu);
	assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);
	wr(f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* Many more, through the ring's wrap. */
	for (int i = 0; i < 40; i++)
		roundtrip(f);
	assert_int_equal(f->fake.pops, 41);
}

static void test_queue_size_not_power_of_two(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	negotiate(f, F_VERSION_1);
	log_capture(f);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 12);
	assert_true(needs_reset(f));
	/* Further faults add no line until the reset. */
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 100);
	assert_int_equal(log_lines(f, "drive test"), 1);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(f->fake.reset_calls, 1);
	bring_up(f);
	roundtrip(f);
}

/* A guest that repeats what volt warns about, resetting in between, gets
 * 16 lines and one saying the rest are not logged: it cannot fill the
 * host's log. */
static void test_guest_warnings_bounded(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	log_capture(f);
	for (int i = 0; i < 100; i++) {
		negotiate(f, F_DEVICE);   /* no VERSION_1: refused */
		wr(f, VIRTIO_MMIO_STATUS, 0);
		wr(f, VIRTIO_MMIO_QUEUE_NUM, 12);   /* a fault */
		wr(f, VIRTIO_MMIO_STATUS, 0);
	}
	assert_int_equal(log_lines(f, "drive test"), 17);
	/* log_lines stopped the capture: count the last line alone. */
	log_capture(f);
	negotiate(f, F_DEVICE);
	assert_int_equal(log_lines(f, "drive test"), 0);
}

static void test_queue_size_above_max(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	negotiate(f, F_VERSION_1);
	log_capture(f);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, QMAX * 2);
	assert_true(needs_reset(f));
	assert_int_equal(log_lines(f, "is not a power of two <= 64"), 1);
}

static void test_notify_before_driver_ok(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	negotiate(f, F_VERSION_1);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	log_capture(f);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	usleep(100 * 1000);
	assert_int_equal(log_lines(f, "notified before DRIVER_OK: ignored"), 1);
	assert_int_equal(f->fake.notify_calls, 0);
	assert_int_equal(used_idx(f), 0);
	assert_false(needs_reset(f));
	/* The driver carries on and the device works. */
	driver_ok(f);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	WAIT_UNTIL(used_idx(f) == 1);
	/* A notify for a queue that does not exist is ignored. */
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	assert_false(needs_reset(f));
}

static void test_hostile_ring_then_reset(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	bring_up(f);
	log_capture(f);
	set_desc(f, 0, RAM - 4, 8, VRING_DESC_F_WRITE, 0); /* crosses the end of RAM */
	publish(f, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	WAIT_UNTIL(needs_reset(f));
	WAIT_UNTIL(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	/* Kicking a broken device does nothing, and logs nothing more. */
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	usleep(50 * 1000);
	assert_int_equal(log_lines(f, "drive test"), 1);
	assert_int_equal(used_idx(f), 0);
	/* NEEDS_RESET survives the driver's writes, FAILED included. */
	wr(f, VIRTIO_MMIO_STATUS, rd(f, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FAILED);
	assert_true(needs_reset(f));
	/* After a reset, the same guest memory serves the device again. */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	bring_up(f);
	roundtrip(f);
}

static void test_bad_queue_addresses(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	negotiate(f, F_VERSION_1);
	log_capture(f);
	queue_setup(f, 0, QSIZE, DESC_GPA + 8);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(needs_reset(f));
	assert_int_equal(log_lines(f, "16-byte aligned"), 1);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	negotiate(f, F_VERSION_1);
	log_capture(f);
	queue_setup(f, 0, QSIZE, RAM - 64);
	assert_true(needs_reset(f));
	assert_int_equal(log_lines(f, "not inside guest RAM"), 1);
}

static void test_status_misuse(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	log_capture(f);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	assert_true(needs_reset(f));
	assert_int_equal(log_lines(f, "clearing bits"), 1);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	log_capture(f);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(needs_reset(f));
	assert_int_equal(f->fake.activate_calls, 0);
	assert_int_equal(log_lines(f, "DRIVER_OK without FEATURES_OK"), 1);
}

/* The ring's layout depends on the features (EVENT_IDX), which the driver
 * may change until FEATURES_OK: a queue enabled before is refused. */
static void test_queue_ready_before_features_ok(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	log_capture(f);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	faulted_then_reset(f, "QueueReady before FEATURES_OK");
}

static void test_queue_regs_while_ready(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	bring_up(f);
	log_capture(f);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x4000);
	assert_true(needs_reset(f));
	assert_int_equal(log_lines(f, "written while the queue is ready"), 1);
}

static void test_odd_width_and_config(void **state)
{
	struct fx *f = *state;
	uint8_t b[4] = { 0 };
	uint32_t v;

	NEED_KVM(f);
	memcpy(f->fake.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_true(bus_access(&f->vm.mmio, f->base + VIRTIO_MMIO_CONFIG + 2, b, 2, false));
	assert_int_equal(b[0], 3);
	assert_int_equal(b[1], 4);
	v = rd(f, VIRTIO_MMIO_CONFIG + 4);
	assert_int_equal(v, 0x08070605);
	/* Past the device's configuration space: zeros, no crash. */
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG + 6), 0);
	assert_int_equal(rd(f, 0xffc), 0);
	/* A 1-byte register read gives zero and changes nothing. */
	b[0] = 0xff;
	assert_true(bus_access(&f->vm.mmio, f->base + VIRTIO_MMIO_MAGIC_VALUE, b, 1, false));
	assert_int_equal(b[0], 0);
	/* Configuration changes bump the generation and interrupt a live driver. */
	v = rd(f, VIRTIO_MMIO_CONFIG_GENERATION);
	bring_up(f);
	virtio_mmio_config_changed(f->dev);
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG_GENERATION), v + 1);
	assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
}

static void *reset_thread(void *opaque)
{
	struct fx *f = opaque;

	wr(f, VIRTIO_MMIO_STATUS, 0);
	return NULL;
}

/* A reset while the I/O thread holds a request: the reset waits for it,
 * the request completes, and nothing more is taken from the old ring. */
static void test_reset_waits_for_inflight(void **state)
{
	struct fx *f = *state;
	pthread_t t;

	NEED_KVM(f);
	bring_up(f);
	f->fake.block = true;
	set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	set_desc(f, 1, BUF_GPA + 8, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	publish(f, 1);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_flag(&f->fake.popped);
	assert_true(atomic_load(&f->fake.popped));
	assert_int_equal(pthread_create(&t, NULL, reset_thread, f), 0);
	usleep(50 * 1000);
	assert_int_not_equal(rd(f, VIRTIO_MMIO_STATUS), 0); /* still waiting */
	atomic_store(&f->fake.go, true);
	pthread_join(t, NULL);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(used_idx(f), 1);
	assert_int_equal(f->fake.pops, 1);
	assert_int_equal(f->fake.reset_calls, 1);
}

/* Two vCPUs: one resets the device, the other starts the driver again at
 * once. The plugin's reset hook runs after the transport's own reset; the
 * other vCPU's FEATURES_OK and DRIVER_OK (set_features, activate) must wait
 * for it, or a slow hook would undo an activation that came after it. */
static void test_reset_hook_before_next_status(void **state)
{
	struct fx *f = *state;
	pthread_t t;

	NEED_KVM(f);
	bring_up(f);
	f->fake.slow_reset = true;
	assert_int_equal(pthread_create(&t, NULL, reset_thread, f), 0);
	WAIT_UNTIL(atomic_load(&f->fake.in_reset));
	negotiate(f, F_VERSION_1 | F_EVENT_IDX | F_INDIRECT | F_DEVICE);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	driver_ok(f);
	pthread_join(t, NULL);
	assert_false(atomic_load(&f->fake.hook_overlap));
	assert_int_equal(f->fake.reset_calls, 1);
	assert_int_equal(f->fake.activate_calls, 2);
	roundtrip(f);
}

#define Q1_DESC_GPA  0x103000ULL
#define Q1_AVAIL_GPA 0x104000ULL
#define Q1_USED_GPA  0x105000ULL

/* Queue 1's size and rings written, its avail ring zeroed; not yet ready. */
static void queue1_place(struct fx *f)
{
	memset(gpa(f, Q1_AVAIL_GPA, 4 + 2 * QSIZE + 2), 0, 4 + 2 * QSIZE + 2);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)Q1_DESC_GPA);
	wr(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)Q1_AVAIL_GPA);
	wr(f, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)Q1_USED_GPA);
}

/* Another vCPU writes QueueReady of queue 1. */
static void queue1_ready(struct fx *f, uint32_t v)
{
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(f, VIRTIO_MMIO_QUEUE_READY, v);
}

static void *enable_queue1_thread(void *opaque)
{
	queue1_ready(opaque, 1);
	return NULL;
}

/* The driver enables its second queue while the device serves the first.
 * The enable waits for the batch in progress, whose pops are answered
 * "empty" meanwhile; the buffers the first queue still holds must be
 * served after the enable, although the driver, told not to notify
 * (EVENT_IDX: avail_event was not moved), does not kick again. */
static void test_queue_enable_while_busy(void **state)
{
	struct fx *f = *state;
	pthread_t t;

	NEED_KVM(f);
	bring_up(f);
	queue1_place(f);
	f->fake.block = true;
	set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	set_desc(f, 1, BUF_GPA + 8, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	publish(f, 1);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_flag(&f->fake.popped);
	assert_true(atomic_load(&f->fake.popped));
	assert_int_equal(pthread_create(&t, NULL, enable_queue1_thread, f), 0);
	usleep(50 * 1000);
	atomic_store(&f->fake.go, true);
	pthread_join(t, NULL);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	WAIT_UNTIL(used_idx(f) == 2);
	assert_int_equal(f->fake.pops, 2);
	assert_false(needs_reset(f));
}

struct foreign_pop {
	struct fx *f;
	atomic_bool done;
	int r;
};

static void *foreign_pop_thread(void *opaque)
{
	struct foreign_pop *p = opaque;
	struct volt_vq_elem elem;

	p->r = virtio_mmio_vq_pop(p->f->fake.dev, 1, &elem);
	atomic_store(&p->done, true);
	return NULL;
}

/* The I/O thread uses the queues without the lock inside queue_notify; a
 * queue call from another thread waits until it has left, so two threads
 * never work on the queues at once. */
static void test_foreign_thread_waits_for_section(void **state)
{
	struct fx *f = *state;
	struct foreign_pop p = { .f = f };
	pthread_t t;

	NEED_KVM(f);
	bring_up(f);
	f->fake.block = true;
	set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_flag(&f->fake.popped);
	assert_true(atomic_load(&f->fake.popped));
	assert_int_equal(pthread_create(&t, NULL, foreign_pop_thread, &p), 0);
	usleep(50 * 1000);
	assert_false(atomic_load(&p.done));
	/* The guest's interrupt registers need no lock meanwhile. */
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & ~VIRTIO_MMIO_INT_VRING, 0);
	atomic_store(&f->fake.go, true);
	pthread_join(t, NULL);
	assert_true(atomic_load(&p.done));
	assert_int_equal(p.r, 0); /* queue 1 was never set up */
	WAIT_UNTIL(used_idx(f) == 1);
	assert_int_equal(used_idx(f), 1);
}

/* volt stops while the I/O thread works through a full ring (the guest
 * posted it, then reset the VM): after virtio_mmio_stop the request in
 * hand is answered and no other chain is popped, by the loop in
 * queue_notify, a later kick, or another thread; so the join that follows
 * waits for one request, not the ring. */
static void test_stop_leaves_backlog(void **state)
{
	struct fx *f = *state;
	struct volt_vq_elem elem;

	NEED_KVM(f);
	bring_up(f);
	f->fake.block = true;
	for (unsigned i = 0; i < QSIZE; i++) {
		set_desc(f, i, BUF_GPA + 8 * i, 8, VRING_DESC_F_WRITE, 0);
		publish(f, (uint16_t)i);
	}
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_flag(&f->fake.popped);
	assert_true(atomic_load(&f->fake.popped));
	virtio_mmio_stop(f->dev);
	atomic_store(&f->fake.go, true);
	WAIT_UNTIL(used_idx(f) == 1);
	/* Without the stop the loop would now take the other 15 at once. */
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	usleep(50 * 1000);
	assert_int_equal(virtio_mmio_vq_pop(f->dev, 0, &elem), 0);
	iothread_stop(&f->io);
	assert_int_equal(f->fake.pops, 1);
	assert_int_equal(f->fake.notify_calls, 1);
	assert_int_equal(used_idx(f), 1);
	/* The guest may still reset the device; the queues stay closed. */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->fake.reset_calls, 1);
}

/* A polling I/O thread takes nothing either once stopped. */
static void test_stop_ends_polling(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	negotiate(f, F_VERSION_1 | F_INDIRECT | F_DEVICE);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	driver_ok(f);
	WAIT_UNTIL(__atomic_load_n(&used(f)->flags, __ATOMIC_ACQUIRE) & VRING_USED_F_NO_NOTIFY);
	virtio_mmio_stop(f->dev);
	set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	usleep(100 * 1000);
	assert_int_equal(f->fake.pops, 0);
	assert_int_equal(used_idx(f), 0);
}

static void test_vq_info(void **state)
{
	struct fx *f = *state;
	struct volt_vq_info info = { .struct_size = sizeof(info) };

	NEED_KVM(f);
	assert_int_equal(virtio_mmio_vq_info(f->dev, 0, &info), -ENODEV);
	assert_int_equal(virtio_mmio_vq_size(f->dev, 0), -ENODEV);
	bring_up(f);
	/* The size alone hands nothing over: the interrupt status stays the
	 * driver's to clear (vq_info makes it report VRING for good). */
	assert_int_equal(virtio_mmio_vq_size(f->dev, 0), QSIZE);
	assert_int_equal(virtio_mmio_vq_size(f->dev, 9), -EINVAL);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(virtio_mmio_vq_info(f->dev, 0, &info), 0);
	assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);
	assert_int_equal(info.size, QSIZE);
	assert_int_equal(info.desc_gpa, DESC_GPA);
	assert_ptr_equal(info.used_hva, gpa(f, USED_GPA, 1));
	assert_true(info.kick_fd >= 0);
	assert_true(info.call_fd >= 0);
	assert_true(info.features & F_EVENT_IDX);
	assert_int_equal(virtio_mmio_vq_info(f->dev, 9, &info), -EINVAL);
}

/* A queue handed to a kernel data plane (vq_info) cannot be taken back by
 * a disable, which nothing passes on to it: the device asks for a reset,
 * and the queue stays as the data plane has it. Another queue's disable,
 * never handed out, is a disable as before. */
static void test_disable_data_plane_queue(void **state)
{
	struct fx *f = *state;
	struct volt_vq_info info = { .struct_size = sizeof(info) };

	NEED_KVM(f);
	negotiate(f, F_VERSION_1 | F_EVENT_IDX | F_INDIRECT | F_DEVICE);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	queue1_place(f);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	driver_ok(f);
	assert_int_equal(virtio_mmio_vq_info(f->dev, 0, &info), 0);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_false(needs_reset(f));
	log_capture(f);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	faulted_then_reset(f, "disabled while a kernel data plane runs it");
}

/* Polling: the I/O thread, polling, tells the driver not to notify, and
 * takes buffers the driver makes available without a kick. Teardown stops
 * the thread at once (a stop ends the window). */
static void test_polling_takes_unkicked_buffers(void **state)
{
	struct fx *f = *state;

	NEED_KVM(f);
	negotiate(f, F_VERSION_1 | F_INDIRECT | F_DEVICE); /* no EVENT_IDX: flags show it */
	queue_setup(f, 0, QSIZE, DESC_GPA);
	driver_ok(f);
	WAIT_UNTIL(__atomic_load_n(&used(f)->flags, __ATOMIC_ACQUIRE) & VRING_USED_F_NO_NOTIFY);
	for (int i = 0; i < 20; i++) {
		uint16_t before = used_idx(f);
		uint8_t *buf = gpa(f, BUF_GPA, 8);

		memset(buf, 0, 8);
		set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
		publish(f, 0);
		/* No QueueNotify write: the driver honours NO_NOTIFY. */
		WAIT_UNTIL(used_idx(f) == (uint16_t)(before + 1));
		assert_int_equal(buf[7], 0xa5);
	}
	assert_int_equal(f->fake.pops, 20);
	assert_true(f->fake.notify_calls >= 1);
	/* A reset while the thread polls: it waits for the poll to leave. */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->fake.reset_calls, 1);
	bring_up(f);
	roundtrip(f);
}


/* A driver may make buffers available before DRIVER_OK without notifying
 * (virtio 1.2 3.1.1, step 7). With EVENT_IDX it then notifies only when
 * vring_need_event says, against an avail_event the device never moved:
 * the device must look at its queues at DRIVER_OK. */
static void test_buffers_before_driver_ok(void **state)
{
	struct fx *f = *state;
	uint16_t ev;

	NEED_KVM(f);
	negotiate(f, F_VERSION_1 | F_EVENT_IDX);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	set_desc(f, 1, BUF_GPA + 8, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 0); /* before DRIVER_OK: no notify */
	driver_ok(f);
	publish(f, 1);
	ev = __atomic_load_n(&used(f)->ring[QSIZE].id, __ATOMIC_ACQUIRE) & 0xffff; /* avail_event */
	if (vring_need_event(ev, 2, 1))
		wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	for (int i = 0; i < 200 && used_idx(f) != 2; i++)
		usleep(5 * 1000);
	assert_int_equal(used_idx(f), 2);
}

static void *disable_queue1_thread(void *opaque)
{
	queue1_ready(opaque, 0);
	return NULL;
}

/* A queue disable waits for the I/O thread's section, which drops the
 * lock; meanwhile the section hands queue 1's rings to a kernel data plane
 * (vq_info). The disable must see that after its wait, and refuse. */
static void test_disable_rechecks_after_wait(void **state)
{
	struct fx *f = *state;
	pthread_t t;

	NEED_KVM(f);
	negotiate(f, F_VERSION_1 | F_EVENT_IDX | F_DEVICE);
	queue_setup(f, 0, QSIZE, DESC_GPA);
	queue1_place(f);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	driver_ok(f);
	f->fake.block = true;
	f->fake.info_q1_in_section = true;
	set_desc(f, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	/* The section pops, sleeps 50 ms, calls vq_info(1), then blocks: the
	 * disable starts within those 50 ms and waits for it. */
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	usleep(10 * 1000);
	assert_int_equal(pthread_create(&t, NULL, disable_queue1_thread, f), 0);
	wait_flag(&f->fake.popped);
	atomic_store(&f->fake.go, true);
	pthread_join(t, NULL);
	assert_int_equal(f->fake.info_r, 0); /* the data plane got queue 1 */
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_true(needs_reset(f) || rd(f, VIRTIO_MMIO_QUEUE_READY) == 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_no_shm_regions),
		T(test_next_slot),
		T(test_features_refused),
		T(test_full_request),
		T(test_broken_from_hook),
		T(test_host_calls_from_hooks),
		T(test_queue_size_not_power_of_two),
		T(test_queue_size_above_max),
		T(test_guest_warnings_bounded),
		T(test_notify_before_driver_ok),
		T(test_hostile_ring_then_reset),
		T(test_bad_queue_addresses),
		T(test_status_misuse),
		T(test_queue_ready_before_features_ok),
	T(test_disable_data_plane_queue),
	T(test_queue_regs_while_ready),
		T(test_odd_width_and_config),
		T(test_reset_waits_for_inflight),
		T(test_reset_hook_before_next_status),
		T(test_foreign_thread_waits_for_section),
		T(test_queue_enable_while_busy),
		T(test_stop_leaves_backlog),
		T(test_vq_info),
		T(test_buffers_before_driver_ok),
		T(test_disable_rechecks_after_wait),
		cmocka_unit_test_setup_teardown(test_polling_takes_unkicked_buffers, fx_setup_poll,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_stop_ends_polling, fx_setup_poll, fx_teardown),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
