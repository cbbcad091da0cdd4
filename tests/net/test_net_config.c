/* virtio-net's configuration: MAC parsing and validation, the features it
 * offers, the driver's choices checked against the specification's
 * dependencies, and the configuration space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_config.h"

static void test_mac_parse(void **state)
{
	uint8_t mac[6];
	static const uint8_t want[6] = { 0x02, 0xab, 0xCD, 0x00, 0x0f, 0xf0 };

	assert_int_equal(net_mac_parse("02:ab:cd:00:0f:f0", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(net_mac_parse("02:AB:CD:00:0F:F0", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(net_mac_parse(NULL, mac), -EINVAL);
	assert_int_equal(net_mac_parse("", mac), -EINVAL);
	assert_int_equal(net_mac_parse("02:ab:cd:00:0f", mac), -EINVAL);
	assert_int_equal(net_mac_parse("02:ab:cd:00:0f:f0:11", mac), -EINVAL);
	assert_int_equal(net_mac_parse("02-ab-cd-00-0f-f0", mac), -EINVAL);
	assert_int_equal(net_mac_parse("02:ab:cd:00:0f:g0", mac), -EINVAL);
	assert_int_equal(net_mac_parse("2:ab:cd:00:0f:f0a", mac), -EINVAL);
}

static void test_mac_unusable(void **state)
{
	static const uint8_t ok[6] = { 0x02, 0, 0, 0, 0, 1 };
	static const uint8_t ok_global[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static const uint8_t multicast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t odd[6] = { 0x03, 0, 0, 0, 0, 1 };
	static const uint8_t zero[6];

	assert_null(net_mac_unusable(ok));
	assert_null(net_mac_unusable(ok_global));
	assert_non_null(strstr(net_mac_unusable(multicast), "multicast"));
	assert_non_null(strstr(net_mac_unusable(bcast), "multicast"));
	assert_non_null(strstr(net_mac_unusable(odd), "multicast"));
	assert_non_null(strstr(net_mac_unusable(zero), "zeros"));
}

static void test_mac_random(void **state)
{
	uint8_t a[6], b[6];
	char text[18];

	for (int i = 0; i < 64; i++) {
		net_mac_random(a);
		assert_null(net_mac_unusable(a));
		assert_int_equal(a[0] & 0x03, 0x02); /* unicast, locally administered */
	}
	net_mac_random(b);
	assert_memory_not_equal(a, b, 6);
	net_mac_format((const uint8_t[6]){ 0x02, 0xab, 0, 1, 0x10, 0xff }, text);
	assert_string_equal(text, "02:ab:00:01:10:ff");
}

static void test_features_offered(void **state)
{
	uint64_t base = NET_F(VIRTIO_NET_F_MAC) | NET_F(VIRTIO_NET_F_STATUS) |
			NET_F(VIRTIO_NET_F_MRG_RXBUF) | NET_F(VIRTIO_NET_F_MTU);
	uint64_t with = net_features_offered(true);

	assert_int_equal(net_features_offered(false), base);
	assert_true((with & base) == base);
	assert_true(with & NET_F(VIRTIO_NET_F_CSUM));
	assert_true(with & NET_F(VIRTIO_NET_F_GUEST_CSUM));
	assert_true(with & NET_F(VIRTIO_NET_F_HOST_TSO4));
	assert_true(with & NET_F(VIRTIO_NET_F_HOST_TSO6));
	assert_true(with & NET_F(VIRTIO_NET_F_GUEST_TSO4));
	assert_true(with & NET_F(VIRTIO_NET_F_GUEST_TSO6));
	assert_true(with & NET_F(VIRTIO_NET_F_HOST_ECN));
	assert_true(with & NET_F(VIRTIO_NET_F_GUEST_ECN));
	assert_false(with & NET_F(VIRTIO_NET_F_HOST_UFO));
	assert_false(with & NET_F(VIRTIO_NET_F_GUEST_UFO));
	assert_false(with & NET_F(VIRTIO_NET_F_CTRL_VQ));
	assert_false(with & NET_F(VIRTIO_NET_F_MQ));
	/* What we offer keeps the dependencies itself. */
	assert_null(net_features_check(with));
	assert_null(net_features_check(net_features_offered(false)));
}

static void test_features_check(void **state)
{
	const uint64_t csum = NET_F(VIRTIO_NET_F_CSUM), gcsum = NET_F(VIRTIO_NET_F_GUEST_CSUM);

	assert_null(net_features_check(0));
	assert_null(net_features_check(csum | NET_F(VIRTIO_NET_F_HOST_TSO4)));
	assert_null(net_features_check(gcsum | NET_F(VIRTIO_NET_F_GUEST_TSO6) |
				       NET_F(VIRTIO_NET_F_GUEST_ECN)));
	assert_non_null(net_features_check(NET_F(VIRTIO_NET_F_HOST_TSO4)));
	assert_non_null(net_features_check(NET_F(VIRTIO_NET_F_HOST_TSO6)));
	assert_non_null(net_features_check(NET_F(VIRTIO_NET_F_GUEST_TSO4)));
	assert_non_null(net_features_check(gcsum | NET_F(VIRTIO_NET_F_GUEST_TSO6) | csum |
					   NET_F(VIRTIO_NET_F_HOST_ECN)));
	assert_non_null(net_features_check(gcsum | NET_F(VIRTIO_NET_F_GUEST_ECN)));
	assert_string_equal(net_features_check(csum | NET_F(VIRTIO_NET_F_HOST_ECN)),
			    "HOST_ECN without HOST_TSO4 or HOST_TSO6");
}

static void test_config_space(void **state)
{
	static const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };
	struct virtio_net_config c;
	const uint8_t *raw = (const uint8_t *)&c;

	assert_int_equal(NET_CONFIG_SIZE, 12);
	net_config_fill(&c, mac, 9000);
	assert_memory_equal(raw, mac, 6);
	assert_int_equal(raw[6] | raw[7] << 8, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(raw[8] | raw[9] << 8, 1);
	assert_int_equal(raw[10] | raw[11] << 8, 9000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_mac_unusable),
		cmocka_unit_test(test_mac_random),
		cmocka_unit_test(test_features_offered),
		cmocka_unit_test(test_features_check),
		cmocka_unit_test(test_config_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
