#!/usr/bin/env bash
# Soak test of volt in the nested rig (docs/rig.md): one rig run in which volt,
# sandbox on, runs one Linux guest (2 vCPUs, virtio-blk root and data disks,
# net-tap) that keeps the data disk and the network busy at once for about a
# minute (tests/rig/soak/), while L1 samples volt's memory, fds and threads.
# Then one PASS/FAIL line per check from the log, and the samples as a table.
#
#   tests/rig/run-soak.sh [--build-dir DIR] [--log FILE] [--seconds N] [--timeout S]
#                         [--l1-cpus N] [--qemu-log ITEMS] [--verbose]
#
#   --build-dir DIR   volt build to test (default build-e2e; configured and built
#                     with -DVOLT_TESTS=OFF if it does not exist, else ninja)
#   --log FILE        the rig's serial log (default DIR/rig-soak.log)
#   --seconds N       how long the guest keeps the devices busy (default 60)
#   --timeout S       the whole rig run's limit (default N + 300, at least 600)
#   --l1-cpus N       L1's CPUs (default 1: with 2, L1 itself often dies in the
#                     rig's emulated SVM under this load; docs/rig.md)
#   --qemu-log ITEMS  passed to run-rig.sh (QEMU's -d log in FILE.qemu; cpu_reset
#                     shows where L1 was if it dies)
#   --verbose         stream the serial output to stderr while it runs
#
# Exit status: 0 all checks passed, 1 a check failed (or the rig did not
# finish), 77 skipped (where run-e2e.sh skips: no QEMU, no kernel source or
# kernel build tools, no e2fsprogs).
set -euo pipefail

SELF_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(cd "$SELF_DIR/../.." && pwd)
export PAYLOAD_LOG_NAME=run-soak
# shellcheck source=e2e/payload.sh
. "$SELF_DIR/e2e/payload.sh"
# shellcheck source=e2e/judge.sh
. "$SELF_DIR/e2e/judge.sh"

build_dir=build-e2e log_file='' seconds=60 timeout='' l1_cpus=1 verbose=() qemu_log=()
while (($#)); do
	case $1 in
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--log) log_file=${2:?}; shift 2 ;;
	--seconds) seconds=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--l1-cpus) l1_cpus=${2:?}; shift 2 ;;
	--verbose) verbose=(--verbose); shift ;;
	--qemu-log) qemu_log=(--qemu-log "${2:?}"); shift 2 ;;
	*) sed -n '8,20p' "${BASH_SOURCE[0]}" | sed 's/^#/ /' >&2; exit 2 ;;
	esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "run-soak: --seconds wants a positive integer" >&2; exit 2; }
cd "$REPO"
log_file=${log_file:-$build_dir/rig-soak.log}
# Boot, the soak and the final checks take N + about 25 s in the rig; the rest
# is room for a loaded machine.
timeout=${timeout:-$((seconds + 300 > 600 ? seconds + 300 : 600))}

skip() { echo "SKIP: $*"; exit 77; }
t_start=$SECONDS

# ---- prerequisites and the payload (as run-e2e.sh) ----
payload_require debugfs e2fsck mke2fs
guest_dir=$(payload_guest_kernel) || { echo "FAIL: scripts/build-kernel.sh guest"; exit 1; }
"$REPO/scripts/build-kernel.sh" host >/dev/null || { echo "FAIL: scripts/build-kernel.sh host"; exit 1; }
t_kernels=$SECONDS

payload_build_volt "$build_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
payload=$work/payload
payload_add_volt "$build_dir" "$payload"
payload_build_vmrun "$payload/bin/vmrun"
for tool in debugfs e2fsck mke2fs; do cp "/sbin/$tool" "$payload/bin/$tool"; done
mkdir -p "$payload/guest"
cp "$guest_dir/vmlinux" "$payload/guest/"
"$REPO/scripts/build-rootfs.sh" --size 16M "$payload/guest/rootfs.ext4" \
	"$SELF_DIR/soak/guest-soak.sh" >/dev/null
# run-rig.sh passes no environment into L1: the soak's length goes in as the
# L1 script's first line (l1-soak.sh defaults to 60 s without it).
l1_script=$work/l1-soak.sh
{
	echo "SOAK_SECONDS=$seconds"
	cat "$SELF_DIR/soak/l1-soak.sh"
} >"$l1_script"
t_payload=$SECONDS

# ---- the rig ----
rig_rc=0
mkdir -p "$(dirname "$log_file")"
payload_log "rig: $(du -sh "$payload" | cut -f1) payload, ${seconds} s soak, $l1_cpus L1 CPU(s); log: $log_file"
"$SELF_DIR/run-rig.sh" --payload "$payload" --l1-script "$l1_script" \
	--log "$log_file" --timeout "$timeout" --cpus "$l1_cpus" "${verbose[@]}" "${qemu_log[@]}" >/dev/null ||
	rig_rc=$?
t_rig=$SECONDS

# ---- the checks ----
judge_read_log "$log_file"
# last PREFIX: the last log line starting with PREFIX, without it.
# A line that is missing (the guest died early) is empty, not an error.
last() { { grep -E "^$1" "$log" || true; } | tail -n1 | sed -E "s/^$1 ?//"; }
# kv LINE KEY: the value of KEY=VALUE in LINE (empty if absent).
kv() { sed -n "s/.*\(^\| \)$2=\([^ ]*\).*/\2/p" <<<"$1"; }
num() { [[ $1 =~ ^[0-9]+$ ]]; }
why() {
	local errs
	errs=$(grep -oE '^volt: (error|warning).*|volt: info: vCPU [0-9]+: guest triple fault.*' "$log" |
		head -n 3 | tr '\n' ' ')
	echo "volt status $(kv "$(last VOLT-E2E-RESULT)" status)${errs:+; $errs}"
}

# The overhead bound. Volt's memory outside guest RAM (RSS minus the RSS of the
# guest-RAM mapping: guest RAM fills as the guest's page cache grows, and is
# not volt's to judge) is about 2.5 MiB and, in a steady state, must not grow
# at all: volt allocates nothing per request or packet. 1 MiB leaves room for a
# few pages of glibc's arenas and of the libraries' code and data first
# touched by a rare path (page granularity, 4 KiB each), and is still far
# below what a leak per request would add over the soak's tens of thousands of
# requests (the check prints the bound per request it implies).
OVERHEAD_GROWTH_MAX_KIB=1024
# Lost pings allowed: ping -w stops on time, and a reply in flight then counts
# as lost; more than that is a lost frame.
PING_LOST_MAX=2

result=$(last 'VOLT-E2E-RESULT name=soak')
if [[ ! -s $log_file ]] || ! grep -q '^RIG-L1 script-start' "$log"; then
	fail "the rig did not start L1's script (run-rig.sh exit $rig_rc); see $log_file"
elif ! grep -q '^VOLT-SOAK-SETUP ready' "$log"; then
	fail "L1's set-up: $(last VOLT-SOAK-SETUP)"
else
	devs=$(last VOLT-SOAK-DEVS)
	if [[ -n $(kv "$devs" vda) && -n $(kv "$devs" vdb) ]] && grep -q '^VOLT-SOAK-START ' "$log"; then
		pass "boot: the guest sees /dev/vda (root) and /dev/vdb ($(kv "$devs" vdb_kib) KiB, data) and starts the soak"
	else
		fail "boot: ${devs:-no VOLT-SOAK-DEVS line}; $(last VOLT-SOAK-FAIL) ($(why))"
	fi
	if grep -q '^VOLT-SOAK-DONE' "$log"; then
		end=$(last VOLT-SOAK-END)
		elapsed=$(kv "$end" elapsed)
		if num "$elapsed" && ((elapsed >= seconds)); then
			pass "the guest kept the disk and the network busy for $elapsed s of its uptime"
		else
			fail "the soak did not run its $seconds s: ${end:-no VOLT-SOAK-END line} ($(why))"
		fi

		disk=$(last VOLT-SOAK-DISK-TOTAL)
		cycles=$(kv "$disk" cycles) verified=$(kv "$disk" verified)
		if num "$cycles" && ((cycles >= 2)) && [[ $(kv "$disk" bad) == 0 && $(kv "$disk" stale) == 0 ]] &&
			((verified == (cycles < 6 ? cycles : 6))) && ! grep -q '^VOLT-SOAK-DISK-BAD' "$log"; then
			pass "data disk: $cycles cycles of 4 MiB written, synced and read back (buffered and O_DIRECT), $(kv "$disk" mib_written) MiB in all, every sha256 matched; all $verified files matched again at the end"
		else
			fail "data disk: ${disk:-no total}; $(grep -m3 '^VOLT-SOAK-DISK-BAD' "$log" | tr '\n' ' ')"
		fi
		l1_ok=$(grep -c '^VOLT-SOAK-L1-FILE name=[^ ]* ok$' "$log" || true)
		l1_bad=$(grep '^VOLT-SOAK-L1-FILE' "$log" | grep -v ' ok$' | head -n 3 || true)
		if num "$verified" && ((l1_ok == verified && verified > 0)) && [[ -z $l1_bad ]]; then
			pass "data disk from L1 after exit: debugfs reads the same $l1_ok files from the image"
		else
			fail "data disk from L1: $l1_ok files match, of ${verified:-?}; $l1_bad"
		fi
		fsck=$(last VOLT-SOAK-FSCK)
		if [[ $(kv "$fsck" rc) == 0 ]] && grep -q '^VOLT-SOAK-UMOUNT ok' "$log"; then
			pass "data disk: the guest unmounted it and e2fsck -fn finds it clean (${fsck#rc=0 })"
		else
			fail "data disk: e2fsck: ${fsck:-not run}; umount: $(last VOLT-SOAK-UMOUNT)"
		fi

		net=$(last VOLT-SOAK-NET-TOTAL)
		down=$(kv "$net" down) up=$(kv "$net" up)
		if num "$down" && num "$up" && ((down > 0 && up > 0)) && [[ $(kv "$net" down_bad) == 0 &&
			$(kv "$net" up_bad) == 0 ]] && ! grep -q '^VOLT-SOAK-NET-BAD' "$log"; then
			pass "net-tap: $down downloads and $up uploads of 2 MiB with L1 (nc), $(((down + up) * 2)) MiB in all, every sha256 matched"
		else
			fail "net-tap: ${net:-no total}; $(grep -m3 '^VOLT-SOAK-NET-BAD' "$log" | tr '\n' ' ')"
		fi
		ping=$(last VOLT-SOAK-PING)
		sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$ping")
		got=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' <<<"$ping")
		if num "$sent" && num "$got" && ((sent >= seconds * 5 && sent - got <= PING_LOST_MAX)); then
			pass "ping: $got of $sent echoes answered (at most $PING_LOST_MAX may be lost)"
		else
			fail "ping: '${ping:-no result}' (at least $((seconds * 5)) sent, at most $PING_LOST_MAX lost)"
		fi

		if [[ $(kv "$result" status) == exit:0 ]] && grep -q '^volt: info: SIGUSR2: sending Ctrl-Alt-Del' "$log" &&
			grep -q 'reboot: Restarting system' "$log"; then
			pass "Ctrl-Alt-Del at the end: the guest restarts, volt exits with status 0"
		else
			fail "end: $(why), or no Ctrl-Alt-Del/restart in the log"
		fi
	elif [[ -z $result ]] && ! grep -q '^RIG-L1 done' "$log"; then
		# QEMU exited 0 with no panic on L1's console: L1 reset itself
		# (docs/rig.md, flakiness). Not volt's to judge, but no pass either.
		fail "the soak did not finish: L1 died while volt ran (run-rig.sh exit $rig_rc; last marker: $(grep -E '^(RIG|VOLT)-' "$log" | tail -n1 | cut -c1-80))"
	else
		fail "the soak did not finish: the guest stopped before VOLT-SOAK-DONE ($(why))"
	fi
	if [[ $(kv "$result" seccomp) == 2 ]] && ! grep -qE -- '--no-seccomp|--no-landlock' "$SELF_DIR/soak/l1-soak.sh"; then
		pass "sandbox on (Seccomp: 2 in volt's /proc/PID/status)"
	else
		fail "sandbox: seccomp '$(kv "$result" seccomp)', or the L1 script turns part of it off"
	fi

	# The samples: the trend over the soak, then the checks on it.
	# Up to the one taken at VOLT-SOAK-DONE: a periodic sample after it can land in
	# volt's teardown (Ctrl-Alt-Del was sent then), with its threads joined.
	samples=$work/samples
	{ grep '^VOLT-E2E-SAMPLE name=soak ' "$log" || true; } |
		awk '{ print } / at=VOLT-SOAK-DONE / { exit }' >"$samples"
	echo "samples of volt in L1 (overhead: RSS outside guest RAM):"
	awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (NR == 1) printf "  %6s %9s %9s %9s %12s %5s %7s  %s\n", "t_s", "rss_kib", "hwm_kib",
			"guest_kib", "overhead_kib", "fds", "threads", "at"
		printf "  %6.1f %9s %9s %9s %12s %5s %7s  %s\n", f["t_ms"] / 1000, f["rss_kib"], f["hwm_kib"],
			f["guest_kib"], f["overhead_kib"], f["fds"], f["threads"], f["at"] }' "$samples"
	col() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$samples"; }
	n_samples=$(wc -l <"$samples")
	over=$(col overhead_kib | tr '\n' ' ')
	first=${over%% *}
	max=$(col overhead_kib | sort -n | tail -n1)
	fds=$(col fds | sort -u | tr '\n' ' ')
	threads=$(col threads | sort -u | tr '\n' ' ')
	# Requests and packets volt served: what a per-request leak scales with.
	reqs=$({ grep '^VOLT-SOAK-BLK ' "$log" || true; } | awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "=");
		if (kv[1] != "dev") s += kv[2] } } END { print s + 0 }')
	eth=$(last VOLT-SOAK-ETH)
	rx=$(kv "$eth" rx_packets) tx=$(kv "$eth" tx_packets)
	pkts=$((${rx:-0} + ${tx:-0}))
	if ((n_samples < seconds / 5)); then
		fail "samples: $n_samples, fewer than one per 5 s of the soak"
	elif [[ $over == *-* ]] || ! num "$first" || ! num "$max"; then
		fail "samples: an overhead could not be read (guest-RAM mapping not found): $over"
	elif ((max - first < OVERHEAD_GROWTH_MAX_KIB)); then
		served="while it served $reqs block requests and $pkts packets: a leak of $((OVERHEAD_GROWTH_MAX_KIB * 1024 / (reqs + pkts + 1))) bytes or more per request or packet would have shown"
		((reqs + pkts > 0)) || served="(the guest's request counts are missing)"
		pass "memory: volt's overhead went from $first to at most $max KiB over $n_samples samples (+$((max - first)) KiB, bound $OVERHEAD_GROWTH_MAX_KIB) $served"
	else
		fail "memory: volt's overhead grew from $first to $max KiB (+$((max - first)) KiB, bound $OVERHEAD_GROWTH_MAX_KIB) over $reqs block requests and $pkts packets"
	fi
	if [[ $fds =~ ^[0-9]+\ $ && $threads =~ ^[0-9]+\ $ ]]; then
		pass "fds and threads constant over the soak: ${fds% } open fds, ${threads% } threads in every sample"
	else
		fail "fds or threads changed over the soak: fds {${fds% }}, threads {${threads% }}"
	fi

	# volt's own lines: info only. (No warning is expected in this run; one that
	# is would be listed here, with why.)
	judge_none '^volt: (error|warning)' "volt logged no error or warning" "volt logged:"
	judge_end 'VOLT-SOAK-ALL done' "the guest's console or L1's dmesg"
fi

judge_verdict run-soak "$log_file"
