#!/usr/bin/env bash
# The slim build: every in-tree plugin linked statically into volt through
# the generated table (VOLT_SLIM=ON), built into BUILD_DIR (default
# build-slim) with warnings as errors, then its whole ctest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build-slim}
BUILD_DIR=$build_dir scripts/build.sh -DVOLT_WERROR=ON -DVOLT_SLIM=ON
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 600
