#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# boot_phases.py VMLINUX INITRD [KVMINI]: where a Linux boot's guest work goes, phase by phase,
# under kvmini and qemu microvm (with its RTC) side by side. Both VMMs boot the same kernel,
# initramfs and command line (verbose: printk.time=1 initcall_debug loglevel=8) at the same time;
# every console line is stamped with the instructions KVM's emulator had run for the guest by
# then (insn_emulation, sampled every 0.25 s: kvmini's --stats-interval, qemu's query-stats over
# QMP), which the host's load does not change. Prints the instructions up to each milestone and
# between them, then the initcalls whose counts differ most (needs the kernel's symbols for names).
import bisect
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

PVM = "noxsave noinvpcid clearcpuid=smap,popcnt,rdtscp,rdpid,erms,fsrm,clwb"
APPEND = "console=ttyS0 printk.time=1 initcall_debug loglevel=8 kvtest=poweroff"
MARKS = [
    ("console on", "printk: console [ttyS0] enabled"),
    ("ACPI interpreter", "ACPI: Interpreter enabled"),
    ("clocksource_done_booting", "calling  clocksource_done_booting"),
    ("PnP ACPI", "pnp: PnP ACPI init"),
    ("PF_INET", "NET: Registered PF_INET"),
    ("unpacking initramfs", "Unpacking initramfs"),
    ("8250 driver", "Serial: 8250"),
    ("i8042_init", "calling  i8042_init"),
    ("cmos_init", "calling  cmos_init"),
    ("free initmem", "Freeing unused kernel image (initmem)"),
    ("rodata/data gap", "Freeing unused kernel image (rodata/data gap)"),
    ("init", "KVMINI-INIT: start"),
    ("power down", "reboot: Power down"),
]


class Boot:
    def __init__(self, name, cmd, qmp=None):
        self.name, self.samples, self.lines, self.qmp = name, [], [], qmp
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.threads = [threading.Thread(target=self.read_out), threading.Thread(target=self.read_err)]
        if qmp:
            self.threads.append(threading.Thread(target=self.poll_qmp))
        for t in self.threads:
            t.start()

    def read_out(self):
        for line in self.p.stdout:
            self.lines.append((time.time(), line.decode(errors="replace").rstrip()))

    def read_err(self):  # kvmini's --stats-interval JSON lines
        for line in self.p.stderr:
            s = line.decode(errors="replace")
            n, t = re.search(r'"insn_emulation":(\d+)', s), re.search(r'"timestamp":([\d.]+)', s)
            if n and t:
                self.samples.append((float(t.group(1)), int(n.group(1))))

    def poll_qmp(self):
        s = None
        for _ in range(600):
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.qmp)
                break
            except OSError:
                s = None
                time.sleep(0.05)
        if not s:
            return
        f = s.makefile("rw")
        try:
            f.readline()
            f.write('{"execute":"qmp_capabilities"}\n')
            f.flush()
            f.readline()
            while self.p.poll() is None:
                f.write('{"execute":"query-stats","arguments":{"target":"vcpu"}}\n')
                f.flush()
                while True:
                    m = json.loads(f.readline())
                    if "return" in m or "error" in m:
                        break
                v = sum(st["value"] for e in m.get("return", []) for st in e.get("stats", [])
                        if st.get("name") == "insn_emulation")
                self.samples.append((time.time(), v))
                time.sleep(0.25)
        except (OSError, ValueError):
            pass

    def stamped(self):
        """(instructions, line) per console line, interpolated between the samples."""
        self.p.wait()
        for t in self.threads:
            t.join(timeout=10)
        ts = [s[0] for s in self.samples]
        out = []
        for t, line in self.lines:
            i = bisect.bisect_left(ts, t)
            if not self.samples:
                v = 0
            elif i == 0:
                v = self.samples[0][1]
            elif i >= len(self.samples):
                v = self.samples[-1][1]
            else:
                (ta, va), (tb, vb) = self.samples[i - 1], self.samples[i]
                v = va + (vb - va) * (t - ta) / max(tb - ta, 1e-9)
            out.append((v, line))
        return out


def symbols(vmlinux):
    try:
        out = subprocess.run(["nm", vmlinux], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {p[0].lstrip("0"): p[2] for p in (l.split() for l in out.splitlines()) if len(p) == 3}


def initcalls(rows, syms):
    start, cost = {}, {}
    for v, line in rows:
        m = re.search(r"calling  (0x[0-9a-f]+|\S+)", line)
        if m:
            start[m.group(1)] = v
        m = re.search(r"initcall (0x[0-9a-f]+|\S+) returned", line)
        if m and m.group(1) in start:
            a = m.group(1)
            cost[syms.get(a[2:].lstrip("0"), a) if a.startswith("0x") else a] = v - start[a]
    return cost


def milestones(rows, syms):
    named = []
    for v, line in rows:
        line = re.sub(r"0x(ffffffff[0-9a-f]+)", lambda m: syms.get(m.group(1).lstrip("0"), m.group(0)), line)
        named.append((v, line))
    got = {}
    for name, pat in MARKS:
        got[name] = next((v for v, line in named if pat in line), None)
    return got


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: boot_phases.py VMLINUX INITRD [KVMINI]", file=sys.stderr)
        return 2
    vmlinux, initrd = sys.argv[1], sys.argv[2]
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    kvmini = sys.argv[3] if len(sys.argv) == 4 else os.path.join(top, "kvmini")
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "qmp.sock")
    k = Boot("kvmini", [kvmini, "run", "--kernel", vmlinux, "--initrd", initrd, "--append", APPEND, "--mem",
                        "256M", "--cpus", "1", "--serial", "stdio", "--stats-interval", "0.25"])
    q = Boot("qemu", [os.environ.get("QEMU", "qemu-system-x86_64"), "-M", "microvm,acpi=on,rtc=on",
                      "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", "256M", "-smp", "1",
                      "-nographic", "-no-reboot", "-qmp", "unix:%s,server=on,wait=off" % sock,
                      "-kernel", vmlinux, "-initrd", initrd, "-append", APPEND + " " + PVM], qmp=sock)
    kr, qr = k.stamped(), q.stamped()
    syms = symbols(vmlinux)
    km, qm = milestones(kr, syms), milestones(qr, syms)
    print("== boot phases: millions of guest instructions emulated, up to each milestone and since the previous ==")
    print("%-26s %9s %8s %9s %8s" % ("milestone", "kvmini", "+", "qemu", "+"))
    pk = pq = 0.0
    for name, _ in MARKS:
        a, b = km[name], qm[name]
        fa = "%9.2f %8.2f" % (a / 1e6, (a - pk) / 1e6) if a is not None else "%9s %8s" % ("-", "")
        fb = "%9.2f %8.2f" % (b / 1e6, (b - pq) / 1e6) if b is not None else "%9s %8s" % ("-", "")
        print("%-26s %s %s" % (name, fa, fb))
        pk, pq = (a if a is not None else pk), (b if b is not None else pq)
    ki, qi = initcalls(kr, syms), initcalls(qr, syms)
    diff = sorted(((ki.get(n, 0) - qi.get(n, 0), n) for n in set(ki) | set(qi)), key=lambda x: -abs(x[0]))
    print("== initcalls whose instruction counts differ most (millions: kvmini, qemu, difference) ==")
    for d, n in diff[:16]:
        print("  %-36s %7.3f %7.3f %+8.3f" % (n, ki.get(n, 0) / 1e6, qi.get(n, 0) / 1e6, d / 1e6))
    return 0 if kr and qr else 1


if __name__ == "__main__":
    sys.exit(main())
