/* A machine: a VM put together from a configuration (RAM, kernel, boot
 * structures, legacy devices, vCPUs) and run until it stops. */
#ifndef VOLT_VM_MACHINE_H
#define VOLT_VM_MACHINE_H

#include <stdint.h>

#include "boot/kernel.h"
#include "config/config.h"
#include "loop/evloop.h"
#include "util/err.h"
#include "vm/vm.h"

struct serial;
struct i8042;

struct machine {
	struct evloop loop;
	struct vm vm;
	struct boot_kernel kernel;
	struct serial *serial;
	struct i8042 *i8042;
	unsigned nvcpus_created;
	int signal_fd;
};

/* Signals the machine handles through its event loop (SIGTERM, SIGINT:
 * stop; SIGUSR2: Ctrl-Alt-Del to the guest). Block them in every thread;
 * call before any thread is created. */
int machine_block_signals(struct volt_err *err);

/* Everything up to, not including, starting the vCPUs. On failure the
 * machine is left for machine_destroy(). */
int machine_build(struct machine *m, const struct volt_config *cfg, uint64_t start_ns,
		  struct volt_err *err);

/* Start the vCPUs and run the event loop until the VM stops; returns the
 * process exit status (enum vm_exit_status). */
int machine_run(struct machine *m);

void machine_destroy(struct machine *m);

#endif
