# virtio-mmio and virtio-blk end to end (included from CMakeLists.txt here):
# test guests drive the virtio-blk plugin; skipped (77) without /dev/kvm.
volt_add_integration_test(blk)
volt_add_integration_test(blk_hostile)
volt_add_integration_test(blk_lock)
volt_add_integration_test(blk_backlog)
