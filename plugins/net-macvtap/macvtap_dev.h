/* The character device of a macvtap link, /dev/tap<ifindex>: opened
 * non-blocking and made ready for frames with a 12-byte vnet header
 * (TUNSETVNETHDRSZ; a macvtap queue has IFF_VNET_HDR already, and
 * TUNSETIFF is invalid on it), offloads cleared until the guest
 * negotiates. The queue opened is checked to be the link's by the name and
 * MAC the kernel gives for it: an ifindex is unique only within a network
 * namespace, so /dev/tapN may be another namespace's link (or missing), and
 * then the link's own device number (from sysfs) is opened through a
 * private node. */
#ifndef VOLT_PLUGIN_MACVTAP_DEV_H
#define VOLT_PLUGIN_MACVTAP_DEV_H

#include "tap.h"

/* 0 with *fd open, or -errno with why filled. */
int mvt_dev_open(const char *ifname, int ifindex, const uint8_t mac[6], int *fd,
		 struct tap_why *why);

#endif
