#!/bin/bash
# Landlock after lockdown (tests/sandbox/sbx_opener.c): a plugin opens the
# file it allowed at realize (read-only), is refused writing it, and is
# refused a file it never allowed; --no-landlock lifts that (with warnings);
# a plugin that declares openat yet allows no path is refused before the
# guest runs; a directory allowed VOLT_PATH_REMOVE lets files be removed
# from it and nothing else.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
HELLO=$GUESTS/hello
PLUGINS=$GUESTS/../sandbox/sbx-opener
require_file "$HELLO"
require_file "$PLUGINS/sbx-opener.so"
echo allowed >"$TMP/allowed.txt"
echo other >"$TMP/other.txt"

# ini NAME ALLOW
ini() {
	cat >"$TMP/$1.ini" <<INI
[vm]
kernel = $HELLO

[drive "files"]
plugin = sbx-opener
allowed = $TMP/allowed.txt
other = $TMP/other.txt
allow = $2
INI
}

ini on true
run_volt on --config "$TMP/on.ini" --plugin-dir "$PLUGINS"
check_status on 0 "Landlock: the VM runs"
check_grep on err "sbx-opener: allowed for reading: opened" \
	"Landlock: the allowed file opens for reading"
check_grep on err "sbx-opener: allowed for writing: refused \(Permission denied\)" \
	"Landlock: the allowed file is read-only"
check_grep on err "sbx-opener: other for reading: refused \(Permission denied\)" \
	"Landlock: an undeclared file is refused after lockdown"
check_grep on out "^Hello from the Volt hello guest" "Landlock: the guest ran"

run_volt off --config "$TMP/on.ini" --plugin-dir "$PLUGINS" --no-landlock
check_status off 0 "--no-landlock: the VM runs"
check_grep off err "^volt: warning: sandbox: Landlock is off \(--no-landlock\)" "--no-landlock: warns"
check_grep off err "sbx-opener \(drive files\) may call openat and nothing confines it" \
	"--no-landlock: warns that the plugin's opens are unconfined"
check_grep off err "sbx-opener: other for reading: opened" \
	"--no-landlock: the undeclared file opens (Landlock was what refused it)"

# VOLT_PATH_REMOVE (ABI 1.2): in that directory, files may be removed and
# nothing else: not read, not created.
mkdir "$TMP/rmdir"
echo v >"$TMP/rmdir/victim"
echo v2 >"$TMP/rmdir/victim2"
ini rm true
echo "remove_dir = $TMP/rmdir" >>"$TMP/rm.ini"
run_volt rm --config "$TMP/rm.ini" --plugin-dir "$PLUGINS"
check_status rm 0 "VOLT_PATH_REMOVE: the VM runs"
check_grep rm err "sbx-opener: remove_dir: removing victim: done" \
	"VOLT_PATH_REMOVE: a file in the directory is removed"
[ ! -e "$TMP/rmdir/victim" ] && pass "VOLT_PATH_REMOVE: the file is gone" ||
	fail "VOLT_PATH_REMOVE: the file is still there"
check_grep rm err "sbx-opener: remove_dir: creating new: refused \(Permission denied\)" \
	"VOLT_PATH_REMOVE: no file can be made there"
check_grep rm err "sbx-opener: remove_dir: reading victim2: refused \(Permission denied\)" \
	"VOLT_PATH_REMOVE: no file there can be read"
sed -i "s|^remove_dir = .*|remove_dir = $TMP/allowed.txt|" "$TMP/rm.ini"
run_volt rmfile --config "$TMP/rm.ini" --plugin-dir "$PLUGINS"
check_status rmfile 1 "VOLT_PATH_REMOVE on a file: refused"
check_grep rmfile err "allowed.txt: removing files is allowed in a directory, and this is not one" \
	"VOLT_PATH_REMOVE on a file: the reason"

ini nopath false
run_volt nopath --config "$TMP/nopath.ini" --plugin-dir "$PLUGINS"
check_status nopath 1 "openat without an allowed path: refused"
check_grep nopath err "sbx-opener \(drive files\): declares openat but allowed no path" \
	"openat without an allowed path: the reason"
if grep -q "^Hello from the Volt hello guest" "$TMP/nopath.out"; then
	fail "openat without an allowed path: the guest ran"
else
	pass "openat without an allowed path: the guest never ran"
fi

finish
