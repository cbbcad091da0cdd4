# shellcheck shell=bash disable=SC2034 # variables here are for the sourcing scripts
# Shared by the integration tests (sourced, not run). Each test is called as
#   TEST.sh VOLT GUEST_DIR SOURCE_DIR
# and prints one "PASS: ..." or "FAIL: ..." line per check. Exit status: 0
# all passed, 1 a check failed, 77 skipped ("SKIP: reason" printed).

set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 VOLT GUEST_DIR SOURCE_DIR" >&2
	exit 1
fi
# Absolute, so a test may change directory.
VOLT=$(realpath -- "$1")
GUESTS=$(realpath -- "$2")
SRCDIR=$(realpath -- "$3")
# Each run is bounded: the test rig's KVM emulates every instruction, so a
# guest that loses an interrupt would otherwise hang the test.
RUN_TIMEOUT=${VOLT_TEST_RUN_TIMEOUT:-120}

failures=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/volt-it.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skip() { echo "SKIP: $*"; exit 77; }

# Skip unless /dev/kvm exists and this user can open it read-write.
require_kvm() {
	[ -e /dev/kvm ] || skip "/dev/kvm is missing (no KVM on this machine)"
	( exec 3<>/dev/kvm ) 2>/dev/null ||
		skip "/dev/kvm is not accessible to $(id -un) (need read-write access)"
}

require_file() {
	[ -f "$1" ] || { echo "FAIL: $1 is missing (build the project first)"; exit 1; }
}

# PLUGIN_ARGS: --plugin-dir to the build's plugin directory if NAME.so is
# there; empty for a slim volt, which has its plugins built in.
plugin_args() {
	local dir=$GUESTS/../../lib/volt/plugins

	PLUGIN_ARGS=()
	[ -f "$dir/$1.so" ] && PLUGIN_ARGS=(--plugin-dir "$dir")
}

# run_volt NAME ARGS...: run volt with a timeout; stdout in $TMP/NAME.out,
# stderr in $TMP/NAME.err, exit status in $status.
run_volt() {
	local name=$1
	shift
	timeout -k 5 "$RUN_TIMEOUT" "$VOLT" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	status=$?
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		echo "note: $name: volt was killed after ${RUN_TIMEOUT}s" >&2
	fi
}

# relay_guest NAME WHO: the test guest's own "PASS: ..." and "FAIL: ..."
# lines in $TMP/NAME.out, as checks of this test, each prefixed "WHO: ".
relay_guest() {
	local line

	while read -r line; do
		case $line in
		PASS:*) pass "$2: ${line#PASS: }" ;;
		FAIL:*) fail "$2: ${line#FAIL: }" ;;
		esac
	done <"$TMP/$1.out"
}

# show NAME: print a run's output (for a failed check), indented.
show() {
	echo "  --- $1: exit status $status; stdout:"
	sed 's/^/  | /' "$TMP/$1.out" | tail -n 40
	echo "  --- stderr:"
	sed 's/^/  | /' "$TMP/$1.err" | tail -n 20
}

# check_status NAME WANT WHAT: one check on the last run's exit status.
check_status() {
	if [ "$status" -eq "$2" ]; then
		pass "$3: exit status $2"
	else
		fail "$3: exit status $status, want $2"
		show "$1"
	fi
}

# check_grep NAME FILE-SUFFIX PATTERN WHAT: PATTERN (grep -E -i) in the output.
check_grep() {
	if grep -Eiq -- "$3" "$TMP/$1.$2"; then
		pass "$4"
	else
		fail "$4: no match for /$3/ in std$2"
		show "$1"
	fi
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed"
		exit 1
	fi
	exit 0
}
