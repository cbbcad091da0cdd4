#!/usr/bin/env python3
"""The far end of a net-dgram backend, for tests: one Ethernet frame per
UNIX datagram, as net-dgram (and QEMU's -netdev dgram) sends them.

It binds --bind, answers ARP requests and ICMP echo requests for --ip with
--mac, sends the answers to --to (net-dgram's local_path), and ignores
everything else. Made for the net test guest (tests/guests/net: ARP, then
three pings), so that its checks pass over net-dgram.

It runs until SIGTERM or SIGINT, or --seconds, then removes its socket and
prints one line: "dgram-peer: arp=N echo=N other=N unsent=N". "other"
counts datagrams that were not an ARP or echo request for --ip: a frame
with a vnet header still in front would be one. "unsent" counts answers
that could not be sent (nobody bound at --to).

    dgram_peer.py --bind /run/vm/peer.sock --to /run/vm/guest.sock --ip 10.0.2.2
"""
import argparse
import errno
import os
import signal
import socket
import struct
import sys
import time

ETH_ARP = 0x0806
ETH_IPV4 = 0x0800


def csum(data):
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError("not a MAC address: %s" % text)
    return bytes(int(p, 16) for p in parts)


def arp_reply(frame, ip, mac):
    """The reply to an ARP request for ip, or None."""
    if len(frame) < 42:
        return None
    htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", frame[14:22])
    sha, spa, tpa = frame[22:28], frame[28:32], frame[38:42]
    if (htype, ptype, hlen, plen, op) != (1, ETH_IPV4, 6, 4, 1) or tpa != ip:
        return None
    eth = sha + mac + struct.pack("!H", ETH_ARP)
    return eth + struct.pack("!HHBBH", 1, ETH_IPV4, 6, 4, 2) + mac + ip + sha + spa


def echo_reply(frame, ip, mac):
    """The reply to an ICMP echo request for ip, or None."""
    if len(frame) < 14 + 20 + 8:
        return None
    iph = frame[14:]
    ihl = (iph[0] & 0xF) * 4
    total = struct.unpack("!H", iph[2:4])[0]
    if (iph[0] >> 4 != 4 or ihl < 20 or total < ihl + 8 or 14 + total > len(frame)
            or iph[9] != 1 or iph[16:20] != ip or csum(iph[:ihl]) != 0):
        return None
    icmp = iph[ihl:total]
    if icmp[0] != 8 or icmp[1] != 0 or csum(icmp) != 0:
        return None
    hdr = bytearray(iph[:ihl])
    hdr[8] = 64                                       # TTL
    hdr[12:16], hdr[16:20] = iph[16:20], iph[12:16]   # swap the addresses
    hdr[10:12] = b"\0\0"
    hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
    body = bytearray(icmp)
    body[0] = 0                                       # echo reply
    body[2:4] = b"\0\0"
    body[2:4] = struct.pack("!H", csum(bytes(body)))
    eth = frame[6:12] + mac + struct.pack("!H", ETH_IPV4)
    return eth + bytes(hdr) + bytes(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bind", required=True, help="the socket to bind (peer_path)")
    ap.add_argument("--to", required=True, help="where to send answers (local_path)")
    ap.add_argument("--ip", required=True, help="the address to answer for")
    ap.add_argument("--mac", type=mac_bytes, default=mac_bytes("02:00:0a:00:02:02"),
                    help="the MAC address to answer with")
    ap.add_argument("--seconds", type=float, default=300,
                    help="give up after this long (default 300)")
    args = ap.parse_args()
    ip = socket.inet_aton(args.ip)
    counts = {"arp": 0, "echo": 0, "other": 0, "unsent": 0}

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(args.bind)
    sock.settimeout(0.2)
    end = time.monotonic() + args.seconds
    try:
        while not stop and time.monotonic() < end:
            try:
                frame = sock.recv(65536)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            etype = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else None
            reply, kind = None, "other"
            if etype == ETH_ARP:
                reply, kind = arp_reply(frame, ip, args.mac), "arp"
            elif etype == ETH_IPV4:
                reply, kind = echo_reply(frame, ip, args.mac), "echo"
            if reply is None:
                counts["other"] += 1
                continue
            counts[kind] += 1
            try:
                sock.sendto(reply, args.to)
            except OSError as e:
                if e.errno not in (errno.ENOENT, errno.ECONNREFUSED, errno.EAGAIN):
                    raise
                counts["unsent"] += 1
    finally:
        sock.close()
        os.unlink(args.bind)
        print("dgram-peer: " + " ".join("%s=%d" % kv for kv in counts.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
