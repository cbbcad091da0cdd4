# shellcheck shell=sh
# L1 script of the rig's soak test (tests/rig/run-soak.sh; run by run-rig.sh with
# busybox sh in /payload). Boots one guest under volt, sandbox on (the default):
# 2 vCPUs, the rootfs as /dev/vda, an ext4 data disk made here as /dev/vdb, and
# net-tap. The guest (tests/rig/soak/guest-soak.sh) keeps the data disk and the
# network busy for SOAK_SECONDS; meanwhile vmrun reads volt's /proc files every
# SAMPLE_EVERY seconds (VOLT-E2E-SAMPLE lines). When the guest prints
# VOLT-SOAK-DONE, vmrun sends volt SIGUSR2 (Ctrl-Alt-Del) and the guest restarts,
# which ends volt. Then L1 checks the data disk's file system (e2fsck) and reads
# the guest's files out of it (debugfs), and reports its own kernel log's
# warnings. run-soak.sh judges from the log; this script only reports, so its
# exit status is 0 unless the set-up failed.
#
# Payload: bin/{volt,vmrun,debugfs,e2fsck,mke2fs}, lib/volt/plugins/*.so,
# guest/{vmlinux,rootfs.ext4}. Network: 10.0.5.0/24, only inside L1.

SOAK_SECONDS=${SOAK_SECONDS:-60}
SAMPLE_EVERY=${SAMPLE_EVERY:-5}
# Boot (~5 s), the soak, the final checks and the restart, with room for a slow
# rig; a hang then shows as status=timeout rather than eating the rig's budget.
VM_TIMEOUT=$((SOAK_SECONDS + 150))
W=/tmp/soak
DATA=$W/data.img
mkdir -p $W

# The data disk: 64 MiB, sparse, in L1's tmpfs; ext4 with its inode tables and
# journal written now (no lazy init thread in the guest).
dd if=/dev/zero of=$DATA bs=1M count=0 seek=64 2>/dev/null
if ! bin/mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 $DATA; then
	echo "VOLT-SOAK-SETUP failed: mke2fs"
	exit 1
fi

# What the guest fetches (port 5002) and where it sends its own file (5001,
# answered with its sha256). busybox nc -ll -e serves each connection with a
# fresh PROG.
dd if=/dev/urandom of=$W/blob bs=64k count=32 2>/dev/null
BLOBSUM=$(sha256sum <$W/blob | cut -d' ' -f1)
printf '#!/bin/sh\ncat %s\n' $W/blob >$W/serve-blob
printf '#!/bin/sh\nexec sha256sum\n' >$W/serve-sum
chmod +x $W/serve-blob $W/serve-sum
nc -ll -p 5002 -e $W/serve-blob &
blob_pid=$!
nc -ll -p 5001 -e $W/serve-sum &
sum_pid=$!

if ! { tunctl -t soaktap0 >/dev/null && ip addr add 10.0.5.1/24 dev soaktap0 &&
	ip link set soaktap0 up; }; then
	echo "VOLT-SOAK-SETUP failed: tap"
	exit 1
fi
echo "VOLT-SOAK-SETUP ready blob=$BLOBSUM seconds=$SOAK_SECONDS sample_every=$SAMPLE_EVERY"

cat >$W/soak.ini <<INI
[vm]
kernel = /payload/guest/vmlinux
memory_mib = 128
vcpus = 2
cmdline = console=ttyS0 reboot=k panic=-1 loglevel=5 root=/dev/vda soak.seconds=$SOAK_SECONDS soak.net=10.0.5.2/24:10.0.5.1 soak.blob=$BLOBSUM

[drive "rootfs"]
path = /payload/guest/rootfs.ext4

[drive "data"]
path = $DATA

[net "eth0"]
backend = net-tap
tap = soaktap0
mac = 52:54:00:0e:05:02
INI

echo "VOLT-E2E-BEGIN name=soak"
# The snapshot (Seccomp, in the result line) at the start, so that it is there
# even if the guest dies during the soak.
bin/vmrun --name soak --timeout $VM_TIMEOUT --snapshot VOLT-SOAK-START --sample-every "$SAMPLE_EVERY" \
	--sample-from VOLT-SOAK-START --on VOLT-SOAK-DONE:USR2 \
	-- bin/volt --config $W/soak.ini | tee $W/console
kill "$blob_pid" "$sum_pid"

# The data disk as L1 sees it after volt exits: a clean file system, and each
# file the guest last checked holds what the guest read back.
bin/e2fsck -fn $DATA >$W/fsck.out 2>&1
echo "VOLT-SOAK-FSCK rc=$? $(tail -n1 $W/fsck.out)"
sed -n 's/^VOLT-SOAK-FILE name=\([^ ]*\) sha256=\([0-9a-f]*\).*/\1 \2/p' $W/console |
	while read -r name want; do
		got=$(bin/debugfs -R "cat /$name" $DATA 2>/dev/null | sha256sum | cut -d' ' -f1)
		if [ "$got" = "$want" ]; then
			echo "VOLT-SOAK-L1-FILE name=$name ok"
		else
			echo "VOLT-SOAK-L1-FILE name=$name bad guest=$want l1=$got"
		fi
	done

# L1 runs with quiet: its warnings reach dmesg but not the console.
dmesg | grep -E 'WARNING:|BUG:|Call Trace|Oops|Kernel panic' | sed 's/^/VOLT-SOAK-L1-DMESG /'
echo "VOLT-SOAK-L1-DMESG lines=$(dmesg | wc -l)"
echo "VOLT-SOAK-ALL done"
exit 0
