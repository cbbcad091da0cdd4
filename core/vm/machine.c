#include "vm/machine.h"

#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "boot/boot.h"
#include "devices/boot_timer.h"
#include "devices/i8042.h"
#include "devices/serial.h"
#include "api/api.h"
#include "plugin/static_plugins.h"
#include "sandbox/sandbox.h"
#include "sandbox/user.h"
#include "util/log.h"
#include "util/thread.h"
#include "vm/vcpu.h"

void machine_stop_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	/* A closed terminal or SSH session (SIGHUP) and Ctrl-\ (SIGQUIT)
	 * would otherwise kill volt with no teardown, leaving a macvtap link
	 * or a tap behind. */
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

/* What the main loop's signalfd takes: the stop signals, and SIGUSR2
 * (Ctrl-Alt-Del to the guest). */
static void machine_watched_signal_set(sigset_t *set)
{
	machine_stop_signal_set(set);
	sigaddset(set, SIGUSR2);
}

static void machine_signal_set(sigset_t *set)
{
	machine_watched_signal_set(set);
	/* Kicks go to vCPU threads only; they unblock it for themselves. */
	sigaddset(set, VCPU_KICK_SIGNAL);
}

int machine_block_signals(struct volt_err *err)
{
	sigset_t set;
	int r;

	/* A closed stdout must not kill the VMM: the serial device sees EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	/* SIGCHLD ignored survives exec (a supervisor's or a shell's): children
	 * would then be reaped by the kernel, and the helpers forked before
	 * lockdown (net-macvtap's reaper, the API socket's remover) could not
	 * tell, by waiting, that they started. */
	signal(SIGCHLD, SIG_DFL);
	machine_signal_set(&set);
	r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r)
		return verr_set(err, r, "blocking signals: %s", strerror(r));
	return vcpu_signals_init(err);
}

static void machine_on_signal(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;

	if (read(m->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR2) {
		log_info("SIGUSR2: sending Ctrl-Alt-Del to the guest");
		i8042_send_ctrl_alt_del(m->i8042);
		return;
	}
	log_info("%s: stopping the VM", strsignal((int)si.ssi_signo));
	vm_request_exit(&m->vm, VM_EXIT_OK);
}

static int machine_watch_signals(struct machine *m, struct volt_err *err)
{
	sigset_t set;

	machine_watched_signal_set(&set);
	m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->signal_fd < 0)
		return verr_set(err, errno, "signalfd: %s", strerror(errno));
	return evloop_add(&m->loop, m->signal_fd, EPOLLIN, machine_on_signal, m, err);
}

/* The kernel and initrd files, opened on the main thread before the VM's
 * own fds, so fd numbers (which seccomp rules pin) do not depend on thread
 * timing. */
struct machine_loader {
	struct machine *m;
	const struct volt_config *cfg;
	int kernel_fd, initrd_fd;
	size_t kernel_len, initrd_len;
	struct volt_err err;
	int r;
};

static int machine_open_images(struct machine_loader *l, struct volt_err *err)
{
	l->kernel_fd = kernel_image_open(l->cfg->kernel, "kernel", &l->kernel_len, err);
	if (l->kernel_fd < 0) {
		verr_prefix(err, "kernel %s: ", l->cfg->kernel);
		return l->kernel_fd;
	}
	if (!l->cfg->initrd)
		return 0;
	l->initrd_fd = kernel_image_open(l->cfg->initrd, "initrd", &l->initrd_len, err);
	if (l->initrd_fd < 0) {
		verr_prefix(err, "initrd %s: ", l->cfg->initrd);
		return l->initrd_fd;
	}
	return 0;
}

static void machine_close_images(struct machine_loader *l)
{
	if (l->kernel_fd >= 0)
		close(l->kernel_fd);
	if (l->initrd_fd >= 0)
		close(l->initrd_fd);
}

/* Kernel and initrd into guest memory, each checked before a vCPU exists. */
static void *machine_loader_main(void *opaque)
{
	struct machine_loader *l = opaque;
	struct machine *m = l->m;

	l->r = kernel_load_fd(&m->vm.mem, l->kernel_fd, l->kernel_len,
			      (enum kernel_pages)l->cfg->kernel_pages, &m->kernel, &l->err);
	if (l->r) {
		verr_prefix(&l->err, "kernel %s: ", l->cfg->kernel);
		return NULL;
	}
	if (l->initrd_fd < 0)
		return NULL;
	l->r = initrd_load_fd(&m->vm.mem, l->initrd_fd, l->initrd_len, &m->kernel,
			      &m->initrd_gpa, &m->initrd_size, &l->err);
	if (l->r)
		verr_prefix(&l->err, "initrd %s: ", l->cfg->initrd);
	return NULL;
}

/* The config stores [vm] kernel_pages as the index of its word. */
_Static_assert(KERNEL_PAGES_PRIVATE == 0 && KERNEL_PAGES_SHARED == 1,
	       "[vm] kernel_pages' words (private, shared) must follow enum kernel_pages");

/* The config stores [vm] huge_pages as the index of its word. */
_Static_assert(GUEST_MEM_HUGE_AUTO == 0 && GUEST_MEM_HUGE_LOADED == 1 && GUEST_MEM_HUGE_NEVER == 2,
	       "[vm] huge_pages' words (auto, loaded, never) must follow enum guest_mem_huge");

/* What kernel_pages = shared did: asked for explicitly, so said once. */
static void machine_log_shared(const struct volt_config *cfg, const struct boot_kernel *k)
{
	if (k->bzimage)
		log_info("kernel %s: kernel_pages = shared applies to ELF kernels only: this bzImage was copied",
			 cfg->kernel);
	else if (!k->shared)
		log_warn("kernel %s: kernel_pages = shared, but no page could be mapped from the file (--log-level debug says why): it was copied",
			 cfg->kernel);
	else
		log_info("kernel %s: %llu of its %llu bytes mapped from the file, shared", cfg->kernel,
			 (unsigned long long)k->shared, (unsigned long long)k->file_bytes);
}

/* Loading the images needs only guest RAM and creating the VM only KVM; on
 * a host where each costs milliseconds, they run side by side. An image
 * error wins over a KVM error: it is the one the user can act on first. */
static int machine_create_and_load(struct machine *m, const struct volt_config *cfg,
				   struct volt_err *err)
{
	struct machine_loader l = { .m = m, .cfg = cfg, .kernel_fd = -1, .initrd_fd = -1 };
	pthread_t loader;
	bool threaded;
	int r = vm_init(&m->vm, cfg->memory_mib << 20, cfg->vcpus, &m->loop, err);

	if (!r)
		r = guest_mem_set_huge(&m->vm.mem, (enum guest_mem_huge)cfg->huge_pages, err);
	if (!r)
		r = machine_open_images(&l, err);
	if (r) {
		machine_close_images(&l);
		return r;
	}
	threaded = thread_create(&loader, THREAD_STACK_SMALL, machine_loader_main, &l) == 0;
	if (!threaded)
		machine_loader_main(&l);
	r = vm_create(&m->vm, err);
	if (threaded)
		pthread_join(loader, NULL);
	machine_close_images(&l);
	if (l.r) {
		*err = l.err;
		return l.r;
	}
	if (!r && cfg->kernel_pages == KERNEL_PAGES_SHARED)
		machine_log_shared(cfg, &m->kernel);
	return r;
}

/* Zero page, MP table, page tables: after the devices, whose announcements
 * go on the kernel command line. */
static int machine_write_boot(struct machine *m, const struct volt_config *cfg,
			      struct volt_err *err)
{
	struct guest_mem *mem = &m->vm.mem;
	const char *base = cfg->cmdline ? cfg->cmdline : "";
	const char *devices = plugin_set_cmdline(&m->plugins);
	char *cmdline;
	int r;

	if (asprintf(&cmdline, "%s%s%s", base, base[0] && devices[0] ? " " : "", devices) < 0)
		return verr_set(err, ENOMEM, "out of memory for the kernel command line");
	r = bootparams_write(mem, &m->kernel, cmdline, m->initrd_gpa, m->initrd_size, err);
	free(cmdline);
	if (!r)
		r = mptable_write(mem, cfg->vcpus, err);
	if (!r)
		r = boot_pagetables_write(mem, err);
	return r;
}

static int machine_create_devices(struct machine *m, const struct volt_config *cfg,
				  uint64_t start_ns, struct volt_err *err)
{
	int r = serial_create(&m->vm, cfg->serial_output, &m->serial, err);

	if (!r)
		r = i8042_create(&m->vm, &m->i8042, err);
	if (!r)
		r = boot_timer_create(&m->vm, start_ns, err);
	return r;
}

static int machine_create_vcpus(struct machine *m, struct volt_err *err)
{
	struct vm *vm = &m->vm;

	vm->vcpus = calloc(vm->nvcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return verr_set(err, ENOMEM, "out of memory for %u vCPUs", vm->nvcpus);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		int r = vcpu_create(&vm->vcpus[i], vm, i, m->kernel.entry, err);

		m->nvcpus_created = i + 1;
		if (r)
			return r;
	}
	return 0;
}

/* ---- the sandbox (docs/sandbox.md) ---- */

/* Who asks, in the policy and in a violation report. */
static void machine_plugin_label(const struct volt_instance *inst, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s (%s)", inst->plugin->name, inst->name);
}

/* The core's rules and every instance's declarations. fds NULL: print
 * mode, nothing realized, fds named rather than numbered. */
static int machine_sandbox_policy(struct sandbox *sb, const struct volt_config *cfg,
				  const struct plugin_set *ps, const struct sb_core_fds *fds,
				  struct volt_err *err)
{
	char label[160];
	int r = sandbox_add_core(sb, fds, cfg->api_sock != NULL, err);

	for (size_t i = 0; !r && i < ps->ninsts; i++) {
		const struct volt_instance *inst = ps->insts[i];
		const struct volt_plugin_desc *d = &inst->plugin->desc;

		machine_plugin_label(inst, label, sizeof(label));
		r = sandbox_add_plugin(sb, label, d->syscalls, d->nsyscalls,
				       fds ? inst->fd_slots : NULL, err);
		for (const struct instance_path *p = inst->paths; !r && p; p = p->next)
			r = sandbox_add_path(sb, p->path, p->access, label, err);
	}
	return r;
}

/* Every thread the VM will have, created now (none can be after
 * lockdown): each instance's I/O thread, parked until its start, and the
 * vCPU threads, held at the sandbox's gate until machine_run. */
static int machine_spawn_threads(struct machine *m, const struct volt_config *cfg,
				 struct volt_err *err)
{
	char label[48], owner[160];
	int r = 0;

	for (size_t i = 0; !r && i < m->plugins.ninsts; i++) {
		struct volt_instance *inst = m->plugins.insts[i];

		if (inst->io != &inst->own_io || !inst->own_io.inited)
			continue;
		snprintf(label, sizeof(label), "io:%s", inst->name);
		machine_plugin_label(inst, owner, sizeof(owner));
		iothread_set_owner(&inst->own_io.thread, label, owner);
		evloop_set_poll_max(&inst->own_io.thread.loop, (uint64_t)cfg->poll_us * 1000);
		r = iothread_spawn(&inst->own_io.thread, err);
	}
	for (unsigned i = 0; !r && i < m->nvcpus_created; i++)
		r = vcpu_start(&m->vm.vcpus[i], err);
	return r;
}

/* The control API's thread (--api-sock) exists before lockdown: it joins
 * in on itself, between two requests (api_thread_call). */
static int machine_api_landlock(void *opaque)
{
	struct machine *m = opaque;

	return sandbox_adopt_landlock(&m->sandbox);
}

static int machine_api_filter(void *opaque)
{
	struct machine *m = opaque;

	return sandbox_adopt_filter(&m->sandbox, SB_THREAD_API, "api");
}

static int machine_api_adopt(struct machine *m, int (*fn)(void *), struct volt_err *err)
{
	int r = api_thread_call(fn, m);

	if (r)
		return verr_set(err, -r, "sandbox: the API thread could not join in: %s",
				strerror(-r));
	return 0;
}

/* [sandbox] user (resolved by config_validate): from here on the process
 * is that user, without a capability; everything it needed root for is
 * open. */
static int machine_become_user(const struct volt_config *cfg, struct volt_err *err)
{
	const struct sandbox_user *u = &cfg->sandbox_ids;
	int r;

	if (!cfg->sandbox_user)
		return 0;
	r = sandbox_become_user(u, err);
	if (!r)
		log_debug("sandbox: running as uid %u gid %u, no capabilities", (unsigned)u->uid,
			  (unsigned)u->gid);
	return r;
}

/* Everything is open and realized, no guest code has run, no plugin has
 * started: the user switch, Landlock, the threads, then seccomp on all of
 * them. */
static int machine_lockdown(struct machine *m, const struct volt_config *cfg,
			    struct volt_err *err)
{
	struct sandbox_options opt = {
		.seccomp = cfg->seccomp,
		.landlock = cfg->landlock,
		.export_dir = cfg->seccomp_export_dir,
	};
	int vcpu_fds[CONFIG_VCPUS_MAX];
	struct sb_core_fds fds = { .vm_fd = m->vm.vm_fd, .vcpu_fds = vcpu_fds,
				   .nvcpus = m->nvcpus_created };
	int r;

	for (unsigned i = 0; i < m->nvcpus_created && i < CONFIG_VCPUS_MAX; i++)
		vcpu_fds[i] = m->vm.vcpus[i].fd;
	sandbox_init(&m->sandbox, &opt);
	m->sandbox_inited = true;
	r = machine_sandbox_policy(&m->sandbox, cfg, &m->plugins, &fds, err);
	if (!r)
		r = sandbox_prepare(&m->sandbox, err);
	if (!r)
		r = machine_become_user(cfg, err);
	if (!r)
		r = sandbox_landlock(&m->sandbox, err);
	if (!r)
		r = machine_api_adopt(m, machine_api_landlock, err);
	if (r)
		return r;
	sandbox_gate_arm();
	m->gate_armed = true;
	r = machine_spawn_threads(m, cfg, err);
	if (!r)
		r = sandbox_lockdown(&m->sandbox, err);
	if (!r)
		r = machine_api_adopt(m, machine_api_filter, err);
	return r;
}

/* Whom the guest runs as: the first thing an operator vetting a
 * configuration asks. */
static void machine_print_user(const struct volt_config *cfg, FILE *out)
{
	if (cfg->sandbox_user)
		fprintf(out, "Runs the guest as user %s (uid %u, gid %u), with no capability.\n",
			cfg->sandbox_user, (unsigned)cfg->sandbox_ids.uid,
			(unsigned)cfg->sandbox_ids.gid);
	else
		fprintf(out, "Runs the guest as the user volt is started as (uid %u), with its "
			"capabilities ([sandbox] user = or --user to drop them).\n",
			(unsigned)geteuid());
}

int machine_print_sandbox_policy(const struct volt_config *cfg, FILE *out, struct volt_err *err)
{
	struct sandbox_options opt = { .seccomp = cfg->seccomp, .landlock = cfg->landlock };
	struct plugin_set ps;
	struct sandbox sb;
	int r;

	memset(&ps, 0, sizeof(ps));
	r = plugin_set_prepare(&ps, cfg, volt_static_plugins, volt_static_plugin_count, err);
	if (r) {
		r = ps.config_error ? VM_EXIT_CONFIG : VM_EXIT_ERROR;
		plugin_set_destroy(&ps);
		return r;
	}
	sandbox_init(&sb, &opt);
	sb.plugins_unrealized = ps.ninsts > 0;
	r = machine_sandbox_policy(&sb, cfg, &ps, NULL, err);
	if (!r) {
		fprintf(out, "Sandbox policy for %s\n", cfg->path ? cfg->path : "this command line");
		machine_print_user(cfg, out);
		sandbox_print(&sb, out);
	}
	sandbox_fini(&sb);
	plugin_set_destroy(&ps);
	return r ? VM_EXIT_ERROR : VM_EXIT_OK;
}

/* Debug-level start-up profile: where the time to first instruction goes. */
static void machine_mark(const char *step, uint64_t *t)
{
	uint64_t now = boot_timer_now_ns();

	log_debug("start-up: %s took %.2f ms", step, (double)(now - *t) / 1e6);
	*t = now;
}

int machine_build(struct machine *m, const struct volt_config *cfg, uint64_t start_ns,
		  struct volt_err *err)
{
	uint64_t t = boot_timer_now_ns();
	int r;

	memset(m, 0, sizeof(*m));
	m->signal_fd = -1;
	m->vm.vm_fd = m->vm.kvm_fd = -1;
	m->build_status = VM_EXIT_ERROR;
	log_debug("start-up: main() ran %.2f ms after the process started",
		  (double)(t - start_ns) / 1e6);
	/* Plugins and their keys are configuration: checked before any KVM call. */
	r = plugin_set_prepare(&m->plugins, cfg, volt_static_plugins, volt_static_plugin_count,
			       err);
	machine_mark("loading plugins", &t);
	if (r) {
		if (m->plugins.config_error)
			m->build_status = VM_EXIT_CONFIG;
		return r;
	}
	r = evloop_init(&m->loop, err);
	if (r)
		return r;
	m->loop_inited = true;
	r = machine_create_and_load(m, cfg, err);
	machine_mark("creating the VM and loading the guest", &t);
	if (!r)
		r = machine_create_devices(m, cfg, start_ns, err);
	if (!r)
		r = plugin_set_realize(&m->plugins, &m->vm, err);
	machine_mark("devices and plugins", &t);
	if (!r)
		r = machine_write_boot(m, cfg, err);
	if (!r)
		r = machine_watch_signals(m, err);
	if (!r)
		r = machine_create_vcpus(m, err);
	machine_mark("boot structures and vCPUs", &t);
	/* Every file, device node and socket is open (plugins realized), no
	 * guest code has run, no plugin started. */
	if (!r)
		r = machine_lockdown(m, cfg, err);
	machine_mark("sandbox lockdown", &t);
	if (!r)
		r = plugin_set_start(&m->plugins, err);
	machine_mark("plugin start", &t);
	return r;
}

static void machine_stop_vcpus(struct machine *m)
{
	atomic_store(&m->vm.stopping, true);
	for (unsigned i = 0; i < m->nvcpus_created; i++)
		vcpu_kick(&m->vm.vcpus[i]);
	for (unsigned i = 0; i < m->nvcpus_created; i++)
		vcpu_destroy(&m->vm.vcpus[i]);
	m->nvcpus_created = 0;
}

int machine_run(struct machine *m)
{
	int status;

	/* The vCPU threads, waiting since lockdown, stack their filters and
	 * run the guest. */
	sandbox_gate_open(true);
	m->gate_armed = false;
	status = evloop_run(&m->loop);
	machine_stop_vcpus(m);
	return status;
}

void machine_destroy(struct machine *m)
{
	/* Threads still held at the gate (a failed build) leave unrun. */
	if (m->gate_armed)
		sandbox_gate_open(false);
	m->gate_armed = false;
	machine_stop_vcpus(m);
	free(m->vm.vcpus);
	m->vm.vcpus = NULL;
	plugin_set_destroy(&m->plugins);
	serial_destroy(m->serial);
	i8042_destroy(m->i8042);
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	vm_destroy(&m->vm);
	if (m->loop_inited)
		evloop_fini(&m->loop);
	m->loop_inited = false;
	if (m->sandbox_inited)
		sandbox_fini(&m->sandbox);
	m->sandbox_inited = false;
	m->serial = NULL;
	m->i8042 = NULL;
	m->signal_fd = -1;
}
