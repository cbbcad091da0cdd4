/* volt: read the configuration, build the machine, run it, report once. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "config/config.h"
#include "devices/boot_timer.h"
#include "plugin/help.h"
#include "util/log.h"
#include "vm/machine.h"

int main(int argc, char **argv)
{
	uint64_t start_ns = boot_timer_now_ns();
	struct volt_config cfg;
	struct volt_err err = { 0 };
	struct machine m = { .signal_fd = -1, .vm = { .kvm_fd = -1, .vm_fd = -1 } };
	int r, status;

	config_init(&cfg);
	r = config_from_args(&cfg, argc, argv, &err);
	if (r) {
		if (r < 0)
			log_error("%s", err.msg);
		config_free(&cfg);
		return r < 0 ? VM_EXIT_CONFIG : VM_EXIT_OK;
	}
	log_set_level(cfg.log_level);
	if (cfg.print_sandbox_policy) {
		status = machine_print_sandbox_policy(&cfg, stdout, &err);
		if (status)
			log_error("%s", err.msg);
		config_free(&cfg);
		return status;
	}
	if (cfg.list_plugins || cfg.help_plugin) {
		r = cfg.help_plugin ? plugin_help_show(cfg.plugin_dir, cfg.help_plugin, stdout, &err) :
				      plugin_help_list(cfg.plugin_dir, stdout, &err);
		if (r)
			log_error("%s", err.msg);
		config_free(&cfg);
		return r == -ENOENT ? VM_EXIT_CONFIG : r ? VM_EXIT_ERROR : VM_EXIT_OK;
	}
	if (cfg.api_sock) {
		/* Serve the API, boot on its InstanceStart (core/api). */
		status = api_run(&cfg, start_ns);
		config_free(&cfg);
		return status;
	}
	r = machine_block_signals(&err);
	if (!r)
		r = machine_build(&m, &cfg, start_ns, &err);
	if (r) {
		log_error("%s", err.msg);
		/* machine_build knows a configuration problem (a plugin or key
		 * the file names) from a failure of the VM. */
		status = m.build_status ? m.build_status : VM_EXIT_ERROR;
	} else {
		status = machine_run(&m);
	}
	machine_destroy(&m);
	config_free(&cfg);
	return status;
}
