#!/usr/bin/env python3
"""Write the seeds of fuzz_mmio.c into tests/fuzz/seeds/mmio/: drivers
that initialise the device correctly (status, features, queues in both RAM
regions, DRIVER_OK, notify), so the fuzzer starts deep. The encoding is
fuzz_op's and fuzz_settings' in fuzz_mmio.c; run this again if they change."""
import struct

import seedfiles

MAGIC, VERSION, DEVICE_ID, VENDOR_ID = 0x000, 0x004, 0x008, 0x00c
DEV_FEAT, DEV_FEAT_SEL, DRV_FEAT, DRV_FEAT_SEL = 0x010, 0x014, 0x020, 0x024
QSEL, QNUM_MAX, QNUM, QREADY, NOTIFY = 0x030, 0x034, 0x038, 0x044, 0x050
ISR, ACK, STATUS = 0x060, 0x064, 0x070
DESC_LO, DESC_HI, AVAIL_LO, AVAIL_HI, USED_LO, USED_HI = 0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4
SHM_SEL, SHM_LEN_LO, SHM_BASE_LO, SHM_BASE_HI = 0x0ac, 0x0b0, 0x0b8, 0x0bc
CONFIG_GEN, CONFIG = 0x0fc, 0x100
ACKN, DRIVER, FEAT_OK, DRV_OK = 1, 2, 8, 4
HIGH = 0x100000000
NEXT, WRITE, INDIRECT = 1, 2, 4


def settings(queues=2, qmax_log2=8, config=8, dev_id=2, behaviour=0,
             features=(1 << 3) | (1 << 33)):
    q = (queues - 1) | (qmax_log2 << 1)
    c = config | ((dev_id - 1) << 6)
    return bytes([q, c, behaviour]) + struct.pack('<Q', features)


def w(off, v):
    return bytes([0x00, off // 4]) + struct.pack('<I', v & 0xffffffff)


def r(off):
    return bytes([0x01, off // 4])


def raw(off, length, value=None):
    flags = (length - 1) | (8 if value is not None else 0)
    out = bytes([0x02 | flags << 3]) + struct.pack('<H', off)
    return out + (struct.pack('<Q', value) if value is not None else b'')


def fill(gpa, data):
    high = gpa >= HIGH
    out = b''
    while data:
        part, data = data[:255], data[255:]
        out += bytes([0x03 | (8 if high else 0)]) + struct.pack('<H', gpa & 0xffff)
        out += bytes([len(part)]) + part
        gpa += len(part)
    return out


def io(what):  # 0 kicks, 1 poll, 2 poll end, 3 both
    return bytes([0x04 | what << 3])


def device(what, queue=0, x=0):  # see fuzz_device
    return bytes([0x05 | (what | queue << 3) << 3, x])


def desc(addr, length, flags=0, nxt=0):
    return struct.pack('<QIHH', addr, length, flags, nxt)


def avail(heads, size, idx=None):
    ring = list(heads) + [0] * (size - len(heads))
    idx = len(heads) if idx is None else idx
    return struct.pack('<HH', 0, idx) + struct.pack('<%dH' % size, *ring) + b'\0\0'


def negotiate(low, high):
    out = w(STATUS, 0) + r(MAGIC) + r(VERSION) + r(DEVICE_ID) + r(VENDOR_ID)
    out += w(STATUS, ACKN) + w(STATUS, ACKN | DRIVER)
    out += w(DEV_FEAT_SEL, 0) + r(DEV_FEAT) + w(DEV_FEAT_SEL, 1) + r(DEV_FEAT)
    out += w(DRV_FEAT_SEL, 0) + w(DRV_FEAT, low) + w(DRV_FEAT_SEL, 1) + w(DRV_FEAT, high)
    out += w(STATUS, ACKN | DRIVER | FEAT_OK) + r(STATUS)
    return out


def queue(q, num, d, a, u):
    out = w(QSEL, q) + r(QREADY) + r(QNUM_MAX) + w(QNUM, num)
    out += w(DESC_LO, d) + w(DESC_HI, d >> 32)
    out += w(AVAIL_LO, a) + w(AVAIL_HI, a >> 32)
    out += w(USED_LO, u) + w(USED_HI, u >> 32)
    return out + w(QREADY, 1) + r(QREADY)


# Queue 0 in low RAM (a plain chain and an indirect one), queue 1 above 4 GiB.
Q0 = (0x1000, 0x2000, 0x3000)
Q1 = (HIGH, HIGH + 0x400, HIGH + 0x800)


def rings0(size):
    out = fill(Q0[0], desc(0x4000, 16, NEXT, 1) + desc(0x4100, 64, WRITE) +
               desc(0x5000, 32, INDIRECT))
    out += fill(0x5000, desc(0x4200, 8, NEXT, 1) + desc(0x4300, 8, WRITE))
    return out + fill(Q0[1], avail([0, 2], size))


def rings1(size):
    return fill(Q1[0], desc(HIGH + 0x1000, 32, WRITE)) + fill(Q1[1], avail([0], size))


def bring_up(size, features=(0x30000008, 1)):
    out = negotiate(*features) + rings0(size) + rings1(size)
    out += queue(0, size, *Q0) + queue(1, size, *Q1)
    return out + w(STATUS, ACKN | DRIVER | FEAT_OK | DRV_OK) + r(STATUS)


def config_reads():
    return (r(CONFIG_GEN) + raw(CONFIG, 4) + raw(CONFIG + 2, 2) + raw(CONFIG + 7, 1) +
            raw(CONFIG + 6, 4) + raw(CONFIG, 8) + raw(CONFIG + 1, 1, 0xee) + raw(CONFIG, 4) +
            r(SHM_LEN_LO) + w(SHM_SEL, 1) + r(SHM_BASE_LO) + r(SHM_BASE_HI))


def seeds():
    s = {}
    # The usual Linux driver: up, both queues kicked, interrupts acknowledged.
    s['init-notify'] = (settings() + bring_up(8) + config_reads() +
                        w(NOTIFY, 0) + w(NOTIFY, 1) + io(0) + r(ISR) + w(ACK, 1) + r(ISR) +
                        w(STATUS, 0) + r(STATUS))
    # Polling: buffers made available again without a kick, a config change.
    s['init-poll'] = (settings(behaviour=0x08) + bring_up(8) + io(1) +
                      fill(Q0[1], avail([0, 2, 0], 8, idx=3)) + io(1) + io(2) +
                      device(1, 0, 3) + r(CONFIG_GEN) + r(ISR) + w(ACK, 3) +
                      device(3, 0, 0x80) + io(3) + r(ISR))
    # A device that keeps its requests and completes them later.
    s['init-hold'] = (settings(queues=1, qmax_log2=4, behaviour=0x04) + negotiate(0x10000000, 1) +
                      rings0(16) + queue(0, 16, *Q0) + w(STATUS, 15) + w(NOTIFY, 0) + io(0) +
                      device(0) + device(4, 0) + w(STATUS, 0) + device(0))
    # Kept requests outlive their queue (disabled, enabled again) and their
    # device (reset): pushed late, they must be dropped.
    s['hold-stale'] = (settings(queues=1, qmax_log2=4, behaviour=0x24) + negotiate(0x10000000, 1) +
                       rings0(16) + queue(0, 16, *Q0) + w(STATUS, 15) + w(NOTIFY, 0) + io(0) +
                       w(QREADY, 0) + r(QREADY) + device(0) + w(QREADY, 1) + w(NOTIFY, 0) +
                       io(0) + device(0) + fill(Q0[1], avail([0, 2, 0, 2], 16)) + w(NOTIFY, 0) +
                       io(0) + w(STATUS, 0) + device(0) + device(6, 1))
    # Driver errors, each fixed by a reset: odd widths, a bad queue size,
    # rings outside RAM, no VERSION_1, DRIVER_OK without FEATURES_OK.
    s['faults-reset'] = (settings(config=6) + raw(MAGIC, 1) + raw(STATUS + 2, 2, 7) +
                         raw(VERSION, 8) + negotiate(0, 0) + w(STATUS, 0) +
                         negotiate(0x30000008, 1) + w(QSEL, 0) + w(QNUM, 12) + r(STATUS) +
                         w(STATUS, 0) + negotiate(0x30000008, 1) +
                         queue(0, 8, 0x7ff0, *Q0[1:]) + w(STATUS, 0) +
                         w(STATUS, 3) + w(STATUS, 7) + w(STATUS, 0) + bring_up(8) +
                         w(DESC_LO, 0) + r(STATUS) + w(STATUS, 0))
    return s


def main():
    seedfiles.write('mmio', seeds())


if __name__ == '__main__':
    main()
