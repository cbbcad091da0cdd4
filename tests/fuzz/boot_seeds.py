#!/usr/bin/env python3
"""Write the seeds of fuzz_boot.c into tests/fuzz/seeds/boot/: the two
minimal kernels of seeds/kernel on guests of several shapes, and the edges
the model knows (a segment at the top of low RAM, one above 4 GiB, a
command line one byte too long for a vmlinux, the whole 64 KiB of room).
The encoding is fuzz_case_take's in fuzz_boot.c; run this again if it
changes."""
import os
import struct

import seedfiles

HERE = os.path.dirname(os.path.abspath(__file__))
MIB, GIB = 1 << 20, 1 << 30
MEMORY_MIB_MIN = 16  # CONFIG_MEMORY_MIB_MIN


def ram_mib(mib):
    """RAM as the configuration gives it (shape 3): whole MiB."""
    return 3, mib - MEMORY_MIB_MIN


def ram_near_3g(delta):
    """Shape 1: 3 GiB - 64 MiB + delta (delta < 128 MiB, whole pages)."""
    return 1, delta


def initrd_pages(pages, edge):
    """Initrd shape 2: pages (1..2048) whole pages and a byte more or less."""
    return 2 | ((edge + 1) << 2), pages - 1


def header(ram, ncpus=1, initrd=(0, 0), cmdline=b'', cmdline_len=None,
           shared=False, huge=0):
    shape, v = ram
    flags = shape | (4 if shared else 0) | (huge << 3)
    n = len(cmdline) if cmdline_len is None else cmdline_len
    # Lengths under 4096 are taken as they are; longer ones set bit 23.
    v_cmd = n if n < 4096 else 0x800000 | n
    # vCPU counts 1..32 as they are (fuzz_ncpus: 1 + byte % 32).
    return (bytes([flags]) + struct.pack('<I', v) + bytes([ncpus - 1, initrd[0]]) +
            struct.pack('<I', initrd[1]) + struct.pack('<I', v_cmd)[:3] +
            bytes([len(cmdline)]) + cmdline)


def elf(paddr, memsz, vaddr=None, filesz=0x80, entry=None):
    """An ELF64 vmlinux with one PT_LOAD segment of filesz bytes of hlt."""
    vaddr = paddr if vaddr is None else vaddr
    entry = paddr if entry is None else entry
    ehdr = (b'\x7fELF' + bytes([2, 1, 1]) + bytes(9) +
            struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, entry, 64, 0, 0, 64, 56, 1, 0, 0, 0))
    phdr = struct.pack('<IIQQQQQQ', 1, 5, 0x80, vaddr, paddr, filesz, memsz, 0x1000)
    body = ehdr + phdr
    return body + bytes(0x80 - len(body)) + b'\xf4' * filesz


def bzimage(**fields):
    """seeds/kernel/bzimage-min with some setup header fields changed."""
    img = bytearray(open(os.path.join(HERE, 'seeds/kernel/bzimage-min'), 'rb').read())
    where = {'initrd_addr_max': (0x22c, '<I'), 'cmdline_size': (0x238, '<I'),
             'init_size': (0x260, '<I'), 'pref_address': (0x258, '<Q'),
             'ramdisk_image': (0x218, '<I'), 'ramdisk_size': (0x21c, '<I'),
             'hardware_subarch': (0x23c, '<I'), 'setup_data': (0x250, '<Q')}
    for name, value in fields.items():
        off, fmt = where[name]
        struct.pack_into(fmt, img, off, value)
    return bytes(img)


CONSOLE = b'console=ttyS0 reboot=k panic=1'
SEEDS = {
    # The smallest kernels on a small guest, with an initrd and two vCPUs.
    'elf-min': header(ram_mib(128), 2, (1, 4095), CONSOLE) + elf(0x1000000, 0x1000),
    'bzimage-min': header(ram_mib(64), 2, (1, 65535), CONSOLE) + bzimage(cmdline_size=2047),
    # Exactly 3 GiB: all of it low RAM, up to the hole; 32 vCPUs.
    'bzimage-3g-32cpus': header(ram_near_3g(64 * MIB), 32, initrd_pages(768, +1), CONSOLE) +
    bzimage(initrd_addr_max=0xffffffff, cmdline_size=255),
    # A segment filling the last 64 KiB below the hole: no room for an initrd.
    'elf-top-of-low-ram': header(ram_mib(3584), 4, (1, 100), CONSOLE) +
    elf(0xbfff0000, 0x10000),
    # 2fd71db: a segment above 4 GiB is RAM here but not mapped at entry.
    'elf-above-4g': header(ram_mib(5120), 1, (0, 0), CONSOLE) + elf(0x100000000, 0x1000),
    # 538762e: a vmlinux keeps 2047 bytes of command line; 2048 is refused.
    'elf-cmdline-2048': header(ram_mib(256), 1, (0, 0), CONSOLE, 2048) + elf(0x200000, 0x1000),
    # A bzImage that takes more than the 64 KiB of room: 65535 bytes fit.
    'bzimage-cmdline-64k': header(ram_mib(64), 1, (0, 0), CONSOLE, 65535) +
    bzimage(cmdline_size=0x20000),
    # A low initrd_addr_max: the initrd goes right under it.
    'bzimage-initrd-max-low': header(ram_mib(1024), 8, initrd_pages(2048, -1), b'', 0) +
    bzimage(initrd_addr_max=0x1ffffff),
    # Loader fields an image filled in are not passed on: no initrd here.
    'bzimage-loader-fields-set': header(ram_mib(64), 1, (0, 0), CONSOLE) +
    bzimage(ramdisk_image=0x30, ramdisk_size=0x1000, hardware_subarch=2, setup_data=0x5000,
            cmdline_size=2047),
}

if __name__ == '__main__':
    seedfiles.write('boot', SEEDS)
