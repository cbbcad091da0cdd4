#!/bin/bash
# The seccomp filters compiled for one configuration are the same bytes
# every run, and the same in a slim build (plugins linked in) as in the
# default one (plugins as .so files): the hidden --debug-export-seccomp DIR
# writes them (process.bpf, main.bpf, vcpu.bpf, io.bpf) and the process id,
# the one value that differs between runs (tgkill is pinned to it). Each
# export runs volt in a PID namespace of its own, where it is always pid 1,
# so the bytes can be compared as they are: masking a varying pid out of
# them was not reliable (with pids wrapping at 32768, a pid can equal a
# syscall number the filter compares with). A slim build's test gets the
# default build's volt in VOLT_COMPARE_VOLT.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
HELLO=$GUESTS/hello
require_file "$HELLO"
truncate -s 1M "$TMP/disk.img"

cat >"$TMP/blk.ini" <<INI
[vm]
kernel = $HELLO
vcpus = 2

[drive "rootfs"]
plugin = virtio-blk
path = $TMP/disk.img
INI

# export NAME VOLT: run it, as pid 1 of a new PID namespace, with the
# filters exported to $TMP/NAME. --mount-proc: /proc must show that
# namespace (a sanitizer build's leak check reads /proc/self/task).
export_filters() {
	mkdir -p "$TMP/$1"
	timeout -k 5 "$RUN_TIMEOUT" unshare --pid --fork --mount-proc -- "$2" --config "$TMP/blk.ini" \
		--debug-export-seccomp "$TMP/$1" >"$TMP/$1.out" 2>"$TMP/$1.err"
	status=$?
}

# same A B WHAT: the four filters of two exports are identical, byte for
# byte; both ran as pid 1, which the pid files must say.
same() {
	local f diff=""
	if [ "$(cat "$TMP/$1/pid")" != 1 ] || [ "$(cat "$TMP/$2/pid")" != 1 ]; then
		fail "$3: volt was not pid 1 in its namespace ($(cat "$TMP/$1/pid"), $(cat "$TMP/$2/pid"))"
		return
	fi
	for f in process main vcpu io; do
		cmp -s "$TMP/$1/$f.bpf" "$TMP/$2/$f.bpf" || diff="$diff $f"
	done
	if [ -z "$diff" ]; then
		pass "$3: the same filters"
	else
		fail "$3: filters differ:$diff"
	fi
}

export_filters a "$VOLT"
check_status a 0 "exporting the filters"
for f in process main vcpu io; do
	if [ -s "$TMP/a/$f.bpf" ] && [ $(($(stat -c %s "$TMP/a/$f.bpf") % 8)) -eq 0 ]; then
		pass "exported $f.bpf (a BPF program)"
	else
		fail "exported $f.bpf missing or not a BPF program"
	fi
done
if [ "$(stat -c %s "$TMP/a/vcpu.bpf")" -lt "$(stat -c %s "$TMP/a/process.bpf")" ]; then
	pass "the vCPU threads' filter is smaller than the process-wide one"
else
	fail "the vCPU threads' filter is not smaller than the process-wide one"
fi

export_filters b "$VOLT"
check_status b 0 "exporting the filters again"
same a b "two runs of this build"

# The other build counts only if it is built from these sources: no file
# of core/ or sdk/ newer than its volt, none of plugins/virtio-blk newer
# than its virtio-blk.so (a slim build has none: it is in volt).
stale() {
	local so
	so=$(dirname "$OTHER")/../lib/volt/plugins/virtio-blk.so
	[ -n "$(find "$SRCDIR/core" "$SRCDIR/sdk" -newer "$OTHER" -type f -print -quit)" ] ||
		{ [ -f "$so" ] && [ -n "$(find "$SRCDIR/plugins/virtio-blk" -newer "$so" -type f \
			-print -quit)" ]; }
}
OTHER=${VOLT_COMPARE_VOLT:-}
if [ -n "$OTHER" ] && [ ! -x "$OTHER" ]; then
	echo "note: $OTHER is not built; the comparison across link modes is skipped"
elif [ -n "$OTHER" ] && stale; then
	echo "note: $OTHER is older than the sources; the comparison across link modes is skipped"
elif [ -n "$OTHER" ]; then
	export_filters other "$OTHER"
	check_status other 0 "exporting the filters with $OTHER"
	same a other "this build and $OTHER"
fi

finish
