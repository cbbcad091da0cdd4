#!/bin/bash
# virtio-net on net-macvtap, inside a network namespace of the test's own:
# a veth pair, the macvtap created by the plugin on one end, the host-side
# address on the other. The guest ARPs and pings; the macvtap is gone after
# a normal exit (also when the guest ran as another user, with no
# capability), after a start-up that fails once it exists, after SIGTERM,
# SIGHUP or SIGQUIT, and after SIGKILL or a sandbox violation (its reaper
# deletes it). An existing macvtap is used and left alone;
# an existing link that is not one is refused.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source=net_common.sh
. "$(dirname "$0")/net_common.sh"
require_kvm
require_file "$NET_GUEST"
IDLE=$GUESTS/bench-idle
require_netns

ns ip link add veth0 type veth peer name veth1
ns ip addr add 10.0.3.1/24 dev veth1
ns ip link set veth0 up
ns ip link set veth1 up
MAC=02:00:0a:00:03:0f

# reaped NAME WHAT PID: volt (PID, a pattern) ended with no teardown; within
# 5 s its reaper has deleted voltmvt0 and said so on volt's stderr.
reaped() {
	local said="voltmvt0: volt \(pid $3\) ended without deleting its macvtap: deleted by the reaper"

	# The reaper writes its line after the kernel has deleted the link:
	# wait for both.
	for _ in $(seq 50); do
		! ns ip link show voltmvt0 >/dev/null 2>&1 && grep -Eq "$said" "$TMP/$1.err" && break
		sleep 0.1
	done
	no_links macvtap "net-macvtap after $2"
	check_grep "$1" err "$said" "$2: the reaper says it deleted the link"
}

# 1. A normal run.
net_vm_ini "$TMP/mvt.ini" 10.0.3.15 10.0.3.1 $MAC
cat >>"$TMP/mvt.ini" <<INI

[net "eth0"]
backend = net-macvtap
parent = veth0
ifname = voltmvt0
mac = $MAC
INI
run_ns mvt --config "$TMP/mvt.ini"
check_status mvt 0 "net-macvtap: the VM runs"
check_guest mvt "net-macvtap"
check_grep mvt err "net-macvtap net eth0: voltmvt0: macvtap created on veth0 \(mode bridge\)" \
	"net-macvtap: created on veth0"
check_grep mvt err "voltmvt0: macvtap deleted" "net-macvtap: deleted at exit"
no_links macvtap "net-macvtap after a normal exit"
sleep 0.2
if grep -q "reaper" "$TMP/mvt.err"; then
	fail "a normal exit: the reaper spoke: $(grep reaper "$TMP/mvt.err")"
else
	pass "a normal exit: the reaper found nothing to delete, and said nothing"
fi

# 1b. The same as another user ([sandbox] user): volt holds no capability
# once the guest runs, so the link comes up before lockdown and its reaper,
# which kept root's rights, deletes it at exit.
if getent passwd nobody >/dev/null && [ "$(id -u)" -eq 0 ]; then
	run_ns user --config "$TMP/mvt.ini" --user nobody
	check_status user 0 "net-macvtap, --user nobody: the VM runs"
	check_guest user "net-macvtap, --user nobody"
	check_grep user err "voltmvt0: macvtap deleted" "net-macvtap, --user nobody: deleted at exit"
	no_links macvtap "net-macvtap after a run as nobody"
else
	echo "note: not root, or no user nobody: the --user check is skipped"
fi

# 2. Start-up fails after the macvtap exists (a later [net] section with a
# bad tap name is refused when its instance is created).
cp "$TMP/mvt.ini" "$TMP/late.ini"
cat >>"$TMP/late.ini" <<INI

[net "eth1"]
backend = net-tap
tap = no/such
INI
run_ns late --config "$TMP/late.ini"
if [ "$status" -ne 0 ]; then
	pass "a bad later device: start-up fails (exit status $status)"
else
	fail "a bad later device: exit status 0"
	show late
fi
check_grep late err "voltmvt0: macvtap created" "a bad later device: the macvtap was created first"
no_links macvtap "net-macvtap after a failed start-up"

# 3. A stop signal while the guest runs (the idle guest halts forever):
# SIGTERM, and SIGHUP (a closed terminal) and SIGQUIT, which used to kill
# volt with no teardown.
if [ -f "$IDLE" ]; then
	sed "s|^kernel = .*|kernel = $IDLE|" "$TMP/mvt.ini" >"$TMP/term.ini"
	for sig in TERM HUP QUIT; do
		ip netns exec "$NS" "$VOLT" --config "$TMP/term.ini" >"$TMP/sig$sig.out" \
			2>"$TMP/sig$sig.err" &
		pid=$!
		for _ in $(seq 100); do
			ns ip link show voltmvt0 >/dev/null 2>&1 && grep -q IDLE "$TMP/sig$sig.out" &&
				break
			sleep 0.1
		done
		if ns ip link show voltmvt0 >/dev/null 2>&1; then
			pass "SIG$sig: the macvtap exists while the VM runs"
		else
			fail "SIG$sig: no macvtap while the VM runs"
		fi
		kill -"$sig" "$pid"
		wait "$pid"
		status=$?
		check_status "sig$sig" 0 "SIG$sig: volt exits"
		no_links macvtap "net-macvtap after SIG$sig"
	done
	# SIGKILL: no teardown at all; the reaper process deletes the link once
	# volt is gone, and says so. It has no fd of volt's but stderr.
	ip netns exec "$NS" "$VOLT" --config "$TMP/term.ini" >"$TMP/kill.out" 2>"$TMP/kill.err" &
	pid=$!
	for _ in $(seq 100); do
		grep -qs IDLE "$TMP/kill.out" && break
		sleep 0.1
	done
	# The newest in volt's namespace: earlier ones may not be reaped yet,
	# and other tests' reapers run in namespaces of their own.
	reaper=$(pgrep -n -x --ns "$pid" --nslist net volt-reaper)
	if [ -n "$reaper" ] && [ "$(ls /proc/"$reaper"/fd | wc -l)" -eq 3 ] &&
		grep -q "^Seccomp:[[:space:]]*1" /proc/"$reaper"/status; then
		pass "SIGKILL: a reaper runs, in strict seccomp, with 3 fds"
	else
		fail "SIGKILL: no confined reaper (pid '$reaper')"
		[ -n "$reaper" ] && ls -l /proc/"$reaper"/fd && grep Seccomp /proc/"$reaper"/status
	fi
	kill -KILL "$pid"
	wait "$pid"
	reaped kill "SIGKILL" "$pid"
	sleep 0.5
	if [ -n "$reaper" ] && [ -e /proc/"$reaper" ] &&
		! grep -q "^State:[[:space:]]*Z" /proc/"$reaper"/status; then
		fail "SIGKILL: the reaper is still running after its work"
	fi

	# The sandbox's kill (a plugin's undeclared syscall, on purpose): no
	# teardown either; the reaper deletes the link.
	UND=$GUESTS/../sandbox/sbx-undeclared/sbx-undeclared.so
	PLUGDIR=$("$VOLT" --list-plugins | sed -n '1s/^Plugins in \(.*\):$/\1/p')
	if [ -f "$UND" ] && [ -d "$PLUGDIR" ]; then
		mkdir "$TMP/plugins"
		ln -s "$PLUGDIR"/*.so "$UND" "$TMP/plugins/"
		cp "$TMP/term.ini" "$TMP/viol.ini"
		printf '\n[drive "phone"]\nplugin = sbx-undeclared\nwhere = io\n' >>"$TMP/viol.ini"
		run_ns viol --config "$TMP/viol.ini" --plugin-dir "$TMP/plugins"
		check_status viol 3 "a sandbox violation: volt is stopped"
		reaped viol "a sandbox violation" "[0-9]+"
	else
		echo "note: no $UND or plugin directory: the sandbox-violation check is skipped"
	fi
else
	echo "note: $IDLE missing: the stop-signal checks are skipped"
fi

# 4. An existing macvtap (link = ...): used, never deleted; its MAC must be
# the guest's.
ns ip link add link veth0 name mvtkeep type macvtap mode bridge
ns ip link set mvtkeep address $MAC up
sed -e 's/^parent = veth0$/link = mvtkeep/' -e '/^ifname = /d' "$TMP/mvt.ini" >"$TMP/keep.ini"
run_ns keep --config "$TMP/keep.ini"
check_status keep 0 "an existing macvtap: the VM runs"
check_guest keep "an existing macvtap"
if ns ip link show mvtkeep >/dev/null 2>&1; then
	pass "an existing macvtap: still there after volt exits"
else
	fail "an existing macvtap: deleted by volt"
fi
sed "s/^mac = .*/mac = 02:00:0a:00:03:99/" "$TMP/keep.ini" >"$TMP/wrongmac.ini"
run_ns wrongmac --config "$TMP/wrongmac.ini"
if [ "$status" -ne 0 ]; then
	pass "an existing macvtap with another MAC: refused (exit status $status)"
else
	fail "an existing macvtap with another MAC: exit status 0"
fi
check_grep wrongmac err "mvtkeep has MAC $MAC, not the guest's 02:00:0a:00:03:99" \
	"an existing macvtap with another MAC: the message says which MAC to set"
# Down: a warning, and it stays down (volt does not change a link it does
# not own). The hello guest never uses the device.
ns ip link set mvtkeep down
sed "s|^kernel = .*|kernel = $GUESTS/hello|" "$TMP/keep.ini" >"$TMP/down.ini"
run_ns down --config "$TMP/down.ini"
check_status down 0 "an existing macvtap that is down: the VM runs"
check_grep down err "mvtkeep is down: the guest's frames go nowhere" \
	"an existing macvtap that is down: a warning"
if ! ns ip link show mvtkeep | grep -q "[<,]UP[,>]"; then
	pass "an existing macvtap that is down: still down after volt"
else
	fail "an existing macvtap that is down: brought up by volt"
fi
ns ip link del mvtkeep

# 4b. /dev/tapN names a link by its index, unique only in one namespace:
# another namespace's macvtap of the same index holds the node (devtmpfs
# keeps the first). volt must open its own link's queue, not that one.
OTHER=volt-test-other-$$
if ip netns add "$OTHER" 2>/dev/null; then
	ip -n "$OTHER" link add v0 type veth peer name v1
	ip -n "$OTHER" link add link v0 name mvtkeep index 4077 type macvtap mode bridge
	ns ip link add link veth0 name mvtkeep index 4077 type macvtap mode bridge
	ns ip link set mvtkeep address $MAC up
	mine=$(ns cat /sys/class/net/mvtkeep/macvtap/tap4077/dev)
	node=$(stat -c '%Hr:%Lr' /dev/tap4077 2>/dev/null)
	run_ns clash --config "$TMP/keep.ini"
	check_status clash 0 "/dev/tap4077 held by another namespace's link: the VM runs"
	check_guest clash "/dev/tap4077 held by another namespace's link (node $node, ours $mine)"
	# Entered without its own /sys (nsenter, not ip netns exec), sysfs
	# cannot say which device is ours: refused, never the other's queue.
	if command -v nsenter >/dev/null; then
		timeout -k 5 "$RUN_TIMEOUT" nsenter --net="/run/netns/$NS" "$VOLT" \
			--config "$TMP/keep.ini" >"$TMP/nosys.out" 2>"$TMP/nosys.err"
		status=$?
		[ "$status" -ne 0 ] && pass "the clash, without the namespace's sysfs: refused" ||
			fail "the clash, without the namespace's sysfs: exit status 0"
		check_grep nosys err "/dev/tap4077: another link.s .*, and sysfs does not give" \
			"the clash, without the namespace's sysfs: the message says why"
	fi
	ip netns del "$OTHER"
	ns ip link del mvtkeep
else
	echo "note: cannot create a second network namespace: the /dev/tapN clash check is skipped"
fi

# 5. A parent that does not exist: the message names the link and the step.
sed "s/^parent = veth0$/parent = nosuch0/" "$TMP/mvt.ini" >"$TMP/noparent.ini"
run_ns noparent --config "$TMP/noparent.ini"
check_grep noparent err "creating macvtap voltmvt0 on nosuch0" \
	"a missing parent: the message names the link, the parent and the step"
no_links macvtap "net-macvtap after a missing parent"

# 6. Refused before anything is made: a link that is not a macvtap, and a
# section that names both a parent and a link.
sed -e 's/^parent = veth0$/link = veth0/' -e '/^ifname = /d' "$TMP/mvt.ini" >"$TMP/notmvt.ini"
run_ns notmvt --config "$TMP/notmvt.ini"
check_grep notmvt err "link = veth0: not a macvtap link" \
	"a link that is not a macvtap: refused, and says so"
[ "$status" -ne 0 ] && pass "a link that is not a macvtap: exit status $status" ||
	fail "a link that is not a macvtap: exit status 0"
sed 's/^parent = veth0$/parent = veth0\nlink = veth1/' "$TMP/mvt.ini" >"$TMP/both.ini"
run_ns both --config "$TMP/both.ini"
check_grep both err "set exactly one of parent .* and link" \
	"parent and link both set: refused, and says so"
no_links macvtap "net-macvtap after a refused section"

finish
