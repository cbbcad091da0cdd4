#!/bin/sh
# The guest side of the rig's end-to-end tests (tests/rig/run-e2e.sh). It is in the
# test rootfs as /tests/01-guest-e2e.sh, run by the rootfs's /init after VOLT-INIT;
# what it does comes from the kernel command line (the L1 script sets it per run):
#   e2e.write=FILE:TEXT        write TEXT to /FILE (root=/dev/vda rw) and sync
#   e2e.net=ADDR/LEN:PEER      configure eth0 with ADDR/LEN and ping PEER 3 times
#   e2e.hold                   print VOLT-E2E-HOLD and wait (the host signals volt)
# Every run prints the number of CPUs the guest sees.
write='' net='' hold=''
for arg in $(cat /proc/cmdline); do
	case $arg in
	e2e.write=*) write=${arg#e2e.write=} ;;
	e2e.net=*) net=${arg#e2e.net=} ;;
	e2e.hold) hold=1 ;;
	esac
done

echo "VOLT-E2E-CPUS processors=$(grep -c '^processor' /proc/cpuinfo) online=$(cat /sys/devices/system/cpu/online)"
echo "VOLT-E2E-KERNEL $(uname -srm)"
# CPU flags volt must hide (nested virtualization, the PMU) and one it sets.
flags=$(grep -m1 '^flags' /proc/cpuinfo)
echo "VOLT-E2E-FLAGS hidden=$(echo "$flags" | tr ' ' '\n' |
	grep -xE 'svm|vmx|perfctr_core|perfctr_nb|perfctr_llc|arch_perfmon|pdcm' | tr '\n' ',')" \
	"hypervisor=$(echo "$flags" | tr ' ' '\n' | grep -cx hypervisor)"
# The root file system: device, type, and which driver runs /dev/vda.
echo "VOLT-E2E-ROOT $(awk '$2 == "/" { print "fs=" $3 }' /proc/mounts) dev=$(awk '$5 == "/" { print $3 }' /proc/self/mountinfo)" \
	"vda=$(cat /sys/block/vda/dev 2>/dev/null) driver=$(basename "$(readlink /sys/block/vda/device/driver)")"

if [ -n "$write" ]; then
	file=${write%%:*} text=${write#*:}
	if echo "$text" >"/$file" && sync; then
		echo "VOLT-E2E-WROTE file=/$file"
	else
		echo "VOLT-E2E-WROTE failed file=/$file"
	fi
fi

if [ -n "$net" ]; then
	addr=${net%%:*} peer=${net#*:}
	ip link set lo up
	ip addr add "$addr" dev eth0 && ip link set eth0 up ||
		echo "VOLT-E2E-PING failed: cannot configure eth0"
	# The first echo may wait for ARP; allow a few seconds in all.
	if out=$(ping -c 3 -W 3 "$peer" 2>&1); then
		echo "VOLT-E2E-PING ok peer=$peer $(echo "$out" | grep 'packets transmitted')"
	else
		echo "$out"
		# What the guest saw, for the report: counters, ARP, the device's interrupts.
		grep eth0 /proc/net/dev
		cat /proc/net/arp
		grep virtio /proc/interrupts
		echo "VOLT-E2E-PING failed peer=$peer"
	fi
fi

if [ -n "$hold" ]; then
	echo "VOLT-E2E-HOLD"
	while :; do sleep 1; done
fi
exit 0
