#!/bin/bash
# virtio-net on net-tap, inside a network namespace of the test's own: the
# net guest ARPs for and pings an address on a tap there, with and without
# merged receive buffers, and as another user (--user); a tap volt creates
# is gone after it exits; a
# multicast MAC is refused before the guest runs, naming the key.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source=net_common.sh
. "$(dirname "$0")/net_common.sh"
require_kvm
require_file "$NET_GUEST"
require_netns

ns ip tuntap add tap0 mode tap
ns ip addr add 10.0.2.1/24 dev tap0
ns ip link set tap0 up

# The guest on an existing tap; with MRG_RXBUF; with the checksum
# offloads (the tap gets TUN_F_CSUM at DRIVER_OK, from the vCPU, inside the
# sandbox).
for mrg in 0 1 csum; do
	if [ "$mrg" = csum ]; then opts="net.csum=1"; else opts="net.mrg=$mrg"; fi
	net_vm_ini "$TMP/tap$mrg.ini" 10.0.2.15 10.0.2.1 02:00:0a:00:02:0f "$opts"
	cat >>"$TMP/tap$mrg.ini" <<INI

[net "eth0"]
backend = net-tap
tap = tap0
mac = 02:00:0a:00:02:0f
INI
	run_ns "tap$mrg" --config "$TMP/tap$mrg.ini"
	check_status "tap$mrg" 0 "net-tap ($opts): the VM runs"
	check_guest "tap$mrg" "net-tap ($opts)"
	check_grep "tap$mrg" err "net-tap net eth0: tap0: attached to the existing tap" \
		"net-tap ($opts): attached to tap0"
done
# The checksum offloads again as another user: the tap's TUNSETOFFLOAD at
# DRIVER_OK needs no capability, so the guest's network works as nobody.
if getent passwd nobody >/dev/null && [ "$(id -u)" -eq 0 ]; then
	run_ns tapuser --config "$TMP/tapcsum.ini" --user nobody
	check_status tapuser 0 "net-tap, --user nobody: the VM runs"
	check_guest tapuser "net-tap, --user nobody"
fi
if ns ip link show tap0 >/dev/null 2>&1; then
	pass "net-tap: the existing tap is still there"
else
	fail "net-tap: the existing tap0 went away"
fi

# A hostile guest: garbage frames (short header, beyond the MTU, TSO not
# negotiated; each twice) are dropped, each kind logged once and counted at
# exit, and the guest's network still works.
net_vm_ini "$TMP/garbage.ini" 10.0.2.15 10.0.2.1 02:00:0a:00:02:0f "net.garbage=1"
cat >>"$TMP/garbage.ini" <<INI

[net "eth0"]
tap = tap0
mac = 02:00:0a:00:02:0f
INI
run_ns garbage --config "$TMP/garbage.ini"
check_status garbage 0 "garbage frames: the VM runs on"
check_guest garbage "garbage frames"
for kind in "chain dropped: shorter than the 12-byte virtio-net header \(8 readable" \
	"frame dropped: a frame larger than the MTU allows \(1519-byte" \
	"frame dropped: a segmentation offload that was not negotiated"; do
	n=$(grep -Ec "transmit: $kind" "$TMP/garbage.err")
	if [ "$n" -eq 1 ]; then
		pass "garbage frames: \"${kind//\\/}\" logged once"
	else
		fail "garbage frames: \"${kind//\\/}\" logged $n times"
		show garbage
	fi
done
check_grep garbage err "6 lost" "garbage frames: the totals at exit count all six"

# A tap volt creates (no interface has the name) lives as long as volt.
# (The hello guest: nothing answers on that tap, so the net guest would
# only wait out its retries.)
cat >"$TMP/new.ini" <<INI
[vm]
kernel = $GUESTS/hello

[net "eth0"]
tap = voltnew0
INI
run_ns new --config "$TMP/new.ini"
check_grep new err "net-tap net eth0: voltnew0: created" "net-tap: a new tap is created"
if ns ip link show voltnew0 >/dev/null 2>&1; then
	fail "net-tap: the tap volt created is still there after it exited"
else
	pass "net-tap: the tap volt created is gone after it exited"
fi

# A multicast and an all-zero MAC: refused before the guest runs (by the
# loader's MAC check, or by virtio-net's own at create), naming the key.
for bad in 01:00:5e:00:00:01 00:00:00:00:00:00; do
	net_vm_ini "$TMP/badmac.ini" 10.0.2.15 10.0.2.1 $bad
	cat >>"$TMP/badmac.ini" <<INI

[net "eth0"]
tap = tap0
mac = $bad
INI
	run_ns badmac --config "$TMP/badmac.ini"
	if [ "$status" -ne 0 ] && ! grep -q "^PASS" "$TMP/badmac.out"; then
		pass "mac = $bad: the VM does not run (exit status $status)"
	else
		fail "mac = $bad: exit status $status"
		show badmac
	fi
	check_grep badmac err "mac(: '| = )$bad'?:? .*(multicast|zero)" \
		"mac = $bad: the message names the key and why"
done

finish
