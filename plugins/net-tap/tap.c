#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>

__attribute__((format(printf, 2, 3)))
static void tap_say(struct tap_why *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
}

_Static_assert(IFNAMSIZ == 16, "TAP_IFNAME_RULE says 15 characters");

bool tap_ifname_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len >= IFNAMSIZ)
		return false;
	return !strpbrk(name, "/:% \t\n") && strcmp(name, ".") && strcmp(name, "..");
}

int tap_set_vnet_hdr(int fd, const char *ifname, struct tap_why *why)
{
	int len = TAP_VNET_HDR_LEN;

	if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0) {
		int e = errno;

		tap_say(why, "%s: setting the vnet header size to %d (TUNSETVNETHDRSZ): %s", ifname,
			len, strerror(e));
		return -e;
	}
	return 0;
}

unsigned tap_offload_flags(uint64_t f)
{
	unsigned flags = 0;

	if (!(f & (1ULL << VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	flags |= TUN_F_CSUM;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
		flags |= TUN_F_TSO4;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
		flags |= TUN_F_TSO6;
	if ((flags & (TUN_F_TSO4 | TUN_F_TSO6)) && (f & (1ULL << VIRTIO_NET_F_GUEST_ECN)))
		flags |= TUN_F_TSO_ECN;
	return flags;
}

int tap_set_offloads(int fd, uint64_t virtio_features)
{
	unsigned flags = tap_offload_flags(virtio_features);

	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) < 0 ? -errno : 0;
}

int tap_open(const char *name, int *fd, char ifname[IFNAMSIZ], bool *created,
	     struct tap_why *why)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	const char *shown = name && name[0] ? name : "a new tap";
	bool existed = name && name[0] && if_nametoindex(name) != 0;
	int r, e;

	*fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		e = errno;
		tap_say(why, "%s: opening /dev/net/tun: %s", shown, strerror(e));
		return -e;
	}
	if (name && name[0])
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(*fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		tap_say(why, "%s: attaching (TUNSETIFF): %s%s", shown, strerror(e),
			e == EINVAL && existed ? " (is it a tap? a tun, a multi-queue tap or "
			"another kind of interface cannot be used)" :
			e == EBUSY ? " (another process has it open?)" : "");
		goto fail;
	}
	snprintf(ifname, IFNAMSIZ, "%s", ifr.ifr_name);
	*created = !existed;
	r = tap_set_vnet_hdr(*fd, ifname, why);
	if (r) {
		e = -r;
		goto fail;
	}
	/* A persistent tap keeps its offloads from a previous user: none
	 * until the guest negotiates its own. */
	r = tap_set_offloads(*fd, 0);
	if (r) {
		e = -r;
		tap_say(why, "%s: clearing offloads (TUNSETOFFLOAD): %s", ifname, strerror(e));
		goto fail;
	}
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return -e;
}

ssize_t tap_recv(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	do
		n = iovcnt == 1 ? read(fd, iov[0].iov_base, iov[0].iov_len) : readv(fd, iov, iovcnt);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t tap_send(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	do
		n = iovcnt == 1 ? write(fd, iov[0].iov_base, iov[0].iov_len) : writev(fd, iov, iovcnt);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}
