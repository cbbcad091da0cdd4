#include "macvtap_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MVT_PRIVATE_DIR "/dev/.volt-tap-XXXXXX"

/* The device number sysfs gives for the link's tap node. sysfs shows the
 * network namespace it was mounted in, which may not be ours: the number
 * is only a lead, and the queue it opens is checked like any other. */
static int mvt_dev_sysfs(const char *ifname, int ifindex, dev_t *dev)
{
	char path[128];
	unsigned maj, min;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/macvtap/tap%d/dev", ifname, ifindex);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	if (n != 2)
		return -EINVAL;
	*dev = makedev(maj, min);
	return 0;
}

/* Is fd a queue of our link? The kernel names the link a macvtap fd is
 * attached to, and gives its MAC (SIOCGIFHWADDR); the name alone could be
 * another namespace's link of the same name. 0, -ENXIO if not ours. */
static int mvt_dev_is_ours(int fd, const char *ifname, const uint8_t mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (strncmp(ifr.ifr_name, ifname, IFNAMSIZ) || memcmp(ifr.ifr_hwaddr.sa_data, mac, 6))
		return -ENXIO;
	return 0;
}

/* r from opening *fd: kept if it is a queue of our link, else closed.
 * 0, or why not (-ENXIO: another link's). */
static int mvt_dev_keep_ours(int r, int *fd, const char *ifname, const uint8_t mac[6])
{
	if (!r)
		r = mvt_dev_is_ours(*fd, ifname, mac);
	if (r && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

static int mvt_dev_open_path(const char *path, int *fd)
{
	*fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

/* Open the character device `dev` through a node of our own, in a private
 * directory of /dev (never mounted nodev), gone again before we return. */
static int mvt_dev_open_private(dev_t dev, int *fd)
{
	char dir[] = MVT_PRIVATE_DIR, node[sizeof(dir) + 8];
	int r = 0;

	*fd = -1;
	if (!mkdtemp(dir))
		return -errno;
	snprintf(node, sizeof(node), "%s/tap", dir);
	if (mknod(node, S_IFCHR | 0600, dev) < 0)
		r = -errno;
	else
		r = mvt_dev_open_path(node, fd);
	unlink(node);
	rmdir(dir);
	return r;
}

/* /dev/tap<ifindex> names a link by its index, which is only unique in
 * one network namespace: the node may be another namespace's link of the
 * same index (devtmpfs keeps the first one's), stale, or missing. Then the
 * queue is opened through a private node with the device number sysfs
 * gives. What became of the node is said if that fails too. */
static int mvt_dev_open_queue(const char *ifname, int ifindex, const uint8_t mac[6], int *fd,
			      struct tap_why *why)
{
	char path[32], node_is[96];
	dev_t dev;
	int r;

	snprintf(path, sizeof(path), "/dev/tap%d", ifindex);
	r = mvt_dev_keep_ours(mvt_dev_open_path(path, fd), fd, ifname, mac);
	if (!r)
		return 0;
	snprintf(node_is, sizeof(node_is), "%s", r == -ENXIO ? "another link's (one of another "
		 "network namespace)" : r == -ENOENT ? "missing" : strerror(-r));
	r = mvt_dev_sysfs(ifname, ifindex, &dev);
	if (r) {
		snprintf(why->text, sizeof(why->text), "%s: %s: %s, and sysfs does not give the "
			 "link's device number (/sys/class/net/%s/macvtap/tap%d/dev: %s)", ifname,
			 path, node_is, ifname, ifindex, strerror(-r));
		return -ENXIO;
	}
	r = mvt_dev_keep_ours(mvt_dev_open_private(dev, fd), fd, ifname, mac);
	if (r) {
		snprintf(why->text, sizeof(why->text), "%s: %s: %s, and device %u:%u (sysfs's) "
			 "is not the link's either: %s", ifname, path, node_is, major(dev),
			 minor(dev), r == -ENXIO ? "another link's" : strerror(-r));
		return -ENXIO;
	}
	return 0;
}

int mvt_dev_open(const char *ifname, int ifindex, const uint8_t mac[6], int *fd,
		 struct tap_why *why)
{
	int r = mvt_dev_open_queue(ifname, ifindex, mac, fd, why);

	if (r)
		return r;
	r = tap_set_vnet_hdr(*fd, ifname, why);
	if (!r) {
		r = tap_set_offloads(*fd, 0);
		if (r)
			snprintf(why->text, sizeof(why->text), "%s: clearing offloads "
				 "(TUNSETOFFLOAD): %s", ifname, strerror(-r));
	}
	if (r) {
		close(*fd);
		*fd = -1;
	}
	return r;
}
