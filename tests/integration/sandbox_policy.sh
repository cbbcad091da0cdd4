#!/bin/bash
# volt --print-sandbox-policy --config FILE prints the merged policy (per
# thread type: syscall, argument constraints, who asked, why) and the
# Landlock rules, and exits 0 without running the VM (no KVM call). The
# counts stay below Firecracker's published ones (vmm 50, api 31, vcpu 27).
# A plugin declaring a syscall libseccomp does not know is refused.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
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

run_volt print --print-sandbox-policy --config "$TMP/blk.ini"
check_status print 0 "--print-sandbox-policy"
check_grep print out "^Sandbox policy for $TMP/blk.ini" "--print-sandbox-policy: names the configuration"
check_grep print out "^seccomp: on;" "--print-sandbox-policy: seccomp on by default"
for section in "process-wide filter" "main thread" "vcpu threads" "io threads"; do
	check_grep print out "^$section .*: [0-9]+ distinct syscalls\$" \
		"--print-sandbox-policy: a '$section' section with its count"
done
check_grep print out "^  preadv +arg0 = fd slot 0 +virtio-blk \(drive rootfs\): " \
	"--print-sandbox-policy: a plugin's rule with its fd slot, who and why"
check_grep print out "^  ioctl +arg0 = a vCPU fd; arg1 in \{KVM_RUN" \
	"--print-sandbox-policy: the core's KVM ioctls by name, pinned to the vCPU fds"
check_grep print out "^Landlock: " "--print-sandbox-policy: the Landlock part"
# Plugins add their paths when they realize, which printing does not run:
# the printout says so rather than "none"; with no plugin, none it is.
if grep -q "^Landlock: ABI" "$TMP/print.out"; then
	# (A sanitizer build's core has a rule of its own: /proc/self.)
	check_grep print out "^  rules: (none of the core's|the core's, below); a plugin may add paths when it realizes" \
		"--print-sandbox-policy: plugins' paths are not claimed to be none"
	run_volt bare --print-sandbox-policy --kernel "$HELLO"
	if grep -q "^  /proc/self .*sanitizer build" "$TMP/bare.out"; then
		check_grep bare out "^  /proc/self " "--print-sandbox-policy without plugins: the core's rule only"
	else
		check_grep bare out "^  rules: none: no file can be opened after lockdown" \
			"--print-sandbox-policy without plugins: no Landlock rule"
	fi
	if grep -q "a plugin may add paths" "$TMP/bare.out"; then
		fail "--print-sandbox-policy without plugins: speaks of plugins' paths"
	fi
fi
if grep -q "^Hello from" "$TMP/print.out"; then
	fail "--print-sandbox-policy: the guest ran"
else
	pass "--print-sandbox-policy: the guest did not run"
fi

# Below Firecracker's counts: its vmm thread 50, api 31, vcpu 27.
count() { sed -nE "s/^$1 .*: ([0-9]+) distinct syscalls\$/\\1/p" "$TMP/print.out"; }
main_n=$(count "main thread") vcpu_n=$(count "vcpu threads") io_n=$(count "io threads")
if [ -n "$main_n" ] && [ "$main_n" -lt 50 ] && [ -n "$vcpu_n" ] && [ "$vcpu_n" -lt 27 ] &&
	[ -n "$io_n" ] && [ "$io_n" -lt 31 ]; then
	pass "counts below Firecracker's: main $main_n < 50, vcpu $vcpu_n < 27, io $io_n < 31"
else
	fail "counts: main '$main_n' (< 50), vcpu '$vcpu_n' (< 27), io '$io_n' (< 31)"
fi

# No KVM call: /dev/kvm is never opened.
if command -v strace >/dev/null; then
	strace -f -qq -e trace=open,openat -o "$TMP/strace.txt" \
		"$VOLT" --print-sandbox-policy --config "$TMP/blk.ini" >/dev/null 2>&1
	if grep -q '/dev/kvm' "$TMP/strace.txt"; then
		fail "--print-sandbox-policy: opened /dev/kvm"
	else
		pass "--print-sandbox-policy: never opens /dev/kvm"
	fi
else
	fail "--print-sandbox-policy: strace is missing, so the /dev/kvm check cannot run (scripts/install-deps.sh installs it)"
fi

run_volt off --print-sandbox-policy --config "$TMP/blk.ini" --no-seccomp --no-landlock
check_status off 0 "--print-sandbox-policy --no-seccomp --no-landlock"
check_grep off out "^seccomp: off \(--no-seccomp\)" "--print-sandbox-policy: says seccomp is off"
check_grep off out "^Landlock: off \(--no-landlock\)" "--print-sandbox-policy: says Landlock is off"

# A declaration of a syscall no one knows is refused, printing or running.
cat >"$TMP/unknown.ini" <<INI
[vm]
kernel = $HELLO

[drive "typo"]
plugin = sbx-unknown
INI
UNKNOWN=$GUESTS/../sandbox/sbx-unknown
for mode in print run; do
	args=(--config "$TMP/unknown.ini" --plugin-dir "$UNKNOWN")
	[ "$mode" = print ] && args+=(--print-sandbox-policy)
	run_volt "unknown-$mode" "${args[@]}"
	if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
		pass "unknown syscall name ($mode): refused (exit status $status)"
	else
		fail "unknown syscall name ($mode): exit status $status"
		show "unknown-$mode"
	fi
	check_grep "unknown-$mode" err "no_such_syscall" "unknown syscall name ($mode): named"
done

finish
