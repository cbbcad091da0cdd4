#!/bin/bash
# virtio-blk end to end: the blk guest (tests/guests/blk) drives two drives
# through the virtio-mmio transport and the virtio-blk plugin. It writes a
# pattern to sector N of the first, flushes, reads it back, reads the ID,
# takes the completion interrupt, and sees the read-only second drive refuse
# a write. Then the host checks the image files' bytes, and runs the guest
# again without polling and with the largest poll window.
. "$(dirname "$0")/common.sh"
require_kvm
GUEST=$GUESTS/blk
SECTOR=77
require_file "$GUEST"
plugin_args virtio-blk

truncate -s 1M "$TMP/rw.img"
head -c 65536 /dev/zero | tr '\0' 'R' >"$TMP/ro.img"
cp "$TMP/ro.img" "$TMP/ro.orig"

cat >"$TMP/blk.ini" <<INI
[vm]
kernel = $GUEST
memory_mib = 64
cmdline = console=ttyS0 blk.sector=$SECTOR

[drive "rw"]
plugin = virtio-blk
path = $TMP/rw.img
serial = volt-blk-serial0

[drive "ro"]
plugin = virtio-blk
path = $TMP/ro.img
read_only = true
INI

run_volt blk --config "$TMP/blk.ini" "${PLUGIN_ARGS[@]}"
check_status blk 0 "blk guest"
relay_guest blk "blk guest"
if grep -Eq '^BLK DONE pass=[0-9]+ fail=0' "$TMP/blk.out"; then
	pass "blk guest: $(grep '^BLK DONE' "$TMP/blk.out")"
else
	fail "blk guest: no 'BLK DONE ... fail=0' line"
	show blk
fi

# The pattern, as the guest wrote it: sector s is "VOLT-BLK s=" and s in
# five digits, then 496 times the letter 'a' + s % 26.
for ((s = SECTOR; s < SECTOR + 8; s++)); do
	printf 'VOLT-BLK s=%05d' "$s"
	letter=$(printf "\\$(printf '%03o' $((97 + s % 26)))")
	head -c 496 /dev/zero | tr '\0' "$letter"
done >"$TMP/expected"
if dd if="$TMP/rw.img" bs=512 skip=$SECTOR count=8 status=none | cmp -s - "$TMP/expected"; then
	pass "image: sectors $SECTOR-$((SECTOR + 7)) hold the pattern"
else
	fail "image: sectors $SECTOR-$((SECTOR + 7)) do not hold the pattern"
	dd if="$TMP/rw.img" bs=512 skip=$SECTOR count=1 status=none | od -A d -c | head -5
fi
if [ "$(od -A n -t x1 -v -N $((SECTOR * 512)) "$TMP/rw.img" | tr -d ' \n' | tr -d 0)" = "" ]; then
	pass "image: nothing written before sector $SECTOR"
else
	fail "image: bytes before sector $SECTOR changed"
fi
if cmp -s "$TMP/ro.img" "$TMP/ro.orig"; then
	pass "read-only image unchanged"
else
	fail "read-only image changed"
fi
check_grep blk err "virtio-blk drive ro: .*answered IOERR: write to a read-only drive" \
	"the refused write is logged"
if [ "$(grep -c 'warning' "$TMP/blk.err")" -eq 1 ]; then
	pass "exactly one warning (the refused write)"
else
	fail "$(grep -c 'warning' "$TMP/blk.err") warnings, want 1"
	show blk
fi

# The same guest with the I/O threads never polling, and with the largest
# poll window ([vm] poll_us; the runs above use the default, 32 us).
for poll in 0 1000; do
	run_volt "blk-poll$poll" --config "$TMP/blk.ini" "${PLUGIN_ARGS[@]}" --poll-us "$poll"
	check_status "blk-poll$poll" 0 "blk guest, --poll-us $poll"
	if grep -Eq '^BLK DONE pass=[0-9]+ fail=0' "$TMP/blk-poll$poll.out"; then
		pass "blk guest, --poll-us $poll: $(grep '^BLK DONE' "$TMP/blk-poll$poll.out")"
	else
		fail "blk guest, --poll-us $poll: no 'BLK DONE ... fail=0' line"
		show "blk-poll$poll"
	fi
done

# Guest RAM on huge pages wherever the host's THP setting allows, and on 4 KiB
# pages only ([vm] huge_pages; the runs above use loaded, the default). With
# never the kernel's pages are mapped from its file too: the file mapping
# splits a VMA advised against huge pages.
for hp in auto never; do
	run_volt "blk-huge-$hp" --config "$TMP/blk.ini" "${PLUGIN_ARGS[@]}" --huge-pages "$hp" \
		$([ "$hp" = never ] && echo --kernel-pages shared)
	check_status "blk-huge-$hp" 0 "blk guest, --huge-pages $hp"
	if grep -Eq '^BLK DONE pass=[0-9]+ fail=0' "$TMP/blk-huge-$hp.out"; then
		pass "blk guest, --huge-pages $hp: $(grep '^BLK DONE' "$TMP/blk-huge-$hp.out")"
	else
		fail "blk guest, --huge-pages $hp: no 'BLK DONE ... fail=0' line"
		show "blk-huge-$hp"
	fi
done

# The guest's kernel mapped from its file ([vm] kernel_pages = shared): its
# text page comes from the file, the device still reads and writes guest RAM.
run_volt blk-shared --config "$TMP/blk.ini" "${PLUGIN_ARGS[@]}" --kernel-pages shared
check_status blk-shared 0 "blk guest, --kernel-pages shared"
if grep -Eq '^BLK DONE pass=[0-9]+ fail=0' "$TMP/blk-shared.out"; then
	pass "blk guest, --kernel-pages shared: $(grep '^BLK DONE' "$TMP/blk-shared.out")"
else
	fail "blk guest, --kernel-pages shared: no 'BLK DONE ... fail=0' line"
	show blk-shared
fi
check_grep blk-shared err "kernel .*: [1-9][0-9]* of its [0-9]+ bytes mapped from the file, shared" \
	"blk guest, --kernel-pages shared: the kernel's whole pages were mapped"

finish
