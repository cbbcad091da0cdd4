#!/bin/bash
# Malformed kernel images are refused before any vCPU runs, each with its
# own message, and volt exits non-zero.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
HELLO=$GUESTS/hello
require_file "$HELLO"
command -v python3 >/dev/null || skip "python3 is needed to patch ELF headers"

echo "this is not a kernel" >"$TMP/text"
: >"$TMP/empty"
head -c 100 "$HELLO" >"$TMP/truncated"
cp "$HELLO" "$TMP/elf32"
printf '\001' | dd of="$TMP/elf32" bs=1 seek=4 conv=notrunc status=none
# Move the first PT_LOAD to 0x7f000000 (far past 128 MiB of RAM).
cp "$HELLO" "$TMP/beyond_ram"
python3 - "$TMP/beyond_ram" <<'PY'
import struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
for i in range(phnum):
    off = phoff + i * phentsize
    if struct.unpack_from("<I", data, off)[0] == 1:  # PT_LOAD
        struct.pack_into("<Q", data, off + 0x18, 0x7f000000)  # p_paddr
        break
open(path, "wb").write(data)
PY

# refuse NAME PATTERN WHAT: volt refuses $TMP/NAME with PATTERN on stderr.
refuse() {
	local name=$1 pattern=$2 what=$3

	run_volt "$name" --kernel "$TMP/$name" --memory 128
	if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ "$status" -ne 137 ]; then
		pass "$what: refused (exit status $status)"
	else
		fail "$what: exit status $status, want a refusal (non-zero)"
		show "$name"
	fi
	check_grep "$name" err "$pattern" "$what: message says /$pattern/"
	if [ -s "$TMP/$name.out" ] || grep -q "boot-timer" "$TMP/$name.err"; then
		fail "$what: the guest ran (serial output or boot-timer seen)"
		show "$name"
	else
		pass "$what: no guest ran"
	fi
	# Keep the first error line to compare messages across images.
	grep -Ei 'error' "$TMP/$name.err" | head -n 1 >"$TMP/$name.msg"
}

refuse text "not an ELF64 or bzImage" "text file"
refuse empty "empty" "empty file"
refuse truncated "truncated" "truncated ELF (100 bytes)"
refuse elf32 "class" "ELF32 image"
refuse beyond_ram "RAM" "segment beyond RAM"

# Every image got its own message.
dups=$(cat "$TMP"/*.msg | sort | uniq -d)
if [ -z "$dups" ] && [ "$(cat "$TMP"/*.msg | grep -c .)" -eq 5 ]; then
	pass "each image has its own error message"
else
	fail "error messages are missing or repeated: ${dups:-(some image printed no error line)}"
	cat "$TMP"/*.msg | sed 's/^/  /'
fi

run_volt missing --kernel "$TMP/does-not-exist"
if [ "$status" -ne 0 ] && grep -q "does-not-exist" "$TMP/missing.err"; then
	pass "missing kernel file: refused, path named (exit status $status)"
else
	fail "missing kernel file: exit status $status or the path is not in the message"
	show missing
fi

finish
