# L1 script of scripts/demo.sh in the rig (run by run-rig.sh with busybox sh in
# /payload): volt boots the demo guest (2 vCPUs, 256 MiB, ext4 root on virtio-blk,
# sandbox on) and bin/vmrun types session.txt into the guest's shell through a
# pseudo-terminal on volt's stdin, as a person at the console would.
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
cat >/tmp/demo.ini <<INI
[vm]
kernel = /payload/guest/vmlinux
memory_mib = 256
vcpus = 2
cmdline = console=ttyS0 reboot=k panic=-1 root=/dev/vda rw

[drive "rootfs"]
path = /payload/guest/rootfs.ext4
INI
echo "RIG-DEMO L1 runs: volt --config demo.ini   (vmlinux, 2 vCPUs, 256 MiB, root=/dev/vda on virtio-blk, sandbox on)"
bin/vmrun --name demo --timeout 180 --pty --type "VOLT-DEMO shell:/payload/session.txt" \
	--type-quiet 800 -- bin/volt --config /tmp/demo.ini
rc=$?
echo "RIG-DEMO volt exit status $rc"
exit $rc
