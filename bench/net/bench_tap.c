#include "bench_tap.h"

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

static void bench_tap_die(const char *name, const char *what)
{
	fprintf(stderr, "bench: tap %s: %s: %s\n", name, what, strerror(errno));
	exit(1);
}

void bench_tap_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		bench_tap_die(name, "socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_qlen = 8192;
	if (ioctl(s, SIOCSIFTXQLEN, &ifr) < 0)
		bench_tap_die(name, "SIOCSIFTXQLEN");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		bench_tap_die(name, "SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		bench_tap_die(name, "SIOCSIFFLAGS");
	close(s);
}

int bench_tap_open(const char *name)
{
	char ifname[IFNAMSIZ];
	struct tap_why why;
	bool created;
	int fd;

	if (tap_open(name, &fd, ifname, &created, &why)) {
		fprintf(stderr, "bench: %s\n", why.text);
		exit(1);
	}
	bench_tap_up(ifname);
	return fd;
}
