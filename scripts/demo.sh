#!/usr/bin/env bash
# The main job: build Volt and boot a guest. For now the hello test guest on
# this machine's /dev/kvm.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
echo "demo: booting the hello test guest on /dev/kvm (examples/hello.ini)"
exec build/core/volt --config examples/hello.ini
