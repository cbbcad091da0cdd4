/* The syscalls no plugin may ask for, whatever its reason. A device or
 * backend moves bytes between guest memory and host fds it opened at
 * realize; anything that creates processes or threads, changes privileges
 * or namespaces, loads code into the kernel, reaches into other processes or
 * changes the whole host is out of its job, so a plugin declaring one is
 * refused at load time, before the sandbox builds its filter. So is an ioctl
 * rule not pinned to one of its fd slots and a list of requests: the core's
 * own KVM ioctls are pinned, and seccomp allows a call if any rule matches,
 * so an unpinned plugin rule would allow every ioctl on every fd.
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
	{ "prctl", "the core sets up its threads (names, no_new_privs, the filter); other "
		   "options change the process itself" },
	/* Privileges: volt often runs as root, so these would succeed. */
	{ "setuid", "it changes the process's credentials" },
	{ "setgid", "it changes the process's credentials" },
	{ "setreuid", "it changes the process's credentials" },
	{ "setregid", "it changes the process's credentials" },
	{ "setresuid", "it changes the process's credentials" },
	{ "setresgid", "it changes the process's credentials" },
	{ "setfsuid", "it changes the process's credentials" },
	{ "setfsgid", "it changes the process's credentials" },
	{ "setgroups", "it changes the process's credentials" },
	{ "capset", "it changes the process's capabilities" },
	/* The mount API of Linux 5.2 on: the same as mount. */
	{ "fsopen", "it changes the mount namespace" },
	{ "fsconfig", "it changes the mount namespace" },
	{ "fsmount", "it changes the mount namespace" },
	{ "fspick", "it changes the mount namespace" },
	{ "move_mount", "it changes the mount namespace" },
	{ "open_tree", "it changes the mount namespace" },
	{ "mount_setattr", "it changes the mount namespace" },
	/* Other processes and threads. */
	{ "kill", "plugins never signal processes or threads (the core stops its own)" },
	{ "tkill", "plugins never signal processes or threads (the core stops its own)" },
	{ "tgkill", "plugins never signal processes or threads (the core stops its own)" },
	{ "rt_sigqueueinfo", "plugins never signal processes or threads" },
	{ "rt_tgsigqueueinfo", "plugins never signal processes or threads" },
	{ "pidfd_send_signal", "plugins never signal processes or threads" },
	{ "pidfd_open", "it reaches into other processes" },
	{ "pidfd_getfd", "it takes fds from other processes" },
	{ "process_madvise", "it changes another process's memory" },
	{ "process_mrelease", "it reaps another process's memory" },
	{ "kcmp", "it inspects other processes' resources" },
	{ "migrate_pages", "it moves another process's memory" },
	{ "move_pages", "it moves another process's memory" },
	/* Memory advice: the core allows MADV_DONTNEED to every thread. */
	{ "madvise", "the core already allows MADV_DONTNEED on every thread; other advice "
		     "(MADV_MERGEABLE, huge pages, fork and dump behaviour) manages the host "
		     "memory behind guest RAM, which is the core's" },
	/* A ring whose operations the filter never sees. */
	{ "io_uring_setup", "io_uring operations bypass the seccomp filter" },
	{ "io_uring_enter", "io_uring operations bypass the seccomp filter" },
	{ "io_uring_register", "io_uring operations bypass the seccomp filter" },
	/* Executable memory: the core denies PROT_EXEC on mmap and mprotect. */
	{ "shmat", "it can map System V shared memory executable (SHM_EXEC), around the "
		   "no-PROT_EXEC rule on mmap and mprotect" },
	{ "shmget", "System V shared memory outlives the process (and shmat is refused)" },
	{ "shmctl", "System V shared memory outlives the process (and shmat is refused)" },
	/* Escapes and changes to the whole host. */
	{ "open_by_handle_at", "it opens files by handle, around path checks (a known "
			       "container escape)" },
	{ "name_to_handle_at", "it makes file handles for open_by_handle_at" },
	{ "iopl", "it gives the process the host's I/O ports" },
	{ "ioperm", "it gives the process the host's I/O ports" },
	{ "settimeofday", "it sets the host's clock" },
	{ "clock_settime", "it sets the host's clock" },
	{ "clock_adjtime", "it sets the host's clock" },
	{ "adjtimex", "it sets the host's clock" },
	{ "sethostname", "it renames the host" },
	{ "setdomainname", "it renames the host" },
	{ "syslog", "it reads or clears the host kernel's log" },
	{ "acct", "it changes the host's process accounting" },
	{ "quotactl", "it changes the host's disk quotas" },
	{ "vhangup", "it hangs up the host's terminal" },
};

const char *plugin_syscall_denied(const char *name)
{
	for (size_t i = 0; i < sizeof(plugin_denied_syscalls) / sizeof(plugin_denied_syscalls[0]);
	     i++)
		if (!strcmp(plugin_denied_syscalls[i].name, name))
			return plugin_denied_syscalls[i].why;
	return NULL;
}

/* Why the declaration is too wide to add to the filter (an ioctl rule
 * without an fd slot or a request list), or NULL. */
static const char *plugin_syscall_unpinned(const struct volt_syscall *s)
{
	if (!strcmp(s->name, "ioctl") && (s->fd_slot == VOLT_FD_ANY || !s->nioctls))
		return "an ioctl rule needs an fd slot and its request numbers (unpinned, it "
		       "would allow every ioctl on every fd, KVM's included)";
	return NULL;
}

int plugin_check_syscall(const struct volt_syscall *s, struct volt_err *err)
{
	const char *why = plugin_syscall_denied(s->name);

	if (why)
		return verr_set(err, EPERM, "declares syscall %s, which no plugin may make: %s",
				s->name, why);
	why = plugin_syscall_unpinned(s);
	if (why)
		return verr_set(err, EPERM, "declares syscall %s unpinned: %s", s->name, why);
	return 0;
}

int plugin_check_syscalls(const struct volt_plugin_desc *desc, struct volt_err *err)
{
	int r = 0;

	for (uint32_t i = 0; !r && i < desc->nsyscalls; i++)
		r = plugin_check_syscall(&desc->syscalls[i], err);
	return r;
}
