/* API mode, start to exit, on the main thread: serve the socket, wait for
 * InstanceStart, build the machine from the configuration the API filled,
 * run it, and remove the socket on the way out. A build that fails is
 * InstanceStart's 400; the configuration can then be corrected and
 * started again, unless the sandbox had locked the process down by then
 * (nothing can be opened any more): volt then exits with the build's
 * status, as it would without the API. */
#include "api/api.h"

#include <errno.h>
#include <string.h>

#include "devices/boot_timer.h"
#include "util/log.h"
#include "vm/machine.h"

static void api_machine_reset(struct machine *m)
{
	memset(m, 0, sizeof(*m));
	m->signal_fd = -1;
	m->vm.kvm_fd = m->vm.vm_fd = -1;
}

/* Socket problems are the configuration's (the path); others the VMM's. */
static int api_create_status(int r)
{
	return r == -EADDRINUSE || r == -EEXIST || r == -ENAMETOOLONG || r == -ENOENT ||
	       r == -EACCES || r == -ENOTDIR ? VM_EXIT_CONFIG : VM_EXIT_ERROR;
}

/* Wait for InstanceStart and build; returns 1 with m built, 0 if a signal
 * came first, -errno on failure. */
static int api_boot(struct api_server *s, struct machine *m, struct volt_config *cfg,
		    uint64_t start_ns, struct volt_err *err)
{
	for (;;) {
		int r = api_server_wait_boot(s, err);

		if (r <= 0)
			return r;
		r = machine_build(m, cfg, start_ns, err);
		if (!r)
			return 1;
		api_server_boot_done(s, NULL, err);
		if (m->sandbox_inited && m->sandbox.applied)
			return -ECANCELED;
		log_warn("api: InstanceStart failed: %s", err->msg);
		machine_destroy(m);
		api_machine_reset(m);
		memset(err, 0, sizeof(*err));
	}
}

int api_run(struct volt_config *cfg, uint64_t start_ns)
{
	struct volt_err err = { 0 };
	struct api_server *s = NULL;
	struct machine m;
	int r, status = VM_EXIT_OK;

	api_machine_reset(&m);
	r = machine_block_signals(&err);
	if (!r) {
		r = api_server_create(&s, cfg, start_ns, &err);
		status = r ? api_create_status(r) : status;
	} else {
		status = VM_EXIT_ERROR;
	}
	if (!r) {
		/* Info level and a fixed format: bench/api/api_bench.py reads it. */
		log_info("api: serving on %s (%.2f ms after volt started)", cfg->api_sock,
			 (double)(boot_timer_now_ns() - start_ns) / 1e6);
		r = api_boot(s, &m, cfg, start_ns, &err);
		status = r == -ECANCELED ? m.build_status : r < 0 ? VM_EXIT_ERROR : VM_EXIT_OK;
	}
	if (r < 0)
		log_error("%s", err.msg);
	if (r == 1) {
		api_server_boot_done(s, &m, NULL);
		status = machine_run(&m);
	}
	/* The API reads the machine until it stops; then the machine goes. */
	api_server_destroy(s);
	machine_destroy(&m);
	return status;
}
