#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the seed corpora in tests/fuzz/corpus/<target>/: small, well-formed inputs in each
# target's input format (see tests/fuzz/fuzz.h and each fuzz_*.c), from which libFuzzer mutates.
# qcow2 seeds are made with ./kvmini img (run `make kvmini` first). Re-run after a format change.
import os, struct, subprocess, sys, tempfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
RAM = 0x10000


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


class Ram:
    """Guest RAM image with one split ring: desc at 0, avail at 0x1000, used at 0x2000."""

    def __init__(self, qsize=16, base=0):
        self.b = bytearray(0x8000 if base == 0 else RAM)
        self.q, self.desc, self.avail, self.used = qsize, base, base + 0x1000, base + 0x2000
        self.nav = 0

    def put(self, off, data):
        if off + len(data) > len(self.b):
            self.b.extend(bytes(off + len(data) - len(self.b)))
        self.b[off:off + len(data)] = data

    def d(self, i, addr, ln, flags, nxt=0, table=None):
        self.put((self.desc if table is None else table) + 16 * i, struct.pack("<QIHH", addr, ln, flags, nxt))

    def chain(self, head, bufs, table=None):
        """bufs: (addr, len, writable); descriptors head, head+1, ..."""
        for k, (a, ln, w) in enumerate(bufs):
            last = k == len(bufs) - 1
            self.d(head + k, a, ln, (0 if last else F_NEXT) | (F_WRITE if w else 0), 0 if last else head + k + 1, table)

    def offer(self, head):
        self.put(self.avail + 4 + 2 * (self.nav % self.q), struct.pack("<H", head))
        self.nav += 1
        self.put(self.avail + 2, struct.pack("<H", self.nav))

    def ring(self):
        return struct.pack("<HIII", self.q, self.desc, self.avail, self.used)


def virtq():
    feat_ind, feat_evt = 1, 2
    r = Ram()
    r.put(0x4000, bytes(range(16)))
    r.chain(0, [(0x4000, 16, 0), (0x5000, 512, 1)])
    r.offer(0)
    put("fuzz_virtq", "direct", struct.pack("<I", 0) + r.ring() + bytes([0x60] * 8) + r.b)
    r = Ram()
    r.d(0, 0x3000, 3 * 16, F_INDIRECT)
    r.chain(0, [(0x4000, 16, 0), (0x4100, 100, 0), (0x5000, 512, 1)], table=0x3000)
    r.offer(0)
    r.chain(1, [(0x6000, 64, 1)])
    r.offer(1)
    put("fuzz_virtq", "indirect", struct.pack("<I", feat_ind) + r.ring() + bytes([0x00, 0x20, 0x40, 0x60] * 2) + r.b)
    r = Ram()
    for i in range(3):
        r.chain(2 * i, [(0x4000 + 0x100 * i, 32, 0), (0x5000 + 0x100 * i, 32, 1)])
        r.offer(2 * i)
    r.put(r.avail + 4 + 2 * r.q, struct.pack("<H", 1))  # used_event
    put("fuzz_virtq", "event-idx", struct.pack("<I", feat_ind | feat_evt) + r.ring() + bytes([0xe0, 0x20] * 4) + r.b)


def blk():
    HDR, DATA, ST = 0x4000, 0x5000, 0x7000
    reqs = [(0, 8, 1024, 1), (1, 16, 1024, 0), (4, 0, 0, 0), (8, 0, 20, 1),
            (11, 0, 16, 0), (13, 0, 16, 0)]
    r = Ram()
    for i, (typ, sector, ln, w) in enumerate(reqs):
        h = HDR + 16 * i
        r.put(h, struct.pack("<IIQ", typ, 0, sector))
        if typ in (11, 13):  # discard / write zeroes: one segment {sector, num_sectors, flags}
            r.put(DATA + 0x100 * i, struct.pack("<QII", 32 + i, 4, 0))
        bufs = [(h, 16, 0)] + ([(DATA + 0x100 * i if typ in (11, 13) else DATA, ln, w)] if ln else []) + [(ST + i, 1, 1)]
        r.chain(4 * i, bufs)
        r.offer(4 * i)
    feat = 0xffffffff
    put("fuzz_virtio_blk", "all-types", struct.pack("<I", feat) + r.ring() + b"\x00" + r.b)
    r = Ram()
    r.put(HDR, struct.pack("<IIQ", 1, 0, 100))
    r.d(0, 0x3000, 4 * 16, F_INDIRECT)
    r.chain(0, [(HDR, 16, 0), (DATA, 512, 0), (DATA + 512, 512, 0), (ST, 1, 1)], table=0x3000)
    r.offer(0)
    put("fuzz_virtio_blk", "indirect-write", struct.pack("<I", feat) + r.ring() + b"\x01" + r.b)


def net():
    TX, RX = 0x4000, 0x6000
    feat = 0xffffffff
    frame = bytes([0x52, 0x56, 0, 0, 0, 2, 0x52, 0x56, 0, 0, 0, 1, 0x08, 0x00]) + bytes(range(64))
    rx, tx = Ram(), Ram(base=0x8000)
    # tx: a header asking for a checksum (csum_start 14, offset 16), frame in two pieces
    tx.put(TX, struct.pack("<BBHHHHH", 1, 0, 0, 0, 14, 16, 0) + frame)
    tx.chain(0, [(TX, 12 + 20, 0), (TX + 32, len(frame) - 20, 0)])
    tx.offer(0)
    for i in range(3):
        rx.chain(i, [(RX + 0x400 * i, 1024, 1)])
        rx.offer(i)
    ram = bytearray(rx.b) + tx.b[0x8000:]
    pkt = struct.pack("<BBHHHHH", 2, 0, 0, 0, 0, 0, 0) + frame
    put("fuzz_virtio_net", "tx-csum-rx-3bufs",
        struct.pack("<I", feat) + rx.ring() + tx.ring() + struct.pack("<H", len(pkt)) + pkt + ram)
    # a TSO frame out, a frame bigger than one rx buffer in (mergeable buffers)
    tx2 = Ram(base=0x8000)
    tx2.put(TX, struct.pack("<BBHHHHH", 1, 1, 54, 1448, 34, 16, 0) + frame * 30)
    tx2.chain(0, [(TX, 12 + len(frame) * 30, 0)])
    tx2.offer(0)
    big = struct.pack("<BBHHHHH", 0, 0, 0, 0, 0, 0, 0) + frame * 30
    ram = bytearray(rx.b) + tx2.b[0x8000:]
    put("fuzz_virtio_net", "tso-out-merged-in",
        struct.pack("<I", feat) + rx.ring() + tx2.ring() + struct.pack("<H", len(big)) + big + ram)


def qcow2(kvmini):
    ops = b""
    for op, sector, count in [(0, 0, 8), (1, 4, 2), (0, 3, 4), (2, 16, 8), (3, 0, 1), (5, 0, 64), (6, 2, 3), (7, 0, 0)]:
        ops += struct.pack("<BHB", op, sector, count)
    with tempfile.TemporaryDirectory() as t:
        raw = os.path.join(t, "raw")
        with open(raw, "wb") as f:
            f.write(bytes(range(256)) * 8 + bytes(6144) + b"kvmini" * 100)
            f.truncate(64 * 1024)
        subprocess.run([kvmini, "img", "convert", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=512", raw,
                        os.path.join(t, "data.qcow2")], check=True)
        subprocess.run([kvmini, "img", "create", "-f", "qcow2", "-o", "cluster_size=512", os.path.join(t, "empty.qcow2"),
                        "1M"], check=True, stdout=subprocess.DEVNULL)
        os.link(os.path.join(t, "empty.qcow2"), os.path.join(t, "base.qcow2"))
        subprocess.run([kvmini, "img", "create", "-f", "qcow2", "-o", "cluster_size=512", "-b", "base.qcow2", "-F",
                        "qcow2", os.path.join(t, "backed.qcow2"), "1M"], check=True, stdout=subprocess.DEVNULL)
        for name in ("data", "empty", "backed"):
            with open(os.path.join(t, name + ".qcow2"), "rb") as f:
                img = f.read()
            put("fuzz_qcow2", name, b"\x00" + ops + img)
        put("fuzz_qcow2", "data-explicit-ro", b"\x03" + ops + open(os.path.join(t, "data.qcow2"), "rb").read())
        put("fuzz_qcow2", "raw", b"\x00" + ops + bytes(range(256)) * 16)


def linux():
    # bzImage: 4 setup sectors + boot sector, header fields from the boot protocol (2.15)
    setup_sects, pm = 4, bytes(range(256)) * 2
    k = bytearray((setup_sects + 1) * 512)
    k[0x1f1] = setup_sects
    k[0x1fe:0x200] = b"\x55\xaa"
    k[0x200:0x202] = bytes([0xeb, 0x26c - 0x202])
    k[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", k, 0x206, 0x20f)
    k[0x211] = 1  # loadflags: LOADED_HIGH
    struct.pack_into("<I", k, 0x22c, 0x7fffffff)  # initrd_addr_max
    struct.pack_into("<I", k, 0x230, 2 << 20)  # kernel_alignment
    k[0x234] = 1  # relocatable
    struct.pack_into("<H", k, 0x236, 1)  # xloadflags: 64-bit entry
    struct.pack_into("<I", k, 0x238, 2047)  # cmdline_size
    struct.pack_into("<Q", k, 0x258, 16 << 20)  # pref_address
    struct.pack_into("<I", k, 0x260, 4 << 20)  # init_size
    put("fuzz_linux", "bzimage", b"\x03" + bytes(k) + pm)
    put("fuzz_linux", "bzimage-no-initrd", b"\x00" + bytes(k) + pm)
    # ELF64: one PT_LOAD of 64 bytes at 1 MiB, entry there
    code = b"\xf4" * 64
    eh = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7), 2, 62, 1, 0x100000, 64, 0, 0,
                     64, 56, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 120, 0x100000, 0x100000, len(code), len(code) + 4096, 0x1000)
    put("fuzz_linux", "elf", b"\x02" + eh + ph + code)


def multiboot():
    # the multiboot header (magic, flags, checksum) and, with flag 16, the a.out-kludge addresses
    def hdr(flags, *aout):
        return struct.pack("<III", 0x1BADB002, flags, (-(0x1BADB002 + flags)) & 0xffffffff) + \
            struct.pack("<%dI" % len(aout), *aout)
    code = b"\xf4" * 64
    # ELF32 (as kvm-unit-tests' objcopy -O elf32-i386 makes x86/*.flat): one PT_LOAD at 4 MiB
    eh = struct.pack("<4sBBBBB7sHHIIIIIHHHHHH", b"\x7fELF", 1, 1, 1, 0, 0, bytes(7), 2, 3, 1, 0x400000, 52, 0, 0,
                     52, 32, 1, 40, 0, 0)
    ph = struct.pack("<IIIIIIII", 1, 84, 0x400000, 0x400000, 12 + len(code), 12 + len(code) + 4096, 5, 0x1000)
    for fl in range(8):
        put("fuzz_multiboot", "elf32-%d" % fl, bytes([fl]) + eh + ph + hdr(3) + code)
    # ELF64: the same at 2 MiB, the header after the program header
    eh = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7), 2, 62, 1, 0x200000, 64, 0, 0,
                     64, 56, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 120, 0x200000, 0x200000, 12 + len(code), 12 + len(code) + 4096, 0x1000)
    put("fuzz_multiboot", "elf64", b"\x07" + eh + ph + hdr(3) + code)
    # a.out kludge: a flat binary loaded at 1 MiB, header at its start, bss after it
    load = 0x100000
    body = hdr(0x10003, load, load, load + 32 + len(code), load + 32 + len(code) + 0x1000, load + 32) + code
    put("fuzz_multiboot", "aout", b"\x07" + body)
    put("fuzz_multiboot", "aout-far", b"\x07" + bytes(8192) + body)
    put("fuzz_multiboot", "badsum", b"\x07" + hdr(3)[:8] + b"\0\0\0\0" + code)


def options():
    for name, argv in [
        ("disk-net", ["-k", "vmlinuz", "--disk", "a.img,format=qcow2,readonly,cache=none,transport=mmio",
                      "--net", "tap,ifname=tap0,mac=52:54:00:12:34:56,bridge=br0,transport=pci,queues=2"]),
        ("short", ["-k", "bz", "-m", "1G", "-c", "2", "-a", "console=ttyS0", "--serial", "file:/tmp/x"]),
        ("disks", ["--kernel=k", "--disk", "b,cache=unsafe,format=raw", "--disk", "c,readonly=on",
                   "--net", "tap", "--name", "vm1", "--hugepages=hugetlb", "--cpu", "host"]),
        ("nbd", ["-k", "bz", "--disk", "nbd://[::1]:10809/export,readonly", "--disk",
                 "nbd+unix:///e?socket=/run/s.sock,format=raw", "--disk", "nbds://h/e"]),
        ("scsi", ["-k", "bz", "--disk", "a.img,if=scsi,discard=unmap,id=d0", "--disk",
                  "b.iso,if=scsi,media=cdrom,target=1,lun=3", "--disk", "c,if=virtio,discard=ignore",
                  "--cdrom", "none"]),
    ]:
        put("fuzz_options", name, b"\0".join(a.encode() for a in argv))
    put("fuzz_options", "one-disk", b"/x/y.qcow2,format=auto,cache=writeback,transport=pci")
    put("fuzz_options", "one-nbd", b"nbd+unix:///?socket=/tmp/a%2Cb&x=1,format=qcow2")
    put("fuzz_options", "one-net", b"tap,mac=02:00:00:00:00:01,queues=8")
    put("fuzz_options", "one-scsi", b"d.qcow2,if=scsi,media=disk,readonly=on,target=7,lun=16383,id=x.y-z_1")


def qemu_args():
    """fuzz_qemu_args: qemu-system-x86_64's argv, NUL-separated."""
    for name, argv in [
        ("seed1", ["-enable-kvm", "-name", "ubuntutest", "-m", "2048", "-hda", "ubuntutest.img", "-cdrom",
                   "ubuntu.iso", "-boot", "d", "-vnc", ":19"]),
        ("seed2", ["-enable-kvm", "-m", "2048", "-net", "nic,model=virtio", "-net",
                   "tap,ifname=tap0,script=no,downscript=no", "-kernel", "k"]),
        ("typo", ["-enable-kvm", "-nettap,ifname=tap0,script=no,downscript=no"]),
        ("virtfs", ["-kernel", "k", "-virtfs", "local,path=/srv,mount_tag=hs,security_model=none,readonly=on",
                    "-fsdev", "local,id=f0,path=/d,security_model=passthrough", "-device",
                    "virtio-9p-pci,fsdev=f0,mount_tag=t"]),
        ("kit", ["-enable-kvm", "-m", "256", "-smp", "cores=2,threads=1", "-kernel", "vmlinux", "-initrd", "i.cpio",
                 "-append", "console=ttyS0", "-nographic", "-no-reboot", "-M", "q35,accel=kvm", "-cpu", "host"]),
        ("devices", ["-kernel", "k", "-device", "virtio-scsi-pci,id=s0", "-drive", "if=none,id=d,file=a,,b,format=qcow2",
                     "-device", "scsi-hd,drive=d,scsi-id=1,lun=2", "-device", "scsi-cd", "-drive",
                     "file=v.img,if=virtio,cache=none,discard=on,readonly=on", "-netdev",
                     "tap,id=n,ifname=t0,script=no,downscript=no,vhost=off", "-device", "virtio-net-pci,netdev=n,mac=52:54:00:00:00:01",
                     "-qmp", "unix:/tmp/q,server=on,wait=off", "-serial", "file:/tmp/s", "-display", "none"]),
        ("q35", ["-hda", "a.img", "-M", "pc-q35-7.2", "-cdrom", "", "-drive", "file=b.img,index=5", "-device",
                 "ide-cd,id=c", "-boot", "d", "-qmp", "unix:/tmp/q,server,nowait", "-pidfile", "/tmp/p", "-S",
                 "-daemonize", "-chardev", "file,id=sb,path=/tmp/b", "-device", "isa-debugcon,iobase=0x402,chardev=sb"]),
    ]:
        put("fuzz_qemu_args", name, b"\0".join(a.encode() for a in argv))


def state_kvm():
    """fuzz_state_kvm: selector byte, then a "cpu" or "vm" payload (layout: vmm/state_kvm.h)."""
    def piece(body):
        return struct.pack("<I", len(body)) + body
    cpuid = struct.pack("<I", 1) + struct.pack("<IIIIIIII", 1, 0, 0, 0, 0, 0x80202001, 0x0789fbff, 0) + bytes(8)
    xsave = bytearray(4096)
    xsave[512] = 3
    msrs = struct.pack("<I", 2) + struct.pack("<IQ", 0x10, 12345) + struct.pack("<IQ", 0xc0000081, 1 << 48)
    # CPUID, TSC_KHZ, REGS, XSAVE, XCRS, SREGS2, MSRS, MP_STATE, LAPIC, TSC_DEADLINE, EVENTS, DEBUGREGS
    have = sum(1 << b for b in (0, 1, 2, 3, 5, 7, 8, 9, 10, 11, 12, 13))
    xcrs = struct.pack("<II", 1, 0) + struct.pack("<IIQ", 0, 0, 7) + bytes(392 - 24)
    cpu = (struct.pack("<I", have) + piece(cpuid) + piece(struct.pack("<I", 2000000)) + piece(bytes(144)) +
           piece(bytes(xsave)) + piece(xcrs) + piece(bytes(320)) + piece(msrs) + piece(struct.pack("<I", 0)) +
           piece(bytes(1024)) + piece(struct.pack("<Q", 0)) + piece(bytes(64)) + piece(bytes(128)))
    put("fuzz_state_kvm", "cpu", b"\0" + cpu)
    routes = struct.pack("<I", 2) + struct.pack("<6I", 4, 1, 0, 2, 4, 0) + struct.pack("<6I", 24, 2, 0, 0xfee00000, 0, 0x41)
    clock = struct.pack("<QIQQ", 5000000, 4, 77, 0)
    vm = (struct.pack("<I", 0x3f) + piece(bytes(512)) + piece(bytes(512)) + piece(bytes(512)) + piece(bytes(112)) +
          piece(clock) + piece(routes))
    put("fuzz_state_kvm", "vm", b"\1" + vm)
def snapshot():
    """fuzz_snapshot: a state stream (vmm/state.h) with a "machine" section (vmm/snapshot.h)."""
    import zlib
    def sec(sid, inst, ver, payload):
        return bytes([len(sid)]) + sid + struct.pack("<IIQ", inst, ver, len(payload)) + payload
    def s(t):
        return struct.pack("<I", len(t)) + t
    board = (struct.pack("<QIII", 64 << 20, 4096, 2, 1) + s(b"/k/bzImage") + s(b"/k/initrd") + s(b"console=ttyS0") +
             struct.pack("<I", 2) + s(b"/d/a.qcow2,format=qcow2") + s(b"/d/b.raw,transport=mmio") +
             struct.pack("<I", 1) + s(b"tap,mac=02:00:00:00:00:01"))
    body = b"KVMSTATE" + struct.pack("<II", 1, 0) + sec(b"machine", 0, 1, board) + sec(b"rtc", 0, 1, bytes(8)) + b"\0"
    put("fuzz_snapshot", "board", body + struct.pack("<I", zlib.crc32(body)))
    bare = struct.pack("<QIII", 16 << 20, 4096, 1, 0) + s(b"k") + s(b"") + s(b"") + bytes(8)
    body = b"KVMSTATE" + struct.pack("<II", 1, 0) + sec(b"machine", 0, 1, bare) + b"\0"
    put("fuzz_snapshot", "bare", body + struct.pack("<I", zlib.crc32(body)))
    # version 3, a firmware boot: no kernel, the BIOS file and the boot order after the NICs
    fw = (struct.pack("<QIII", 64 << 20, 4096, 1, 0) + s(b"") + s(b"") + s(b"") + struct.pack("<I", 2) +
          s(b"disk") + s(b"/d/boot.qcow2,if=ide") + s(b"disk") + s(b"/d/s.raw,if=sata") + struct.pack("<I", 0) +
          s(b"/usr/share/seabios/bios-256k.bin") + s(b"order=c,menu=on"))
    body = b"KVMSTATE" + struct.pack("<II", 1, 0) + sec(b"machine", 0, 3, fw) + b"\0"
    put("fuzz_snapshot", "firmware", body + struct.pack("<I", zlib.crc32(body)))


def migration():
    """fuzz_migration: a chunk-size byte, then a migration stream (vmm/migrate_stream.h)."""
    import zlib
    def sec(sid, inst, ver, payload):
        return bytes([len(sid)]) + sid + struct.pack("<IIQ", inst, ver, len(payload)) + payload
    def s(t):
        return struct.pack("<I", len(t)) + t
    head = sec(b"migration", 0, 1, struct.pack("<QII", 64 * 4096, 4096, 1))
    board = sec(b"machine", 0, 1, struct.pack("<QIII", 16 << 20, 4096, 1, 0) + s(b"/k") + s(b"") + s(b"") + bytes(8))
    r0 = sec(b"ram", 0, 1, struct.pack("<I", 2) + struct.pack("<QI", 1, 1) + bytes([0x11]) * 4096 +
             struct.pack("<QI", 63, 1) + bytes([0x3f]) * 4096)
    r1 = sec(b"ram", 1, 1, struct.pack("<I", 1) + struct.pack("<QI", 1, 0))
    inner = b"KVMSTATE" + struct.pack("<II", 1, 0) + b"\0"
    inner += struct.pack("<I", zlib.crc32(inner))
    body = b"KVMSTATE" + struct.pack("<II", 1, 0) + head + board + r0 + r1 + sec(b"state", 0, 1, inner) + b"\0"
    put("fuzz_migration", "rounds", b"\x61" + body + struct.pack("<I", zlib.crc32(body)))
    body = b"KVMSTATE" + struct.pack("<II", 1, 0) + head + board + sec(b"state", 0, 1, inner) + b"\0"
    put("fuzz_migration", "bare", b"\0" + body + struct.pack("<I", zlib.crc32(body)))


def scsi():
    """fuzz_scsi_cdb: per command sel (LUN, medium op), CDB length + bytes, data-in and data-out
    sizes (3 bytes each), has-in, has-out, the iovec splits (2+2 bytes each), data-out bytes."""
    def cmd(lun, cdb, din=0, dout=b"", sel=0):
        b = bytes([lun | sel, len(cdb)]) + bytes(cdb)
        b += struct.pack("<I", din)[:3] + struct.pack("<I", len(dout))[:3]
        b += bytes([1 if din else 0, 1 if dout else 0])
        if din:
            b += struct.pack("<HH", din // 3, din // 3)
        if dout:
            b += struct.pack("<HH", len(dout) // 2, 0) + dout
        return b
    tur, rc16 = [0] * 6, [0x9e, 0x10] + [0] * 11 + [32, 0, 0]
    put("fuzz_scsi_cdb", "disk-probe", cmd(0, tur) + cmd(0, [0x12, 1, 0xb0, 0, 255, 0], 255) +
        cmd(0, rc16, 32) + cmd(0, [0x1a, 0, 0x3f, 0, 255, 0], 255) + cmd(0, [0xa0] + [0] * 8 + [64, 0, 0], 64))
    put("fuzz_scsi_cdb", "disk-rw", cmd(0, [0x2a, 8, 0, 0, 0, 8, 0, 0, 2, 0], 0, bytes(range(256)) * 4) +
        cmd(0, [0x28, 0, 0, 0, 0, 8, 0, 0, 2, 0], 1024) + cmd(1, [0x8a] + [0] * 12 + [1, 0, 0], 0, b"\x55" * 512) +
        cmd(1, [0x88] + [0] * 12 + [1, 0, 0], 512))
    unmap = struct.pack(">HH4xQI4x", 22, 16, 0, 8)
    put("fuzz_scsi_cdb", "disk-discard", cmd(0, [0x42] + [0] * 6 + [0, len(unmap), 0], 0, unmap) +
        cmd(0, [0x93, 0x08] + [0] * 8 + [0, 0, 1, 0, 0, 0], 0, bytes(512)) +
        cmd(0, [0x41, 0, 0, 0, 0, 0, 0, 0, 3, 0], 0, b"\x01" * 512) +
        cmd(0, [0x15, 0x10, 0, 0, 24, 0], 0, bytes([0, 0, 0, 0, 8, 0x12]) + bytes(18)))
    put("fuzz_scsi_cdb", "cdrom", cmd(2, [0x46, 0, 0, 0, 0, 0, 0, 1, 0, 0], 256) +
        cmd(2, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0], 8) + cmd(2, [0x43, 2, 0, 0, 0, 0, 0, 0, 100, 0], 100) +
        cmd(2, [0x1b, 0, 0, 0, 2, 0], sel=0x40) + cmd(2, [0x1b, 0, 0, 0, 3, 0], sel=0x80) +
        cmd(2, [0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0], 2048) + cmd(3, [0x51] + [0] * 6 + [0, 34, 0], 34))
def pool_xml():
    put("fuzz_pool_xml", "libvirt",
        b"<pool type='dir'>\n  <name>default</name>\n  <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>\n"
        b"  <capacity unit='bytes'>0</capacity>\n  <source>\n  </source>\n  <target>\n"
        b"    <path>/var/lib/libvirt/images</path>\n    <permissions>\n      <mode>0711</mode>\n"
        b"    </permissions>\n  </target>\n</pool>\n")
    put("fuzz_pool_xml", "minimal", b"<pool type=\"dir\"><name>p</name><target><path>//a/b/</path></target></pool>")
    put("fuzz_pool_xml", "escaped",
        b"<?xml version='1.0'?>\n<!-- c --><pool type='dir'><name>p.1</name><uuid>DFE224CB28FB8DD0C4B264EB3F0F4566"
        b"</uuid><target><path>/a&amp;b/&lt;c&gt;/&#x41;<![CDATA[x]]></path></target></pool>")
    put("fuzz_pool_xml", "doctype",
        b"<!DOCTYPE pool [<!ENTITY e \"/etc\">]><pool type='dir'><name>x</name><target><path>&e;</path>"
        b"</target></pool>")


def snapshot_xml():
    put("fuzz_snapshot_xml", "ours",
        b"<domainsnapshot>\n  <name>s1</name>\n  <description>before &amp; after</description>\n"
        b"  <state>running</state>\n  <parent>\n    <name>s0</name>\n  </parent>\n"
        b"  <creationTime>1764600000</creationTime>\n  <memory snapshot='internal'/>\n  <disks>\n"
        b"    <disk name='/var/lib/a.qcow2' snapshot='internal'/>\n  </disks>\n</domainsnapshot>\n")
    put("fuzz_snapshot_xml", "user", b"<domainsnapshot><name>x</name><description>d</description></domainsnapshot>")
    put("fuzz_snapshot_xml", "external",
        b"<domainsnapshot><memory snapshot='external' file='/m'/><disks><disk name='vda' snapshot='external'>"
        b"<source file='/x'/></disk></disks></domainsnapshot>")
    put("fuzz_snapshot_xml", "libvirt",
        b"<domainsnapshot><name>s</name><state>shutoff</state><creationTime>1</creationTime><memory snapshot='no'/>"
        b"<domain type='kvm'><name>vm</name></domain><cookie/></domainsnapshot>")


def vscsi():
    """fuzz_virtio_scsi: requests (header 51, response 108 bytes by default) and control requests."""
    HDR, DATA, RSP = 0x4000, 0x6000, 0x5000

    def lun(t, l):
        return bytes([1, t, 0x40 | (l >> 8), l & 0xff, 0, 0, 0, 0])

    def head(t, l, cdb, tag=0):
        return lun(t, l) + struct.pack("<QBBB", tag, 0, 0, 0) + bytes(cdb) + bytes(32 - len(cdb))

    def inp(mode, r, sense=0, cdb=0):
        return struct.pack("<IIIB", 0xffffffff, sense, cdb, mode) + r.ring() + r.b

    r = Ram(qsize=32)
    reqs = [(0, 0, [0x12, 0, 0, 0, 96, 0], 0, 96), (0, 0, [0], 0, 0),
            (0, 0, [0x2a, 0, 0, 0, 0, 4, 0, 0, 1, 0], 512, 0), (0, 0, [0x28, 0, 0, 0, 0, 4, 0, 0, 1, 0], 0, 512),
            (0, 1, [0x25] + [0] * 9, 0, 8), (2, 0, [0x43, 2, 0, 0, 0, 0, 0, 0, 100, 0], 0, 100),
            (5, 0, [0x12, 0, 0, 0, 96, 0], 0, 96), (0, 9, [0x12, 0, 0, 0, 96, 0], 0, 96)]
    for i, (t, l, cdb, dout, din) in enumerate(reqs):
        h, d, rs = HDR + 0x40 * i, DATA + 0x200 * i, RSP + 0x80 * i
        r.put(h, head(t, l, cdb, i))
        bufs = [(h, 51, 0)] + ([(d, dout, 0)] if dout else []) + [(rs, 108, 1)] + ([(d, din, 1)] if din else [])
        r.chain(4 * i, bufs)
        r.offer(4 * i)
    put("fuzz_virtio_scsi", "requests", inp(0, r))
    r = Ram()
    r.put(HDR, head(0, 0, [0x2a, 0, 0, 0, 0, 8, 0, 0, 1, 0]))
    r.d(0, 0x3000, 4 * 16, F_INDIRECT)
    r.chain(0, [(HDR, 51, 0), (DATA, 256, 0), (DATA + 256, 256, 0), (RSP, 108, 1)], table=0x3000)
    r.offer(0)
    put("fuzz_virtio_scsi", "indirect-write", inp(2, r))
    r = Ram()
    r.put(HDR, head(0, 0, [0x12, 0, 0, 0, 36, 0])[:19 + 6])
    r.chain(0, [(HDR, 25, 0), (RSP, 20, 1), (DATA, 36, 1)])
    r.offer(0)
    put("fuzz_virtio_scsi", "small-sizes", inp(0, r, sense=8, cdb=6))
    r = Ram()
    ctrl = [struct.pack("<II", 0, 5) + lun(0, 0) + struct.pack("<Q", 0),
            struct.pack("<II", 0, 4) + lun(0, 0) + struct.pack("<Q", 0),
            struct.pack("<II", 0, 6) + lun(0, 0) + struct.pack("<Q", 7),
            struct.pack("<I", 1) + lun(0, 0) + struct.pack("<I", 0x10),
            struct.pack("<I", 2) + lun(2, 0) + struct.pack("<I", 0x7e)]
    for i, c in enumerate(ctrl):
        r.put(HDR + 0x40 * i, c)
        r.chain(2 * i, [(HDR + 0x40 * i, len(c), 0), (RSP + 0x10 * i, 5 if c[0] else 1, 1)])
        r.offer(2 * i)
    put("fuzz_virtio_scsi", "control", inp(1, r))


def ata():
    """fuzz_ata: one operation byte each (bit 7: the CD-ROM, low nibble: 0-2 register write +
    register index-1 + value, 3 read, 4 control, 5 data in (2-byte length), 6 data out (2-byte
    length + bytes), 7/8 ata_poll, 9 DMA start (splits 2+2, 3-byte length), 10/11 ata_submit
    (12 task-file bytes, 12 packet bytes, 3-byte length, splits, direction, data), 12 state round
    trip, 13 reset)."""
    def w(reg, v, cd=0):
        return bytes([cd, reg - 1, v])
    def pin(n, cd=0):
        return bytes([cd | 5]) + struct.pack("<H", n)
    def pout(data, cd=0):
        return bytes([cd | 6]) + struct.pack("<H", len(data)) + data
    poll = lambda cd=0: bytes([cd | 7])
    def dma(n, cd=0):
        return bytes([cd | 9]) + struct.pack("<HH", n // 3, n // 3) + struct.pack("<I", n)[:3]
    def submit(tf, n, write=0, packet=bytes(12), cd=0, data=b""):
        return (bytes([cd | 10]) + bytes(tf) + packet + struct.pack("<I", n)[:3] + struct.pack("<HH", n // 2, 0) +
                bytes([write]) + data)
    put("fuzz_ata", "identify-read", w(7, 0xec) + pin(512) + w(2, 2) + w(3, 5) + w(6, 0x40) + w(7, 0x20) +
        poll() + pin(512) + poll() + pin(512) + w(2, 3) + w(7, 0x30) + pout(bytes(range(256)) * 6) + poll() +
        pout(bytes(512)) + poll() + bytes([12]))
    put("fuzz_ata", "multiple-dma", w(2, 4) + w(7, 0xc6) + poll() + w(2, 8) + w(7, 0xc4) + poll() + pin(2048) +
        poll() + pin(2048) + w(2, 1) + w(7, 0xc8) + dma(512) + w(1, 0x03) + w(2, 0x45) + w(7, 0xef) + poll())
    read10 = bytes([0x28, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0])
    put("fuzz_ata", "atapi", w(7, 0xa1, 0x80) + pin(512, 0x80) + w(1, 0, 0x80) + w(4, 0, 0x80) +
        w(5, 0x08, 0x80) + w(7, 0xa0, 0x80) + pout(bytes(12), 0x80) + poll(0x80) + w(7, 0xa0, 0x80) +
        pout(read10, 0x80) + poll(0x80) + pin(2048, 0x80) + bytes([0x8c]) + pin(2048, 0x80) + w(1, 1, 0x80) +
        w(7, 0xa0, 0x80) + pout(read10, 0x80) + dma(4096, 0x80))
    tf = lambda op, n, lba=0, feat=0, dev=0x40: [feat, 0, n & 0xff, n >> 8, lba & 0xff, 0, 0, 0, 0, 0, dev, op]
    put("fuzz_ata", "submit", submit(tf(0xec, 0), 512) + submit(tf(0x35, 2, 8), 1024, 1, data=b"\xaa" * 1024) +
        submit(tf(0x25, 2, 8), 1024) + submit(tf(0x06, 1, 0, 1), 512, 1, data=struct.pack("<Q", 8 | 2 << 48)) +
        submit(tf(0x61, 3 << 3, 16, 4), 2048, 1) + submit(tf(0x60, 3 << 3, 16, 4), 2048) +
        submit([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa0], 4096, 0, read10, 0x80) + bytes([13, 1]))


def ide():
    """fuzz_ide: u16 RAM image length + image (PRD tables at 0x100, buffers at 0x1000), then one
    operation byte each (bit 4: channel; low nibble: 0 command block write (reg, value; the data
    port takes 2 bytes), 1 read, 2 control, 3 alt status, 4 rep insw (u16 count; bit 5: insd), 5 rep
    outsw (u8 count + data), 6 BM write (offset, size code, u32), 7 BM read, 8 config write,
    9 drain, 10 state round trip)."""
    def w(reg, v, ch=0):
        return bytes([ch << 4, reg]) + (struct.pack("<H", v) if reg == 0 else bytes([v]))
    def tf28(lba, n, ch=0, dev=0):
        return w(6, 0x40 | dev << 4, ch) + w(2, n, ch) + w(3, lba & 0xff, ch) + w(4, lba >> 8 & 0xff, ch) + w(5, 0, ch)
    def bm(off, v, size_code=0):
        return bytes([6, off, size_code]) + struct.pack("<I", v)
    ins = lambda n, ch=0: bytes([4 | ch << 4]) + struct.pack("<H", n)
    outs = lambda d, ch=0: bytes([5 | ch << 4, len(d) // 2]) + d
    drain = bytes([9])
    img = bytearray(0x2000)
    img[0x100:0x110] = struct.pack("<IIII", 0x1000, 0x800, 0x1800, 0x80000800)  # two PRDs, EOT on the second
    img[0x200:0x208] = struct.pack("<II", 0xfff000, 0x80001000)  # outside RAM
    img[0x300:0x308] = struct.pack("<II", 0x1000, 0x0)  # no EOT
    head = struct.pack("<H", len(img)) + bytes(img)
    start = lambda prd, read=1, ch=0: (bm(8 * ch + 0, 0) + bm(8 * ch + 2, 6) + bm(8 * ch + 4, prd, 2) +
                                       bm(8 * ch + 0, 1 | read << 3))
    put("fuzz_ide", "identify-pio", head + w(6, 0) + w(7, 0xec) + ins(256) + tf28(5, 2) + w(7, 0x20) + drain +
        ins(256) + drain + ins(256) + tf28(9, 1) + w(7, 0x30) + outs(bytes(range(256))) + outs(bytes(range(256))) + drain + bytes([10]))
    put("fuzz_ide", "dma", head + tf28(0, 4) + w(7, 0xc8) + start(0x100) + drain + bytes([7, 2]) +
        tf28(0, 4) + w(7, 0xca) + start(0x200, 0) + drain + tf28(0, 1) + start(0x300) + w(7, 0xc8) + drain +
        bytes([10]) + bm(2, 6))
    read10 = bytes([0x28, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0])
    put("fuzz_ide", "atapi", head + w(6, 0, 1) + w(7, 0xa1, 1) + ins(256, 1) + w(1, 0, 1) + w(4, 0, 1) +
        w(5, 8, 1) + w(7, 0xa0, 1) + outs(bytes(12), 1) + drain + w(7, 0xa0, 1) + outs(read10, 1) + drain +
        ins(1024, 1) + drain + ins(1024, 1) + w(1, 1, 1) + w(7, 0xa0, 1) + outs(read10, 1) + start(0x100, 1, 1) +
        drain + bytes([10]) + bytes([0x12, 4, 0x12, 0]) + w(6, 0x10) + bytes([1, 7]) + bytes([8, 0x41, 0, 0, 0, 0, 0]))


def trace():
    """fuzz_trace: an exit trace (layout: vmm/trace.h), two vCPUs, a marker, two range names."""
    hdr = b"KVMINITR" + struct.pack("<IIIIQQQ", 1, 64, 32, 2, 2000000, 1000, 0) + bytes(16)
    rec = lambda tsc, addr, reason, size, flags, dev: struct.pack("<QQIIBBBBI", tsc, addr, 500, 80, reason,
                                                                  size, flags, dev, 1)
    recs0 = rec(2000, 0x3f8, 2, 1, 1, 0) + rec(3000, 0xabc, 2, 4, 3, 255)
    recs1 = rec(2500, 0xd0000070, 6, 4, 0, 0)
    chunk = lambda kind, v, n: struct.pack("<IIII", kind, v, n, 0)
    name = lambda bus, i, base, s: struct.pack("<BBHIQ", bus, i, len(s), 0, base) + s + bytes(-len(s) % 8)
    end = chunk(2, 0, 2) + struct.pack("<QQQQQ", 2, 0, 1, 0, 0) + name(1, 0, 0x3f8, b"serial") + \
        name(2, 0, 0xd0000000, b"virtio-mmio0")
    put("fuzz_trace", "two-vcpus", hdr + chunk(1, 0, 2) + recs0 + chunk(1, 1, 1) + recs1 + end)
    put("fuzz_trace", "empty", hdr + chunk(2, 0, 0) + struct.pack("<QQQQQ", 0, 0, 0, 0, 7))


def ahci():
    """fuzz_ahci: operation bytes (low nibble): 0 RAM write (u16 offset, u16 length, bytes), 1 port
    start (port, u16 CLB, u16 FB), 2 issue (port, u32 SACT, u32 CI), 3 ABAR write (u16 offset, u32),
    4 ABAR read, 5 engine run, 6 state round trip, 7 HBA reset, 8 COMRESET (port), 9 port stop."""
    CLB, FB, TBL, DATA = 0x1000, 0x1400, 0x2000, 0x8000
    def ram(off, b):
        return bytes([0]) + struct.pack("<HH", off, len(b)) + b
    def start(port):
        return bytes([1, port]) + struct.pack("<HH", CLB + port * 0x800, FB + port * 0x800)
    def issue(port, ci, sact=0):
        return bytes([2, port]) + struct.pack("<II", sact, ci)
    def fis(op, lba=0, n=0, feat=0, dev=0x40, c=0x80, ctl=0):
        return bytes([0x27, c, op, feat, lba & 0xff, lba >> 8 & 0xff, lba >> 16 & 0xff, dev, 0, 0, 0, 0,
                      n & 0xff, n >> 8, 0, ctl, 0, 0, 0, 0])
    def slot(port, s, f, prds, flags=0, cfl=5, packet=b""):
        tbl = TBL + port * 0x2000 + s * 0x100
        hdr = struct.pack("<IIQ", cfl | flags | len(prds) << 16, 0, tbl) + bytes(16)
        t = f + bytes(0x40 - len(f)) + packet + bytes(0x40 - len(packet))
        for a, n in prds:
            t += struct.pack("<QII", a, 0, n - 1)
        return ram(CLB + port * 0x800 + 32 * s, hdr) + ram(tbl, t)
    ops = start(0) + slot(0, 0, fis(0xec), [(DATA, 512)]) + issue(0, 1)
    ops += slot(0, 1, fis(0x35, 8, 4), [(DATA, 1024), (DATA + 1024, 1024)], 0x40) + issue(0, 2)
    ops += slot(0, 2, fis(0x25, 8, 4), [(DATA, 2048)]) + issue(0, 4) + bytes([6])
    put("fuzz_ahci", "identify-dma", ops)
    ncq = start(0)
    for s in range(4):
        f = bytearray(fis(0x60 + (s & 1), s * 8, 0, 8))
        f[12] = s << 3
        ncq += slot(0, s, bytes(f), [(DATA + s * 4096, 4096)], 0x40 if s & 1 else 0)
    ncq += issue(0, 0xf, 0xf) + bytes([6])
    bad = bytearray(fis(0x61, 0, 0, 1))
    bad[12] = 2 << 3  # tag 2 in slot 5
    ncq += slot(0, 5, bytes(bad), [(DATA, 512)], 0x40) + issue(0, 1 << 5, 1 << 5) + bytes([6, 9, 0]) + start(0)
    put("fuzz_ahci", "ncq", ncq)
    read10 = bytes([0x28, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0])
    cd = start(1) + slot(1, 0, fis(0xa0), [], 0x20, packet=bytes(12)) + issue(1, 1) + bytes([9, 1]) + start(1)
    cd += slot(1, 0, fis(0xa0, feat=1), [(DATA, 4096)], 0x20, packet=read10) + issue(1, 1)
    cd += slot(1, 1, fis(0xa1), [(DATA, 512)]) + issue(1, 2) + bytes([6])
    put("fuzz_ahci", "atapi", cd)
    hostile = start(0) + slot(0, 0, fis(0x25, 0, 1), [(0xfff0, 512)]) + issue(0, 1) + bytes([9, 0]) + start(0)
    hostile += slot(0, 0, fis(0x25, 0, 1), [(DATA, 512)], cfl=2) + issue(0, 1) + bytes([8, 0]) + start(0)
    hostile += slot(0, 0, fis(0, c=0, ctl=4), []) + issue(0, 1) + slot(0, 0, fis(0, c=0), []) + issue(0, 1)
    hostile += bytes([3]) + struct.pack("<HI", 0x100 + 0x2c, 1) + bytes([7, 6])
    put("fuzz_ahci", "hostile", hostile)


def fw_cfg():
    """fuzz_fw_cfg: steps (kind, off, size, arg, cb, 16-byte control block), then RAM."""
    def step(kind, off=0, size=0, arg=0, cb=0, blk=b""):
        return struct.pack("<BBBHH", kind, off, size, arg, cb) + blk.ljust(16, b"\0")
    def blk(ctl, ln, addr):
        return struct.pack(">IIQ", ctl, ln, addr)
    # select the directory, read it by DMA into 0x2000, read the e820 file, skip, then ports
    s = [step(2, cb=0x1000, blk=blk((0x19 << 16) | 0x0a, 4 + 3 * 64, 0x2000)),
         step(2, cb=0x1000, blk=blk((0x20 << 16) | 0x0a, 20, 0x3000)),
         step(2, cb=0x1000, blk=blk(0x04, 8, 0)),
         step(0, arg=0x21), step(1, arg=40), step(5), step(4), step(3, off=4, size=2)]
    put("fuzz_fw_cfg", "dma-dir", bytes([len(s)]) + b"".join(s) + bytes(64))
    s = [step(0, arg=0x8000), step(1, arg=4), step(2, cb=0xfff8, blk=blk(0x02, 100, 0xfff0)), step(4)]
    put("fuzz_fw_cfg", "edges", bytes([len(s)]) + b"".join(s))


def display():
    """fuzz_display: bochs-display register/framebuffer writes, i8042 keyboard and mouse bytes, keys."""
    reg = lambda idx, v: bytes([0]) + struct.pack("<HBI", 0x500 + 2 * idx, 1, v)
    fbw = lambda off, v: bytes([2]) + struct.pack("<IBI", off, 2, v)
    mode = reg(4, 0) + reg(1, 640) + reg(2, 480) + reg(3, 32) + reg(4, 0x41)
    put("fuzz_display", "mode-and-pixels", mode + fbw(0, 0xff0000) + fbw(640 * 4 * 100, 0xff) + b"\x03" +
        reg(9, 480) + b"\x03" + reg(3, 16) + b"\x03" + b"\x0a")
    put("fuzz_display", "getcaps-edid", reg(4, 2) + bytes([1]) + struct.pack("<HB", 0x502, 1) +
        bytes([1]) + struct.pack("<HB", 0, 2) + bytes([1]) + struct.pack("<HB", 0x600, 2))
    kbd = lambda v: bytes([4, v])
    cmd = lambda v: bytes([5, v])
    rd = lambda: bytes([6, 0, 6, 1])
    put("fuzz_display", "atkbd", kbd(0xf2) + rd() * 3 + kbd(0xff) + rd() * 2 + kbd(0xed) + kbd(2) + rd() * 2 +
        kbd(0xf0) + kbd(0) + rd() * 3 + bytes([7, 0x1e, 1, 7, 0x9d, 0]) + rd() * 4 + cmd(0x60) + kbd(0x07) +
        bytes([7, 0x1e, 0]) + rd() * 3 + b"\x0a")
    put("fuzz_display", "psmouse", cmd(0xd4) + kbd(0xf3) + cmd(0xd4) + kbd(200) + cmd(0xd4) + kbd(0xf3) +
        cmd(0xd4) + kbd(100) + cmd(0xd4) + kbd(0xf3) + cmd(0xd4) + kbd(80) + cmd(0xd4) + kbd(0xf2) + rd() * 8 +
        cmd(0xd4) + kbd(0xf4) + bytes([8, 10, 0xf0, 1, 1]) + rd() * 6 + b"\x0a")
    put("fuzz_display", "keysyms", bytes([9]) + struct.pack("<II", 0x61, 0) + bytes([9]) +
        struct.pack("<II", 0xffe4, 0xe01d) + rd() * 4)
    put("fuzz_display", "vnc-spec", bytes([11]) + b"[::1]:5,password=on,password-file=/tmp/x,pointer=ps2")


def gdb():
    """fuzz_gdb: read size, paging mode, 4 KiB of RAM (an identity map through entry 0), gdb's bytes."""
    def pkt(body):
        return b"$" + body + b"#%02x" % (sum(body) & 0xff)
    image = struct.pack("<Q", 0x83).ljust(4096, b"\0")
    def seed(name, chunk, mode, stream):
        put("fuzz_gdb", name, bytes([chunk, mode]) + image + stream)
    hello = b"+" + pkt(b"qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386") + b"+" + pkt(b"?")
    xml = pkt(b"qXfer:features:read:target.xml:0,ffb") + pkt(b"qXfer:features:read:target.xml:ffb,ffb")
    regs = pkt(b"g") + pkt(b"p10") + pkt(b"P10=" + b"00" * 8) + pkt(b"Hg2") + pkt(b"G" + b"00" * 608)
    mem = pkt(b"m0,40") + pkt(b"M10,4:01020304") + pkt(b"X20,3:a}\x03b") + pkt(b"m3ffff000,10")
    run = (pkt(b"Z1,1000,1") + pkt(b"Z2,2000,4") + pkt(b"vCont;s:1;c") + b"\x03" + pkt(b"c") + b"\x03" +
           pkt(b"z1,1000,1") + pkt(b"qfThreadInfo") + pkt(b"qsThreadInfo") + pkt(b"qThreadExtraInfo,2") + pkt(b"T2"))
    seed("session-long-mode", 63, 3, hello + xml + regs + mem + run + pkt(b"D"))
    seed("noack-32bit", 7, 1, hello + pkt(b"QStartNoAckMode") + b"+" + mem + pkt(b"s") + pkt(b"k"))
    seed("pae-5level", 15, 2, hello + mem + pkt(b"vCont?") + pkt(b"vCont;S05:2"))
    seed("la57", 31, 4, mem + regs)
    seed("bad-packets", 0, 0, b"$g#00" + b"-" + b"$" + b"m" * 0x4100 + b"#00" + pkt(b"m" * 0x4010) +
         b"$$$##" + pkt(b"Zq,") + pkt(b"M0,ffffffff:") + pkt(b"X0,1:}") + pkt(b"Hg-1") + pkt(b"pffffffff"))


def p9():
    """fuzz_9p: flags byte, then (le16 length, message) pairs; the harness attached fid 0."""
    def s(t):
        t = t.encode() if isinstance(t, str) else t
        return struct.pack("<H", len(t)) + t

    def m(typ, body, tag=1):
        b = struct.pack("<IBH", 7 + len(body), typ, tag) + body
        return struct.pack("<H", len(b)) + b

    def walk(fid, new, *names):
        return m(110, struct.pack("<IIH", fid, new, len(names)) + b"".join(s(n) for n in names))

    I, Q, B = (lambda v: struct.pack("<I", v)), (lambda v: struct.pack("<Q", v)), (lambda v: bytes([v]))
    read = walk(0, 1, "f") + m(12, I(1) + I(0)) + m(116, I(1) + Q(0) + I(4096)) + m(24, I(1) + Q(0x7ff)) + m(120, I(1))
    put("fuzz_9p", "read", b"\0" + read)
    put("fuzz_9p", "read-ro", b"\1" + read)
    create = (walk(0, 2) + m(14, I(2) + s("new") + I(0o102) + I(0o644) + I(0)) +
              m(118, I(2) + Q(0) + I(5) + b"hello") + m(50, I(2) + I(0)) +
              m(26, I(2) + I(0x9) + I(0o600) + I(0) + I(0) + Q(2) + Q(0) * 4) +
              m(72, I(0) + s("dir") + I(0o755) + I(0)) + m(16, I(0) + s("ln") + s("../../x") + I(0)) +
              walk(0, 3, "ln") + m(22, I(3)) + m(74, I(0) + s("new") + I(0) + s("moved")) +
              m(20, I(3) + I(0) + s("ln2")) + m(70, I(0) + I(2) + s("hard")) +
              m(76, I(0) + s("dir") + I(0x200)) + m(122, I(3)))
    put("fuzz_9p", "create", b"\0" + create)
    listing = walk(0, 4, "d") + m(12, I(4) + I(0o200000)) + m(40, I(4) + Q(0) + I(8192)) + m(8, I(4))
    put("fuzz_9p", "readdir", b"\0" + listing)
    escape = (walk(0, 5, "..", "..", "f") + walk(0, 6, "up", "up", "outside") + walk(0, 7, "abs", "passwd") +
              m(72, I(0) + s("../esc") + I(0o755) + I(0)) + m(76, I(0) + s("..") + I(0)) +
              m(52, I(0) + B(0) + I(0) + Q(0) + Q(0) + I(1) + s("c")) +
              m(54, I(0) + B(0) + Q(0) + Q(0) + I(1) + s("c")) + m(30, I(0) + I(8) + s("user.x")) +
              m(108, struct.pack("<H", 1)))
    put("fuzz_9p", "escape", b"\0" + escape)
    session = (m(100, I(8192) + s("9P2000.L"), 0xffff) + m(104, I(0) + I(0xffffffff) + s("u") + s("") + I(1000)) +
               walk(0, 1, "d", "g") + m(12, I(1) + I(2)) + m(118, I(1) + Q(3) + I(2) + b"zz"))
    put("fuzz_9p", "raw-session", b"\2" + session)
    put("fuzz_9p", "fixed-sizes", b"\4" + struct.pack("<H", 11) + struct.pack("<IBHI", 0, 120, 1, 0))


if __name__ == "__main__":
    kvmini = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(OUT), "..", "..", "kvmini")
    virtq()
    blk()
    net()
    qcow2(kvmini)
    linux()
    multiboot()
    options()
    qemu_args()
    state_kvm()
    snapshot()
    migration()
    scsi()
    pool_xml()
    snapshot_xml()
    vscsi()
    ata()
    ide()
    trace()
    ahci()
    fw_cfg()
    display()
    gdb()
    p9()
