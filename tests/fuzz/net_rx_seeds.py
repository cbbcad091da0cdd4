#!/usr/bin/env python3
"""Write the seeds of fuzz_net_rx.c that reach the receive stash's bounds
into tests/fuzz/seeds/net_rx/ (plain and linux-mrg-tso, made by hand, stay
as they are): 256 chains held with more waiting, 1022 iovecs gathered and
767 where the stash stops taking chains, a fill that stops at
NET_RX_FILL_MAX_POPS with more chains waiting, a header split over one-byte
buffers among 256 segments. Each bound has a seed at it, so an off-by-one
there fails at once. The encoding is the one at the top of
fuzz_net_rx.c; run this again if it changes."""
import struct

import seedfiles

MRG, TSO4, TSO6, CSUM, CARVE = 1, 2, 4, 8, 16
RING_256 = 8  # 1 << 8


def settings(flags, mtu=1500, ring=RING_256):
    return bytes([flags]) + struct.pack('<H', mtu - 68) + bytes([ring])


def long_chain(nseg, length=None, readable=None, empty=None, lengths=None):
    """Op 4: nseg segments, all `length` bytes (or each as `lengths`
    says), `readable` of them readable, a run (start, count) empty."""
    flags = (1 if lengths is None else 0) | (2 if readable is not None else 0) | \
        (4 if empty is not None else 0)
    out = bytes([4, flags, nseg - 1])
    if readable is not None:
        out += bytes([readable])
    if empty is not None:
        out += bytes(empty)
    if lengths is None:
        return out + struct.pack('<H', length)
    return out + b''.join(struct.pack('<H', n) for n in lengths)


def short_chain(length):
    """Op 0: one writable segment."""
    return bytes([0, 0]) + struct.pack('<H', length)


def again(times):
    """Op 5: the last chain `times` more times (1..256)."""
    return bytes([5, times - 1])


def frame(length, flags=0, gso=0, seed=7):
    """Op 2: a frame of `length` bytes, virtio-net header included."""
    return bytes([2, seed]) + struct.pack('<I', length)[:3] + bytes([flags, gso])


def device_runs():
    return bytes([6])


SEEDS = {
    # The stash's chain array full: 257 chains of 64 bytes, far short of
    # the 64 KiB a TSO guest must be able to take; the stash takes 256 and
    # is read since it can hold no more: one frame over 200 of them, then
    # the 257th and a chain more are taken.
    'stash-256-chains': settings(MRG | TSO4) + long_chain(1, 64) + again(256) +
    frame(12800) + long_chain(1, 64) + frame(4000),
    # 766 iovecs (256 + 256 + 254 buffers of 8 bytes, apart), so a last
    # 256-buffer chain goes in: 1022 iovecs, the readv's 1024 with the
    # header's and the sentinel's.
    'stash-1022-iovecs': settings(MRG | TSO4) + long_chain(256, 8) + again(1) +
    long_chain(254, 8) + long_chain(256, 8) + frame(8176) + frame(60),
    # One iovec more (767, NET_RX_GATHER_IOV + 1): the stash takes no
    # more, the last chain waits for the next frame.
    'stash-767-iovecs': settings(MRG | TSO4) + long_chain(256, 8) + again(1) +
    long_chain(255, 8) + long_chain(256, 8) + frame(6136) + frame(2048),
    # 300 chains no frame fits (a readable segment each) before usable
    # ones: the fill stops after 256 with NET_RX_FILL_MORE, the frame
    # waits, the next run returns the other 44 and delivers it.
    'fill-more-300-unusable': settings(MRG) + long_chain(1, 64, readable=1) + again(256) +
    again(43) + short_chain(1526) + short_chain(1526) + frame(1000) + device_runs() +
    frame(2000),
    # The header split over 12 one-byte buffers after 244 empty ones, in a
    # 256-segment chain; then the same carved back to back (merged).
    'header-split-256-segs': settings(MRG) + long_chain(256, 1, empty=(0, 244)) +
    frame(12) + long_chain(256, 1, empty=(0, 240)) + frame(16),
    'header-split-256-segs-carved': settings(MRG | CARVE) +
    long_chain(256, 1, empty=(0, 244)) + frame(12) + long_chain(256, 1, empty=(0, 240)) +
    frame(16),
}

if __name__ == '__main__':
    seedfiles.write('net_rx', SEEDS)
