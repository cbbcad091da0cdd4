# shellcheck shell=sh
# L1 half of tests/net/rig_vhost.sh (runs in the rig's L1, from /payload):
# volt with net-vhost on L1's real KVM and /dev/vhost-net, the net guest
# pinging the tap's L1 side; then the same over net-tap. Each run's output
# comes back as "VOLT-OUT-<name> <line>", its exit status as
# "VOLT-NET <name> rc=N".
for dev in /dev/kvm /dev/vhost-net /dev/net/tun; do
	if [ -c $dev ]; then echo "VOLT-DEV $dev yes"; else echo "VOLT-DEV $dev no"; fi
done

# run NAME BACKEND EXTRA_CMDLINE: the tap exists only while volt runs (volt
# creates it), so its address is set once it appears; the guest retries
# its ARP meanwhile.
run() {
	cat >/tmp/$1.ini <<INI
[vm]
kernel = /payload/net
cmdline = console=ttyS0 net.ip=10.0.5.15 net.peer=10.0.5.1 $3

[net "eth0"]
backend = $2
tap = vtap0
INI
	./core/volt --config /tmp/$1.ini >/tmp/$1.out 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 200 ] && ! ip link show vtap0 >/dev/null 2>&1; do
		sleep 0.05
		i=$((i + 1))
	done
	ip addr add 10.0.5.1/24 dev vtap0
	ip link set vtap0 up
	wait $pid
	echo "VOLT-NET $1 rc=$?"
	sed "s/^/VOLT-OUT-$1 /" /tmp/$1.out
	if ip link show vtap0 >/dev/null 2>&1; then echo "VOLT-NET $1 tap-left=yes"; fi
}

run vhost net-vhost "net.mrg=0"
run vhost-mrg net-vhost "net.mrg=1 net.csum=1"
run tap net-tap "net.mrg=1 net.csum=1"
