#!/bin/bash
# PUT /actions SendCtrlAltDel reaches the guest: the kbd guest reads exactly
# Ctrl, Alt and Del from the i8042 and resets, and volt exits 0, as with
# SIGUSR2 (tests/integration/ctrl_alt_del.sh).
# shellcheck source=api_common.sh
. "$(dirname "$0")/api_common.sh"
require_kvm
KBD=$GUESTS/kbd
require_file "$KBD"

start_volt cad || { fail "volt --api-sock did not serve $SOCK"; show cad; finish; }
expect PUT /boot-source "$(boot_source "$KBD")" 204 "" "PUT /boot-source (kbd guest)"
expect PUT /actions '{"action_type": "InstanceStart"}' 204 "" "InstanceStart"
if wait_for_output cad READY; then pass "the kbd guest waits for keys"; else
	fail "no READY from the kbd guest"; show cad; finish
fi
expect PUT /actions '{"action_type": "SendCtrlAltDel"}' 204 "" "SendCtrlAltDel"
wait_for_output cad CTRL-ALT-DEL || fail "the guest did not see Ctrl-Alt-Del"
wait_volt
check_status cad 0 "SendCtrlAltDel: the guest resets"
check_grep cad out "^KEYS 0x1d 0x38 0xe0 0x53$" "SendCtrlAltDel: the guest read Ctrl, Alt, Del, nothing else"
finish
