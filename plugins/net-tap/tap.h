/* A tap file descriptor as Volt's net backends use it: the frame format
 * (IFF_NO_PI, a 12-byte struct virtio_net_hdr_v1 in front), the offloads the
 * guest negotiated (TUNSETOFFLOAD), non-blocking frame I/O. Shared by
 * net-tap (/dev/net/tun), net-macvtap (/dev/tapN, which already is a tap
 * queue: no TUNSETIFF) and net-vhost (the tap is vhost-net's backend).
 *
 * Functions return 0 or -errno; those that can fail at set-up write one
 * line into `why` naming the interface and the step ("tap0: setting the
 * vnet header size (TUNSETVNETHDRSZ): Invalid argument"). */
#ifndef VOLT_PLUGIN_TAP_H
#define VOLT_PLUGIN_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <linux/virtio_net.h>

#define TAP_VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr_v1)) /* 12 */

struct tap_why {
	char text[256];
};

/* Open /dev/net/tun and attach to tap `name` (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR), creating it if no interface has that name (a tap the
 * kernel creates here is not persistent: it goes away when the fd closes).
 * name NULL or "": the kernel picks "tapN". On success *fd is a
 * non-blocking, close-on-exec fd, ifname the interface's name, *created
 * whether this call created it. The vnet header size is set too. */
int tap_open(const char *name, int *fd, char ifname[IFNAMSIZ], bool *created,
	     struct tap_why *why);

/* Set the vnet header size the kernel reads and writes in front of each
 * frame (TAP_VNET_HDR_LEN). */
int tap_set_vnet_hdr(int fd, const char *ifname, struct tap_why *why);

/* The TUN_F_* flags that match the guest's negotiated VIRTIO_NET_F_*
 * features. TUNSETOFFLOAD says what the tap may hand *to us*, so only the
 * guest's receive offloads count: GUEST_CSUM -> TUN_F_CSUM, GUEST_TSO4/6 ->
 * TUN_F_TSO4/6, GUEST_ECN -> TUN_F_TSO_ECN. The kernel refuses TSO without
 * CSUM and ECN without TSO, so those are left out when their base is
 * missing. (Frames the guest sends carry their own offload request in the
 * header, which a tap always accepts.) */
unsigned tap_offload_flags(uint64_t virtio_features);

/* TUNSETOFFLOAD with tap_offload_flags(virtio_features). */
int tap_set_offloads(int fd, uint64_t virtio_features);

/* One frame (header first) in or out; bytes or -errno, -EAGAIN when the
 * tap has nothing to give or cannot take more. Never blocks. */
ssize_t tap_recv(int fd, const struct iovec *iov, int iovcnt);
ssize_t tap_send(int fd, const struct iovec *iov, int iovcnt);

/* Is `name` usable as an interface name (1..IFNAMSIZ-1 bytes, no '/',
 * ':', '%' or white space)? The kernel takes a new link's name with '%'
 * as a pattern ("mvt%d" becomes mvt0), so a link made under such a name
 * could not be found, or deleted, by it; no existing link has one. */
bool tap_ifname_valid(const char *name);
/* What tap_ifname_valid asks, inside a printf format ("%%" prints '%'). */
#define TAP_IFNAME_RULE "1 to 15 characters, no '/', ':', '%%' or spaces"

#endif
