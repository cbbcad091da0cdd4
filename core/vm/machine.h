/* A machine: a VM put together from a configuration (RAM, kernel, boot
 * structures, legacy devices, vCPUs) and run until it stops. */
#ifndef VOLT_VM_MACHINE_H
#define VOLT_VM_MACHINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "boot/kernel.h"
#include "config/config.h"
#include "loop/evloop.h"
#include "plugin/instance.h"
#include "sandbox/sandbox.h"
#include "util/err.h"
#include "vm/vm.h"

struct serial;
struct i8042;

struct machine {
	struct evloop loop;
	bool loop_inited;
	struct vm vm;
	struct boot_kernel kernel;
	uint64_t initrd_gpa, initrd_size;
	struct serial *serial;
	struct i8042 *i8042;
	struct plugin_set plugins;  /* [drive] and [net] instances */
	unsigned nvcpus_created;
	int signal_fd;
	struct sandbox sandbox;     /* seccomp + Landlock, from lockdown on */
	bool sandbox_inited;
	bool gate_armed;            /* threads wait at the sandbox's gate */
	int build_status;           /* exit status if machine_build failed:
				     * VM_EXIT_CONFIG when the configuration
				     * is at fault (a plugin or key it names) */
};

/* The signals that stop the VM cleanly: SIGTERM, SIGINT, SIGHUP, SIGQUIT. */
void machine_stop_signal_set(sigset_t *set);

/* Signals the machine handles through its event loop (the stop signals;
 * SIGUSR2: Ctrl-Alt-Del to the guest). Block them in every thread; call
 * before any thread is created. */
int machine_block_signals(struct volt_err *err);

/* Everything up to, not including, running guest code: plugins loaded and
 * their keys checked (before any KVM call), VM, guest images, devices and
 * plugin instances realized, boot structures, vCPUs, the sandbox's
 * lockdown (every thread created and held, then Landlock and seccomp),
 * plugin start hooks.
 * On failure m->build_status is the exit status and the machine is left
 * for machine_destroy(). */
int machine_build(struct machine *m, const struct volt_config *cfg, uint64_t start_ns,
		  struct volt_err *err);

/* --print-sandbox-policy: load the plugins the configuration names (no
 * KVM call, nothing realized) and print the merged policy. Returns the
 * exit status (enum vm_exit_status); err is set on failure. */
int machine_print_sandbox_policy(const struct volt_config *cfg, FILE *out, struct volt_err *err);

/* Let the vCPUs (created and held since lockdown) run the guest, and run
 * the event loop until the VM stops; returns the process exit status
 * (enum vm_exit_status). */
int machine_run(struct machine *m);

void machine_destroy(struct machine *m);

#endif
