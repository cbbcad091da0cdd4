# shellcheck shell=bash
# Shared by the net_*.sh integration tests (sourced after common.sh): a
# network namespace of the test's own, volt run inside it, the net guest's
# result lines. Traffic never leaves that namespace: every address below
# exists only inside it.

NET_GUEST=$GUESTS/net
NS=volt-test-$$

# Skip unless `ip` works and this user may create network namespaces; the
# namespace is deleted on every exit path.
require_netns() {
	command -v ip >/dev/null 2>&1 || skip "the ip command (iproute2) is missing"
	ip netns add "$NS" 2>"$TMP/netns.err" ||
		skip "cannot create a network namespace: $(cat "$TMP/netns.err")"
	trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"' EXIT
	trap 'exit 130' INT TERM
	ns ip link set lo up
}

ns() {
	ip netns exec "$NS" "$@"
}

# run_ns NAME ARGS...: run_volt, inside the namespace.
run_ns() {
	local name=$1
	shift
	timeout -k 5 "$RUN_TIMEOUT" ip netns exec "$NS" "$VOLT" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	status=$?
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		echo "note: $name: volt was killed after ${RUN_TIMEOUT}s" >&2
	fi
}

# check_guest NAME WHAT: the net guest's checks all passed (its PASS and
# FAIL lines are repeated here, prefixed).
check_guest() {
	sed -n 's/^\(PASS\|FAIL\): /  guest: &/p' "$TMP/$1.out"
	if grep -Eq '^NET DONE pass=[1-9][0-9]* fail=0$' "$TMP/$1.out" &&
		! grep -q '^FAIL: ' "$TMP/$1.out"; then
		pass "$2: the guest's checks passed"
	else
		fail "$2: the guest's checks did not all pass"
		show "$1"
	fi
}

# no_links TYPE WHAT: no link of this type is left in the namespace.
no_links() {
	local left

	left=$(ns ip -o link show type "$1" 2>/dev/null | awk -F': ' '{print $2}' | tr '\n' ' ')
	if [ -z "$left" ]; then
		pass "$2: no $1 link left"
	else
		fail "$2: $1 link(s) left behind: $left"
	fi
}

# net_ini FILE IP PEER MAC [EXTRA_CMDLINE]: the [vm] part for the net guest.
net_vm_ini() {
	cat >"$1" <<INI
[vm]
kernel = $NET_GUEST
cmdline = console=ttyS0 net.ip=$2 net.peer=$3 net.mac=$4 ${5:-}
INI
}
