#!/bin/bash
# A hostile virtio-blk driver (tests/guests/blk-hostile) breaks the rules on
# drive h0, one act at a time: buffers outside RAM or crossing its end, a
# length of 2^32-1, a looping chain, nested indirect tables, a short
# header, a status byte in a device-readable buffer, a queue size that is
# not a power of two, a notify before DRIVER_OK. The VMM must log exactly
# one line for each, keep running, bring h0 back after a reset, and serve
# drive ok throughout; volt exits 0 when the guest resets.
. "$(dirname "$0")/common.sh"
require_kvm
GUEST=$GUESTS/blk-hostile
require_file "$GUEST"
plugin_args virtio-blk

truncate -s 1M "$TMP/h0.img" "$TMP/ok.img"
cat >"$TMP/hostile.ini" <<INI
[vm]
kernel = $GUEST
memory_mib = 64

[drive "h0"]
plugin = virtio-blk
path = $TMP/h0.img

[drive "ok"]
plugin = virtio-blk
path = $TMP/ok.img
INI

run_volt hostile --config "$TMP/hostile.ini" "${PLUGIN_ARGS[@]}"
check_status hostile 0 "hostile guest: volt exits 0"
relay_guest hostile "hostile guest"
if grep -Eq '^HOSTILE DONE pass=[0-9]+ fail=0' "$TMP/hostile.out"; then
	pass "hostile guest: $(grep '^HOSTILE DONE' "$TMP/hostile.out")"
else
	fail "hostile guest: no 'HOSTILE DONE ... fail=0' line"
	show hostile
fi

# One line per act, each saying what was wrong.
grep -E '^volt: warning: (virtio-blk )?drive h0[: ]' "$TMP/hostile.err" >"$TMP/h0.log"
n=$(wc -l <"$TMP/h0.log")
if [ "$n" -eq 9 ]; then
	pass "exactly 9 log lines for drive h0, one per act"
else
	fail "$n log lines for drive h0, want 9"
	show hostile
fi
i=0
for want in \
	'buffer 0x[0-9a-f]+ \(512 bytes\) is not inside guest RAM; the device needs a reset' \
	'buffer 0x[0-9a-f]+ \(512 bytes\) is not inside guest RAM; the device needs a reset' \
	'\(4294967295 bytes\) is not inside guest RAM; the device needs a reset' \
	'longer than the queue .*; the device needs a reset' \
	'indirect table inside an indirect table; the device needs a reset' \
	'answered IOERR: request header shorter than 16 bytes' \
	'dropped: no device-writable status byte' \
	'queue size 6 is not a power of two' \
	'notified before DRIVER_OK: ignored'; do
	i=$((i + 1))
	if sed -n "${i}p" "$TMP/h0.log" | grep -Eq -- "$want"; then
		pass "act $i logged: /$want/"
	else
		fail "act $i: line $i does not match /$want/: $(sed -n "${i}p" "$TMP/h0.log")"
	fi
done
if grep 'drive ok' "$TMP/hostile.err" | grep -q warning; then
	fail "drive ok logged a warning"
else
	pass "drive ok: no warnings"
fi
if grep -q '^volt: error:' "$TMP/hostile.err"; then
	fail "an error was logged"
	show hostile
else
	pass "no errors logged"
fi
# The guest's last write to drive ok (sector 16, byte i = i * 31 + 16).
if [ "$(od -A n -t x1 -j $((16 * 512)) -N 4 "$TMP/ok.img" | tr -d ' ')" = "102f4e6d" ]; then
	pass "drive ok: the guest's write reached its image"
else
	fail "drive ok: sector 16 does not hold the guest's write"
fi

finish
