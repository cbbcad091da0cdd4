# L1 script for tests/rig/smoke-test.sh (run by run-rig.sh from /payload with sh).
# Proves the rig: /dev/kvm present, both L1 CPUs online, and, if the payload carries
# QEMU, an L2 boot of the guest kernel + rootfs on L1's KVM (the guest prints VOLT-INIT).
uptime_s() { read -r up _ </proc/uptime; echo "$up"; }

if [ -c /dev/kvm ]; then kvm=yes; else kvm=no; fi
echo "RIG-SMOKE kvm=$kvm processors=$(cat /proc/cpuinfo | grep -c processor)"
grep -qw svm /proc/cpuinfo && svm=yes || svm=no
echo "RIG-SMOKE svm=$svm"

[ -x qemu/qemu-system-x86_64 ] || { echo "RIG-SMOKE l2=skipped"; exit 0; }
[ "$kvm" = yes ] || { echo "RIG-SMOKE l2=no-kvm"; exit 1; }
t0=$(uptime_s)
echo "RIG-SMOKE l2-start uptime=$t0"
qemu/qemu-system-x86_64 -L qemu/data -M microvm,acpi=off -accel kvm -cpu host \
	-m 128 -smp 1 -nodefaults -no-user-config -nographic -serial stdio -no-reboot \
	-kernel guest/vmlinux -append "console=ttyS0 root=/dev/vda reboot=k panic=-1 quiet" \
	-drive id=root,file=guest/rootfs.ext4,format=raw,if=none \
	-device virtio-blk-device,drive=root -device i8042 </dev/null
rc=$?
t1=$(uptime_s)
echo "RIG-SMOKE l2-end rc=$rc seconds=$(echo "$t1 $t0" | awk '{ print $1 - $2 }')"
exit $rc
