#!/bin/bash
# [sandbox] user / --user: volt, started as root, runs the guest as another
# user with no capability at all, on every thread, after opening what it
# needed root for (here a root-only disk image). A user that does not exist
# and root itself are configuration errors (status 2) naming the setting.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
IDLE=$GUESTS/bench-idle
BLK=$GUESTS/blk
require_file "$IDLE"
require_file "$BLK"
[ "$(id -u)" -eq 0 ] || skip "volt must start as root to switch users"
getent passwd nobody >/dev/null || skip "no user 'nobody' on this host"
NOBODY=$(id -u nobody)
plugin_args virtio-blk

# 1. Every thread of a running VM: nobody's uid and gid, no supplementary
# group, no capability, NO_NEW_PRIVS and seccomp on; SIGTERM still stops it.
"$VOLT" --kernel "$IDLE" --user nobody >"$TMP/idle.out" 2>"$TMP/idle.err" &
pid=$!
for _ in $(seq 100); do
	grep -qs IDLE "$TMP/idle.out" && break
	sleep 0.1
done
bad=""
for task in /proc/"$pid"/task/*; do
	st=$(cat "$task/status" 2>/dev/null) || continue
	name=$(awk '/^Name:/ {print $2}' <<<"$st")
	case "$name" in kvm-*) continue ;; esac # KVM's own worker, not volt's code
	grep -Eq "^Uid:[[:space:]]+$NOBODY[[:space:]]+$NOBODY[[:space:]]+$NOBODY[[:space:]]+$NOBODY$" <<<"$st" &&
		grep -Eq '^Groups:[[:space:]]*$' <<<"$st" &&
		grep -q '^CapEff:[[:space:]]*0000000000000000$' <<<"$st" &&
		grep -q '^CapPrm:[[:space:]]*0000000000000000$' <<<"$st" &&
		grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$st" &&
		grep -q '^Seccomp:[[:space:]]*2$' <<<"$st" || bad="$bad $name"
done
if grep -qs IDLE "$TMP/idle.out" && [ -z "$bad" ]; then
	pass "--user nobody: every thread runs as uid $NOBODY, no group, no capability, seccomp on"
else
	fail "--user nobody: threads not switched or confined:${bad:- (the guest never ran)}"
	show idle
fi
kill -TERM "$pid"
wait "$pid"
status=$?
check_status idle 0 "--user nobody: SIGTERM stops the VM"

# 2. Devices opened as root keep working: a disk image only root may open.
truncate -s 1M "$TMP/rw.img"
head -c 65536 /dev/zero | tr '\0' 'R' >"$TMP/ro.img"
chmod 600 "$TMP/rw.img" "$TMP/ro.img"
cat >"$TMP/blk.ini" <<INI
[vm]
kernel = $BLK
memory_mib = 64
cmdline = console=ttyS0 blk.sector=5

[drive "rw"]
plugin = virtio-blk
path = $TMP/rw.img
serial = volt-blk-serial0

[drive "ro"]
plugin = virtio-blk
path = $TMP/ro.img
read_only = true

[sandbox]
user = nobody
INI
run_volt blk --config "$TMP/blk.ini" "${PLUGIN_ARGS[@]}"
check_status blk 0 "[sandbox] user = nobody: the blk guest runs on a root-only image"
if grep -q '^FAIL' "$TMP/blk.out" || ! grep -q '^PASS' "$TMP/blk.out"; then
	fail "[sandbox] user = nobody: the blk guest's checks"
	show blk
else
	pass "[sandbox] user = nobody: the blk guest's checks passed"
fi

# 3. Refused before anything runs.
run_volt nosuch --kernel "$IDLE" --user no-such-user-here
check_status nosuch 2 "--user no-such-user-here: a configuration error"
check_grep nosuch err "--user = no-such-user-here: no user 'no-such-user-here' on this host" \
	"--user no-such-user-here: the message names the flag and the user"
run_volt root --kernel "$IDLE" --user 0:0
check_status root 2 "--user 0:0: refused"
check_grep root err "--user = 0:0: root \(uid or gid 0\) is what volt leaves" \
	"--user 0:0: the message says why"
printf '[vm]\nkernel = %s\n\n[sandbox]\nuser = nobody:no-such-group\n' "$IDLE" >"$TMP/grp.ini"
run_volt grp --config "$TMP/grp.ini"
check_status grp 2 "[sandbox] user with an unknown group: refused"
check_grep grp err "grp.ini:5: user = nobody:no-such-group: no group 'no-such-group'" \
	"[sandbox] user with an unknown group: the message points at the line"

finish
