/* sbx-undeclared: makes a syscall it never declared, on purpose, so the
 * sandbox's test sees the one-line report and the exit status. `where`
 * picks the thread it happens on:
 *   io     its I/O thread, in the callback for its own eventfd (default)
 *   start  the main thread, in its start hook (after lockdown)
 *   vcpu   a vCPU thread, when the guest reads its MMIO page
 *   none   never (the VM runs normally: its declared read is enough)
 * The syscall is socket(AF_INET, SOCK_STREAM): phoning home. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <volt/volt.h>

#define UND_SLOT 0

struct und {
	const struct volt_host_api *host;
	struct volt_instance *inst;
	const char *where;
	int efd;
	uint64_t gpa;
};

static const struct volt_key und_keys[] = {
	{ .name = "where", .type = VOLT_KEY_STRING, .default_value = "io",
	  .help = "io, start, vcpu or none: where the undeclared syscall happens" },
};

static void und_phone_home(struct und *u, const char *where)
{
	if (strcmp(u->where, where))
		return;
	u->host->log(u->inst, VOLT_LOG_INFO, "sbx-undeclared: calling socket() on the %s thread",
		     where);
	socket(AF_INET, SOCK_STREAM, 0);
	u->host->log(u->inst, VOLT_LOG_ERROR, "sbx-undeclared: socket() was not stopped");
}

/* I/O thread: its eventfd fired. */
static void und_on_event(void *opaque, int fd, uint32_t events)
{
	struct und *u = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	und_phone_home(u, "io");
}

/* vCPU thread: the guest touched the page. */
static void und_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct und *u = opaque;

	if (!is_write)
		memset(data, 0, len);
	und_phone_home(u, "vcpu");
}

static int und_create(const struct volt_host_api *host, struct volt_instance *inst, void **state)
{
	struct und *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->host = host;
	u->inst = inst;
	u->efd = -1;
	u->where = host->config_get(inst, "where");
	*state = u;
	return 0;
}

static int und_realize(void *state)
{
	struct und *u = state;
	int r;

	u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->efd < 0)
		return -errno;
	r = u->host->sandbox_bind_fd(u->inst, UND_SLOT, u->efd);
	if (!r)
		r = u->host->fd_watch(u->inst, u->efd, EPOLLIN, und_on_event, u);
	if (!r && !strcmp(u->where, "vcpu"))
		r = u->host->mmio_register(u->inst, 0x1000, und_mmio, u, &u->gpa);
	return r;
}

static int und_start(void *state)
{
	struct und *u = state;
	uint64_t one = 1;

	und_phone_home(u, "start");
	/* Wake the I/O thread (the core may write eventfds on main). */
	if (write(u->efd, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

static void und_destroy(void *state)
{
	struct und *u = state;

	if (!u)
		return;
	if (u->efd >= 0)
		close(u->efd);
	free(u);
}

static const struct volt_syscall und_syscalls[] = {
	{ "read", VOLT_THREAD_IO, UND_SLOT, NULL, 0, "drain its own eventfd" },
};

static const struct volt_device_ops und_ops = {
	.struct_size = sizeof(struct volt_device_ops),
};

static const struct volt_plugin_desc und_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_DEVICE,
	.name = "sbx-undeclared",
	.version = "0",
	.license = "MIT",
	.description = "the sandbox's test: a syscall it never declared",
	.keys = und_keys,
	.nkeys = sizeof(und_keys) / sizeof(und_keys[0]),
	.syscalls = und_syscalls,
	.nsyscalls = sizeof(und_syscalls) / sizeof(und_syscalls[0]),
	.create = und_create,
	.realize = und_realize,
	.start = und_start,
	.destroy = und_destroy,
	.ops = &und_ops,
};

VOLT_PLUGIN_DEFINE(sbx_undeclared, und_desc)
