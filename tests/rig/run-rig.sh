#!/usr/bin/env bash
# The nested test rig: QEMU TCG with an emulated AMD SVM CPU runs an L1 Linux whose
# /dev/kvm is a real KVM (kvm_amd), so a VMM started in L1 can boot real Linux (L2).
# See docs/rig.md.
#
#   tests/rig/run-rig.sh --payload DIR --l1-script FILE --log FILE [options]
#
#   --payload DIR     copied to /payload in L1 (the VMM, its plugins, the guest kernel,
#                     the rootfs...); the shared libraries of every dynamic ELF in DIR
#                     (ldd, plus the dynamic loader) are added at their host paths
#   --l1-script FILE  run in L1 with `sh`, from /payload (RIG_PAYLOAD=/payload)
#   --log FILE        L1's serial output (carriage returns removed)
#   --timeout S       kill QEMU after S seconds of wall time (default 600)
#   --kernel FILE     L1 bzImage (default: scripts/build-kernel.sh host, cached)
#   --mem MIB         L1 memory (default 2048)
#   --cpus N          L1 CPUs (default 2)
#   --append ARGS     extra L1 kernel arguments
#   --tsc-khz N       L1's TSC frequency (default: this machine's, from /proc/cpuinfo)
#   --disk FILE       attach FILE to L1 as a virtio-blk-pci disk (/dev/vda), e.g. to get
#                     files back out
#   --verbose         also copy the serial output to stderr while it runs
#   --qemu-log ITEMS  QEMU's -d ITEMS log in LOG.qemu (e.g. cpu_reset: L1's registers
#                     when it resets, for an L1 that dies silently); L1's reset is
#                     then not final (no -no-reboot) and QEMU is stopped when L1's
#                     BIOS starts again
#
# Markers: lines of the form "RIG-... " or "VOLT-... " (L1 prints RIG-L1 init, kvm=yes|no,
# script-start, script-end rc=N, done; L1 scripts and guests add their own). At the end
# every marker line is printed on stdout. Exit status: the L1 script's, 124 on timeout,
# 125 if L1 ended without "RIG-L1 done" or the rig could not start.
set -euo pipefail

SELF_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(cd "$SELF_DIR/../.." && pwd)
MARKER_RE='^(RIG|VOLT)-[A-Z0-9-]+( |$)'

log() { printf 'run-rig: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 125; }
usage() { sed -n '6,30p' "${BASH_SOURCE[0]}" | sed 's/^#/ /' >&2; exit 2; }

payload= l1_script= log_file= timeout=600 kernel= mem=2048 cpus=2 append= disk= verbose=0 tsc_khz=
qemu_log=
WORK= QEMU_PID=

parse_args() {
	while (($#)); do
		case $1 in
		--payload) payload=${2:?}; shift 2 ;;
		--l1-script) l1_script=${2:?}; shift 2 ;;
		--log) log_file=${2:?}; shift 2 ;;
		--timeout) timeout=${2:?}; shift 2 ;;
		--kernel) kernel=${2:?}; shift 2 ;;
		--mem) mem=${2:?}; shift 2 ;;
		--cpus) cpus=${2:?}; shift 2 ;;
		--append) append=${2?}; shift 2 ;;
		--disk) disk=${2:?}; shift 2 ;;
		--tsc-khz) tsc_khz=${2:?}; shift 2 ;;
		--verbose) verbose=1; shift ;;
		--qemu-log) qemu_log=${2:?}; shift 2 ;;
		-h | --help) usage ;;
		*) log "unknown argument: $1"; usage ;;
		esac
	done
	[[ -n $payload && -n $l1_script && -n $log_file ]] || usage
	[[ -d $payload ]] || die "no such payload directory: $payload"
	[[ -f $l1_script ]] || die "no such L1 script: $l1_script"
	[[ $timeout =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ && $cpus =~ ^[1-9][0-9]*$ ]] ||
		die "--timeout, --mem and --cpus take numbers"
	[[ -z $disk || -f $disk ]] || die "no such disk image: $disk"
	[[ -z $tsc_khz || $tsc_khz =~ ^[1-9][0-9]*$ ]] || die "--tsc-khz takes a number"
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 not found; run the project's install script (apt-get install qemu-system-x86)"
}

cleanup() {
	if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill "$QEMU_PID" 2>/dev/null || true
	fi
	[[ -z $WORK ]] || rm -rf "$WORK"
}

# Under TCG the guest's TSC is this machine's TSC, so L1 is told its rate. L1 has no
# HPET/PM timer (no ACPI) and its PIT calibration fails when this machine is busy;
# then L1 has no TSC frequency, falls back to jiffies, and KVM never enters a guest
# (kvm_guest_time_update needs tsc_khz), so L2 hangs with no output.
host_tsc_khz() {
	awk -F: '/^cpu MHz/ { printf "%d\n", $2 * 1000 + 0.5; exit }' /proc/cpuinfo
}

is_elf() { [[ -f $1 && $(head -c4 "$1" | od -An -c | tr -d ' ') == '177ELF' ]]; }

# Copy the shared libraries and dynamic loader of every dynamic ELF under $1 into the
# root $2 at their host paths; print the directories they went to.
add_libraries() {
	local src=$1 root=$2 f lib
	declare -A dirs=()
	while IFS= read -r -d '' f; do
		is_elf "$f" || continue
		# "name => /path (addr)", "/lib64/ld-linux-x86-64.so.2 (addr)", "linux-vdso.so.1 (addr)"
		while read -r lib; do
			[[ $lib != missing:* ]] || die "ldd: $f needs ${lib#missing:}, which was not found"
			if [[ ! -e $root$lib ]]; then
				mkdir -p "$root$(dirname "$lib")"
				cp -L "$lib" "$root$lib"
			fi
			dirs[$(dirname "$lib")]=1
		done < <(LC_ALL=C ldd "$f" 2>/dev/null | awk '
			/not found/ { print "missing:" $1; next }
			$2 == "=>" && $3 ~ /^\// { print $3; next }
			$1 ~ /^\// { print $1 }')
	done < <(find "$src" -type f -print0)
	((${#dirs[@]} == 0)) || printf '%s\n' "${!dirs[@]}"
}

build_initramfs() {
	local out=$1 overlay=$WORK/overlay libdirs
	mkdir -p "$overlay/payload" "$overlay/rig"
	cp -a "$payload/." "$overlay/payload/"
	install -m 644 "$l1_script" "$overlay/rig/l1-script"
	libdirs=$(add_libraries "$payload" "$overlay" | sort | paste -sd:)
	echo "export LD_LIBRARY_PATH=$libdirs" >"$overlay/rig/env"
	"$REPO/scripts/build-rootfs.sh" --initramfs --init "$SELF_DIR/l1-init.sh" \
		--overlay "$overlay" "$out" >/dev/null
}

last_marker() { tr -d '\r' <"$log_file" | grep -E "$MARKER_RE" | tail -n1 || true; }

# Run QEMU until it exits or the timeout passes; set RIG_STATUS to timeout or exited.
run_qemu() {
	local initramfs=$1 start=$SECONDS tail_pid=
	local -a cmd=(qemu-system-x86_64 -M pc -accel tcg,thread=multi -cpu EPYC,+svm
		-m "$mem" -smp "$cpus,sockets=$cpus,cores=1,threads=1"
		-nodefaults -no-user-config -nographic -serial stdio -no-reboot
		-kernel "$kernel" -initrd "$initramfs"
		-append "console=ttyS0 quiet panic=-1 tsc=reliable${tsc_khz:+ tsc_early_khz=$tsc_khz}${append:+ $append}")
	[[ -z $disk ]] || cmd+=(-drive "file=$disk,if=virtio,format=raw")
	if [[ -n $qemu_log ]]; then
		# With -no-reboot a reset becomes a shutdown and cpu_reset logs nothing.
		local -a kept=() a
		for a in "${cmd[@]}"; do [[ $a == -no-reboot ]] || kept+=("$a"); done
		cmd=("${kept[@]}" -d "$qemu_log" -D "$log_file.qemu")
	fi

	: >"$log_file"
	"${cmd[@]}" </dev/null >"$log_file" 2>"$WORK/qemu.stderr" &
	QEMU_PID=$!
	if ((verbose)); then
		tail -n +1 -f --pid="$QEMU_PID" "$log_file" >&2 &
		tail_pid=$!
	fi
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		if ((SECONDS - start >= timeout)); then
			kill "$QEMU_PID" 2>/dev/null || true
			wait "$QEMU_PID" 2>/dev/null || true
			RIG_STATUS=timeout
			break
		fi
		# --qemu-log: L1 reset (its BIOS banner again); its state is in the log.
		if [[ -n $qemu_log ]] && (($(grep -c 'SeaBIOS (version' "$log_file") > 1)); then
			kill "$QEMU_PID" 2>/dev/null || true
		fi
		sleep 0.2
	done
	[[ ${RIG_STATUS:-} == timeout ]] || { wait "$QEMU_PID" || QEMU_RC=$?; RIG_STATUS=exited; }
	QEMU_PID=
	[[ -z $tail_pid ]] || wait "$tail_pid" 2>/dev/null || true
	RIG_SECONDS=$((SECONDS - start))
}

main() {
	parse_args "$@"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	WORK=$(mktemp -d)
	mkdir -p "$(dirname "$log_file")"

	if [[ -z $kernel ]]; then
		log "host kernel: scripts/build-kernel.sh host"
		kernel=$("$REPO/scripts/build-kernel.sh" host | tail -n1)/bzImage ||
			die "could not build the L1 host kernel"
	fi
	[[ -f $kernel ]] || die "no such L1 kernel: $kernel"
	[[ -n $tsc_khz ]] || tsc_khz=$(host_tsc_khz)
	[[ -n $tsc_khz ]] || log "warning: TSC frequency unknown; L1's clock (and KVM) may not work"

	local t0=$SECONDS
	build_initramfs "$WORK/l1-initramfs.cpio.gz"
	log "L1 initramfs: $(du -h "$WORK/l1-initramfs.cpio.gz" | cut -f1) in $((SECONDS - t0)) s; starting QEMU (timeout ${timeout} s)"

	QEMU_RC=0
	run_qemu "$WORK/l1-initramfs.cpio.gz"
	sed -i 's/\r$//' "$log_file"
	grep -E "$MARKER_RE" "$log_file" || true

	local rc
	if [[ $RIG_STATUS == timeout ]]; then
		log "TIMEOUT after ${timeout} s; last marker: $(last_marker)"
		rc=124
	elif rc=$(sed -n 's/^RIG-L1 script-end rc=\([0-9]*\).*/\1/p' "$log_file" | tail -n1) &&
		[[ -n $rc ]] && grep -q '^RIG-L1 done' "$log_file"; then
		log "L1 script rc=$rc; QEMU ran ${RIG_SECONDS} s; log: $log_file"
	else
		log "L1 ended without 'RIG-L1 done' (QEMU exit $QEMU_RC after ${RIG_SECONDS} s); last marker: $(last_marker)"
		[[ ! -s $WORK/qemu.stderr ]] || { log "QEMU stderr:"; tail -n 20 "$WORK/qemu.stderr" >&2; }
		if [[ -n $qemu_log ]] && grep -q '^Triple fault' "$log_file.qemu"; then
			log "L1 triple fault (QEMU log $log_file.qemu): $(sed -n '/^Triple fault/,$p' "$log_file.qemu" |
				grep -m1 -E '^RIP=') $(sed -n '/^Triple fault/,$p' "$log_file.qemu" | grep -m1 -E '^CR0=')"
		fi
		tail -n 20 "$log_file" | sed 's/^/  | /' >&2
		rc=125
	fi
	return "$rc"
}

main "$@"
