#!/usr/bin/env python3
"""Reproduces VPP's API-socket EOF spin (vpp-socket-eof-spin.md) with nothing but the socket.

    vppctl ip route add count 100000 11.0.0.0/32 via 10.0.2.2
    python3 vpp-socket-eof-spin-repro.py /run/vpp/api.sock
    top -H -p "$(pidof vpp)"          # vpp_main at 100 %, and it stays there

The client asks for a dump big enough to fill its socket buffer, reads nothing for a second (so
VPP's send() fails with EAGAIN), then reads it all and closes its socket without sockclnt_delete,
as a client that crashes does. `vppctl exec /nonexistent` ends the spin (see the write-up).
"""
import socket
import struct
import sys
import time

HDR = struct.Struct(">QII")  # VPP's socket framing: q, data length, gc_mark


def frame(payload: bytes) -> bytes:
    return HDR.pack(0, len(payload), 0) + payload


def read_frame(s: socket.socket) -> bytes:
    def exact(n: int) -> bytes:
        b = b""
        while len(b) < n:
            chunk = s.recv(n - len(b))
            if not chunk:
                raise EOFError("VPP closed the socket")
            b += chunk
        return b
    _, length, _ = HDR.unpack(exact(HDR.size))
    return exact(length)


def main(path: str) -> None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    # sockclnt_create: id 15, context, name[64]; the reply carries our index and the message table
    s.sendall(frame(struct.pack(">HI64s", 15, 1, b"eof-spin-repro")))
    reply = read_frame(s)
    index, count = struct.unpack_from(">IH", reply, 14)
    ids = {}
    for i in range(count):
        msg_id, = struct.unpack_from(">H", reply, 20 + i * 66)
        name = reply[22 + i * 66:22 + i * 66 + 64].split(b"\0")[0].decode()
        ids[name.rsplit("_", 1)[0]] = msg_id
    # ip_route_dump (table 0, IPv4), then control_ping to mark the end of the details
    s.sendall(frame(struct.pack(">HIIIB64s", ids["ip_route_dump"], index, 2, 0, 0, b"")))
    s.sendall(frame(struct.pack(">HII", ids["control_ping"], index, 3)))
    time.sleep(1)  # VPP's send() to us now fails with EAGAIN: its errno holds EAGAIN
    details = 0
    while True:
        msg = read_frame(s)
        msg_id, = struct.unpack_from(">H", msg, 0)
        if msg_id == ids["control_ping_reply"]:
            break
        details += 1
    # Gone without sockclnt_delete, nothing left unread (so no ECONNRESET for VPP to see).
    s.close()
    print(f"read {details} route details, closed the socket without sockclnt_delete")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/run/vpp/api.sock")
