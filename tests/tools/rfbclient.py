#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A small RFB (VNC) client for the display tests and benchmark: the handshake in protocol 3.3, 3.7
# or 3.8, no authentication or VNC authentication (the DES step through libvncserver's own
# rfbEncryptBytes, via ctypes: Python has no DES), raw framebuffer updates, desktop resize, key and
# pointer events, QEMU's extended key event, and the hostile messages a server must survive.
#
#   rfbclient.py ADDR keys KEYSYM...         press and release each (hex keysyms, e.g. 0x61)
#   rfbclient.py ADDR qkeys KEYSYM:NUM...    the same as QEMU extended key events (NUM: XT number)
#   rfbclient.py ADDR pointer X Y [MASK]     move (and press MASK, then release)
#   rfbclient.py ADDR pixel X Y              the colour at (X, Y) of a full update, as RRGGBB
#   rfbclient.py ADDR size                   WxH the server announces
#   rfbclient.py ADDR cycles N               N connections, each cut at another handshake step
#   rfbclient.py ADDR hostile                malformed messages, each on its own connection
#   rfbclient.py ADDR bench N                N full-screen updates: latency (ms) and bytes each
#   rfbclient.py ADDR idle SECONDS           connected, asking for incremental updates: bytes got
#   rfbclient.py mkpasswd PASSWORD FILE      a vncpasswd file (what vncsnapshot -passwd reads)
# ADDR is HOST:PORT or unix:PATH; --password PW answers VNC authentication; --version 3.3|3.7|3.8.
import ctypes
import socket
import struct
import sys
import time


def vnc_response(challenge, password):
    lib = ctypes.CDLL("libvncserver.so.1")
    buf = ctypes.create_string_buffer(challenge, 16)
    lib.rfbEncryptBytes(buf, ctypes.c_char_p(password.encode()))
    return buf.raw[:16]


class RFB:
    def __init__(self, addr, password=None, version="3.8", timeout=20.0, init=True):
        if addr.startswith("unix:"):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(addr[5:])
        else:
            host, port = addr.rsplit(":", 1)
            self.s = socket.create_connection((host.strip("[]"), int(port)), timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) if self.s.family != socket.AF_UNIX else None
        self.nread = 0
        self.fb = None
        self.w = self.h = 0
        if init:
            self.handshake(password, version)

    def recv(self, n):
        b = b""
        while len(b) < n:
            d = self.s.recv(n - len(b))
            if not d:
                raise EOFError("server closed the connection")
            b += d
        self.nread += n
        return b

    def send(self, b):
        self.s.sendall(b)

    def handshake(self, password, version):
        server = self.recv(12)
        if not server.startswith(b"RFB 003."):
            raise RuntimeError("not an RFB server: %r" % server)
        self.send(("RFB 003.%03d\n" % int(version.split(".")[1])).encode())
        if version == "3.3":
            (sec,) = struct.unpack(">I", self.recv(4))
            if sec == 0:
                raise RuntimeError("refused: " + self.recv(struct.unpack(">I", self.recv(4))[0]).decode())
        else:
            (n,) = struct.unpack("B", self.recv(1))
            if n == 0:
                raise RuntimeError("refused: " + self.recv(struct.unpack(">I", self.recv(4))[0]).decode())
            types = self.recv(n)
            sec = 2 if password is not None and 2 in types else 1 if 1 in types else types[0]
            self.send(bytes([sec]))
        if sec == 2:
            if password is None:
                raise RuntimeError("the server wants a password")
            self.send(vnc_response(self.recv(16), password))
        if sec == 2 or version == "3.8":
            (res,) = struct.unpack(">I", self.recv(4))
            if res != 0:
                reason = self.recv(struct.unpack(">I", self.recv(4))[0]).decode() if version == "3.8" else ""
                raise PermissionError("authentication failed " + reason)
        self.send(b"\x01")  # shared
        w, h = struct.unpack(">HH", self.recv(4))
        self.recv(16)  # server pixel format
        (nl,) = struct.unpack(">I", self.recv(4))
        self.name = self.recv(nl).decode()
        self.resize(w, h)
        # 32-bit true colour, little-endian, red at bit 16: 0x00RRGGBB words
        self.send(struct.pack(">BxxxBBBBHHHBBBxxx", 0, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0))

    def resize(self, w, h):
        self.w, self.h = w, h
        self.fb = bytearray(w * h * 4)

    def encodings(self, encs):
        self.send(struct.pack(">BxH", 2, len(encs)) + b"".join(struct.pack(">i", e) for e in encs))

    def request(self, incremental, x=0, y=0, w=None, h=None):
        self.send(struct.pack(">BBHHHH", 3, incremental, x, y, self.w if w is None else w, self.h if h is None else h))

    def read_update(self):
        """Reads messages up to a framebuffer update and applies it; returns its rectangles."""
        while True:
            (t,) = struct.unpack("B", self.recv(1))
            if t == 0:
                break
            if t == 2:  # bell
                continue
            if t == 3:
                self.recv(3)
                self.recv(struct.unpack(">I", self.recv(4))[0])
                continue
            raise RuntimeError("unexpected server message %d" % t)
        self.recv(1)
        (n,) = struct.unpack(">H", self.recv(2))
        rects = []
        for _ in range(n):
            x, y, w, h, enc = struct.unpack(">HHHHi", self.recv(12))
            rects.append((x, y, w, h, enc))
            if enc == 0:
                data = self.recv(w * h * 4)
                for row in range(h):
                    o = ((y + row) * self.w + x) * 4
                    self.fb[o:o + w * 4] = data[row * w * 4:(row + 1) * w * 4]
            elif enc == -223:  # desktop size
                self.resize(w, h)
            elif enc == -258:  # QEMU extended key events understood
                pass
            else:
                raise RuntimeError("unexpected encoding %d" % enc)
        return rects

    def full_update(self):
        self.request(0)
        while True:
            rects = self.read_update()
            if any(r[4] == 0 for r in rects) or not rects:
                return rects

    def pixel(self, x, y):
        (v,) = struct.unpack("<I", self.fb[(y * self.w + x) * 4:(y * self.w + x) * 4 + 4])
        return v & 0xFFFFFF

    def key(self, down, keysym):
        self.send(struct.pack(">BBxxI", 4, down, keysym))

    def qkey(self, down, keysym, num):
        self.send(struct.pack(">BBHII", 255, 0, down, keysym, num))

    def pointer(self, mask, x, y):
        self.send(struct.pack(">BBHH", 5, mask, x, y))

    def close(self):
        self.s.close()


def cycles(addr, n, password):
    """Connections cut at every step of the handshake (and a few complete ones)."""
    for i in range(n):
        step = i % 5
        try:
            c = RFB(addr, password, init=(step == 4), timeout=5)
            if 1 <= step <= 3:
                c.recv(12)
            if 2 <= step <= 3:
                c.send(b"RFB 003.008\n")
            if step == 3:
                c.recv(1)
            c.close()
        except (OSError, EOFError):
            pass


HOSTILE = {
    # SetEncodings claiming 65535 encodings, then hanging up after a few
    "setencodings-huge": struct.pack(">BxH", 2, 65535) + b"\0\0\0\0" * 10,
    # SetEncodings with every pseudo-encoding number and garbage
    "setencodings-odd": struct.pack(">BxH", 2, 8) + struct.pack(">8i", -1, -239, -258, -2147483648, 7, 16, 21, 2147483647),
    # ClientCutText claiming 2 GiB
    "cuttext-huge": struct.pack(">BxxxI", 6, 0x7FFFFFFF) + b"x" * 100,
    # ClientCutText with a negative length (extended clipboard in some servers)
    "cuttext-negative": struct.pack(">BxxxI", 6, 0xFFFFFF00) + b"\0" * 32,
    # pixel formats a server must refuse or cope with
    "pixfmt-bpp0": struct.pack(">BxxxBBBBHHHBBBxxx", 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    "pixfmt-bpp7": struct.pack(">BxxxBBBBHHHBBBxxx", 0, 7, 7, 1, 1, 65535, 65535, 65535, 200, 200, 200),
    "pixfmt-palette": struct.pack(">BxxxBBBBHHHBBBxxx", 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0),
    "pixfmt-bpp16-shifts": struct.pack(">BxxxBBBBHHHBBBxxx", 0, 16, 16, 1, 1, 31, 63, 31, 40, 50, 60),
    # an update request far outside the screen
    "update-outside": struct.pack(">BBHHHH", 3, 0, 65000, 65000, 65535, 65535),
    "update-zero": struct.pack(">BBHHHH", 3, 0, 0, 0, 0, 0),
    # pointer far outside, all buttons
    "pointer-outside": struct.pack(">BBHH", 5, 255, 65535, 65535),
    # QEMU messages: extended key with a bad number, then an unknown submessage
    "qemu-badkey": struct.pack(">BBHII", 255, 0, 1, 0xFFFFFFFF, 0xFFFFFFFF),
    "qemu-unknown-sub": struct.pack(">BBHII", 255, 9, 1, 0, 0),
    "unknown-type": b"\x77" + b"\0" * 20,
    "half-message": b"\x04\x01",
    "garbage": bytes(range(256)) * 4,
}


def send_and_wait(c, msg):
    """Sends msg, reads whatever comes back for up to 2 s, hangs up."""
    c.send(msg)
    c.s.settimeout(2.0)
    try:
        c.s.recv(65536)
    except (socket.timeout, OSError):
        pass
    c.close()


def hostile(addr, password):
    for name, msg in HOSTILE.items():
        try:
            send_and_wait(RFB(addr, password), msg)
        except (OSError, EOFError, RuntimeError) as e:
            print("# %s: %s" % (name, e))
    # a hostile version string and a wrong security type
    for greet in (b"RFB 999.999\n", b"XXXXXXXXXXXX", b"RFB 003.008\n\x09"):
        try:
            c = RFB(addr, password, init=False)
            c.recv(12)
            send_and_wait(c, greet)
        except (OSError, EOFError):
            pass


def bench(addr, n, password):
    c = RFB(addr, password)
    c.encodings([0, -223])
    c.full_update()
    lat, nbytes = [], []
    for _ in range(n):
        before = c.nread
        t0 = time.perf_counter()
        c.full_update()
        lat.append((time.perf_counter() - t0) * 1000)
        nbytes.append(c.nread - before)
    lat.sort()
    print("screen %dx%d updates %d median_ms %.2f p90_ms %.2f bytes %d" % (
        c.w, c.h, n, lat[len(lat) // 2], lat[int(len(lat) * 0.9)], sorted(nbytes)[len(nbytes) // 2]))


def idle(addr, secs, password):
    c = RFB(addr, password)
    c.encodings([0, -223])
    c.full_update()
    start = c.nread
    end = time.time() + secs
    updates = 0
    c.request(1)
    c.s.settimeout(0.5)
    while time.time() < end:
        try:
            c.read_update()
            updates += 1
            c.request(1)
        except socket.timeout:
            pass
    print("idle_seconds %g updates %d bytes %d" % (secs, updates, c.nread - start))


def main(argv):
    password, version = None, "3.8"
    while len(argv) > 1 and argv[0].startswith("--"):
        if argv[0] == "--password":
            password = argv[1]
        elif argv[0] == "--version":
            version = argv[1]
        argv = argv[2:]
    if argv[0] == "mkpasswd":
        lib = ctypes.CDLL("libvncserver.so.1")
        return 0 if lib.rfbEncryptAndStorePasswd(argv[1].encode(), argv[2].encode()) == 0 else 1
    addr, cmd, args = argv[0], argv[1], argv[2:]
    if cmd == "cycles":
        cycles(addr, int(args[0]), password)
        return 0
    if cmd == "hostile":
        hostile(addr, password)
        return 0
    if cmd == "bench":
        bench(addr, int(args[0]), password)
        return 0
    if cmd == "idle":
        idle(addr, float(args[0]), password)
        return 0
    c = RFB(addr, password, version)
    if cmd == "size":
        print("%dx%d" % (c.w, c.h))
    elif cmd == "pixel":
        c.encodings([0, -223])
        c.full_update()
        print("%06x" % c.pixel(int(args[0]), int(args[1])))
    elif cmd == "keys":
        for k in args:
            c.key(1, int(k, 16))
            c.key(0, int(k, 16))
    elif cmd == "qkeys":
        c.encodings([0, -258])
        rects = c.read_update()  # the server acknowledges the extension with a pseudo-rectangle
        if not any(r[4] == -258 for r in rects):
            print("no extended key event acknowledgement")
            return 1
        for k in args:
            sym, num = (int(v, 16) for v in k.split(":"))
            c.qkey(1, sym, num)
            c.qkey(0, sym, num)
    elif cmd == "pointer":
        x, y = int(args[0]), int(args[1])
        mask = int(args[2]) if len(args) > 2 else 0
        c.pointer(0, x, y)
        if mask:
            c.pointer(mask, x, y)
            c.pointer(0, x, y)
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    # a round trip, so everything sent was read before the connection goes
    c.encodings([0, -223])
    c.full_update()
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
