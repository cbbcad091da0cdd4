#!/bin/bash
# Build and run the virtio-blk benchmark (bench/blk/blk_bench.c): the plugin
# driven in-process by a simulated driver against raw preadv/pwritev on the
# same file. Built here with cc from the sources it needs (all of the
# plugin's, so a new file cannot be missed; the core's virtqueue and
# guest-memory code), -O2 as the project's release
# build; arguments go to the benchmark (--file, --size, --rounds, --direct,
# --eventfds). docs/benchmarks.md records results.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/volt-blk-bench}
mkdir -p "$OUT"
${CC:-cc} -std=c11 -O2 -g -D_GNU_SOURCE -DBLK_VERSION='"bench"' \
	-Wall -Wextra -Wno-unused-parameter \
	-I"$SRC/core" -I"$SRC/sdk/include" \
	"$SRC/bench/blk/blk_bench.c" \
	"$SRC"/plugins/virtio-blk/*.c \
	"$SRC/core/virtio/virtqueue.c" "$SRC/core/vm/guest_mem.c" "$SRC/core/util/err.c" \
	-lpthread -o "$OUT/blk-bench"
exec "$OUT/blk-bench" "$@"
