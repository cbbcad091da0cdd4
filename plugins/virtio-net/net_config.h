/* What a virtio-net device is, decided before the guest runs: its MAC
 * address, its MTU, the feature bits it offers, the driver's accepted
 * features checked against the specification's dependencies (virtio 1.2
 * section 5.1.3.1), and the configuration space the driver reads. Pure
 * functions, tested alone (tests/net/test_net_config.c). */
#ifndef VOLT_PLUGIN_NET_CONFIG_H
#define VOLT_PLUGIN_NET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#define NET_MTU_DEFAULT 1500
#define NET_MTU_MIN     68
#define NET_MTU_MAX     65535

/* Bytes of struct virtio_net_config the device has: mac, status,
 * max_virtqueue_pairs, mtu (nothing after mtu is offered). */
#define NET_CONFIG_SIZE (offsetof(struct virtio_net_config, mtu) + sizeof(uint16_t))

#define NET_F(bit) (1ULL << (bit))

/* Parse "aa:bb:cc:dd:ee:ff" (hex digits, either case); -EINVAL if it is
 * not one. */
int net_mac_parse(const char *text, uint8_t mac[6]);

/* NULL if mac can be a guest NIC's address, else why not (a multicast
 * address, all zeros). */
const char *net_mac_unusable(const uint8_t mac[6]);

/* A random locally administered unicast address (02:xx:...). */
void net_mac_random(uint8_t mac[6]);

/* "aa:bb:cc:dd:ee:ff" into out (18 bytes). */
void net_mac_format(const uint8_t mac[6], char out[18]);

/* The device feature bits offered: MAC, STATUS, MRG_RXBUF and MTU always;
 * the checksum and TSO offloads (CSUM, GUEST_CSUM, HOST/GUEST_TSO4/6,
 * HOST/GUEST_ECN; never UFO) when `offloads` (the backend can set them and
 * the configuration did not turn them off). */
uint64_t net_features_offered(bool offloads);

/* NULL if the driver's accepted feature set keeps the specification's
 * dependencies (a TSO needs its checksum feature, ECN needs a TSO), else
 * the first one it breaks. */
const char *net_features_check(uint64_t accepted);

/* Fill the configuration space (little-endian). */
void net_config_fill(struct virtio_net_config *c, const uint8_t mac[6], uint16_t mtu);

#endif
