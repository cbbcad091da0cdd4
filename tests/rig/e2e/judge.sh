# shellcheck shell=bash
# Shared by tests/rig/run-e2e.sh and tests/rig/run-soak.sh (sourced): the PASS
# and FAIL lines, the rig's log as the checks read it, the checks every rig
# test ends with, and its verdict. Callers set work, rig_rc and the t_* times:
# shellcheck disable=SC2154

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# judge_read_log FILE: the rig's serial log into $log. Guest lines come
# through two consoles (the guest's ttyS0, then L1's): every \r is dropped.
judge_read_log() {
	log=$work/log
	tr -d '\r' <"$1" >"$log" 2>/dev/null || : >"$log"
}

# judge_none PATTERN PASS FAIL: PASS if no line of the log matches PATTERN
# (ERE), else FAIL and the first five that do.
judge_none() {
	local bad
	bad=$(grep -nE -- "$1" "$log" | head -n 5 || true)
	if [[ -z $bad ]]; then
		pass "$2"
	else
		fail "$3"
		printf '  %s\n' "$bad"
	fi
}

# judge_end MARKER WHERE: no kernel trouble anywhere in the log (WHERE says
# whose), L1's script reached MARKER, and run-rig.sh exited 0.
judge_end() {
	judge_none 'WARNING:|BUG:|Call Trace|Oops|Kernel panic' \
		"no WARNING:, BUG:, Call Trace, Oops or panic in $2" "kernel trouble in the log:"
	grep -q "^$1" "$log" ||
		fail "the L1 script did not finish (last marker: $(grep -E '^(RIG|VOLT)-' "$log" | tail -n1))"
	((rig_rc == 0)) || fail "run-rig.sh exited with status $rig_rc"
}

# judge_verdict NAME LOG_FILE: the phases' times, then exit 1 if a check failed.
judge_verdict() {
	echo "times: kernels $((t_kernels - t_start)) s, payload $((t_payload - t_kernels)) s, rig $((t_rig - t_payload)) s, total $((SECONDS - t_start)) s; log: $2"
	((failures == 0)) || { echo "$1: $failures check(s) failed"; exit 1; }
	echo "$1: all checks passed"
}
