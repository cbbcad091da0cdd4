/* Volt plugin ABI: versions, visibility, and the entry point.
 *
 * Every struct that crosses the core/plugin boundary starts with its own
 * size (struct_size). The core reads only the fields that fit in the size a
 * plugin reports, and a plugin reads only the fields of the host API that fit
 * in the size the core reports, so fields may be appended in a minor release.
 * Removing or reordering a field is a major change: the entry symbol's name
 * carries the major, so a plugin built for another major fails at dlsym()
 * with a clear message instead of misreading memory. */
#ifndef VOLT_ABI_H
#define VOLT_ABI_H

#include <stddef.h>
#include <stdint.h>

#define VOLT_ABI_MAJOR 1
#define VOLT_ABI_MINOR 3

#define VOLT_STRINGIFY_(x) #x
#define VOLT_STRINGIFY(x) VOLT_STRINGIFY_(x)
#define VOLT_CONCAT_(a, b) a##b
#define VOLT_CONCAT(a, b) VOLT_CONCAT_(a, b)

/* The one symbol a plugin .so exports: volt_plugin_entry_v<MAJOR>. */
#define VOLT_PLUGIN_ENTRY VOLT_CONCAT(volt_plugin_entry_v, VOLT_ABI_MAJOR)
#define VOLT_PLUGIN_ENTRY_NAME "volt_plugin_entry_v" VOLT_STRINGIFY(VOLT_ABI_MAJOR)

#define VOLT_EXPORT __attribute__((visibility("default")))

struct volt_plugin_desc;

/* The entry point's type: returns the plugin's descriptor (static data). */
typedef const struct volt_plugin_desc *(*volt_plugin_entry_fn)(void);

/* Define a plugin's entry point. `ident` is the plugin's name as a C
 * identifier (virtio_blk for "virtio-blk").
 *
 * Built as a .so, this is the exported volt_plugin_entry_v1(). Built into a
 * slim volt (VOLT_PLUGIN_STATIC defined by the build), it is a uniquely
 * named ordinary function, volt_plugin_entry_v1_<ident>(), that the core's
 * generated static list calls by name. No constructors are involved, so a
 * static archive links the same way every time. */
#ifdef VOLT_PLUGIN_STATIC
#define VOLT_PLUGIN_DEFINE(ident, desc)                                        \
	const struct volt_plugin_desc *VOLT_CONCAT(VOLT_PLUGIN_ENTRY, _##ident)(void); \
	const struct volt_plugin_desc *VOLT_CONCAT(VOLT_PLUGIN_ENTRY, _##ident)(void) \
	{                                                                      \
		return &(desc);                                                \
	}
#else
#define VOLT_PLUGIN_DEFINE(ident, desc)                                        \
	VOLT_EXPORT const struct volt_plugin_desc *VOLT_PLUGIN_ENTRY(void);    \
	VOLT_EXPORT const struct volt_plugin_desc *VOLT_PLUGIN_ENTRY(void)     \
	{                                                                      \
		return &(desc);                                                \
	}
#endif

#endif
