# L1 script of the rig's end-to-end tests (tests/rig/run-e2e.sh; run by run-rig.sh
# with busybox sh in /payload). Boots the guest kernel under volt, sandbox on (the
# default), once per scenario, each through bin/vmrun (timeout, exec->marker time,
# signals at markers, /proc snapshot). Each run is framed by
#   VOLT-E2E-BEGIN name=NAME ... VOLT-E2E-RESULT name=NAME status=... ...
# with the guest's console and volt's log in between. run-e2e.sh judges the
# checks from the log; this script only reports (plus VOLT-E2E-DEBUGFS and
# VOLT-E2E-LINKS lines), so its exit status is 0 unless the set-up failed.
#
# Payload: bin/{volt,vmrun,debugfs}, lib/volt/plugins/*.so, guest/{vmlinux,bzImage,
# rootfs.ext4}. Network: addresses 10.0.{1,2,3}.0/24 exist only inside L1.

VM_TIMEOUT=${VM_TIMEOUT:-90}
# [sandbox] user of runs 3 and 4: a number, as L1 has no /etc/passwd.
E2E_USER=65534:65534
ROOTFS=/payload/guest/rootfs.ext4
# loglevel=5: the console shows warnings and worse (WARNING:, BUG:, Call Trace, the
# DMA warning) but not the info lines; every byte of console output is a VM exit,
# and in the rig the full boot log costs about 3 s per boot.
BASE_ARGS="console=ttyS0 reboot=k panic=-1 loglevel=5 root=/dev/vda"
# A token per rig run, so an old image cannot pass the disk check.
TOKEN=e2e$$x$(cut -d' ' -f1 /proc/uptime | tr -d .)
echo "VOLT-E2E-TOKEN value=$TOKEN"

# ini NAME KERNEL VCPUS CMDLINE-EXTRA [EXTRA-SECTION-LINES]: write /tmp/NAME.ini
# ([vm] kernel_pages = $KPAGES and huge_pages = $HPAGES if they are set).
ini() {
	cat >"/tmp/$1.ini" <<INI
[vm]
kernel = /payload/guest/$2
memory_mib = 128
vcpus = $3
cmdline = $BASE_ARGS $4
${KPAGES:+kernel_pages = $KPAGES}
${HPAGES:+huge_pages = $HPAGES}

[drive "rootfs"]
path = $ROOTFS
INI
	[ -z "$5" ] || printf '\n%s\n' "$5" >>"/tmp/$1.ini"
}

# run NAME [VMRUN-OPTION...]: volt --config /tmp/NAME.ini under vmrun.
run() {
	name=$1
	shift
	echo "VOLT-E2E-BEGIN name=$name"
	bin/vmrun --name "$name" --timeout "$VM_TIMEOUT" "$@" -- bin/volt --config "/tmp/$name.ini"
}

# debugfs_cat FILE: the file's content in the image, as the host sees it.
debugfs_cat() {
	echo "VOLT-E2E-DEBUGFS file=$1 content=$(bin/debugfs -R "cat $1" "$ROOTFS" 2>/dev/null | tr '\n' ' ')"
}

setup_net() {
	# net-tap: a persistent tap (tunctl), address on the L1 side.
	tunctl -t e2etap0 >/dev/null && ip addr add 10.0.1.1/24 dev e2etap0 && ip link set e2etap0 up || return 1
	# net-macvtap: a veth pair; volt creates the macvtap on one end (bridge mode),
	# L1's address is on the other. (busybox names the peer itself: vethN.)
	ip link add name e2evh type veth peer e2evg || return 1
	E2E_PARENT=$(ip -o link | sed -n 's/^[0-9]*: \([^@:]*\)@e2evh:.*/\1/p')
	[ -n "$E2E_PARENT" ] || return 1
	ip addr add 10.0.2.1/24 dev e2evh && ip link set e2evh up && ip link set "$E2E_PARENT" up || return 1
	# net-vhost: another tap.
	tunctl -t e2etap1 >/dev/null && ip addr add 10.0.3.1/24 dev e2etap1 && ip link set e2etap1 up || return 1
	[ -c /dev/vhost-net ] || { echo "VOLT-E2E-NOTE no /dev/vhost-net in L1"; return 1; }
	echo "VOLT-E2E-NET ready macvtap-parent=$E2E_PARENT"
}

if ! setup_net; then
	echo "VOLT-E2E-NET failed"
	ip -o link
fi
[ -n "$E2E_PARENT" ] || E2E_PARENT=e2e-no-parent

# 1. vmlinux, 1 vCPU: write a file to the rootfs; the guest's reboot -f ends volt.
ini boot-vmlinux vmlinux 1 "rw e2e.write=e2e-vmlinux.txt:$TOKEN-vmlinux"
run boot-vmlinux
debugfs_cat /e2e-vmlinux.txt

# 2. bzImage, 2 vCPUs, the same write, and a ping over net-tap.
ini boot-bzimage bzImage 2 "rw e2e.write=e2e-bzimage.txt:$TOKEN-bzimage e2e.net=10.0.1.2/24:10.0.1.1" \
"[net \"eth0\"]
backend = net-tap
tap = e2etap0
mac = 52:54:00:0e:01:02"
run boot-bzimage
debugfs_cat /e2e-bzimage.txt

# 3. vmlinux, 4 vCPUs, net-macvtap (the link volt creates is gone after exit),
# the guest run as another user with no capability (its reaper deletes the link).
ini macvtap-4cpu vmlinux 4 "e2e.net=10.0.2.2/24:10.0.2.1" \
"[net \"eth0\"]
backend = net-macvtap
parent = $E2E_PARENT
ifname = e2emvt0
mac = 52:54:00:0e:02:02

[sandbox]
user = $E2E_USER"
run macvtap-4cpu
echo "VOLT-E2E-LINKS macvtap=$(ip -o link | grep -c 'e2emvt0')"

# 4. vmlinux, 1 vCPU, net-vhost, the kernel's pages mapped from its file
# (kernel_pages = shared): vhost's memory table covers them too. As another
# user: vhost's ioctls at DRIVER_OK need no capability.
KPAGES=shared ini vhost vmlinux 1 "e2e.net=10.0.3.2/24:10.0.3.1" \
"[net \"eth0\"]
backend = net-vhost
tap = e2etap1
mac = 52:54:00:0e:03:02

[sandbox]
user = $E2E_USER"
run vhost

# 5. SIGTERM while the guest waits: volt exits 0. Guest RAM on 4 KiB pages only
# (huge_pages = never; L1's THP is "always", so the other runs have huge pages).
HPAGES=never ini sigterm vmlinux 1 "e2e.hold"
run sigterm --on VOLT-E2E-HOLD:TERM

# 6. Ctrl-Alt-Del from the host (SIGUSR2 -> i8042): the guest reboots, volt exits 0.
ini ctrl-alt-del vmlinux 1 "e2e.hold"
run ctrl-alt-del --on VOLT-E2E-HOLD:USR2

echo "VOLT-E2E-ALL done"
exit 0
