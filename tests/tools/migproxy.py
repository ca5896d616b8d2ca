#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A TCP relay between a migration source and its target that damages the stream, for
# tests/integration/migrate.sh: migproxy.py LISTEN_PORT TARGET_PORT MODE N, MODE "truncate" (relays
# the first N bytes, then closes both sides) or "flip" (inverts byte N). The target's answers go
# back to the source unchanged. Serves one connection, 60 s at most.
import socket
import sys
import threading

lport, tport, mode, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(1)
ls.settimeout(60)
src, _ = ls.accept()
dst = socket.create_connection(("127.0.0.1", tport), timeout=60)
src.settimeout(60)


def back():
    try:
        while True:
            b = dst.recv(65536)
            if not b:
                break
            src.sendall(b)
    except OSError:
        pass


threading.Thread(target=back, daemon=True).start()
seen = 0
try:
    while True:
        b = src.recv(1 << 20)
        if not b:
            break
        if mode == "truncate" and seen + len(b) >= n:
            dst.sendall(b[: n - seen])
            break
        if mode == "flip" and seen <= n < seen + len(b):
            b = bytearray(b)
            b[n - seen] ^= 0xFF
            b = bytes(b)
        dst.sendall(b)
        seen += len(b)
    if mode == "flip":
        dst.shutdown(socket.SHUT_WR)
        threading.Event().wait(5)  # the target's answer goes back
except OSError:
    pass
src.close()
dst.close()
