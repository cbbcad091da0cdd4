# shellcheck shell=bash
# Shared by tests/rig/run-e2e.sh, tests/rig/run-soak.sh, scripts/demo.sh and
# bench/rig/run-bench.sh (sourced): build volt and put it, its plugins, vmrun and the
# guest kernels into a rig payload.
# Callers set REPO and use `set -euo pipefail`.

# payload_log MSG...: progress on stderr, prefixed with the caller's name.
payload_log() { printf '%s: %s\n' "${PAYLOAD_LOG_NAME:-rig}" "$*" >&2; }

# payload_require [TOOL...]: everything a rig test needs, else the caller's
# `skip REASON` (exit 77): QEMU, the kernel source and what scripts/build-kernel.sh
# needs (without them there are no kernels; a kernel that fails to build with all of
# them present is a failure), and each /sbin/TOOL (e2fsprogs).
payload_require() {
	local tool
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is missing (scripts/install-deps.sh installs qemu-system-x86)"
	[[ -r /usr/src/linux-source-6.1.tar.xz ]] ||
		skip "/usr/src/linux-source-6.1.tar.xz is missing (apt-get install linux-source-6.1): no guest kernel"
	for tool in "$@"; do
		[[ -x /sbin/$tool ]] || skip "/sbin/$tool is missing (apt-get install e2fsprogs)"
	done
	for tool in make gcc bc flex bison perl; do
		command -v "$tool" >/dev/null || skip "$tool is missing: no kernel build (scripts/install-deps.sh)"
	done
	[[ -e /usr/include/libelf.h && -e /usr/include/openssl/opensslv.h ]] ||
		skip "libelf-dev or libssl-dev is missing: no kernel build (scripts/install-deps.sh)"
}

# payload_build_volt DIR: configure and build volt (no tests) into DIR.
payload_build_volt() {
	local dir=$1
	payload_log "building volt in $dir"
	if [[ -f $dir/build.ninja ]]; then
		ninja -C "$dir" >/dev/null
	else
		BUILD_DIR=$dir "$REPO/scripts/build.sh" -DVOLT_TESTS=OFF >/dev/null
	fi
}

# payload_add_volt BUILD_DIR PAYLOAD: bin/volt and lib/volt/plugins/*.so, stripped
# (volt finds its plugins at <dir of volt>/../lib/volt/plugins). A slim or
# static build has its plugins built in and no .so to copy.
payload_add_volt() {
	local build=$1 payload=$2 so
	[[ -x $build/core/volt ]] || { payload_log "error: no $build/core/volt"; return 1; }
	mkdir -p "$payload/bin" "$payload/lib/volt/plugins"
	strip -o "$payload/bin/volt" "$build/core/volt"
	for so in "$build"/lib/volt/plugins/*.so; do
		[[ -e $so ]] || continue
		strip --strip-unneeded -o "$payload/lib/volt/plugins/$(basename "$so")" "$so"
	done
}

# payload_build_vmrun OUT: the static measuring runner (tests/rig/e2e/vmrun.c).
payload_build_vmrun() {
	gcc -std=gnu11 -O2 -static -s -Wall -Wextra -Werror -o "$1" "$REPO/tests/rig/e2e/vmrun.c"
}

# payload_guest_kernel: print the directory of the cached guest kernel (building
# it the first time, ~10 min on 2 cores), or VOLT_GUEST_KERNEL_DIR if set: a
# directory with a vmlinux and a bzImage of one's own, to try another kernel.
payload_guest_kernel() {
	if [[ -n ${VOLT_GUEST_KERNEL_DIR:-} ]]; then echo "$VOLT_GUEST_KERNEL_DIR"; return; fi
	"$REPO/scripts/build-kernel.sh" guest | tail -n1
}
