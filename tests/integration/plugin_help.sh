#!/bin/bash
# volt --list-plugins and --help-plugin NAME: the list names every plugin
# the project ships (from the plugin directory, or built into a slim volt)
# with its kind, and shows a refused plugin with the loader's reason; the
# help of a plugin names every key a section of it accepts (as the
# configuration loader itself lists them when it refuses an unknown key);
# an unknown plugin is a configuration error. No VM runs, no kernel needed.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
HELLO=$GUESTS/hello
PLUGINS=$(cd "$GUESTS/../plugins" 2>/dev/null && pwd) ||
	{ echo "FAIL: $GUESTS/../plugins is missing (build the project first)"; exit 1; }
require_file "$HELLO"

run_volt list --list-plugins
check_status list 0 "--list-plugins"
for row in "virtio-blk device" "virtio-net device" "net-tap network backend" \
	"net-macvtap network backend" "net-vhost network backend"; do
	name=${row%% *} kind=${row#* }
	if grep -Eq "^  $name +$kind " "$TMP/list.out"; then
		pass "--list-plugins: $name, a $kind"
	else
		fail "--list-plugins: no line for $name as a $kind"
		show list
	fi
done

run_volt refused --list-plugins --plugin-dir "$PLUGINS/major"
check_status refused 0 "--list-plugins over a refused plugin"
check_grep refused out "^  test-major +refused: .*test-major.so: built for Volt plugin ABI 2" \
	"--list-plugins: a refused plugin shows the loader's reason"

# accepted SECTION-LINES...: the keys the loader says a section accepts,
# from its refusal of an unknown key.
accepted() {
	printf '[vm]\nkernel = %s\n\n' "$HELLO" >"$TMP/keys.ini"
	printf '%s\n' "$@" "no_such_key = 1" >>"$TMP/keys.ini"
	run_volt keys --config "$TMP/keys.ini"
	sed -n 's/.*(they accept: \(.*\))$/\1/p; s/.*(it accepts: \(.*\))$/\1/p' "$TMP/keys.err" |
		tr -d ','
}

# keys_documented WHAT KEYS HELP-RUNS...: every key appears as "  KEY = " in
# the output of one of the --help-plugin runs named.
keys_documented() {
	local what=$1 keys=$2 missing=() key
	shift 2
	if [ -z "$keys" ]; then
		fail "$what: the loader listed no accepted keys"
		show keys
		return
	fi
	for key in $keys; do
		cat "${@/#/$TMP/}" | grep -q "^  $key = " || missing+=("$key")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		pass "$what: --help-plugin documents every key ($keys)"
	else
		fail "$what: --help-plugin does not document ${missing[*]}"
	fi
}

for plugin in virtio-blk virtio-net net-tap net-macvtap net-vhost; do
	run_volt "help-$plugin" --help-plugin "$plugin"
	check_status "help-$plugin" 0 "--help-plugin $plugin"
done
keys_documented "[drive]" "$(accepted '[drive "d0"]')" help-virtio-blk.out
for backend in net-tap net-macvtap net-vhost; do
	keys_documented "[net] with $backend" "$(accepted '[net "n0"]' "backend = $backend")" \
		help-virtio-net.out "help-$backend.out"
done
check_grep help-virtio-blk out '^Configured in a \[drive "ID"\] section' \
	"--help-plugin virtio-blk: says which section configures it"
check_grep help-net-tap out '^Configured in a \[net "ID"\] section with backend = net-tap' \
	"--help-plugin net-tap: says how a [net] section chooses it"
check_grep help-virtio-blk out '^  path = path, required$' \
	"--help-plugin virtio-blk: a required key says so"
check_grep help-virtio-net out '^  mtu = number, 68 to 65535, default 1500$' \
	"--help-plugin virtio-net: a number key gives its range and default"

# The system calls a plugin declares, for an operator vetting it.
check_grep help-virtio-blk out '^  preadv on io, fd slot 0$' \
	"--help-plugin virtio-blk: lists a declared syscall with its thread and fd"
check_grep help-net-tap out '^  ioctl on vcpu\+io, fd slot 0, requests 0x400454d0$' \
	"--help-plugin net-tap: lists an ioctl with its requests"
n_help=$(grep -c '^  [a-z0-9_]* on [a-z+]*' "$TMP/help-virtio-blk.out")
n_reason=$(grep -A1 '^  [a-z0-9_]* on [a-z+]*' "$TMP/help-virtio-blk.out" | grep -c '^      [^ ]')
[ "$n_help" -gt 0 ] && [ "$n_help" = "$n_reason" ] &&
	pass "--help-plugin virtio-blk: each of its $n_help syscalls has its reason" ||
	fail "--help-plugin virtio-blk: $n_help syscalls, $n_reason reasons"
run_volt help-echo --help-plugin test-echo --plugin-dir "$PLUGINS/good"
check_grep help-echo out '^It declares no system calls' \
	"--help-plugin: a plugin that declares no syscalls says so"

run_volt unknown --help-plugin no-such-plugin
check_status unknown 2 "--help-plugin of an unknown plugin"
check_grep unknown err "^volt: error: no plugin no-such-plugin: .*no-such-plugin.so does not exist" \
	"--help-plugin of an unknown plugin: says which file is missing"

# A slim volt needs no plugin directory for its own plugins: without /proc
# (a jail), where the default directory cannot be found, it still lists
# them, and a plugin it does not have says why.
plugin_args virtio-blk
if [ ${#PLUGIN_ARGS[@]} -eq 0 ]; then
	if unshare -m true 2>/dev/null; then
		unshare -m sh -c 'mount -t tmpfs none /proc && exec "$0" --list-plugins' "$VOLT" \
			>"$TMP/noproc.out" 2>"$TMP/noproc.err"
		status=$?
		check_status noproc 0 "slim, no /proc: --list-plugins"
		check_grep noproc out '^Plugins built in \(no plugin directory: .*/proc/self/exe' \
			"slim, no /proc: lists the built-in plugins, says why there is no directory"
		check_grep noproc out '^  virtio-blk ' "slim, no /proc: virtio-blk listed"
	else
		echo "note: no mount namespace here (unshare -m): the slim no-/proc check needs root"
	fi
fi

finish
