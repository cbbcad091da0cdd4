# virtio-net and its backends (included from CMakeLists.txt here). Each test
# makes a network namespace of its own (it skips without the permission).
volt_add_integration_test(net_tap)
volt_add_integration_test(net_macvtap)
volt_add_integration_test(net_vhost)
