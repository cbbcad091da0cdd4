#!/usr/bin/env bash
# The SDK from a clean install prefix, as a third-party author gets it:
#  1. build volt (BUILD_DIR, default build-sdk) and `cmake --install` it into
#     an empty temporary prefix;
#  2. build examples/plugin-hello from a copy outside the repository against
#     that prefix alone (find_package(VoltSDK)), install the .so into the
#     prefix's plugin directory, and build it once more with pkg-config;
#  3. the same for examples/net-dgram, a network backend;
#  4. build the echo test guest from a copy outside the repository with the
#     installed SDK's volt_sdk_add_guest() (its runtime and link script);
#  5. run the INSTALLED volt on that guest with a hello-echo device and check
#     the guest's PASS lines and the exit status;
#  6. run the installed volt with the net test guest (BUILD_DIR's) on a
#     [net] section with backend = net-dgram, against tests/net/dgram_peer.py,
#     which answers the guest's ARP and pings over UNIX datagram sockets:
#     with the peer there first (and a stale socket of a killed volt at
#     local_path), with the peer coming only after the guest's first frame
#     was dropped, and with a relative path; the guest's checks pass, and the
#     bound socket is gone after each run.
# Exit 0 on success, 1 on a failure, 77 ("SKIP: reason") when /dev/kvm is
# unusable (steps 1 to 4 have run and passed by then).
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
# build_example DIR PLUGIN: examples/DIR from a copy outside the repository
# (in $tmp/DIR, built in $tmp/build-DIR) against the installed prefix alone,
# its PLUGIN.so installed into the prefix's plugin directory.
build_example() {
	local dir=$1 name=$2 b=$tmp/build-$1 found so

	cp -r "examples/$dir" "$tmp/$dir"
	rm -rf "$tmp/$dir/build"
	cmake -S "$tmp/$dir" -B "$b" -G Ninja \
		-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
		-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DCMAKE_COMPILE_WARNING_AS_ERROR=ON \
		>"$tmp/$dir-configure.log" || { cat "$tmp/$dir-configure.log"; fail "configure $dir"; }
	found=$(sed -n 's/^VoltSDK_DIR:[A-Z]*=//p' "$b/CMakeCache.txt")
	[ "$found" = "$prefix/$libdir/cmake/VoltSDK" ] ||
		fail "$dir: find_package(VoltSDK) found '$found', not the installed $prefix/$libdir/cmake/VoltSDK"
	if grep -rqF -- "$src" "$b/build.ninja" "$b/CMakeCache.txt"; then
		fail "$dir's build refers to the source tree $src"
	fi
	ninja -C "$b" >"$tmp/$dir-build.log" || { cat "$tmp/$dir-build.log"; fail "build $dir"; }
	cmake --install "$b" >/dev/null || fail "install $dir"
	so=$prefix/lib/volt/plugins/$name.so
	[ -f "$so" ] || fail "cmake --install put no $name.so into $prefix/lib/volt/plugins"
	bash tests/abi/check_exports.sh "$so" || fail "$name.so exports"
	pass "$dir built with find_package(VoltSDK) and installed into the plugin directory"
}
build_example plugin-hello hello-echo

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
grep -q -- '-std=c11' "$tmp/build-plugin-hello/build.ninja" &&
	grep -q -- '-D_GNU_SOURCE' "$tmp/build-plugin-hello/build.ninja" ||
	fail "volt_sdk_add_plugin() does not compile ISO C11 with _GNU_SOURCE"
pass "pkg-config and volt_sdk_add_plugin() compile the same C (ISO C11, _GNU_SOURCE)"

# ---- 3. a network backend, against the installed SDK alone ----
build_example net-dgram net-dgram
# shellcheck disable=SC2046
cc $(pc --cflags) $(pc --variable=plugin_cflags) -Wall -Wextra -Wno-unused-parameter -Werror \
	-DDGRAM_VERSION='"1.0.0"' -c "$tmp/net-dgram/dgram.c" -o "$tmp/dgram.o" ||
	fail "compile dgram.c with pkg-config volt-sdk"
# shellcheck disable=SC2046
cc $(pc --variable=plugin_ldflags) -o "$tmp/net-dgram.so" "$tmp/dgram.o" ||
	fail "link net-dgram.so with pkg-config volt-sdk"
bash tests/abi/check_exports.sh "$tmp/net-dgram.so" || fail "pkg-config net-dgram.so exports"
pass "net-dgram built with pkg-config volt-sdk"

# ---- 4. a test guest, against the installed SDK alone ----
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

# ---- 5. the installed volt runs them ----
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
# show [NAME]: a run's exit status and output ($tmp/NAME.out, .err; echo).
show() {
	local n=${1:-echo}

	echo "  --- exit status $status; stdout:"; sed 's/^/  | /' "$tmp/$n.out" | tail -n 40
	echo "  --- stderr:"; sed 's/^/  | /' "$tmp/$n.err" | tail -n 20
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

# ---- 6. a [net] section on net-dgram, against a peer over UNIX datagrams ----
net_guest=$build_dir/tests/guests/net
case $net_guest in /*) ;; *) net_guest=$src/$net_guest ;; esac
[ -f "$net_guest" ] || fail "the net test guest is missing: $net_guest (volt's build makes it)"
command -v python3 >/dev/null || fail "python3 is missing (scripts/install-deps.sh installs it)"
# The sockets' own directory: net-dgram's Landlock rule covers all of it.
dg=$tmp/dgram
mkdir -m 700 "$dg"

# The peer and a volt in the background are this script's, ended by their ids.
peer_pid='' volt_pid=''
start_peer() {
	python3 tests/net/dgram_peer.py --bind "$dg/peer.sock" --to "$dg/guest.sock" \
		--ip 10.0.2.2 >"$tmp/peer.out" 2>"$tmp/peer.err" &
	peer_pid=$!
}
# SIGTERM: the peer removes its socket and prints its counts.
stop_peer() {
	[ -n "$peer_pid" ] || return 0
	kill -TERM "$peer_pid" 2>/dev/null || true
	wait "$peer_pid" 2>/dev/null || true
	peer_pid=
}
trap 'stop_peer; [ -z "$volt_pid" ] || kill "$volt_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
# wait_until SECONDS COMMAND...: until COMMAND succeeds, polled every 0.1 s.
wait_until() {
	local tries=$(($1 * 10))

	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}
# dgram_ini [LOCAL_PATH]: the net guest (10.0.2.15) on net-dgram; the peer
# is 10.0.2.2.
dgram_ini() {
	cat >"$tmp/dgram.ini" <<INI
[vm]
kernel = $net_guest
memory_mib = 64
cmdline = console=ttyS0 reboot=k panic=-1 net.ip=10.0.2.15 net.peer=10.0.2.2 net.mac=02:00:0a:00:02:0f

[net "eth0"]
backend = net-dgram
local_path = ${1:-$dg/guest.sock}
peer_path = $dg/peer.sock
mac = 02:00:0a:00:02:0f
INI
}
# check_dgram_run NAME WHAT: the guest's checks passed; the peer answered
# its ARP and three pings, and every datagram it got was a bare Ethernet
# frame it understood (a vnet header left in front would count as other);
# local_path is gone.
check_dgram_run() {
	local name=$1 what=$2

	grep -E '^(PASS|FAIL|INFO): ' "$tmp/$name.out" | sed 's/^/  guest: /' || true
	if [ "$status" -ne 0 ] || grep -q '^FAIL: ' "$tmp/$name.out" ||
	   ! grep -Eq '^NET DONE pass=[1-9][0-9]* fail=0$' "$tmp/$name.out"; then
		show "$name"
		fail "$what: want exit 0 and 'NET DONE pass=N fail=0'"
	fi
	if ! grep -Eq '^dgram-peer: arp=[1-9][0-9]* echo=3 other=0 ' "$tmp/peer.out"; then
		show "$name"; sed 's/^/  peer: /' "$tmp/peer.out" "$tmp/peer.err"
		fail "$what: the peer did not get the guest's ARP and 3 pings as bare Ethernet frames"
	fi
	[ ! -e "$dg/guest.sock" ] ||
		{ show "$name"; fail "$what: local_path $dg/guest.sock is still there after volt exited"; }
}

# The peer there first, and at local_path the stale socket a killed volt
# leaves (nothing bound to it): net-dgram replaces it.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' \
	"$dg/guest.sock"
[ -S "$dg/guest.sock" ] || fail "could not leave a stale socket at $dg/guest.sock"
dgram_ini
rm -f "$tmp/peer.out"
start_peer
wait_until 10 test -S "$dg/peer.sock" ||
	{ cat "$tmp/peer.err"; fail "tests/net/dgram_peer.py did not bind $dg/peer.sock"; }
status=0
timeout -k 5 "$run_timeout" "$prefix/bin/volt" --config "$tmp/dgram.ini" \
	>"$tmp/dgram.out" 2>"$tmp/dgram.err" || status=$?
stop_peer
check_dgram_run dgram "net-dgram, the peer there first"
grep -q "local_path $dg/guest.sock: replacing a stale socket" "$tmp/dgram.err" ||
	{ show dgram; fail "net-dgram did not say it replaced the stale socket at local_path"; }
pass "installed volt ran the net guest over net-dgram: the peer answered its ARP and pings," \
	"a stale socket was replaced, local_path is gone after exit"

# The peer only once net-dgram has dropped a frame for want of it: the VM
# runs on, the guest's retries get through, and the drops are counted.
rm -f "$tmp/peer.out"
status=0
timeout -k 5 "$run_timeout" "$prefix/bin/volt" --config "$tmp/dgram.ini" \
	>"$tmp/late.out" 2>"$tmp/late.err" &
volt_pid=$!
if wait_until 30 grep -q "peer_path $dg/peer.sock: nobody there" "$tmp/late.err"; then
	start_peer
fi
wait "$volt_pid" || status=$?
volt_pid=
stop_peer
check_dgram_run late "net-dgram, the peer late"
if ! grep -Eq "peer_path $dg/peer.sock: a peer is there; [1-9][0-9]* frame\(s\) were dropped" \
	"$tmp/late.err" ||
   ! grep -Eq "[1-9][0-9]* frame\(s\) dropped: nobody was bound at peer_path" "$tmp/late.err"; then
	show late
	fail "net-dgram did not log and count the frames it dropped while the peer was missing"
fi
pass "net-dgram with the peer late: frames dropped and counted, the guest's retries got through"

# A relative path: refused at create, naming the key, before the guest runs.
dgram_ini guest.sock
status=0
timeout -k 5 "$run_timeout" "$prefix/bin/volt" --config "$tmp/dgram.ini" \
	>"$tmp/rel.out" 2>"$tmp/rel.err" || status=$?
if [ "$status" -eq 0 ] || grep -q '^PASS: ' "$tmp/rel.out" ||
   ! grep -q 'local_path = "guest.sock": not an absolute path' "$tmp/rel.err"; then
	show rel
	fail "a relative local_path must be refused, naming the key, before the guest runs"
fi
pass "a relative local_path is refused: $(grep -m 1 local_path "$tmp/rel.err")"
