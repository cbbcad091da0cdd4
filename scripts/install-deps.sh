#!/usr/bin/env bash
# Install everything Volt needs to build, test and run its rig on Debian 12.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

packages=(
	# build
	build-essential cmake ninja-build pkg-config clang llvm libclang-rt-dev
	linux-libc-dev
	# libraries Volt links
	libseccomp-dev libinih-dev libnl-3-dev libnl-route-3-dev
	libmicrohttpd-dev libjansson-dev
	# tests
	libcmocka-dev curl iproute2 e2fsprogs python3 strace
	# Linux guest kernel, rootfs and the nested rig
	linux-source-6.1 bc flex bison libelf-dev libssl-dev patch
	busybox-static cpio qemu-system-x86 xz-utils
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages already installed"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
