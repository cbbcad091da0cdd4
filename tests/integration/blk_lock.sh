#!/bin/bash
# virtio-blk locks its image (an open-file-description lock, as QEMU does):
# exclusive for a writable drive, shared for a read-only one. Two writable
# drives on one image are refused, in one VM or across two, as is a
# writable drive on an image another program has locked; read-only users
# share; lock = false opts out. The hello guest runs; it ignores the drives.
. "$(dirname "$0")/common.sh"
require_kvm
HELLO=$GUESTS/hello
require_file "$HELLO"
plugin_args virtio-blk
truncate -s 1M "$TMP/disk.img"

# two NAME KEYS-OF-A KEYS-OF-B: $TMP/NAME.ini with two drives on disk.img.
two() {
	printf '[vm]\nkernel = %s\n\n[drive "a"]\npath = %s\n%b\n[drive "b"]\npath = %s\n%b\n' \
		"$HELLO" "$TMP/disk.img" "$2" "$TMP/disk.img" "$3" >"$TMP/$1.ini"
}

two both_rw "" ""
run_volt both_rw --config "$TMP/both_rw.ini" "${PLUGIN_ARGS[@]}"
check_status both_rw 1 "two writable drives on one image"
check_grep both_rw err "drive b \(virtio-blk\): realize failed: .*disk.img: in use by another drive, VM or program" \
	"two writable drives on one image: the second is refused, naming the image"

two both_ro "read_only = true\n" "read_only = true\n"
run_volt both_ro --config "$TMP/both_ro.ini" "${PLUGIN_ARGS[@]}"
check_status both_ro 0 "two read-only drives on one image share it"

two ro_rw "read_only = true\n" ""
run_volt ro_rw --config "$TMP/ro_rw.ini" "${PLUGIN_ARGS[@]}"
check_status ro_rw 1 "a writable drive on an image a read-only one holds"

two unlocked "lock = false\n" "lock = false\n"
run_volt unlocked --config "$TMP/unlocked.ini" "${PLUGIN_ARGS[@]}"
check_status unlocked 0 "lock = false on both: allowed"

# Another program holds a POSIX lock on the image (they conflict with OFD
# locks): a writable drive is refused until it lets go.
printf '[vm]\nkernel = %s\n\n[drive "a"]\npath = %s\n' "$HELLO" "$TMP/disk.img" >"$TMP/one.ini"
python3 - "$TMP/disk.img" "$TMP/locked" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)
PY
holder=$!
for _ in $(seq 100); do [ -f "$TMP/locked" ] && break; sleep 0.05; done
run_volt other --config "$TMP/one.ini" "${PLUGIN_ARGS[@]}"
check_status other 1 "an image another program has locked"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
run_volt free --config "$TMP/one.ini" "${PLUGIN_ARGS[@]}"
check_status free 0 "the same image once that program let go"

finish
