#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu_kvmstats.py SOCKET OUT [TIMEOUT]: for bench/boot.sh, the peer's side of kvmini's
# `--stats` KVM counters. Connects to a qemu started with -no-shutdown and this QMP socket,
# waits for the guest's SHUTDOWN event, writes KVM's vCPU statistics that qemu reads from the
# same binary stats interface (query-stats: insn_emulation, exits) to OUT as "name value" lines,
# then quits qemu. A load-independent measure of the guest's work: the number of instructions
# KVM's emulator ran for the guest's kernel mode on this PVM host.
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "tools"))
from qmpclient import QMP  # noqa: E402

WANT = ("insn_emulation", "exits")


def connect(path, deadline):
    while True:
        try:
            return QMP(path)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: qemu_kvmstats.py SOCKET OUT [TIMEOUT]", file=sys.stderr)
        return 2
    timeout = float(sys.argv[3]) if len(sys.argv) == 4 else 3600.0
    try:
        q = connect(sys.argv[1], time.monotonic() + 30)
        q.cmd("qmp_capabilities")
        q.wait_event("SHUTDOWN", timeout)
        q.sock.settimeout(30)
        r = q.cmd("query-stats", {"target": "vcpu"})
        sums = {}
        for ent in r.get("return", []):
            for st in ent.get("stats", []):
                if st.get("name") in WANT and isinstance(st.get("value"), int):
                    sums[st["name"]] = sums.get(st["name"], 0) + st["value"]
        with open(sys.argv[2], "w") as f:
            for k in WANT:
                if k in sums:
                    f.write("%s %d\n" % (k, sums[k]))
        q.cmd("quit")
    except (OSError, EOFError, ValueError, TimeoutError) as e:
        print("qemu_kvmstats: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
