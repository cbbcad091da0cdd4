#!/usr/bin/env python3
"""Write the seeds of fuzz_pio (tests/fuzz/seeds/pio/): what Linux's 8250
and i8042 drivers do at boot, console output, and the reset paths, in the
input format fuzz_pio.c describes. Run it again after changing that format:
    tests/fuzz/fuzz_pio_seeds.py
"""
import seedfiles

COM1 = 0x3f8
RX = TX = DLL = 0
IER = DLM = 1
IIR = FCR = 2
LCR, MCR, LSR, MSR, SCR = 3, 4, 5, 6, 7
KBD_DATA, KBD_CMD = 0x60, 0x64
SIZES = {1: 0, 2: 1, 4: 2, 8: 3}


def short(port):
    """The short-port byte that stands for port, or None (see fuzz_port())."""
    p = port & 0xff
    if 0xf0 <= p and port >> 8 == 0x3:
        return p
    if 0x38 <= p < 0x50 and port >> 8 == 0x4:
        return p
    if port < 0x100 and not (0x38 <= port < 0x50) and port < 0xf0:
        return port
    return None


def pio(port, write, values=(0,), size=1, raw=False, run=0):
    """One exit: up to 7 items, or a run of 8-263 items all with values[0]."""
    assert 1 <= len(values) <= 7 and not (run and len(values) > 1)
    ctl = SIZES[size] | (4 if write else 0) | ((7 if run else len(values) - 1) << 3)
    s = None if raw else short(port)
    head = bytes([ctl, s]) if s is not None else bytes([ctl | 0x40]) + port.to_bytes(2, "little")
    if run:
        assert 8 <= run <= 263
        head += bytes([run - 8])
    if not write:
        return head
    return head + b"".join(v.to_bytes(size, "little") for v in values)


def out(port, *values, size=1, raw=False):
    return pio(port, True, values, size, raw)


def inp(port, n=1, size=1, raw=False):
    return pio(port, False, (0,) * n, size, raw)


def out_run(port, value, size=1, n=263):
    """rep outs of n items, all the same."""
    return pio(port, True, (value,), size, run=n)


def uo(reg, v):
    return out(COM1 + reg, v)


def ui(reg, n=1):
    return inp(COM1 + reg, n)


def typed(data):
    assert 1 <= len(data) <= 8
    return bytes([0x80 | ((len(data) - 1) << 3)]) + data


CTRL_ALT_DEL = bytes([0xc0])
MAIN_TURN = bytes([0xc8])  # the main thread writes the UART's output out


def console(text):
    """Early printk: poll LSR for THR empty, then write the byte."""
    return b"".join(ui(LSR) + uo(TX, c) for c in text)


def linux_8250():
    s = b""
    # autoconfig(): IER read-back test, loopback MSR test, FIFO probe.
    s += ui(IER) + uo(IER, 0) + ui(IER) + uo(IER, 0x0f) + ui(IER) + uo(IER, 0)
    s += ui(MCR) + ui(LCR) + uo(MCR, 0x1a) + ui(MSR) + uo(MCR, 0)
    s += uo(LCR, 0xbf) + uo(FCR, 0) + uo(LCR, 0)
    s += uo(FCR, 0x01) + ui(IIR)
    s += uo(LCR, 0x80) + ui(DLL) + ui(DLM) + uo(DLL, 0) + uo(DLM, 0) + ui(DLL) + uo(LCR, 0)
    s += uo(FCR, 0x21) + ui(IIR) + uo(FCR, 0x01)
    s += uo(SCR, 0xa5) + ui(SCR) + uo(SCR, 0x5a) + ui(SCR)
    s += uo(FCR, 0x01) + uo(FCR, 0x07) + uo(FCR, 0) + uo(IER, 0)
    # serial8250_do_startup(): clear, 8N1, modem lines, THRE test.
    s += ui(LSR) + ui(RX) + ui(IIR) + ui(MSR)
    s += uo(LCR, 0x03) + uo(MCR, 0x0b)
    s += uo(IER, 0) + uo(IER, 0x02) + ui(IIR) + uo(IER, 0) + uo(IER, 0x02) + ui(IIR) + uo(IER, 0)
    s += ui(LSR) + ui(RX) + ui(IIR) + ui(MSR) + uo(IER, 0x05)
    # set_termios(): 115200 8N1 with FIFOs.
    s += uo(LCR, 0x83) + uo(DLL, 0x01) + uo(DLM, 0x00) + uo(LCR, 0x03) + uo(FCR, 0xc1)
    # The console around a write: IER off, bytes, IER back; then the
    # THRE interrupt path of the tty driver.
    s += ui(IER) + uo(IER, 0) + console(b"ttyS0 at I/O 0x3f8\r\n") + uo(IER, 0x05)
    s += uo(IER, 0x07) + ui(IIR) + uo(TX, ord("$")) + ui(IIR) + ui(IIR) + ui(LSR)
    return s


def console_output():
    s = console(b"Linux version 6.1.0 (volt@fuzz) #1 SMP\r\n") + MAIN_TURN
    s += out(COM1 + TX, *b"early: ")  # rep outsb
    s += out(COM1 + TX, 0x0a4f, size=2)  # outw: the low byte is THR's
    s += inp(COM1 + LSR, size=4) + inp(COM1 + LSR, size=8) + inp(COM1 + MSR, size=2)
    s += uo(LCR, 0x80) + uo(TX, ord("x")) + uo(LCR, 0x03) + uo(TX, ord("!")) + MAIN_TURN
    return s


def loopback():
    s = uo(MCR, 0x1f) + ui(MSR) + uo(MCR, 0x10) + ui(MSR)
    s += uo(TX, ord("A")) + uo(TX, ord("B")) + ui(LSR) + ui(RX, 3) + ui(LSR)
    s += uo(IER, 0x01) + uo(TX, 0x55) + ui(IIR) + ui(RX) + ui(IIR)
    # Overflow the receive FIFO and drain it; fill it again and clear it.
    fill = b"".join(out(COM1 + TX, *range(i * 6, i * 6 + 6)) for i in range(12))
    s += fill + (ui(LSR) + ui(RX)) * 64 + ui(LSR) + ui(RX)  # as serial8250_rx_chars()
    s += fill + ui(RX, 7) + ui(LSR) + uo(FCR, 0x07) + ui(LSR) + ui(RX)
    # Keys typed on the terminal while not in loopback.
    s += uo(MCR, 0x0b) + typed(b"root\r") + MAIN_TURN + ui(IIR) + ui(LSR) + ui(RX, 5) + ui(IIR)
    return s


def type_ahead():
    """More keys than the receive FIFO holds, typed before the guest reads:
    the VMM pauses the terminal when the FIFO is full and resumes once the
    guest has drained it (as serial8250_rx_chars() does: LSR, then RBR)."""
    keys = bytes(range(0x20, 0x20 + 160))
    s = uo(MCR, 0x0b) + uo(IER, 0x01)
    s += b"".join(typed(keys[i:i + 8]) for i in range(0, len(keys), 8))
    s += MAIN_TURN + MAIN_TURN + ui(IIR) + ui(LSR)
    for _ in range(3):
        s += (ui(LSR) + ui(RX)) * 64 + ui(LSR) + MAIN_TURN + MAIN_TURN + ui(IIR)
    s += console(b"$ ") + MAIN_TURN
    return s


def console_flood():
    """More output than the ring (256 KiB) holds before the main thread
    writes it out: the rest is dropped. The first byte moves the ring's
    start, so the flood wraps around its end."""
    s = console(b"x") + MAIN_TURN
    s += out_run(COM1 + TX, ord("a")) * 997 + out_run(COM1 + TX, 0x0a0d, size=2, n=8)
    s += out_run(COM1 + TX, ord("b"), n=200) + MAIN_TURN + console(b"end") + MAIN_TURN
    s += out_run(COM1 + TX, ord("c"), n=9) + pio(COM1 + LSR, False, run=20) + MAIN_TURN
    return s


def i8042_probe():
    s = inp(KBD_CMD) + out(KBD_CMD, 0xaa) + inp(KBD_DATA)
    s += out(KBD_CMD, 0x20) + inp(KBD_DATA) + out(KBD_CMD, 0x60) + out(KBD_DATA, 0x47)
    s += out(KBD_CMD, 0xab) + inp(KBD_DATA) + out(KBD_CMD, 0xa9) + inp(KBD_DATA)
    s += out(KBD_CMD, 0xa7) + out(KBD_CMD, 0xa8) + out(KBD_CMD, 0xad) + out(KBD_CMD, 0xae)
    s += out(KBD_CMD, 0xd0) + inp(KBD_DATA) + out(KBD_CMD, 0xd1) + out(KBD_DATA, 0x03)
    s += out(KBD_CMD, 0xd4) + out(KBD_DATA, 0xf2) + inp(KBD_CMD)
    # atkbd: reset, identify, enable.
    s += out(KBD_DATA, 0xff) + inp(KBD_CMD) + inp(KBD_DATA, 2) + inp(KBD_CMD)
    s += out(KBD_DATA, 0xf2) + inp(KBD_DATA, 3) + out(KBD_DATA, 0xf4) + inp(KBD_DATA)
    s += inp(KBD_DATA, size=2) + inp(KBD_CMD, size=4)
    return s


def ctrl_alt_del_reset():
    s = CTRL_ALT_DEL + inp(KBD_CMD) + inp(KBD_DATA, 4) + inp(KBD_CMD)
    # Untranslated: set 2 codes; then overflow the output buffer.
    s += out(KBD_CMD, 0x60) + out(KBD_DATA, 0x05) + CTRL_ALT_DEL + inp(KBD_DATA, 4)
    s += CTRL_ALT_DEL * 5 + inp(KBD_DATA, 7) * 3 + inp(KBD_DATA)
    # Linux's reboot=k, tried more than once, then as rep outsb and outl.
    s += out(KBD_CMD, 0xfe) + out(KBD_CMD, 0xfe) + out(KBD_CMD, 0xfe, 0xfe, 0xfe)
    s += out(KBD_CMD, 0xfe, size=4)
    return s


def boot_timer_misc():
    s = out(0x440, 0x12345678, size=4) + out(0x440, 0x01) + out(0x443, 0xffff, size=2)
    s += out(0x80, 0, 0, 0, 0) + inp(0x80) + inp(0x80, size=4)
    s += inp(0x440, size=4) + inp(0x443, size=8) + inp(0x43f) + inp(0x444)
    # Partial overlaps and ports nothing claims.
    s += inp(0x3fe, size=4) + inp(0x3f6, size=4) + inp(0x3f7)
    s += inp(0x400, size=2) + inp(0x2f8) + inp(0x5f) + inp(0x61) + inp(0xffff, size=2)
    s += out(0xcf8, 0x80000000, size=4) + inp(0xcfc, size=4) + inp(0x3f8, raw=True)
    return s


SEEDS = {
    "linux-8250-probe": linux_8250,
    "console-output": console_output,
    "uart-loopback-fifo": loopback,
    "uart-type-ahead": type_ahead,
    "uart-console-flood": console_flood,
    "i8042-probe-atkbd": i8042_probe,
    "i8042-ctrl-alt-del-reset": ctrl_alt_del_reset,
    "boot-timer-unclaimed": boot_timer_misc,
}

if __name__ == "__main__":
    seedfiles.write("pio", {name: make() for name, make in SEEDS.items()})
