#include "macvtap_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The device number sysfs gives for the link's tap node; -ENOENT if sysfs
 * does not say (then the node is taken as it is). */
static int mvt_dev_sysfs(const char *ifname, int ifindex, dev_t *dev)
{
	char path[128];
	unsigned maj, min;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/macvtap/tap%d/dev", ifname, ifindex);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	if (n != 2)
		return -ENOENT;
	*dev = makedev(maj, min);
	return 0;
}

int mvt_dev_open(const char *ifname, int ifindex, int *fd, struct tap_why *why)
{
	char path[32];
	struct stat st;
	dev_t want;
	int r, e;

	snprintf(path, sizeof(path), "/dev/tap%d", ifindex);
	*fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		e = errno;
		snprintf(why->text, sizeof(why->text), "%s: opening %s: %s", ifname, path,
			 strerror(e));
		return -e;
	}
	if (fstat(*fd, &st) == 0 && mvt_dev_sysfs(ifname, ifindex, &want) == 0 &&
	    (!S_ISCHR(st.st_mode) || st.st_rdev != want)) {
		snprintf(why->text, sizeof(why->text), "%s: %s is device %u:%u, not the link's "
			 "%u:%u (a stale node, or one from another network namespace)", ifname, path,
			 major(st.st_rdev), minor(st.st_rdev), major(want), minor(want));
		e = ENXIO;
		goto fail;
	}
	r = tap_set_vnet_hdr(*fd, ifname, why);
	if (r) {
		e = -r;
		goto fail;
	}
	r = tap_set_offloads(*fd, 0);
	if (r) {
		e = -r;
		snprintf(why->text, sizeof(why->text), "%s: clearing offloads (TUNSETOFFLOAD): %s",
			 ifname, strerror(e));
		goto fail;
	}
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return -e;
}
