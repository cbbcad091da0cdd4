/* The plugin ABI, frozen: the size, alignment and every field's offset, size
 * and type of every struct in sdk/include/volt/, and the values of its
 * constants, as built for x86_64. A change that moves, resizes or retypes a
 * field, or renumbers a constant, breaks the build here.
 *
 * If the change is meant: appending a field to a size-versioned struct (one
 * that starts with struct_size) is a minor change: bump VOLT_ABI_MINOR, make
 * the core copy only the fields that fit the size a plugin reports, and add
 * the field here. Anything else (removing, reordering, retyping, renumbering)
 * is a major change: bump VOLT_ABI_MAJOR, which renames the entry symbol. */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <volt/volt.h>

#if !defined(__x86_64__) || !defined(__LP64__)
#error "the frozen ABI values below are for x86_64 (LP64)"
#endif

#define ABI_SIZE(s, size, align)                                              \
	_Static_assert(sizeof(struct s) == (size), "sizeof(struct " #s ") changed"); \
	_Static_assert(_Alignof(struct s) == (align), "alignment of struct " #s " changed")

/* Field f of struct s: at offset off, size bytes, of type t (after array to
 * pointer conversion; a function pointer's full signature counts). */
#define ABI_FIELD(s, f, off, size, t)                                         \
	_Static_assert(offsetof(struct s, f) == (off), #s "." #f " moved");    \
	_Static_assert(sizeof(((struct s *)0)->f) == (size), #s "." #f " resized"); \
	_Static_assert(_Generic(((struct s *)0)->f, t: 1, default: 0), #s "." #f " retyped")

#define ABI_VALUE(name, value) _Static_assert((name) == (value), #name " changed")

struct volt_host_api;
struct volt_instance;

/* ---- abi.h ---- */
ABI_VALUE(VOLT_ABI_MAJOR, 1);
ABI_VALUE(VOLT_ABI_MINOR, 3);
_Static_assert(sizeof(VOLT_PLUGIN_ENTRY_NAME) == sizeof("volt_plugin_entry_v1") &&
	       __builtin_memcmp(VOLT_PLUGIN_ENTRY_NAME, "volt_plugin_entry_v1", 21) == 0,
	       "the entry symbol's name changed");
_Static_assert(_Generic((volt_plugin_entry_fn)0,
			const struct volt_plugin_desc *(*)(void): 1, default: 0),
	       "volt_plugin_entry_fn retyped");

/* ---- plugin.h ---- */
ABI_VALUE(VOLT_PLUGIN_DEVICE, 1);
ABI_VALUE(VOLT_PLUGIN_NET_BACKEND, 2);
ABI_VALUE(VOLT_KEY_STRING, 1);
ABI_VALUE(VOLT_KEY_PATH, 2);
ABI_VALUE(VOLT_KEY_BOOL, 3);
ABI_VALUE(VOLT_KEY_U64, 4);
ABI_VALUE(VOLT_KEY_MAC, 5);
ABI_VALUE(VOLT_KEY_REQUIRED, 0x1u);
ABI_VALUE(VOLT_KEY_PATH_WRITE, 0x2u);
ABI_VALUE(VOLT_THREAD_MAIN, 0x1u);
ABI_VALUE(VOLT_THREAD_VCPU, 0x2u);
ABI_VALUE(VOLT_THREAD_IO, 0x4u);
ABI_VALUE(VOLT_THREAD_ALL, 0x7u);
ABI_VALUE(VOLT_FD_ANY, 0xffffffffu);
ABI_VALUE(VOLT_FD_SLOTS, 8);

ABI_SIZE(volt_key, 48, 8);
ABI_FIELD(volt_key, name, 0, 8, const char *);
ABI_FIELD(volt_key, type, 8, 4, uint32_t);
ABI_FIELD(volt_key, flags, 12, 4, uint32_t);
ABI_FIELD(volt_key, default_value, 16, 8, const char *);
ABI_FIELD(volt_key, help, 24, 8, const char *);
ABI_FIELD(volt_key, min, 32, 8, uint64_t);
ABI_FIELD(volt_key, max, 40, 8, uint64_t);

ABI_SIZE(volt_syscall, 40, 8);
ABI_FIELD(volt_syscall, name, 0, 8, const char *);
ABI_FIELD(volt_syscall, threads, 8, 4, uint32_t);
ABI_FIELD(volt_syscall, fd_slot, 12, 4, uint32_t);
ABI_FIELD(volt_syscall, ioctls, 16, 8, const uint64_t *);
ABI_FIELD(volt_syscall, nioctls, 24, 4, uint32_t);
ABI_FIELD(volt_syscall, reason, 32, 8, const char *);

ABI_SIZE(volt_plugin_desc, 128, 8);
ABI_FIELD(volt_plugin_desc, struct_size, 0, 4, uint32_t);
ABI_FIELD(volt_plugin_desc, abi_major, 4, 2, uint16_t);
ABI_FIELD(volt_plugin_desc, abi_minor, 6, 2, uint16_t);
ABI_FIELD(volt_plugin_desc, kind, 8, 4, uint32_t);
ABI_FIELD(volt_plugin_desc, name, 16, 8, const char *);
ABI_FIELD(volt_plugin_desc, version, 24, 8, const char *);
ABI_FIELD(volt_plugin_desc, license, 32, 8, const char *);
ABI_FIELD(volt_plugin_desc, description, 40, 8, const char *);
ABI_FIELD(volt_plugin_desc, keys, 48, 8, const struct volt_key *);
ABI_FIELD(volt_plugin_desc, nkeys, 56, 4, uint32_t);
ABI_FIELD(volt_plugin_desc, syscalls, 64, 8, const struct volt_syscall *);
ABI_FIELD(volt_plugin_desc, nsyscalls, 72, 4, uint32_t);
ABI_FIELD(volt_plugin_desc, create, 80, 8,
	  int (*)(const struct volt_host_api *, struct volt_instance *, void **));
ABI_FIELD(volt_plugin_desc, realize, 88, 8, int (*)(void *));
ABI_FIELD(volt_plugin_desc, start, 96, 8, int (*)(void *));
ABI_FIELD(volt_plugin_desc, reset, 104, 8, void (*)(void *));
ABI_FIELD(volt_plugin_desc, destroy, 112, 8, void (*)(void *));
ABI_FIELD(volt_plugin_desc, ops, 120, 8, const void *);

/* ---- host.h ---- */
ABI_VALUE(VOLT_LOG_ERROR, 0);
ABI_VALUE(VOLT_LOG_WARN, 1);
ABI_VALUE(VOLT_LOG_INFO, 2);
ABI_VALUE(VOLT_LOG_DEBUG, 3);
_Static_assert(sizeof(enum volt_log_level) == 4, "enum volt_log_level resized");
ABI_VALUE(VOLT_PATH_READ, 0x1u);
ABI_VALUE(VOLT_PATH_WRITE, 0x2u);
ABI_VALUE(VOLT_PATH_REMOVE, 0x4u); /* 1.2 */
_Static_assert(_Generic((volt_region_fn)0,
			void (*)(void *, uint64_t, uint8_t *, uint32_t, bool): 1, default: 0),
	       "volt_region_fn retyped");
_Static_assert(_Generic((volt_fd_fn)0, void (*)(void *, int, uint32_t): 1, default: 0),
	       "volt_fd_fn retyped");

ABI_SIZE(volt_net_port, 16, 8);
ABI_FIELD(volt_net_port, ops, 0, 8, const struct volt_net_backend_ops *);
ABI_FIELD(volt_net_port, state, 8, 8, void *);

#define INST struct volt_instance *
ABI_SIZE(volt_host_api, 216, 8);
ABI_FIELD(volt_host_api, struct_size, 0, 4, uint32_t);
ABI_FIELD(volt_host_api, abi_major, 4, 2, uint16_t);
ABI_FIELD(volt_host_api, abi_minor, 6, 2, uint16_t);
ABI_FIELD(volt_host_api, instance_name, 8, 8, const char *(*)(INST));
ABI_FIELD(volt_host_api, config_get, 16, 8, const char *(*)(INST, const char *));
ABI_FIELD(volt_host_api, config_get_bool, 24, 8, bool (*)(INST, const char *));
ABI_FIELD(volt_host_api, config_get_u64, 32, 8, uint64_t (*)(INST, const char *));
ABI_FIELD(volt_host_api, log, 40, 8, void (*)(INST, enum volt_log_level, const char *, ...));
ABI_FIELD(volt_host_api, guest_ptr, 48, 8, void *(*)(INST, uint64_t, uint64_t));
ABI_FIELD(volt_host_api, guest_regions, 56, 8,
	  unsigned (*)(INST, struct volt_mem_region *, unsigned));
ABI_FIELD(volt_host_api, vq_pop, 64, 8, int (*)(INST, unsigned, struct volt_vq_elem *));
ABI_FIELD(volt_host_api, vq_push, 72, 8,
	  void (*)(INST, unsigned, const struct volt_vq_elem *, uint32_t));
ABI_FIELD(volt_host_api, vq_notify, 80, 8, void (*)(INST, unsigned));
ABI_FIELD(volt_host_api, vq_info, 88, 8, int (*)(INST, unsigned, struct volt_vq_info *));
ABI_FIELD(volt_host_api, config_changed, 96, 8, void (*)(INST));
ABI_FIELD(volt_host_api, ioeventfd_add, 104, 8, int (*)(INST, uint64_t, uint32_t, bool, int));
ABI_FIELD(volt_host_api, irqfd_add, 112, 8, int (*)(INST, int));
ABI_FIELD(volt_host_api, irq_line, 120, 8, unsigned (*)(INST));
ABI_FIELD(volt_host_api, irq_raise, 128, 8, void (*)(INST));
ABI_FIELD(volt_host_api, fd_watch, 136, 8, int (*)(INST, int, uint32_t, volt_fd_fn, void *));
ABI_FIELD(volt_host_api, fd_unwatch, 144, 8, void (*)(INST, int));
ABI_FIELD(volt_host_api, mmio_register, 152, 8,
	  int (*)(INST, uint64_t, volt_region_fn, void *, uint64_t *));
ABI_FIELD(volt_host_api, pio_register, 160, 8,
	  int (*)(INST, uint16_t, uint16_t, volt_region_fn, void *));
ABI_FIELD(volt_host_api, cmdline_append, 168, 8, int (*)(INST, const char *));
ABI_FIELD(volt_host_api, sandbox_bind_fd, 176, 8, int (*)(INST, uint32_t, int));
ABI_FIELD(volt_host_api, sandbox_allow_path, 184, 8, int (*)(INST, const char *, uint32_t));
ABI_FIELD(volt_host_api, device_broken, 192, 8, void (*)(INST, const char *, ...));
ABI_FIELD(volt_host_api, net_port, 200, 8, int (*)(INST, struct volt_net_port *));
/* 1.1 */
ABI_FIELD(volt_host_api, vq_size, 208, 8, int (*)(INST, unsigned));
#undef INST

/* ---- device.h ---- */
ABI_SIZE(volt_device_ops, 64, 8);
ABI_FIELD(volt_device_ops, struct_size, 0, 4, uint32_t);
ABI_FIELD(volt_device_ops, virtio_id, 4, 4, uint32_t);
ABI_FIELD(volt_device_ops, num_queues, 8, 2, uint16_t);
ABI_FIELD(volt_device_ops, queue_max_size, 10, 2, uint16_t);
ABI_FIELD(volt_device_ops, config_size, 12, 4, uint32_t);
ABI_FIELD(volt_device_ops, features, 16, 8, uint64_t (*)(void *));
ABI_FIELD(volt_device_ops, set_features, 24, 8, int (*)(void *, uint64_t));
ABI_FIELD(volt_device_ops, config_read, 32, 8, void (*)(void *, uint32_t, void *, uint32_t));
ABI_FIELD(volt_device_ops, config_write, 40, 8,
	  void (*)(void *, uint32_t, const void *, uint32_t));
ABI_FIELD(volt_device_ops, activate, 48, 8, int (*)(void *));
ABI_FIELD(volt_device_ops, queue_notify, 56, 8, void (*)(void *, unsigned));

/* ---- net.h ---- */
ABI_SIZE(volt_net_backend_ops, 72, 8);
ABI_FIELD(volt_net_backend_ops, struct_size, 0, 4, uint32_t);
ABI_FIELD(volt_net_backend_ops, vnet_hdr_len, 4, 4, uint32_t);
ABI_FIELD(volt_net_backend_ops, rx_fd, 8, 8, int (*)(void *));
ABI_FIELD(volt_net_backend_ops, recv, 16, 8, ssize_t (*)(void *, const struct iovec *, int));
ABI_FIELD(volt_net_backend_ops, send, 24, 8, ssize_t (*)(void *, const struct iovec *, int));
ABI_FIELD(volt_net_backend_ops, set_offloads, 32, 8, int (*)(void *, uint64_t));
ABI_FIELD(volt_net_backend_ops, set_mac, 40, 8, int (*)(void *, const uint8_t *));
ABI_FIELD(volt_net_backend_ops, dataplane_start, 48, 8,
	  int (*)(void *, const struct volt_mem_region *, unsigned,
		  const struct volt_vq_info *, unsigned));
ABI_FIELD(volt_net_backend_ops, dataplane_stop, 56, 8, void (*)(void *));
ABI_FIELD(volt_net_backend_ops, ifname, 64, 8, const char *(*)(void *)); /* 1.3 */

/* ---- virtqueue.h ---- */
ABI_VALUE(VOLT_VQ_MAX_SIZE, 256);

ABI_SIZE(volt_vq_elem, 4112, 8);
ABI_FIELD(volt_vq_elem, head, 0, 2, uint16_t);
ABI_FIELD(volt_vq_elem, nout, 2, 2, uint16_t);
ABI_FIELD(volt_vq_elem, nin, 4, 2, uint16_t);
ABI_FIELD(volt_vq_elem, generation, 6, 2, uint16_t);
ABI_FIELD(volt_vq_elem, out_len, 8, 4, uint32_t);
ABI_FIELD(volt_vq_elem, in_len, 12, 4, uint32_t);
ABI_FIELD(volt_vq_elem, iov, 16, 4096, struct iovec *); /* struct iovec[256] */
ABI_SIZE(iovec, 16, 8);

ABI_SIZE(volt_vq_info, 72, 8);
ABI_FIELD(volt_vq_info, struct_size, 0, 4, uint32_t);
ABI_FIELD(volt_vq_info, size, 4, 2, uint16_t);
ABI_FIELD(volt_vq_info, reserved, 6, 2, uint16_t);
ABI_FIELD(volt_vq_info, desc_gpa, 8, 8, uint64_t);
ABI_FIELD(volt_vq_info, avail_gpa, 16, 8, uint64_t);
ABI_FIELD(volt_vq_info, used_gpa, 24, 8, uint64_t);
ABI_FIELD(volt_vq_info, desc_hva, 32, 8, void *);
ABI_FIELD(volt_vq_info, avail_hva, 40, 8, void *);
ABI_FIELD(volt_vq_info, used_hva, 48, 8, void *);
ABI_FIELD(volt_vq_info, kick_fd, 56, 4, int);
ABI_FIELD(volt_vq_info, call_fd, 60, 4, int);
ABI_FIELD(volt_vq_info, features, 64, 8, uint64_t);

ABI_SIZE(volt_mem_region, 24, 8);
ABI_FIELD(volt_mem_region, gpa, 0, 8, uint64_t);
ABI_FIELD(volt_mem_region, size, 8, 8, uint64_t);
ABI_FIELD(volt_mem_region, hva, 16, 8, void *);

/* Everything above is checked by the compiler; running this is a no-op that
 * lets ctest report the check. */
int main(void)
{
	return 0;
}
