#!/usr/bin/env python3
"""Write the seeds of fuzz_api_dispatch.c into tests/fuzz/seeds/api_dispatch/:
a configuration sent the usual way, and bodies at the server's limit
(API_BODY_MAX, 51200 bytes) said in a few bytes with fuzz_expand's repeat
(0x01 and two bytes n: n more copies of the byte before): a string that
fills the whole body, and one a byte longer that the cap cuts. The
encoding is the one at the top of fuzz_api_dispatch.c; run this again if
it changes."""
import struct

import seedfiles

API_BODY_MAX = 51200
GET, PUT, PATCH, OTHER = 1, 2, 3, 0


def request(method, path, body=b''):
    return bytes([method]) + path.encode() + b'\n' + body + b'\0'


def filled(prefix, suffix, total, fill=b'a'):
    """prefix, `fill` repeated, suffix: `total` bytes once expanded."""
    n = total - len(prefix) - len(suffix) - 1
    assert 0 < n < 65536
    return prefix + fill + b'\x01' + struct.pack('<H', n) + suffix


SEEDS = {
    'configure': request(PUT, '/machine-config', b'{"vcpu_count":2,"mem_size_mib":128}') +
    request(PUT, '/boot-source', b'{"kernel_image_path":"/proc/self/exe","boot_args":"console=ttyS0"}') +
    request(PUT, '/drives/rootfs', b'{"drive_id":"rootfs","is_root_device":true,'
            b'"path_on_host":"/proc/self/exe","is_read_only":true}') +
    request(PUT, '/network-interfaces/eth0', b'{"iface_id":"eth0","host_dev_name":"tap0",'
            b'"guest_mac":"aa:bb:cc:dd:ee:ff","mtu":1500}') +
    request(GET, '/vm/config'),
    # boot_args of 51170 bytes: the whole body.
    'boot-args-at-limit': request(PUT, '/boot-source',
                                  filled(b'{"kernel_image_path":"/proc/self/exe","boot_args":"',
                                         b'"}', API_BODY_MAX)) + request(GET, '/vm/config'),
    # A drive whose path fills the body, then one a byte too long: the cap
    # cuts its closing brace, an unterminated object.
    'drive-path-at-limit': request(PUT, '/drives/rootfs',
                                   filled(b'{"drive_id":"rootfs","is_root_device":true,'
                                          b'"is_read_only":true,"path_on_host":"/', b'"}',
                                          API_BODY_MAX)) +
    request(PUT, '/drives/data', filled(b'{"drive_id":"data","is_root_device":false,'
                                        b'"is_read_only":true,"path_on_host":"/', b'"}',
                                        API_BODY_MAX + 1)) + request(GET, '/vm/config'),
    # A MAC address of 51100-odd bytes, and an unknown cpu_template as long:
    # values a fault may quote.
    'values-at-limit': request(PUT, '/network-interfaces/eth0',
                               filled(b'{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"',
                                      b'"}', API_BODY_MAX, b'f')) +
    request(PUT, '/machine-config', filled(b'{"vcpu_count":2,"mem_size_mib":128,'
                                           b'"cpu_template":"', b'"}', API_BODY_MAX)),
}

if __name__ == '__main__':
    seedfiles.write('api_dispatch', SEEDS)
