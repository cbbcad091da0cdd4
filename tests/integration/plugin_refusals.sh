#!/bin/bash
# Every plugin refusal: volt is pointed at one deliberately broken test
# plugin (tests/plugins, built into <build>/tests/plugins/<case>/) and must
# refuse it with one clear line naming the file and the reason, with exit
# status 1 (a refused plugin file) or 2 (a configuration problem: unknown
# plugin, wrong kind, bad key or value), and start no VM. Refusals happen
# before any KVM call, so none of this needs /dev/kvm.
. "$(dirname "$0")/common.sh"
HELLO=$GUESTS/hello
PLUGINS=$(cd "$GUESTS/../plugins" 2>/dev/null && pwd) ||
	{ echo "FAIL: $GUESTS/../plugins is missing (build the project first)"; exit 1; }
require_file "$HELLO"
require_file "$PLUGINS/good/test-echo.so"

# ini NAME CASE SECTION-BODY...: $TMP/NAME.ini, the hello guest, plugins from
# CASE, and one [drive "d0"] section made of the remaining lines.
ini() {
	local name=$1 case=$2
	shift 2
	{
		printf '[vm]\nkernel = %s\n\n[plugins]\ndir = %s\n\n[drive "d0"]\n' \
			"$HELLO" "$PLUGINS/$case"
		printf '%s\n' "$@"
	} >"$TMP/$name.ini"
}

# refused NAME STATUS PHRASE WHAT: volt --config $TMP/NAME.ini exits STATUS
# with PHRASE (fixed text) on stderr, in exactly one error line, and no
# guest ran.
refused() {
	local name=$1 want=$2 phrase=$3 what=$4 errors

	run_volt "$name" --config "$TMP/$name.ini"
	check_status "$name" "$want" "$what"
	if grep -Fq -- "$phrase" "$TMP/$name.err"; then
		pass "$what: says \"$phrase\""
	else
		fail "$what: no \"$phrase\" on stderr"
		show "$name"
	fi
	errors=$(grep -c "error:" "$TMP/$name.err")
	if [ "$errors" -eq 1 ]; then
		pass "$what: one error line"
	else
		fail "$what: $errors error lines, want 1"
		show "$name"
	fi
	if [ -s "$TMP/$name.out" ] || grep -q "boot-timer" "$TMP/$name.err"; then
		fail "$what: the guest ran"
		show "$name"
	else
		pass "$what: no guest output"
	fi
}

# --- refused plugin files: exit status 1, the line starts with the file ---

ini major major "plugin = test-major"
refused major 1 "$PLUGINS/major/test-major.so: built for Volt plugin ABI 2, this volt speaks 1" \
	"ABI major mismatch"

ini minor minor "plugin = test-minor"
minor=$(sed -n 's/^#define VOLT_ABI_MINOR \([0-9]*\)$/\1/p' "$SRCDIR/sdk/include/volt/abi.h")
refused minor 1 "$PLUGINS/minor/test-minor.so: built for Volt plugin ABI 1.$((minor + 1)), newer than this volt's 1.$minor" \
	"newer ABI minor"

ini small small "plugin = test-small"
refused small 1 "$PLUGINS/small/test-small.so: descriptor is 16 bytes, smaller than a Volt 1.0 descriptor" \
	"descriptor struct too small"

ini opsize opsize "plugin = test-opsize"
refused opsize 1 "$PLUGINS/opsize/test-opsize.so: device ops table is 8 bytes, smaller than" \
	"ops struct too small"

ini noentry noentry "plugin = test-noentry"
refused noentry 1 "$PLUGINS/noentry/test-noentry.so: not a Volt plugin: no volt_plugin_entry_v1" \
	"no entry symbol"

ini notplugin notplugin "plugin = test-text"
refused notplugin 1 "$PLUGINS/notplugin/test-text.so: not a Volt plugin: cannot load it" \
	"not a shared object"

ini mismatch mismatch "plugin = test-mismatch"
refused mismatch 1 "$PLUGINS/mismatch/test-mismatch.so: its descriptor names it 'test-other', not 'test-mismatch'" \
	"descriptor name differs from the file name"

ini denied denied "plugin = test-denied"
refused denied 1 "$PLUGINS/denied/test-denied.so: declares syscall execve, which no plugin may make" \
	"denied syscall"

ini badkey badkey "plugin = test-badkey"
refused badkey 1 "$PLUGINS/badkey/test-badkey.so: key 0: name 'Bad Key' is not made of [a-z0-9_]" \
	"malformed key declaration"

# Two files, one name: a second section loads the second file.
ini dup dup "plugin = test-dup"
printf '\n[drive "d1"]\nplugin = test-dup-copy\n' >>"$TMP/dup.ini"
refused dup 1 "$PLUGINS/dup/test-dup-copy.so: plugin name 'test-dup' is already taken by $PLUGINS/dup/test-dup.so" \
	"duplicate plugin name"

# --- configuration problems: exit status 2, FILE:LINE: key: reason ---
# Lines: 1 [vm], 2 kernel, 4 [plugins], 5 dir, 7 [drive "d0"], 8 on: the body.

ini nokey good "plugin = test-echo" "label = x" "colour = red"
refused nokey 2 "$TMP/nokey.ini:10: colour: not a key of plugin test-echo (it accepts: label, greeting, enabled," \
	"undeclared key"

ini badbool good "plugin = test-echo" "label = x" "enabled = maybe"
refused badbool 2 "$TMP/badbool.ini:10: enabled: 'maybe' is not a boolean" "value of the wrong type (bool)"

ini badnum good "plugin = test-echo" "label = x" "depth = 5000"
refused badnum 2 "$TMP/badnum.ini:10: depth: '5000' is out of range [1, 4096]" "number out of range"

ini badmac good "plugin = test-echo" "label = x" "mac = 52:54:00:12:34"
refused badmac 2 "$TMP/badmac.ini:10: mac: '52:54:00:12:34' is not a MAC address" "value of the wrong type (MAC)"

ini badpath good "plugin = test-echo" "label = x" "file = no-such-file.img"
refused badpath 2 "$TMP/badpath.ini:10: file: $TMP/no-such-file.img: No such file or directory" \
	"a path that does not exist (relative to the INI file)"

ini required good "plugin = test-echo" "greeting = hi"
refused required 2 "$TMP/required.ini:7: [drive \"d0\"]: label is required by test-echo" \
	"required key missing"

ini wrongkind good "plugin = test-nullnet"
refused wrongkind 2 "$TMP/wrongkind.ini:8: plugin: test-nullnet is a network backend plugin, not a device" \
	"a network backend used as a device"

# A virtio device of one class in another's section: refused before any
# plugin is created (a [net] section used to open its tap first).
# A slim volt has them built in, and no plugin directory of its own.
REAL=$GUESTS/../../lib/volt/plugins
[ -d "$REAL" ] || REAL=$PLUGINS/good
ini blknet good "plugin = virtio-net"
sed -i "s|^dir = .*|dir = $REAL|" "$TMP/blknet.ini"
refused blknet 2 "$TMP/blknet.ini:8: plugin: virtio-net is a network device (virtio device ID 1): it goes in a [net] section, not [drive]" \
	"a network device in a [drive] section"
printf '[vm]\nkernel = %s\n\n[plugins]\ndir = %s\n\n[net "n0"]\nplugin = virtio-blk\npath = %s\n' \
	"$HELLO" "$REAL" "$HELLO" >"$TMP/netblk.ini"
refused netblk 2 "$TMP/netblk.ini:8: plugin: virtio-blk is a block device (virtio device ID 2): it goes in a [drive] section, not [net]" \
	"a block device in a [net] section"
if grep -q "net-tap" "$TMP/netblk.err"; then
	fail "a block device in a [net] section: its backend was opened"
	show netblk
else
	pass "a block device in a [net] section: no backend was opened"
fi
printf '[vm]\nkernel = %s\n\n[plugins]\ndir = %s\n\n[device "x0"]\nplugin = virtio-net\n' \
	"$HELLO" "$REAL" >"$TMP/devnet.ini"
refused devnet 2 "$TMP/devnet.ini:8: plugin: virtio-net is a network device (virtio device ID 1): it goes in a [net] section, not [device]" \
	"a network device in a [device] section"

ini unknown good "plugin = no-such-plugin"
refused unknown 2 "$TMP/unknown.ini:8: plugin: no plugin no-such-plugin: $PLUGINS/good/no-such-plugin.so does not exist" \
	"unknown plugin"

ini badname good "plugin = ../good/test-echo"
refused badname 2 "$TMP/badname.ini:8: plugin: '../good/test-echo' is not a plugin name" \
	"a plugin name that is a path"

# --plugin-dir overrides [plugins] dir.
ini override major "plugin = test-echo" "label = x" "colour = red"
run_volt override --config "$TMP/override.ini" --plugin-dir "$PLUGINS/good"
check_status override 2 "--plugin-dir overrides [plugins] dir"
check_grep override err "colour: not a key of plugin test-echo" \
	"--plugin-dir overrides [plugins] dir: loads from the flag's directory"

finish
