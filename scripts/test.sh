#!/usr/bin/env bash
# Build and run every test: unit and integration tests (gcc, warnings as
# errors), the same again under ASan+UBSan, the unit tests under
# ThreadSanitizer, each libFuzzer target for a
# short run, the slim and static builds' tests, and the Linux end-to-end and soak tests in the nested rig
# (docs/rig.md).
# Prints one closing line "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=${VOLT_FUZZ_SECONDS:-20}
log_dir=${VOLT_TEST_LOGS:-build-logs}
mkdir -p "$log_dir"
passed=0 failed=0 skipped=0

# Run ctest in a build dir and add its per-test results to the totals.
run_ctest() {
	local name=$1 dir=$2 out="$log_dir/ctest-$1.log"
	shift 2
	echo "== ctest ($name)"
	ctest --test-dir "$dir" --output-on-failure -j2 --timeout 600 "$@" 2>&1 | tee "$out"
	# One line per test: "N/M Test #K: name .... Passed|***Skipped|***Failed|..."
	local results
	results=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$out")
	if [ -z "$results" ]; then
		echo "FAILED: ctest ($name) ran no test"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + $(grep -cE ' Passed ' <<<"$results")))
	skipped=$((skipped + $(grep -cE '\*\*\*Skipped' <<<"$results")))
	failed=$((failed + $(grep -vcE ' Passed |\*\*\*Skipped' <<<"$results")))
}

# A step that is not a ctest run counts as one test.
run_step() {
	local name=$1; shift
	echo "== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $name"
		failed=$((failed + 1))
	fi
}

# The same for a script that exits 77 to skip (not for libFuzzer: its
# crashes exit 77 too).
run_step_or_skip() {
	local name=$1 rc=0; shift
	echo "== $name"
	"$@" || rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) echo "SKIPPED: $name"; skipped=$((skipped + 1)) ;;
	*) echo "FAILED: $name"; failed=$((failed + 1)) ;;
	esac
}

run_step "build (gcc, -Werror)" env BUILD_DIR=build scripts/build.sh -DVOLT_WERROR=ON
run_ctest gcc build

run_step "build (ASan+UBSan)" env BUILD_DIR=build-asan scripts/build.sh -DVOLT_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=Debug
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest asan build-asan
unset ASAN_OPTIONS UBSAN_OPTIONS

# ThreadSanitizer on the unit tests, which drive the threaded parts (the
# transport's vCPU and I/O-thread paths, the event loop, instance I/O) in
# one process. Not volt itself, nor test_sandbox_seccomp and
# test_net_macvtap, whose children load seccomp filters (test_net_macvtap's
# reaper runs in strict mode): TSan's runtime makes syscalls of its own
# (around signals, at exit) that the filters refuse, at random.
run_step "build (ThreadSanitizer)" env BUILD_DIR=build-tsan scripts/build.sh -DVOLT_TSAN=ON \
	-DCMAKE_BUILD_TYPE=Debug
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
run_ctest tsan build-tsan -R '^unit\.' -E '^unit\.(test_sandbox_seccomp|test_net_macvtap)$'
unset TSAN_OPTIONS

run_step "build (libFuzzer, clang)" env BUILD_DIR=build-fuzz CC=clang scripts/build.sh \
	-DVOLT_FUZZ=ON -DVOLT_TESTS=ON -DCMAKE_C_COMPILER=clang
for fuzzer in build-fuzz/tests/fuzz/fuzz_*; do
	[ -x "$fuzzer" ] || continue
	name=$(basename "$fuzzer")
	corpus="$log_dir/corpus-$name"
	mkdir -p "$corpus"
	seeds="tests/fuzz/seeds/${name#fuzz_}"
	[ -d "$seeds" ] || seeds=""
	# A dictionary of the format's words, where the target has one.
	dict="tests/fuzz/$name.dict"
	[ -f "$dict" ] && dict="-dict=$dict" || dict=""
	run_step "fuzz $name (${fuzz_seconds}s)" "$fuzzer" -max_total_time="$fuzz_seconds" \
		-print_final_stats=0 $dict "$corpus" $seeds
done

# The slim build (scripts/test-slim.sh does the same in one go): its tests
# counted one by one, so a skipped one shows as skipped.
run_step "build (slim: plugins linked in)" env BUILD_DIR=build-slim scripts/build.sh \
	-DVOLT_WERROR=ON -DVOLT_SLIM=ON
run_ctest slim build-slim
# The static build: the same code as one static-pie executable, its own
# integration tests (tests/CMakeLists.txt says which), its filters compared
# with build/'s.
run_step "build (static: one static-pie executable)" env BUILD_DIR=build-static \
	scripts/build.sh -DVOLT_WERROR=ON -DVOLT_SLIM=ON -DVOLT_STATIC=ON
run_ctest static build-static
run_step_or_skip "SDK from a clean install prefix: plugin-hello and net-dgram in the installed volt" \
	scripts/test-sdk.sh
run_step_or_skip "Linux end-to-end in the nested rig (kernels cached in ~/.cache/volt)" \
	tests/rig/run-e2e.sh --build-dir build
# The same with the static volt (its plugins built in, no shared library in
# L1): about 35 s.
run_step_or_skip "Linux end-to-end in the nested rig, static volt" \
	tests/rig/run-e2e.sh --build-dir build-static
# About 90 s: a minute of guest disk and network I/O under volt, sampled.
run_step_or_skip "soak in the nested rig: a Linux guest's disk and network busy for 60 s" \
	tests/rig/run-soak.sh --build-dir build

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
