/* The character device of a macvtap link, /dev/tap<ifindex>: opened
 * non-blocking and made ready for frames with a 12-byte vnet header
 * (TUNSETVNETHDRSZ; a macvtap queue has IFF_VNET_HDR already, and
 * TUNSETIFF is invalid on it), offloads cleared until the guest
 * negotiates. Before trusting the node, its device number is compared with
 * the one sysfs gives for this link (a /dev entry from another network
 * namespace could carry the same index). */
#ifndef VOLT_PLUGIN_MACVTAP_DEV_H
#define VOLT_PLUGIN_MACVTAP_DEV_H

#include "tap.h"

/* 0 with *fd open, or -errno with why filled. */
int mvt_dev_open(const char *ifname, int ifindex, int *fd, struct tap_why *why);

#endif
