/* What kind of volt this is, where a build option changes what it can do
 * at run time.
 *
 * A static volt (-DVOLT_STATIC=ON, which needs VOLT_SLIM) is one static-pie
 * executable: no dynamic loader, no shared libc, only the code it links
 * mapped (docs/benchmarks.md: its memory outside guest RAM). Without a
 * loader it cannot load plugin files, nor libmicrohttpd, which serves the
 * API and cannot be linked in either: Debian 12's GnuTLS, which it
 * depends on, needs libp11-kit and libunistring, which ship no static
 * archives. So it runs the plugins built into it, configured by flags and
 * the INI file, and has no control API. */
#ifndef VOLT_UTIL_BUILD_H
#define VOLT_UTIL_BUILD_H

#include <stdbool.h>

#ifdef VOLT_STATIC
#define VOLT_BUILD_STATIC true
/* What --version adds after the plugin ABI. */
#define VOLT_BUILD_VERSION_NOTE "; static: plugins built in, no control API"
#else
#define VOLT_BUILD_STATIC false
#define VOLT_BUILD_VERSION_NOTE ""
#endif

/* The refusals, worded once for the configuration, the plugin registry and
 * the API. */
#define VOLT_STATIC_NO_PLUGIN_FILES \
	"this volt is static (built with VOLT_STATIC) and loads no plugin files, " \
	"only the plugins built into it (--list-plugins)"
#define VOLT_STATIC_NO_API \
	"this volt is static (built with VOLT_STATIC) and has no control API; " \
	"a default or slim build serves it"

#endif
