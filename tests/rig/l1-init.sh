#!/bin/sh
# /init of the rig's L1 (installed by tests/rig/run-rig.sh). Prints RIG-L1 markers on
# the serial console, runs /rig/l1-script from /payload, then reboots (QEMU then exits
# because it runs with -no-reboot).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# LD_LIBRARY_PATH for the payload's shared libraries (written by run-rig.sh).
[ -r /rig/env ] && . /rig/env
ip link set lo up

# Start on a fresh line: the BIOS output before the kernel's (quiet) has no newline.
echo
read -r up _ </proc/uptime
read -r clock </sys/devices/system/clocksource/clocksource0/current_clocksource
echo "RIG-L1 init uptime=$up cpus=$(grep -c '^processor' /proc/cpuinfo) clocksource=$clock"
if [ -c /dev/kvm ]; then
	echo "RIG-L1 kvm=yes"
else
	echo "RIG-L1 kvm=no"
fi

echo "RIG-L1 script-start"
cd /payload && RIG_PAYLOAD=/payload sh /rig/l1-script
echo "RIG-L1 script-end rc=$?"
echo "RIG-L1 done"
sync
reboot -f
while :; do sleep 3600; done
