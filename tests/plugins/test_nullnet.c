/* test-nullnet: a network backend that drops what it is sent and never
 * receives. Used as a device, it must be refused: wrong kind. */
#include <errno.h>

#include <volt/volt.h>

static ssize_t nullnet_recv(void *state, const struct iovec *iov, int iovcnt)
{
	return -EAGAIN;
}

static ssize_t nullnet_send(void *state, const struct iovec *iov, int iovcnt)
{
	ssize_t n = 0;

	for (int i = 0; i < iovcnt; i++)
		n += (ssize_t)iov[i].iov_len;
	return n;
}

static int nullnet_rx_fd(void *state)
{
	return -1;
}

static const struct volt_net_backend_ops nullnet_ops = {
	.struct_size = sizeof(struct volt_net_backend_ops),
	.vnet_hdr_len = 12,
	.rx_fd = nullnet_rx_fd,
	.recv = nullnet_recv,
	.send = nullnet_send,
};

static const struct volt_key nullnet_keys[] = {
	{ .name = "drop_log", .type = VOLT_KEY_BOOL, .default_value = "false",
	  .help = "log each dropped frame" },
};

static const struct volt_plugin_desc nullnet_desc = {
	.struct_size = sizeof(struct volt_plugin_desc),
	.abi_major = VOLT_ABI_MAJOR,
	.abi_minor = VOLT_ABI_MINOR,
	.kind = VOLT_PLUGIN_NET_BACKEND,
	.name = "test-nullnet",
	.version = "1",
	.license = "MIT",
	.description = "network backend that drops every frame",
	.keys = nullnet_keys,
	.nkeys = 1,
	.ops = &nullnet_ops,
};

VOLT_PLUGIN_DEFINE(test_nullnet, nullnet_desc)
