#!/bin/bash
# The legacy guest walks Linux's i8042 AUX check and the PC speaker port:
# - AUX loop (0xd3): a byte comes back, as AUX data, and not the one sent,
#   so Linux asks for the AUX test; AUX test (0xa9): 0x02, a line fault, so
#   Linux gives up on the AUX port at once. (Before: the loop's byte went
#   to the keyboard, whose ACK passed for the test's "no error", and Linux
#   then waited 250 ms for an AUX interrupt on every boot.)
# - KBD loop (0xd2): the byte comes back as keyboard data; nothing is left.
# - port 0x61: KVM's PIT serves it (KVM_PIT_SPEAKER_DUMMY): channel 2's
#   gate reads back, and no 0xff (which Linux reads as SERR and IOCHK).
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
GUEST=$GUESTS/legacy
require_file "$GUEST"

run_volt legacy --kernel "$GUEST"
check_status legacy 0 "legacy guest: runs and resets"
check_grep legacy out "^AUX-LOOP 0x[0-9a-f]+ aux$" "AUX loop: a byte back, marked AUX data"
if grep -q "^AUX-LOOP 0x5a " "$TMP/legacy.out"; then
	fail "AUX loop: echoed 0x5a, so Linux would go on to test AUX interrupts"
else
	pass "AUX loop: not the byte sent"
fi
check_grep legacy out "^AUX-TEST 0x2 kbd$" "AUX test: 0x02 (line fault): Linux drops the AUX port"
check_grep legacy out "^KBD-LOOP 0x42 kbd$" "KBD loop: the byte back as keyboard data"
check_grep legacy out "^I8042-LEFT no$" "nothing left in the output buffer"
check_grep legacy out "^SPEAKER 0x[0-9a-e]?[0-9a-f] 0x[0-9a-f]*1$" \
	"port 0x61: channel 2's gate reads back (the in-kernel PIT's speaker port)"
if grep -q "unclaimed.*0x61" "$TMP/legacy.err"; then
	fail "port 0x61 reached volt: $(grep -m1 'unclaimed.*0x61' "$TMP/legacy.err")"
else
	pass "port 0x61 never reaches volt"
fi
finish
