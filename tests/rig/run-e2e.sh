#!/usr/bin/env bash
# Linux end-to-end tests of volt in the nested rig (docs/rig.md): one rig run (one L1
# boot) in which volt, sandbox on, boots the guest kernel six times
# (tests/rig/e2e/l1-e2e.sh), then one PASS/FAIL line per check from the log.
#
#   tests/rig/run-e2e.sh [--build-dir DIR] [--log FILE] [--timeout S] [--l1-cpus N]
#                        [--verbose]
#
#   --build-dir DIR   volt build to test (default build-e2e; configured and built
#                     with -DVOLT_TESTS=OFF if it does not exist, else ninja)
#   --log FILE        the rig's serial log (default DIR/rig-e2e.log)
#   --timeout S       the whole rig run's limit (default 600); each VM has 90 s
#   --l1-cpus N       L1's CPUs (default 1: with 2, the rig's emulated SVM loses
#                     L1's state on the way back from a guest now and then, a
#                     crash of L1 or of the guest that is not volt's; docs/rig.md)
#   --verbose         stream the serial output to stderr while it runs
#
# Builds (cached in ~/.cache/volt) the guest and L1 kernels with
# scripts/build-kernel.sh, an ext4 rootfs with tests/rig/e2e/guest-e2e.sh, and
# tests/rig/e2e/vmrun.c. Exit status: 0 all checks passed, 1 a check failed (or
# the rig did not finish), 77 skipped (no QEMU, or the kernels cannot be built).
set -euo pipefail

SELF_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(cd "$SELF_DIR/../.." && pwd)
export PAYLOAD_LOG_NAME=run-e2e
# shellcheck source=e2e/payload.sh
. "$SELF_DIR/e2e/payload.sh"
# shellcheck source=e2e/judge.sh
. "$SELF_DIR/e2e/judge.sh"

build_dir=build-e2e log_file='' timeout=600 l1_cpus=1 verbose=()
while (($#)); do
	case $1 in
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--log) log_file=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--l1-cpus) l1_cpus=${2:?}; shift 2 ;;
	--verbose) verbose=(--verbose); shift ;;
	*) sed -n '6,16p' "${BASH_SOURCE[0]}" | sed 's/^#/ /' >&2; exit 2 ;;
	esac
done
cd "$REPO"
log_file=${log_file:-$build_dir/rig-e2e.log}

skip() { echo "SKIP: $*"; exit 77; }
t_start=$SECONDS

# ---- prerequisites and the payload ----
payload_require debugfs
guest_dir=$(payload_guest_kernel) || { echo "FAIL: scripts/build-kernel.sh guest"; exit 1; }
"$REPO/scripts/build-kernel.sh" host >/dev/null || { echo "FAIL: scripts/build-kernel.sh host"; exit 1; }
t_kernels=$SECONDS

payload_build_volt "$build_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
payload=$work/payload
payload_add_volt "$build_dir" "$payload"
payload_build_vmrun "$payload/bin/vmrun"
cp /sbin/debugfs "$payload/bin/debugfs"
mkdir -p "$payload/guest"
cp "$guest_dir/vmlinux" "$guest_dir/bzImage" "$payload/guest/"
"$REPO/scripts/build-rootfs.sh" --size 16M "$payload/guest/rootfs.ext4" \
	"$SELF_DIR/e2e/guest-e2e.sh" >/dev/null
t_payload=$SECONDS

# ---- the rig ----
rig_rc=0
mkdir -p "$(dirname "$log_file")"
payload_log "rig: $(du -sh "$payload" | cut -f1) payload, $l1_cpus L1 CPU(s); log: $log_file"
"$SELF_DIR/run-rig.sh" --payload "$payload" --l1-script "$SELF_DIR/e2e/l1-e2e.sh" \
	--log "$log_file" --timeout "$timeout" --cpus "$l1_cpus" "${verbose[@]}" >/dev/null ||
	rig_rc=$?
t_rig=$SECONDS

# ---- the checks ----
judge_read_log "$log_file"

# seg NAME: the log lines of run NAME (from its BEGIN to its RESULT line).
seg() {
	awk -v n="$1" '$0 == "VOLT-E2E-BEGIN name=" n { on = 1 }
		on { print }
		on && index($0, "VOLT-E2E-RESULT name=" n " ") == 1 { exit }' "$log"
}
# field NAME KEY: a field of run NAME's result line.
field() {
	seg "$1" | sed -n "s/^VOLT-E2E-RESULT .* $2=\\([^ ]*\\).*/\\1/p" | tail -n1
}
has() { seg "$1" | grep -qE -- "$2"; }
# times NAME: "init 1234 ms, exit 2345 ms, guest uptime at init 1.10 s".
times() {
	local up
	up=$(seg "$1" | sed -n 's/^VOLT-INIT uptime=\([0-9.]*\).*/\1/p' | head -n1)
	echo "exec->init $(field "$1" init_ms) ms, exec->exit $(field "$1" exit_ms) ms, guest uptime at init ${up:--} s"
}
# why NAME: a short reason for a failed run: its status and volt's error lines.
why() {
	local errs
	# A triple fault is logged at info level, and may land mid-line after the
	# guest's unfinished output: matched anywhere, cut from where it starts.
	errs=$(seg "$1" | grep -oE '^volt: (error|warn).*|volt: info: vCPU [0-9]+: guest triple fault.*' |
		head -n 3 | tr '\n' ' ')
	echo "status $(field "$1" status)${errs:+; $errs}"
}

check_boot() {
	local name=$1 what=$2
	# The guest's / is ext4 on the device /dev/vda is, and virtio_blk drives vda.
	if has "$name" '^VOLT-INIT uptime=' &&
		has "$name" '^VOLT-E2E-ROOT fs=ext4 dev=([0-9]+:[0-9]+) vda=\1 driver=virtio_blk$'; then
		pass "$what boots to init, root=/dev/vda (ext4 on virtio-blk) ($(times "$name"))"
	else
		fail "$what did not boot to init on /dev/vda: $(why "$name")"
	fi
}

check_disk() {
	local name=$1 file=$2 want got
	want=$(sed -n 's/^VOLT-E2E-TOKEN value=//p' "$log")-${name#boot-}
	got=$(sed -n "s|^VOLT-E2E-DEBUGFS file=/$file content=\\(.*\\)|\\1|p" "$log" | sed 's/ *$//')
	if [[ -n $want ]] && has "$name" "^VOLT-E2E-WROTE file=/$file" && [[ $got == "$want" ]]; then
		pass "$name: the guest wrote /$file and synced; debugfs in L1 reads '$got' from the image"
	else
		fail "$name: /$file: wanted '$want' in the image, debugfs read '$got'"
	fi
}

check_cpus() {
	local name=$1 n=$2 got
	got=$(seg "$name" | sed -n 's/^VOLT-E2E-CPUS processors=\([0-9]*\).*/\1/p' | head -n1)
	if [[ $got == "$n" ]]; then
		pass "$n vCPUs: the guest's /proc/cpuinfo lists $got processors ($name)"
	else
		fail "$n vCPUs: the guest's /proc/cpuinfo lists '${got:-nothing}' ($name: $(why "$name"))"
	fi
}

check_ping() {
	local name=$1 backend=$2 line
	line=$(seg "$name" | grep -E '^VOLT-E2E-PING' | head -n1)
	if [[ $line == "VOLT-E2E-PING ok "* ]]; then
		pass "$backend: the guest pings L1 (${line#VOLT-E2E-PING ok })"
	else
		fail "$backend: ${line:-no ping result} ($(why "$name"))"
	fi
}

check_exit0() {
	local name=$1 what=$2 need=$3
	if [[ $(field "$name" status) == exit:0 ]] && has "$name" "$need"; then
		pass "$what: volt exits with status 0 ($(field "$name" exit_ms) ms after exec)"
	else
		fail "$what: $(why "$name"), or no '$need' in its log"
	fi
}

names=(boot-vmlinux boot-bzimage macvtap-4cpu vhost sigterm ctrl-alt-del)
if [[ ! -s $log_file ]] || ! grep -q '^RIG-L1 script-start' "$log"; then
	fail "the rig did not start L1's script (run-rig.sh exit $rig_rc); see $log_file"
else
	check_boot boot-vmlinux "vmlinux (ELF)"
	check_disk boot-vmlinux e2e-vmlinux.txt
	check_exit0 boot-vmlinux "guest reboot -f (reboot=k)" '^VOLT-INIT done'
	check_boot boot-bzimage "bzImage"
	check_disk boot-bzimage e2e-bzimage.txt
	check_cpus boot-bzimage 2
	check_cpus macvtap-4cpu 4
	# In every run: no nested virtualization or PMU flag, the hypervisor bit set.
	flags_bad=()
	for n in "${names[@]}"; do
		line=$(seg "$n" | grep -m1 '^VOLT-E2E-FLAGS ')
		[[ $line == "VOLT-E2E-FLAGS hidden= hypervisor=1" ]] || flags_bad+=("$n: ${line:-no flags line}")
	done
	if ((${#flags_bad[@]} == 0)); then
		pass "CPU flags: no svm, vmx or PMU flag in any guest's /proc/cpuinfo, hypervisor set (all ${#names[@]} runs)"
	else
		fail "CPU flags: ${flags_bad[*]}"
	fi
	check_ping boot-bzimage net-tap
	check_ping macvtap-4cpu net-macvtap
	if grep -q '^VOLT-E2E-LINKS macvtap=0$' "$log"; then
		pass "net-macvtap: the macvtap volt created is gone after it exits"
	else
		fail "net-macvtap: $(grep '^VOLT-E2E-LINKS' "$log" || echo 'no link report')"
	fi
	check_ping vhost net-vhost
	if has vhost '^volt: info: kernel .*: [1-9][0-9]* of its [0-9]+ bytes mapped from the file, shared'; then
		pass "kernel_pages = shared: $(seg vhost | sed -n 's/^volt: info: kernel .*: \([0-9]*\) of its \([0-9]*\) bytes.*/\1 of \2 bytes of the kernel segments mapped from the file/p' | head -n1) (the net-vhost run)"
	else
		fail "kernel_pages = shared: no 'mapped from the file' line in the net-vhost run ($(why vhost))"
	fi
	check_exit0 sigterm "SIGTERM while the guest runs" '^VOLT-E2E-HOLD'
	# AnonHugePages of the whole volt process at the snapshot: its memory
	# outside guest RAM is below 2 MiB, so a huge page is guest RAM.
	thp_never=$(field sigterm thp_kib) thp_auto=$(field boot-vmlinux thp_kib)
	if [[ $thp_never == 0 && $thp_auto =~ ^[0-9]+$ ]] && ((thp_auto > 0)); then
		pass "huge_pages = never: no huge page backs guest RAM at init (AnonHugePages 0 kB; $thp_auto kB by default, in boot-vmlinux)"
	else
		fail "huge_pages = never: AnonHugePages '${thp_never:-none}' kB in the sigterm run, '${thp_auto:-none}' kB by default"
	fi
	if has ctrl-alt-del '^VOLT-E2E-HOLD' && has ctrl-alt-del 'SIGUSR2: sending Ctrl-Alt-Del' &&
		has ctrl-alt-del 'reboot: Restarting system' && ! has ctrl-alt-del '^VOLT-INIT done'; then
		check_exit0 ctrl-alt-del "Ctrl-Alt-Del (SIGUSR2 -> i8042): the guest kernel restarts" 'reboot: Restarting system'
	else
		fail "Ctrl-Alt-Del: the guest did not restart on SIGUSR2 ($(why ctrl-alt-del))"
	fi

	# Runs 3 and 4 ran the guest as uid 65534 with no capability; the others
	# as root (the L1 script runs volt as root).
	if [[ $(field macvtap-4cpu uid) == 65534 && $(field macvtap-4cpu capeff) == 0 &&
		$(field vhost uid) == 65534 && $(field vhost capeff) == 0 &&
		$(field boot-vmlinux uid) == 0 ]]; then
		pass "[sandbox] user: net-macvtap and net-vhost guests ran as uid 65534, no capability"
	else
		fail "[sandbox] user: uid/capeff macvtap-4cpu $(field macvtap-4cpu uid)/$(field macvtap-4cpu capeff), vhost $(field vhost uid)/$(field vhost capeff), boot-vmlinux $(field boot-vmlinux uid)"
	fi

	# The sandbox was on in every run: seccomp mode 2 in /proc/PID/status.
	nosb=()
	for n in "${names[@]}"; do
		[[ $(field "$n" seccomp) == 2 ]] || nosb+=("$n:$(field "$n" seccomp)")
	done
	if grep -qE -- '--no-seccomp|--no-landlock' "$SELF_DIR/e2e/l1-e2e.sh"; then
		fail "sandbox: the L1 script turns part of it off"
	elif ((${#nosb[@]} == 0)); then
		pass "sandbox on in all ${#names[@]} runs (Seccomp: 2 in /proc/PID/status of each volt)"
	else
		fail "sandbox: seccomp not seen on in: ${nosb[*]}"
	fi

	if grep -q 'Failed to enable 64-bit or 32-bit DMA' "$log"; then
		fail "virtio-mmio: the guest printed: $(grep -m1 'Failed to enable 64-bit' "$log")"
	else
		pass "virtio-mmio: no 'Failed to enable 64-bit or 32-bit DMA' in any guest log"
	fi
	judge_end 'VOLT-E2E-ALL done' "the log (L1 and every guest)"
fi

judge_verdict run-e2e "$log_file"
