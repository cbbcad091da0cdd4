#!/bin/bash
# The hello guest booted by the API alone: machine-config, boot-source,
# InstanceStart; its greeting on the serial port, exit 0 after its reset,
# the socket created 0600 and removed at exit. Then the same guest
# pre-configured by an INI file and only started through the API.
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
HELLO=$GUESTS/hello
require_file "$HELLO"

start_volt api || { fail "volt --api-sock did not serve $SOCK"; show api; finish; }
if [ "$(stat -c %a "$SOCK")" = 600 ]; then
	pass "socket created mode 0600"
else
	fail "socket mode is $(stat -c %a "$SOCK"), want 600"
fi
expect GET / - 200 '"state":"Not started"' "GET / before boot: Not started"
expect GET / - 200 '"app_name":"volt"' "GET /: app_name volt"
expect GET /version - 200 '"firecracker_version":"[0-9]' "GET /version"
expect GET /machine-config - 200 '"vcpu_count":1,"mem_size_mib":128' \
	"GET /machine-config: Firecracker's defaults"
expect PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 64, "smt": false}' 204 "" \
	"PUT /machine-config"
expect PATCH /machine-config '{"vcpu_count": 1}' 204 "" "PATCH /machine-config"
expect GET /machine-config - 200 '"vcpu_count":1,"mem_size_mib":64' \
	"GET /machine-config: PUT then PATCH"
expect PUT /boot-source "$(boot_source "$HELLO")" 204 "" "PUT /boot-source"
expect GET /vm/config - 200 "\"kernel_image_path\":\"$HELLO\"" "GET /vm/config: boot-source"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "PUT /actions InstanceStart"
wait_volt
check_status api 0 "hello by API: guest reset"
check_grep api out "^Hello from the Volt hello guest" "hello by API: greeting on serial"
check_grep api err "boot-timer: guest wrote 0x0?1 at [0-9]+ us" "hello by API: boot-timer logged"
if [ -e "$SOCK" ]; then
	fail "socket $SOCK left behind at exit"
else
	pass "socket removed at exit"
fi

# Pre-configured: only InstanceStart comes through the API.
cat >"$TMP/hello.ini" <<INI
[vm]
kernel = $HELLO
memory_mib = 32
cmdline = console=ttyS0

[api]
socket = $SOCK

[drive "d0"]
path = disk.img
INI
printf 'disk' >"$TMP/disk.img"
timeout -k 5 "$RUN_TIMEOUT" "$VOLT" --config "$TMP/hello.ini" "${SANDBOX_ARGS[@]}" \
	>"$TMP/ini.out" 2>"$TMP/ini.err" &
VOLT_PID=$!
for _ in $(seq 500); do
	curl -s -o /dev/null --unix-socket "$SOCK" http://localhost/ && break
	sleep 0.01
done
expect GET /machine-config - 200 '"mem_size_mib":32' "INI pre-configured: memory from the file"
expect GET /vm/config - 200 '"boot_args":"console=ttyS0"' "INI pre-configured: boot args"
# The file's relative path is relative to the file, and the drive's plugin
# is the default one: what GET shows can be PUT back.
expect GET /vm/config - 200 "\"path_on_host\":\"$TMP/disk.img\".*\"volt_plugin\":\"virtio-blk\"" \
	"INI pre-configured: a drive's path made absolute, its default plugin named"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "INI pre-configured: InstanceStart"
wait_volt
check_status ini 0 "hello from INI, started by API: guest reset"
check_grep ini out "^Hello from the Volt hello guest" "hello from INI: greeting on serial"

finish
