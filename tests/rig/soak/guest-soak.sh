#!/bin/sh
# The guest side of the rig's soak test (tests/rig/run-soak.sh), in the test
# rootfs as /tests/01-guest-soak.sh. For soak.seconds of guest uptime it keeps
# the data disk (/dev/vdb, ext4 made by L1) and the network busy at once:
#   disk  write 4 MiB of random bytes to a file, sync, read it back from the
#         disk and compare sha256s; every other cycle the write goes through
#         the page cache in 64 KiB blocks and the read is O_DIRECT in 4 KiB
#         ones (1024 small requests), the others the other way round (the
#         read after dropping the page cache: readahead's large requests);
#         SLOTS files in turn, so later writes land next to earlier files,
#         which are all checked again at the end
#   net   fetch L1's 2 MiB blob (nc, port 5002) and send 2 MiB of our own to
#         L1 (nc, port 5001, which answers its sha256), both checked
#   ping  L1 ten times a second the whole time (small packets, and a count
#         of lost ones)
# then unmounts the disk, prints its totals and VOLT-SOAK-DONE, and waits: L1
# ends the VM with Ctrl-Alt-Del. Arguments (kernel command line):
#   soak.seconds=N  soak.net=ADDR/LEN:PEER  soak.blob=SHA256 (of L1's blob)
secs=60 net='' blobsum=''
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	soak.seconds=*) secs=${arg#soak.seconds=} ;;
	soak.net=*) net=${arg#soak.net=} ;;
	soak.blob=*) blobsum=${arg#soak.blob=} ;;
	esac
done
addr=${net%%:*} peer=${net#*:}
SLOTS=6
FILE_BLOCKS=64 # of 64 KiB: 4 MiB per file

uptime_s() { read -r up _ </proc/uptime; echo "${up%.*}"; }
sha() { sha256sum | cut -d' ' -f1; }
hold() {
	echo "VOLT-SOAK-DONE"
	while :; do sleep 1; done
}

# The devices, as the checks need them.
echo "VOLT-SOAK-DEVS vda=$(cat /sys/block/vda/dev 2>/dev/null) vdb=$(cat /sys/block/vdb/dev 2>/dev/null)" \
	"vdb_kib=$(($(cat /sys/block/vdb/size 2>/dev/null || echo 0) / 2))"
mkdir -p /mnt/data
if ! mount -t ext4 /dev/vdb /mnt/data; then
	echo "VOLT-SOAK-FAIL cannot mount /dev/vdb"
	hold
fi
ip link set lo up
if ! { ip addr add "$addr" dev eth0 && ip link set eth0 up; }; then
	echo "VOLT-SOAK-FAIL cannot configure eth0"
	hold
fi
# What this guest sends L1: made before the clock starts.
dd if=/dev/urandom of=/tmp/up bs=64k count=32 2>/dev/null
upsum=$(sha </tmp/up)

start=$(uptime_s)
end=$((start + secs))
echo "VOLT-SOAK-START uptime=$start seconds=$secs"

# ping: -w ends it on time; a reply still in flight then counts as lost.
ping -q -i 0.1 -w "$secs" "$peer" >/tmp/ping.out 2>&1 &
ping_pid=$!

# net: one download and one upload per round; a transfer that stalls for
# 30 s is a failure, not a hang.
(
	down=0 down_bad=0 up=0 up_bad=0
	while [ "$(uptime_s)" -lt "$end" ]; do
		got=$(timeout 30 nc "$peer" 5002 </dev/null | sha)
		down=$((down + 1))
		[ "$got" = "$blobsum" ] || { down_bad=$((down_bad + 1)); echo "VOLT-SOAK-NET-BAD down=$down got=$got"; }
		got=$(timeout 30 nc "$peer" 5001 </tmp/up | cut -d' ' -f1)
		up=$((up + 1))
		[ "$got" = "$upsum" ] || { up_bad=$((up_bad + 1)); echo "VOLT-SOAK-NET-BAD up=$up got=$got"; }
		[ $(((down + up) % 20)) -ne 0 ] || echo "VOLT-SOAK-NET uptime=$(uptime_s) down=$down up=$up bad=$((down_bad + up_bad))"
	done
	echo "VOLT-SOAK-NET-TOTAL down=$down down_bad=$down_bad up=$up up_bad=$up_bad bytes=$(((down + up) * 2097152))"
) &
net_pid=$!

# disk, in the foreground.
cycle=0 bad=0
while [ "$(uptime_s)" -lt "$end" ]; do
	slot=$((cycle % SLOTS))
	f=/mnt/data/f$slot
	dd if=/dev/urandom of=/tmp/src bs=64k count=$FILE_BLOCKS 2>/dev/null
	written=$(sha </tmp/src)
	# A dd that fails leaves read_back empty or short: a mismatch, counted bad.
	read_back=''
	if [ $((cycle % 2)) -eq 0 ]; then
		dd if=/tmp/src of="$f" bs=64k 2>/dev/null && sync &&
			read_back=$(dd if="$f" bs=4k iflag=direct 2>/dev/null | sha)
	else
		dd if=/tmp/src of="$f" bs=4k oflag=direct conv=fsync 2>/dev/null &&
			echo 3 >/proc/sys/vm/drop_caches && read_back=$(sha <"$f")
	fi
	if [ "$written" = "$read_back" ]; then
		echo "$written" >"/tmp/sum$slot"
	else
		bad=$((bad + 1))
		echo "VOLT-SOAK-DISK-BAD cycle=$cycle file=f$slot wrote=$written read=$read_back"
	fi
	cycle=$((cycle + 1))
	[ $((cycle % 5)) -ne 0 ] || echo "VOLT-SOAK-DISK uptime=$(uptime_s) cycles=$cycle bad=$bad"
done
wait "$net_pid"
wait "$ping_pid"
echo "VOLT-SOAK-END uptime=$(uptime_s) elapsed=$(($(uptime_s) - start))"

# Every file once more, from the disk, against what it held when written.
echo 3 >/proc/sys/vm/drop_caches
verified=0 stale=0
for s in $(seq 0 $((SLOTS - 1))); do
	[ -e "/tmp/sum$s" ] || continue
	got=$(sha <"/mnt/data/f$s")
	if [ "$got" = "$(cat "/tmp/sum$s")" ]; then
		verified=$((verified + 1))
	else
		stale=$((stale + 1))
		echo "VOLT-SOAK-DISK-BAD final file=f$s want=$(cat "/tmp/sum$s") read=$got"
	fi
	echo "VOLT-SOAK-FILE name=f$s sha256=$got"
done
echo "VOLT-SOAK-DISK-TOTAL cycles=$cycle bad=$bad verified=$verified stale=$stale mib_written=$((cycle * FILE_BLOCKS / 16))"
echo "VOLT-SOAK-PING $(grep 'packets transmitted' /tmp/ping.out)"
# Request and packet counts: what a per-request leak in volt would scale with.
awk '$3 == "vda" || $3 == "vdb" { printf "VOLT-SOAK-BLK dev=%s reads=%s writes=%s flushes=%s\n", $3, $4, $8, $19 }' /proc/diskstats
awk -F'[: ]+' '$2 == "eth0" { printf "VOLT-SOAK-ETH rx_packets=%s tx_packets=%s rx_bytes=%s tx_bytes=%s\n", $4, $12, $3, $11 }' /proc/net/dev
if umount /mnt/data; then
	echo "VOLT-SOAK-UMOUNT ok"
else
	echo "VOLT-SOAK-UMOUNT failed"
fi
hold
