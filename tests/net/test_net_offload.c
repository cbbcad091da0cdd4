/* The offload mapping every tap-based backend uses: the guest's negotiated
 * VIRTIO_NET_F_* features -> the TUN_F_* flags of TUNSETOFFLOAD, which
 * say what the tap may hand to us (so only the guest's receive offloads
 * count), with the kernel's own rules (TSO needs CSUM, ECN needs TSO). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <linux/if_tun.h>

#include "tap.h"

#define F(bit) (1ULL << (bit))

static void test_offload_mapping(void **state)
{
	static const struct {
		uint64_t features;
		unsigned flags;
	} cases[] = {
		{ 0, 0 },
		{ F(VIRTIO_NET_F_GUEST_CSUM), TUN_F_CSUM },
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4), TUN_F_CSUM | TUN_F_TSO4 },
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO6), TUN_F_CSUM | TUN_F_TSO6 },
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
		  F(VIRTIO_NET_F_GUEST_ECN),
		  TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN },
		/* Without the checksum there is no TSO, without TSO no ECN. */
		{ F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6), 0 },
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_ECN), TUN_F_CSUM },
		/* UFO is never asked for, even if a driver claims it. */
		{ F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_UFO), TUN_F_CSUM },
		/* The host-side (transmit) offloads do not touch TUNSETOFFLOAD. */
		{ F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) |
		  F(VIRTIO_NET_F_HOST_ECN), 0 },
		{ F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_MAC) | F(32), 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu: features 0x%llx\n", i, (unsigned long long)cases[i].features);
		assert_int_equal(tap_offload_flags(cases[i].features), cases[i].flags);
	}
}

static void test_vnet_header_layout(void **state)
{
	/* VERSION_1 always has num_buffers: the 12-byte header both ways. */
	assert_int_equal(TAP_VNET_HDR_LEN, 12);
	assert_int_equal(offsetof(struct virtio_net_hdr_v1, flags), 0);
	assert_int_equal(offsetof(struct virtio_net_hdr_v1, gso_type), 1);
	assert_int_equal(offsetof(struct virtio_net_hdr_v1, hdr_len), 2);
	assert_int_equal(offsetof(struct virtio_net_hdr_v1, gso_size), 4);
	assert_int_equal(offsetof(struct virtio_net_hdr_v1, csum_start), 6);
	assert_int_equal(offsetof(struct virtio_net_hdr_v1, csum_offset), 8);
	assert_int_equal(offsetof(struct virtio_net_hdr_v1, num_buffers), 10);
}

static void test_ifname_valid(void **state)
{
	assert_true(tap_ifname_valid("tap0"));
	assert_true(tap_ifname_valid("a"));
	assert_true(tap_ifname_valid("fifteen-chars15"));
	assert_false(tap_ifname_valid("sixteen-chars-16"));
	assert_false(tap_ifname_valid(""));
	assert_false(tap_ifname_valid(NULL));
	assert_false(tap_ifname_valid("no/slash"));
	assert_false(tap_ifname_valid("no:colon"));
	assert_false(tap_ifname_valid("no space"));
	assert_false(tap_ifname_valid("mvt%d")); /* a pattern to the kernel */
	assert_false(tap_ifname_valid(".."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offload_mapping),
		cmocka_unit_test(test_vnet_header_layout),
		cmocka_unit_test(test_ifname_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
