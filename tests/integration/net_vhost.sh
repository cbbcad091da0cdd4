#!/bin/bash
# net-vhost without /dev/vhost-net (this host's kernel has no vhost-net):
# the VM does not start, the message says why, and no tap is left behind.
# Where /dev/vhost-net exists the guest pings through it instead.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source=net_common.sh
. "$(dirname "$0")/net_common.sh"
require_kvm
require_file "$NET_GUEST"
require_netns

ns ip tuntap add tap0 mode tap
ns ip addr add 10.0.4.1/24 dev tap0
ns ip link set tap0 up
MAC=02:00:0a:00:04:0f
net_vm_ini "$TMP/vhost.ini" 10.0.4.15 10.0.4.1 $MAC
cat >>"$TMP/vhost.ini" <<INI

[net "eth0"]
backend = net-vhost
tap = vhnew0
mac = $MAC
INI
run_ns vhost --config "$TMP/vhost.ini"
if [ -e /dev/vhost-net ]; then
	check_status vhost 0 "net-vhost: the VM runs"
	check_guest vhost "net-vhost"
else
	if [ "$status" -ne 0 ] && ! grep -q "^PASS" "$TMP/vhost.out"; then
		pass "no /dev/vhost-net: the VM does not start (exit status $status)"
	else
		fail "no /dev/vhost-net: exit status $status"
		show vhost
	fi
	check_grep vhost err "/dev/vhost-net not found: the host kernel lacks CONFIG_VHOST_NET \(modprobe vhost_net\?\)" \
		"no /dev/vhost-net: the message says so"
fi
if ns ip link show vhnew0 >/dev/null 2>&1; then
	fail "net-vhost: a tap was left behind"
else
	pass "net-vhost: no tap left behind"
fi

finish
