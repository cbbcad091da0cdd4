#!/bin/bash
# Drives through the API end to end: GET /plugins lists the block plugin; a
# drive naming a plugin that does not exist makes InstanceStart answer 400
# with the loader's reason, as does a drive whose plugin fails to realize
# (with the plugin's reason), and the corrected configuration then starts;
# the blk guest (tests/guests/blk) drives the two drives PUT /drives made
# (one read-write with a serial from volt_keys, one read-only) and the
# host checks that the read-only image is untouched.
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
GUEST=$GUESTS/blk
require_file "$GUEST"
plugin_args virtio-blk

truncate -s 1M "$TMP/rw.img"
head -c 65536 /dev/zero | tr '\0' 'R' >"$TMP/ro.img"
cp "$TMP/ro.img" "$TMP/ro.orig"

start_volt blk "${PLUGIN_ARGS[@]}" || { fail "volt --api-sock did not serve $SOCK"; show blk; finish; }
expect GET /plugins - 200 '"name":"virtio-blk","kind":"device"' "GET /plugins: virtio-blk"
expect PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 64}' 204 "" "PUT /machine-config"
expect PUT /boot-source "{\"kernel_image_path\": \"$GUEST\", \"boot_args\": \"console=ttyS0 blk.sector=77\"}" \
	204 "" "PUT /boot-source (blk guest)"
expect PUT /drives/rw "{\"drive_id\": \"rw\", \"is_root_device\": false, \"path_on_host\": \"$TMP/rw.img\", \"volt_plugin\": \"no-such-plugin\"}" \
	204 "" "PUT /drives with a plugin that does not exist"
expect PUT /actions '{"action_type": "InstanceStart"}' 400 \
	"Cannot start the microVM: PUT /drives/rw: plugin: no plugin no-such-plugin" \
	"InstanceStart: the loader's reason, naming the request that set it"
expect PUT /drives/rw "{\"drive_id\": \"rw\", \"is_root_device\": false, \"path_on_host\": \"$TMP/rw.img\", \"volt_keys\": {\"bogus\": 1}}" \
	204 "" "PUT /drives with a key its plugin does not have"
expect PUT /actions '{"action_type": "InstanceStart"}' 400 \
	"Cannot start the microVM: PUT /drives/rw: bogus: not a key of plugin virtio-blk" \
	"InstanceStart: an unknown key, named with the request that set it"
expect GET / - 200 '"state":"Not started"' "still not started"
expect PUT /drives/rw "{\"drive_id\": \"rw\", \"is_root_device\": false, \"path_on_host\": \"$TMP/rw.img\", \"volt_keys\": {\"serial\": \"volt-blk-serial0\"}}" \
	204 "" "PUT /drives rw (replaces it)"
expect PUT /drives/ro "{\"drive_id\": \"ro\", \"is_root_device\": false, \"path_on_host\": \"$TMP/rw.img\"}" \
	204 "" "PUT /drives ro, writable on rw's image"
expect PUT /actions '{"action_type": "InstanceStart"}' 400 \
	"Cannot start the microVM: drive ro \(virtio-blk\): realize failed: $TMP/rw.img: in use by another drive, VM or program" \
	"InstanceStart: the plugin's reason for a failed realize"
if grep -q "InstanceStart failed: drive ro (virtio-blk): realize failed: .*in use by" "$TMP/blk.err" &&
	[ "$(grep -c "in use by another drive" "$TMP/blk.err")" -eq 1 ]; then
	pass "a failed realize: its reason logged once, in the failure's line"
else
	fail "a failed realize: its reason not logged once, in the failure's line"
	show blk
fi
expect PUT /drives/ro "{\"drive_id\": \"ro\", \"is_root_device\": false, \"path_on_host\": \"$TMP/ro.img\", \"is_read_only\": true}" \
	204 "" "PUT /drives ro (replaces it)"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "InstanceStart after the correction"
wait_volt
check_status blk 0 "blk guest by API"
if grep -Eq '^BLK DONE pass=[0-9]+ fail=0' "$TMP/blk.out"; then
	pass "blk guest: $(grep '^BLK DONE' "$TMP/blk.out")"
else
	fail "blk guest: no 'BLK DONE ... fail=0' line"
	show blk
fi
cmp -s "$TMP/ro.img" "$TMP/ro.orig" && pass "read-only image untouched" ||
	fail "the read-only image changed"
check_grep blk err "InstanceStart failed: .*no-such-plugin" "the failed start is logged"
finish
