/* The syscalls no plugin may ask for, whatever its reason. A device or
 * backend moves bytes between guest memory and host fds it opened at
 * realize; anything that creates processes or threads, changes privileges
 * or namespaces, loads code into the kernel or reaches into other processes
 * is out of its job, so a plugin declaring one is refused at load time,
 * before the sandbox builds its filter.
 *
 * The sandbox checks the rest where it turns names into numbers: a name
 * libseccomp does not know is refused there. */
#include "plugin/syscall_check.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name;
	const char *why;
} plugin_denied_syscalls[] = {
	{ "execve", "it runs another program" },
	{ "execveat", "it runs another program" },
	{ "fork", "plugins never create processes" },
	{ "vfork", "plugins never create processes" },
	{ "clone", "plugins never create processes or threads (the core gives each "
		   "instance an I/O thread)" },
	{ "clone3", "plugins never create processes or threads (the core gives each "
		    "instance an I/O thread)" },
	{ "ptrace", "it controls other processes" },
	{ "process_vm_writev", "it writes another process's memory" },
	{ "process_vm_readv", "it reads another process's memory" },
	{ "personality", "it changes the execution domain (can disable ASLR)" },
	{ "mount", "it changes the mount namespace" },
	{ "umount2", "it changes the mount namespace" },
	{ "pivot_root", "it changes the root filesystem" },
	{ "chroot", "it changes the root directory" },
	{ "unshare", "it creates namespaces" },
	{ "setns", "it enters other namespaces" },
	{ "bpf", "it loads programs into the kernel" },
	{ "perf_event_open", "it exposes kernel and other processes' events" },
	{ "kexec_load", "it replaces the running kernel" },
	{ "kexec_file_load", "it replaces the running kernel" },
	{ "init_module", "it loads kernel modules" },
	{ "finit_module", "it loads kernel modules" },
	{ "delete_module", "it unloads kernel modules" },
	{ "swapon", "it changes the host's swap" },
	{ "swapoff", "it changes the host's swap" },
	{ "reboot", "it reboots the host" },
	{ "keyctl", "it reaches the kernel keyrings" },
	{ "add_key", "it reaches the kernel keyrings" },
	{ "request_key", "it reaches the kernel keyrings" },
	{ "userfaultfd", "it stalls kernel accesses to memory (a known exploit aid)" },
	{ "seccomp", "the core owns the filter; no plugin code ever touches it" },
};

const char *plugin_syscall_denied(const char *name)
{
	for (size_t i = 0; i < sizeof(plugin_denied_syscalls) / sizeof(plugin_denied_syscalls[0]);
	     i++)
		if (!strcmp(plugin_denied_syscalls[i].name, name))
			return plugin_denied_syscalls[i].why;
	return NULL;
}

int plugin_check_syscalls(const struct volt_plugin_desc *desc, struct volt_err *err)
{
	for (uint32_t i = 0; i < desc->nsyscalls; i++) {
		const char *name = desc->syscalls[i].name;
		const char *why = plugin_syscall_denied(name);

		if (why)
			return verr_set(err, EPERM, "declares syscall %s, which no plugin may make: "
					"%s", name, why);
	}
	return 0;
}
