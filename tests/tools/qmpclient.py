#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A small QMP client for the tests: connects to a unix socket, reads the greeting, sends commands,
# collects events. As a program: qmpclient.py SOCKET COMMAND [ARGS-JSON] negotiates, runs one
# command and prints its answer (the "return" value or the "error" object) as JSON; exit status 0
# for a return, 1 for an error, 2 if the connection failed.
import json
import socket
import sys
import time


class QMP:
    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.greeting = self.recv()

    def recv(self):
        """The next message; raises EOFError when the server closed the connection."""
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, data):
        self.sock.sendall(data)

    def answer(self):
        """The next answer (not an event); events met on the way are kept in self.events."""
        while True:
            msg = self.recv()
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg

    def cmd(self, name, args=None):
        msg = {"execute": name}
        if args is not None:
            msg["arguments"] = args
        self.send_raw(json.dumps(msg).encode() + b"\r\n")
        return self.answer()

    def wait_event(self, name, timeout=30.0):
        """Returns (and removes) the first event called name, waiting for it if needed."""
        end = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] == name:
                    return self.events.pop(i)
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no %s event" % name)
            self.sock.settimeout(left)
            self.events.append(self.recv())

    def close(self):
        self.sock.close()


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: qmpclient.py SOCKET COMMAND [ARGS-JSON]", file=sys.stderr)
        return 2
    try:
        q = QMP(sys.argv[1])
        q.cmd("qmp_capabilities")
        r = q.cmd(sys.argv[2], json.loads(sys.argv[3]) if len(sys.argv) == 4 else None)
    except (OSError, EOFError, ValueError) as e:
        print("qmpclient: %s" % e, file=sys.stderr)
        return 2
    print(json.dumps(r.get("return", r.get("error"))))
    return 0 if "return" in r else 1


if __name__ == "__main__":
    sys.exit(main())
