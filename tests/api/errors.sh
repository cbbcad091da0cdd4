#!/bin/bash
# Every refusal rule before boot, with Firecracker's status and a
# fault_message: bodies on GET and none on PUT/PATCH, unknown paths and
# methods, unknown fields, wrong types, bad JSON, resource IDs, the body
# limit, values out of range, what Volt does not do, and operations that
# need a running VM. Nothing here boots.
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
HELLO=$GUESTS/hello
require_file "$HELLO"

start_volt errors || { fail "volt --api-sock did not serve $SOCK"; show errors; finish; }
F='"fault_message":'

# HTTP-level rules, in Firecracker's order.
expect GET / '{}' 400 "$F\"GET request cannot have a body" "GET with a body"
expect PUT /machine-config - 400 "$F\"Empty PUT request" "PUT without a body"
expect PATCH /machine-config - 400 "$F\"Empty PATCH request" "PATCH without a body"
expect GET /nothing - 400 "$F\"Invalid request method and/or path: GET /nothing" "unknown path"
expect DELETE /machine-config - 400 "Invalid request method and/or path" "DELETE (no such method)"
expect POST /actions '{"action_type": "InstanceStart"}' 400 "Invalid request method" "POST /actions"
expect GET /actions - 400 "Invalid request method" "GET /actions (PUT only)"
expect PUT /vm/config '{}' 400 "Invalid request method" "PUT /vm/config (GET only)"

# JSON.
expect PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 128, "colour": 1}' 400 \
	'unknown field `colour`' "unknown field refused"
expect PUT /machine-config '{"vcpu_count": "one", "mem_size_mib": 128}' 400 \
	'field `vcpu_count`: expected a whole number' "wrong type refused"
expect PUT /machine-config '{"vcpu_count": 1.5, "mem_size_mib": 128}' 400 \
	'vcpu_count' "a fraction is not a whole number"
expect PUT /machine-config '{"vcpu_count": 1}' 400 'missing field `mem_size_mib`' \
	"missing required field"
expect PUT /machine-config '{"vcpu_count": 1, ' 400 "deserializing the json body" "bad JSON"
expect PUT /machine-config '[1, 2]' 400 "expected a JSON object" "JSON that is not an object"
expect PUT /machine-config '{"vcpu_count": 1, "vcpu_count": 2, "mem_size_mib": 128}' 400 \
	"duplicate" "duplicate key refused"
expect PUT /machine-config $'{"vcpu_count": 1, "mem_size_mib": 128}\x01' 400 \
	"deserializing" "trailing garbage refused"
expect PUT /machine-config '{"vcpu_count": -1, "mem_size_mib": 128}' 400 "is negative; expected a whole number" \
	"negative number refused"

# Values.
expect PUT /machine-config '{"vcpu_count": 0, "mem_size_mib": 128}' 400 "vCPU number is invalid" \
	"0 vCPUs"
expect PUT /machine-config '{"vcpu_count": 33, "mem_size_mib": 128}' 400 "vCPU number is invalid" \
	"33 vCPUs"
expect PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 8}' 400 "memory size" "8 MiB"
expect PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 128, "smt": true}' 400 "smt" \
	"smt true: not supported, said so"
expect PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 128, "huge_pages": "4M"}' 400 \
	'unknown variant `4M`' "huge_pages: unknown variant"
expect PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 128, "huge_pages": "2M"}' 400 \
	'no hugetlbfs guest memory; use None \(transparent huge pages follow \[vm\] huge_pages\)' \
	"huge_pages 2M: refused, and where transparent huge pages are set instead"
expect PATCH /machine-config '{}' 400 "Empty PATCH request" "PATCH with no field"
expect GET /machine-config - 200 '"vcpu_count":1,"mem_size_mib":128' \
	"refused updates changed nothing"
expect PUT /boot-source '{"kernel_image_path": "/nonexistent/vmlinux"}' 400 \
	"Invalid kernel path: /nonexistent/vmlinux" "missing kernel file"
expect PUT /boot-source '{"boot_args": "x"}' 400 'missing field `kernel_image_path`' \
	"boot-source without a kernel"
expect PUT /actions '{"action_type": "Reboot"}' 400 'unknown variant `Reboot`' \
	"unknown action"
expect PUT /actions '{"action_type": "InstanceStart"}' 400 \
	"Cannot start microvm without kernel configuration" "InstanceStart without a kernel"
expect PUT /actions '{"action_type": "FlushMetrics"}' 400 "metrics system is not initialized" \
	"FlushMetrics before PUT /metrics"
expect PUT /logger '{"level": "Loud"}' 400 'unknown variant `Loud`' "logger: unknown level"
expect PUT /logger '{"level": "debug", "show_level": true}' 204 "" "logger: level, any case"

# Resource IDs.
printf 'disk' >"$TMP/disk.img"
D='"is_root_device": false, "path_on_host": "'"$TMP/disk.img"'"'
expect PUT /drives/bad-id "{\"drive_id\": \"bad-id\", $D}" 400 \
	"IDs can only contain alphanumeric characters and underscores" "ID with '-'"
expect PUT /drives/ "{\"drive_id\": \"a\", $D}" 400 "The ID cannot be empty" "empty ID"
expect PUT /drives "{\"drive_id\": \"a\", $D}" 400 "The ID cannot be empty" "no ID"
expect PUT /drives/a/b "{\"drive_id\": \"a\", $D}" 400 "Invalid request method and/or path" \
	"ID with a slash"
expect PUT /drives/a "{\"drive_id\": \"b\", $D}" 400 "does not match the id from the body" \
	"path ID differs from body ID"
expect PUT /drives/a '{"drive_id": "a", "is_root_device": false, "path_on_host": "/nonexistent"}' \
	400 "Unable to open the drive's backing file /nonexistent" "missing drive file"
expect PUT /drives/a "{\"drive_id\": \"a\", $D, \"cache_type\": \"Fast\"}" 400 \
	'unknown variant `Fast`' "cache_type: unknown variant"
expect PUT /drives/a "{\"drive_id\": \"a\", $D, \"rate_limiter\": {}}" 400 "rate" \
	"rate limiter: not supported, said so"
expect PUT /drives/root_1 "{\"drive_id\": \"root_1\", \"is_root_device\": true, \"path_on_host\": \"$TMP/disk.img\"}" \
	204 "" "a root drive"
expect PUT /drives/root_2 "{\"drive_id\": \"root_2\", \"is_root_device\": true, \"path_on_host\": \"$TMP/disk.img\"}" \
	400 "A root block device already exists" "a second root drive"
expect PUT /network-interfaces/eth0 '{"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "nope"}' \
	400 "not a MAC address" "bad MAC"
expect PUT /network-interfaces/eth0 '{"iface_id": "eth0", "host_dev_name": "tap0", "mtu": 40}' \
	400 "out of range" "MTU below 68"
expect PUT /network-interfaces/eth0 '{"iface_id": "eth0", "host_dev_name": "tap0"}' 204 "" \
	"an interface"
expect PUT /network-interfaces/eth1 '{"iface_id": "eth1", "host_dev_name": "tap0"}' 400 \
	"already used" "the same tap twice"
expect GET /vm/config - 200 '"drive_id":"root_1".*"is_root_device":true.*"host_dev_name":"tap0"' \
	"GET /vm/config: the drive and the interface"

# Operations that need a running VM.
expect PATCH /vm '{"state": "Paused"}' 400 "not supported before starting the microVM" \
	"PATCH /vm before boot"
expect PATCH /drives/root_1 '{"drive_id": "root_1"}' 400 "not supported before starting" \
	"PATCH /drives before boot"
expect PATCH /network-interfaces/eth0 '{"iface_id": "eth0"}' 400 \
	"not supported before starting" "PATCH /network-interfaces before boot"
expect PUT /actions '{"action_type": "SendCtrlAltDel"}' 400 "not supported before starting" \
	"SendCtrlAltDel before boot"

# The body limit: 51200 bytes is read, 51201 refused unread.
pad=$(head -c 51200 /dev/zero | tr '\0' ' ')
big="{\"vcpu_count\": 1, \"mem_size_mib\": 128}$pad"
big=${big:0:51200}
expect PUT /machine-config "$big" 204 "" "a body of exactly 51200 bytes"
expect PUT /machine-config "$big " 400 "Request payload with size 51201 is larger than the limit of 51200" \
	"a body of 51201 bytes"
expect GET / - 200 '"state":"Not started"' "still serving after the refusals"

stop_volt
check_status errors 0 "SIGTERM before boot: exit 0"
[ -e "$SOCK" ] && fail "socket left behind" || pass "socket removed"
finish
