#!/usr/bin/env bash
# The SDK from a clean install prefix, as a third-party author gets it:
#  1. build volt (BUILD_DIR, default build-sdk) and `cmake --install` it into
#     an empty temporary prefix;
#  2. build examples/plugin-hello from a copy outside the repository against
#     that prefix alone (find_package(VoltSDK)), install the .so into the
#     prefix's plugin directory, and build it once more with pkg-config;
#  3. build the echo test guest from a copy outside the repository with the
#     installed SDK's volt_sdk_add_guest() (its runtime and link script);
#  4. run the INSTALLED volt on that guest with a hello-echo device and check
#     the guest's PASS lines and the exit status.
# Exit 0 on success, 1 on a failure, 77 ("SKIP: reason") when /dev/kvm is
# unusable (steps 1 and 2 have run and passed by then).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build_dir=${BUILD_DIR:-build-sdk}
run_timeout=${VOLT_TEST_RUN_TIMEOUT:-120}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/volt-sdk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "PASS: $*"; }

# ---- 1. volt, installed ----
BUILD_DIR=$build_dir scripts/build.sh -DVOLT_WERROR=ON
cmake --install "$build_dir" --prefix "$prefix" >"$tmp/install.log" ||
	{ cat "$tmp/install.log"; fail "cmake --install $build_dir"; }
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
for f in bin/volt include/volt/volt.h "$libdir/cmake/VoltSDK/VoltSDKConfig.cmake" \
	"$libdir/cmake/VoltSDK/VoltSDKConfigVersion.cmake" "$libdir/pkgconfig/volt-sdk.pc"; do
	[ -e "$prefix/$f" ] || fail "install tree: $f is missing"
done
[ -d "$prefix/lib/volt/plugins" ] || fail "install tree: lib/volt/plugins is missing"
pass "install tree: volt, SDK headers, CMake package, pkg-config file, plugin directory"

# ---- 2. the example, against the installed SDK alone ----
cp -r examples/plugin-hello "$tmp/plugin-hello"
rm -rf "$tmp/plugin-hello/build"
cmake -S "$tmp/plugin-hello" -B "$tmp/build-hello" -G Ninja \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
	-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DCMAKE_COMPILE_WARNING_AS_ERROR=ON \
	>"$tmp/hello-configure.log" || { cat "$tmp/hello-configure.log"; fail "configure plugin-hello"; }
found=$(sed -n 's/^VoltSDK_DIR:[A-Z]*=//p' "$tmp/build-hello/CMakeCache.txt")
[ "$found" = "$prefix/$libdir/cmake/VoltSDK" ] ||
	fail "find_package(VoltSDK) found '$found', not the installed $prefix/$libdir/cmake/VoltSDK"
if grep -rqF -- "$src" "$tmp/build-hello/build.ninja" "$tmp/build-hello/CMakeCache.txt"; then
	fail "plugin-hello's build refers to the source tree $src"
fi
ninja -C "$tmp/build-hello" >"$tmp/hello-build.log" || { cat "$tmp/hello-build.log"; fail "build plugin-hello"; }
cmake --install "$tmp/build-hello" >/dev/null || fail "install plugin-hello"
so=$prefix/lib/volt/plugins/hello-echo.so
[ -f "$so" ] || fail "cmake --install put no hello-echo.so into $prefix/lib/volt/plugins"
bash tests/abi/check_exports.sh "$so" || fail "hello-echo.so exports"
pass "plugin-hello built with find_package(VoltSDK) and installed into the plugin directory"

# The same source with pkg-config and a plain compiler.
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
pc() { pkg-config "$@" volt-sdk; }
plugindir=$(pc --variable=plugindir)
[ "$(realpath "$plugindir")" = "$(realpath "$prefix/lib/volt/plugins")" ] ||
	fail "pkg-config plugindir is $plugindir"
# shellcheck disable=SC2046
cc $(pc --cflags) $(pc --variable=plugin_cflags) -Wall -Wextra -Wno-unused-parameter -Werror \
	-DECHO_VERSION='"1.0.0"' -c "$tmp/plugin-hello/echo.c" -o "$tmp/echo.o" ||
	fail "compile echo.c with pkg-config volt-sdk"
# shellcheck disable=SC2046
cc $(pc --variable=plugin_ldflags) -o "$tmp/hello-echo.so" "$tmp/echo.o" ||
	fail "link hello-echo.so with pkg-config volt-sdk"
bash tests/abi/check_exports.sh "$tmp/hello-echo.so" || fail "pkg-config hello-echo.so exports"
pass "plugin-hello built with pkg-config volt-sdk"

# Both ways compile the same C as Volt's own plugins: ISO C11 (no GNU
# dialect) with _GNU_SOURCE, so a plugin that builds one way builds the other.
cat >"$tmp/dialect.c" <<'C'
#include <fcntl.h>
#include <unistd.h>
#ifndef __STRICT_ANSI__
#error "not ISO C: a GNU dialect"
#endif
int probe(int *fds) { return pipe2(fds, O_CLOEXEC); }   /* _GNU_SOURCE only */
C
# shellcheck disable=SC2046
cc $(pc --cflags) $(pc --variable=plugin_cflags) -Werror=implicit-function-declaration \
	-c "$tmp/dialect.c" -o "$tmp/dialect.o" ||
	fail "pkg-config's plugin_cflags are not ISO C11 with _GNU_SOURCE"
grep -q -- '-std=c11' "$tmp/build-hello/build.ninja" &&
	grep -q -- '-D_GNU_SOURCE' "$tmp/build-hello/build.ninja" ||
	fail "volt_sdk_add_plugin() does not compile ISO C11 with _GNU_SOURCE"
pass "pkg-config and volt_sdk_add_plugin() compile the same C (ISO C11, _GNU_SOURCE)"

# ---- 3. a test guest, against the installed SDK alone ----
mkdir "$tmp/guest-echo"
cp tests/guests/echo/echo.c "$tmp/guest-echo/"
cat >"$tmp/guest-echo/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(echo-guest C)
find_package(VoltSDK REQUIRED)
volt_sdk_add_guest(echo-guest SOURCES echo.c WERROR)
CMAKE
cmake -S "$tmp/guest-echo" -B "$tmp/build-guest" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
	>"$tmp/guest-configure.log" || { cat "$tmp/guest-configure.log"; fail "configure the echo guest"; }
if grep -rqF -- "$src" "$tmp/build-guest/build.ninja" "$tmp/build-guest/CMakeCache.txt"; then
	fail "the echo guest's build refers to the source tree $src"
fi
ninja -C "$tmp/build-guest" >"$tmp/guest-build.log" || { cat "$tmp/guest-build.log"; fail "build the echo guest"; }
guest=$tmp/build-guest/echo-guest
[ -f "$guest" ] || fail "volt_sdk_add_guest() made no $guest"
pass "the echo test guest built with volt_sdk_add_guest() from the installed runtime"

# ---- 4. the installed volt runs them ----
[ -e /dev/kvm ] || { echo "SKIP: /dev/kvm is missing (no KVM on this machine)"; exit 77; }
( exec 3<>/dev/kvm ) 2>/dev/null ||
	{ echo "SKIP: /dev/kvm is not accessible to $(id -un) (need read-write access)"; exit 77; }

# No [plugins] dir: the installed volt finds its plugins by itself.
cat >"$tmp/echo.ini" <<INI
[vm]
kernel = $guest
memory_mib = 64
cmdline = console=ttyS0 reboot=k panic=-1 echo_test.scratch_reset=24301

[device "echo0"]
plugin = hello-echo
greeting = hello from the SDK test
scratch_reset = 0x5eed
INI

status=0
timeout -k 5 "$run_timeout" "$prefix/bin/volt" --config "$tmp/echo.ini" \
	>"$tmp/echo.out" 2>"$tmp/echo.err" || status=$?
show() {
	echo "  --- exit status $status; stdout:"; sed 's/^/  | /' "$tmp/echo.out" | tail -n 40
	echo "  --- stderr:"; sed 's/^/  | /' "$tmp/echo.err" | tail -n 20
}
grep -E '^(PASS|FAIL|INFO): ' "$tmp/echo.out" | sed 's/^/  guest: /' || true
if [ "$status" -ne 0 ] || grep -q '^FAIL: ' "$tmp/echo.out" ||
   ! grep -Eq '^ECHO DONE pass=8 fail=0$' "$tmp/echo.out"; then
	show
	fail "installed volt with hello-echo: want exit 0 and 'ECHO DONE pass=8 fail=0'"
fi
grep -q 'hello from the SDK test' "$tmp/echo.err" ||
	{ show; fail "the greeting key's value was not logged"; }
pass "installed volt ran the SDK-built echo guest with hello-echo from the plugin directory"

# A key the plugin does not declare: refused before the VM starts.
printf 'colour = red\n' >>"$tmp/echo.ini"
status=0
timeout -k 5 "$run_timeout" "$prefix/bin/volt" --config "$tmp/echo.ini" \
	>"$tmp/echo.out" 2>"$tmp/echo.err" || status=$?
if [ "$status" -eq 0 ] || ! grep -q 'colour' "$tmp/echo.err" || grep -q '^PASS: ' "$tmp/echo.out"; then
	show
	fail "an undeclared key (colour) must be refused, naming the key, before the guest runs"
fi
pass "an undeclared key is refused: $(head -n 1 "$tmp/echo.err")"
