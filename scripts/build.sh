#!/usr/bin/env bash
# Configure and build Volt into BUILD_DIR (default: build). Extra arguments
# go to cmake, e.g. scripts/build.sh -DVOLT_SANITIZE=ON. VOLT_JOBS sets the
# parallel jobs (default: ninja's, the CPUs + 2), as for build-kernel.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja "$@" >/dev/null
ninja -C "$build_dir" ${VOLT_JOBS:+-j "$VOLT_JOBS"}
