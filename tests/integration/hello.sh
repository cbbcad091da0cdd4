#!/bin/bash
# The hello guest boots, greets on the serial port, marks the boot timer and
# resets through the i8042; volt exits 0. Also through examples/hello.ini.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_kvm
HELLO=$GUESTS/hello
require_file "$HELLO"

run_volt cli --kernel "$HELLO"
check_status cli 0 "hello (--kernel)"
check_grep cli out "^Hello from the Volt hello guest" "hello (--kernel): greeting on serial"
check_grep cli err "boot-timer: guest wrote 0x0?1 at [0-9]+ us" "hello (--kernel): boot-timer logged"

run_volt stdout --kernel "$HELLO" --serial-output stdout --memory 64 --vcpus 2
check_status stdout 0 "hello (--serial-output stdout, 64 MiB, 2 vCPUs)"
check_grep stdout out "^Hello from the Volt hello guest" \
	"hello (--serial-output stdout): greeting on serial"

run_volt file --kernel "$HELLO" --serial-output "$TMP/serial.log"
check_status file 0 "hello (--serial-output FILE)"
if grep -q "^Hello from the Volt hello guest" "$TMP/serial.log" 2>/dev/null; then
	pass "hello (--serial-output FILE): greeting in the file"
else
	fail "hello (--serial-output FILE): greeting not in $TMP/serial.log"
	show file
fi

# The example config, unchanged, in a copy of the tree's layout: its kernel
# path (../build/tests/guests/hello, relative to the INI file's directory)
# leads to this build's guest. volt runs from elsewhere to prove the path is
# resolved against the file, not the working directory.
INI=$SRCDIR/examples/hello.ini
if [ -f "$INI" ]; then
	mkdir -p "$TMP/tree/examples" "$TMP/tree/build/tests/guests"
	cp "$INI" "$TMP/tree/examples/hello.ini"
	ln -s "$HELLO" "$TMP/tree/build/tests/guests/hello"
	(cd / && run_volt ini --config "$TMP/tree/examples/hello.ini"; exit "$status")
	status=$?
	check_status ini 0 "hello (--config examples/hello.ini)"
	check_grep ini out "^Hello from the Volt hello guest" \
		"hello (--config examples/hello.ini): greeting on serial"
else
	echo "note: $INI not present, --config check skipped"
fi

finish
