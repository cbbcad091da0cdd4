#!/bin/bash
# A static volt (-DVOLT_STATIC=ON, core/util/build.h): one static-pie
# executable with its plugins built in. It has no program interpreter, runs
# its built-in plugins, refuses what it cannot do (plugin files, the control
# API) with exit status 2 and a message that says where it was asked for
# and why, and finds users through /etc/passwd and /etc/group without NSS
# modules (static glibc loading one crashed it). That it boots guests is
# what the other integration tests of its build show.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
HELLO=$GUESTS/hello
require_file "$HELLO"

# No PT_INTERP: nothing but the kernel maps it. Still position-independent
# (static-pie), so its base is randomised.
headers=$(readelf -lh "$VOLT")
if grep -q 'program interpreter' <<<"$headers"; then
	fail "volt has a program interpreter: not a static build"
else
	pass "volt has no program interpreter"
fi
if grep -Eq 'Type: +DYN' <<<"$headers"; then
	pass "volt is position-independent (static-pie)"
else
	fail "volt is not position-independent: $(grep -E 'Type:' <<<"$headers")"
fi

run_volt help --help
check_status help 0 "--help"
check_grep help out "This volt is static .*: one executable" "--help says the build is static"
check_grep help out "--api-sock and \[api\] socket are refused" "--help says what it refuses"

run_volt list --list-plugins
check_status list 0 "--list-plugins"
check_grep list out "^Plugins built into this static volt" "--list-plugins says they are built in"
for plugin in virtio-blk virtio-net net-tap net-macvtap net-vhost; do
	check_grep list out "^  $plugin " "--list-plugins lists $plugin"
done

# refused NAME PATTERN WHAT ARGS...: exit status 2 and PATTERN on stderr.
refused() {
	local name=$1 pattern=$2 what=$3

	shift 3
	run_volt "$name" "$@"
	check_status "$name" 2 "$what"
	check_grep "$name" err "$pattern" "$what: the message says where and why"
}

refused api_flag "^volt: error: --api-sock: this volt is static .* has no control API" \
	"--api-sock" --kernel "$HELLO" --api-sock "$TMP/api.sock"
if [ -e "$TMP/api.sock" ]; then
	fail "--api-sock refused, yet the socket was created"
else
	pass "--api-sock refused before any socket was created"
fi
printf '[vm]\nkernel = %s\n[api]\nsocket = %s\n' "$HELLO" "$TMP/api.sock" >"$TMP/api.ini"
refused api_ini "$TMP/api.ini:4: socket: this volt is static .* has no control API" \
	"[api] socket" --config "$TMP/api.ini"
refused plugin_dir "^volt: error: --plugin-dir: this volt is static .* loads no plugin files" \
	"--plugin-dir" --kernel "$HELLO" --plugin-dir "$TMP"
printf '[vm]\nkernel = %s\n[device "e"]\nplugin = echo\n' "$HELLO" >"$TMP/echo.ini"
refused plugin_file "$TMP/echo.ini:4: plugin: no plugin echo: it is not built in, and this volt is static" \
	"a plugin that is not built in" --config "$TMP/echo.ini"

# Users from the files, by name and by number, and a name that is in
# neither (this crashed the first static volt: glibc loaded nss_systemd).
if getent passwd nobody >/dev/null && getent group nogroup >/dev/null; then
	want="uid $(id -u nobody), gid $(getent group nogroup | cut -d: -f3)"
	run_volt user_name --kernel "$HELLO" --user nobody:nogroup --print-sandbox-policy
	check_status user_name 0 "--user nobody:nogroup"
	check_grep user_name out "as user nobody:nogroup \($want\)" "--user nobody:nogroup: $want"
	run_volt user_number --kernel "$HELLO" --user "$(id -u nobody)" --print-sandbox-policy
	check_status user_number 0 "--user $(id -u nobody)"
	check_grep user_number out "gid $(id -g nobody)\)" \
		"--user $(id -u nobody): the primary group from /etc/passwd"
else
	echo "note: no user nobody or group nogroup here: the lookups by name are not checked"
fi
refused user_missing "^volt: error: --user = no-such-user-volt: no user 'no-such-user-volt' on this host" \
	"--user naming no user" --kernel "$HELLO" --user no-such-user-volt

finish
