#!/usr/bin/env python3
"""Write the sparse seeds of fuzz_kernel.c into tests/fuzz/seeds/kernel/
(bzimage-min and elf-min, raw images that boot_seeds.py builds on, stay as
they are): bzImages with more setup sectors than 4 KiB holds, and ELF
images whose program headers and segment data lie megabytes into the file.
The encoding is the one at the top of fuzz_kernel.c ("\\x7fSPR", 3 bytes of
length, 1 byte of flags, extents); run this again if it changes."""
import os
import struct

import seedfiles

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS_DIR = os.path.join(HERE, 'seeds', 'kernel')
MIB = 1 << 20
PATTERN = 1


def sparse(length, extents, flags=PATTERN):
    out = b'\x7fSPR' + struct.pack('<I', length)[:3] + bytes([flags])
    for off, data in extents:
        out += struct.pack('<I', off)[:3] + struct.pack('<H', len(data)) + data
    return out


def bzimage(setup_sects, kernel_bytes):
    """bzimage-min's setup header with setup_sects and syssize changed, in
    an image of that many setup sectors and kernel_bytes after them."""
    with open(os.path.join(SEEDS_DIR, 'bzimage-min'), 'rb') as f:
        head = bytearray(f.read()[0x1f0:0x290])
    head[0x1f1 - 0x1f0] = setup_sects
    struct.pack_into('<I', head, 0x1f4 - 0x1f0, (kernel_bytes + 15) // 16)
    return sparse((setup_sects + 1) * 512 + kernel_bytes, [(0x1f0, bytes(head))])


def elf(length, phoff, segments, entry):
    """An ELF64 x86_64 image: its header at 0, its program headers at
    phoff; segments are (offset, filesz, memsz, paddr)."""
    ehdr = b'\x7fELF' + bytes([2, 1, 1]) + bytes(9) + \
        struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, entry, phoff, 0, 0, 64, 56,
                    len(segments), 64, 0, 0)
    phdrs = b''.join(struct.pack('<IIQQQQQQ', 1, 5, off, paddr, paddr, filesz, memsz,
                                 0x1000) for off, filesz, memsz, paddr in segments)
    return sparse(length, [(0, ehdr), (phoff, phdrs)])


SEEDS = {
    # The most setup sectors the header can say: 128 KiB of setup code.
    'bzimage-setup-255-sects': bzimage(255, 8192),
    # Just past what fits in 4 KiB: 8 sectors.
    'bzimage-setup-8-sects': bzimage(8, 4096),
    # Program headers at 64 KiB, segments at 128 KiB (12 KiB of file, 8 KiB
    # of bss) and at 1 MiB.
    'elf-phdrs-64k-segs-1m': elf(MIB + 0x1000, 0x10000,
                                 [(0x20000, 0x3000, 0x5000, 0x1000000),
                                  (MIB, 0x1000, 0x1000, 0x1100000)], 0x1000000),
    # A 4 MiB image (the most a sparse one has): a segment of 3 MiB of file
    # ending at its last byte, the program headers just before it.
    'elf-4m-seg-to-end': elf(4 * MIB, MIB - 112,
                             [(MIB, 3 * MIB, 3 * MIB + 0x1000, 0x1000000),
                              (0x1000, 0x10, 0x10, 0x1400000)], 0x1000000),
}

if __name__ == '__main__':
    seedfiles.write('kernel', SEEDS)
