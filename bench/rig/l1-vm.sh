# The VM of the rig benchmarks, sourced by their L1 scripts (l1-bench.sh,
# l1-density.sh; busybox sh, in /payload) after they set ROOT. Both VMMs get the
# same: 1 vCPU, 128 MiB, the same kernel and kernel arguments, the same root.
#   VOLT_VM  volt's flags, but --cmdline "$ARGS"
#   QEMU_VM  qemu-system-x86_64's flags, but -append "$ARGS"
# ROOT=disk: guest/rootfs.ext4 on virtio-blk, read-only, root=/dev/vda (volt's
# virtio-blk plugin, QEMU's virtio-blk-device); ROOT=initramfs: guest/initramfs.gz.
#
# quiet: the console costs a VM exit per byte. The i8042 options skip the keyboard
# controller's slow probes (docs/benchmarks.md); reboot=k resets through the i8042
# (QEMU: -device i8042).
ARGS="console=ttyS0 reboot=k panic=-1 quiet i8042.noaux=1 i8042.nomux=1 i8042.nopnp=1 i8042.dumbkbd=1"
if [ "$ROOT" = disk ]; then
	ARGS="$ARGS root=/dev/vda"
	# An INI file's relative paths are its directory's: name the image in full.
	printf '[drive "rootfs"]\npath = %s/guest/rootfs.ext4\nread_only = true\n' "$PWD" >/tmp/disk.ini
	VOLT_ROOT="--config /tmp/disk.ini"
	QEMU_ROOT="-drive id=rootfs,file=guest/rootfs.ext4,format=raw,if=none,readonly=on -device virtio-blk-device,drive=rootfs"
else
	VOLT_ROOT="--initrd guest/initramfs.gz"
	QEMU_ROOT="-initrd guest/initramfs.gz"
fi
# shellcheck disable=SC2034 # used by the scripts that source this one
VOLT_VM="--kernel guest/vmlinux $VOLT_ROOT --memory 128 --vcpus 1"
# acpi=off: the guest kernel has no ACPI; with it on (microvm's default) QEMU
# builds tables nobody reads and lists its virtio-mmio devices only there, not on
# the kernel command line.
# shellcheck disable=SC2034
QEMU_VM="-L qemu/data -M microvm,acpi=off -accel kvm -cpu host -m 128 -smp 1 -nodefaults
	-no-user-config -nographic -serial stdio -no-reboot -kernel guest/vmlinux $QEMU_ROOT -device i8042"
