#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# virtio-scsi end to end, one Linux boot: one controller with a raw disk and a qcow2 disk (target
# 0, LUNs 0 and 1), a CD-ROM holding an ISO 9660 image made here with xorriso (target 1) and an
# empty CD-ROM drive (target 2). The guest lists them (/proc/partitions, sysfs SCSI addresses,
# discard limits), writes a pattern past the filesystem area of each disk that the host finds in
# the images, makes ext4 with e2fsprogs' mkfs.ext4, fills 8 MiB, mounts the ISO and checksums a
# file, reads the empty drive (no medium). With the CD still mounted (the guest's sr driver locks
# the tray) the host measures the images, then over QMP: query-block, an eject refused as locked,
# a forced eject, blockdev-change-medium to a second ISO, with their DEVICE_TRAY_MOVED events. The
# guest finds the new disc by itself (remounting until it appears) and checksums its file; then it
# deletes the fill, runs fstrim and powers off. The raw image's allocated blocks and the qcow2's
# data clusters must have shrunk, and qemu-img check must find the qcow2 clean.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/initrdlib.bash"
need_kvm "virtio-scsi"
KERNEL=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
for t in busybox cpio mke2fs xorriso qemu-img python3 md5sum; do
	command -v "$t" >/dev/null || { not_ok "scsi: $t is missing (tools/install-deps)"; exit 1; }
done
MB=1048576
BB=$(command -v busybox)
PAT_OFF=56 # MiB: the pattern's place, past the 48 MiB filesystem on both disks

mkdir -p "$TMP/cd1" "$TMP/cd2"
head -c 300000 "$BB" >"$TMP/cd1/first.bin"
tail -c 200000 "$BB" >"$TMP/cd2/second.bin"
SUM1=$(md5sum <"$TMP/cd1/first.bin" | cut -d' ' -f1)
SUM2=$(md5sum <"$TMP/cd2/second.bin" | cut -d' ' -f1)
for n in 1 2; do
	xorriso -as mkisofs -quiet -V "KVCD$n" -o "$TMP/cd$n.iso" "$TMP/cd$n" 2>"$TMP/xorriso.err" ||
		{ not_ok "xorriso cannot make an ISO 9660 image: $(head -n 1 "$TMP/xorriso.err")"; exit 1; }
done

cat >"$TMP/init" <<'INIT'
#!/bin/busybox sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "KVSCSI: $*"; }
while read -r maj min blocks name; do
	case $name in sd* | sr*) say "partition $name $blocks" ;; esac
done </proc/partitions
for b in /sys/block/sd* /sys/block/sr*; do
	n=${b##*/}
	say "dev $n $(basename "$(readlink $b/device)") size=$(cat $b/size) discard_max=$(cat $b/queue/discard_max_bytes) ro=$(cat $b/ro)"
done
# tell the disks apart by size: 64 MiB raw, 80 MiB qcow2
for b in /sys/block/sd*; do
	dev=/dev/${b##*/}
	tag=$(($(cat $b/size) / 2048))M
	# the pattern at 56 MiB, past the filesystem
	dd if=/bin/busybox of=$dev bs=65536 seek=896 count=1 conv=fsync 2>/dev/null &&
		say "$tag: pattern written"
	/bin/mkfs.ext4 -q -F $dev 48M >/tmp/mkfs.log 2>&1 && say "$tag: mkfs.ext4 ok"
	mkdir -p /mnt/$tag
	mount -t ext4 $dev /mnt/$tag
	dd if=/dev/zero of=/mnt/$tag/fill bs=1048576 count=8 conv=fsync 2>/dev/null && say "$tag: filled"
done
sync
mkdir -p /mnt/cd
if mount -t iso9660 -o ro /dev/sr0 /mnt/cd; then
	say "cd: label $(dd if=/dev/sr0 bs=1 skip=32808 count=5 2>/dev/null)"
	say "cd: first.bin $(md5sum </mnt/cd/first.bin | cut -d' ' -f1)"
fi
err=$(dd if=/dev/sr1 of=/dev/null bs=2048 count=1 2>&1 >/dev/null | head -n 1)
say "empty: read: $err"
say "empty: size=$(cat /sys/block/sr1/size)"
say "ready for the medium change"
# the mount keeps the tray locked while the host's QMP checks run (query-block, the refused eject)
sleep 20
# the host swaps the disc: remount until the new one is there
i=0
while [ $i -lt 240 ]; do
	umount /mnt/cd 2>/dev/null
	if mount -t iso9660 -o ro /dev/sr0 /mnt/cd 2>/dev/null && [ -f /mnt/cd/second.bin ]; then
		say "cd: changed after $i s"
		say "cd: second.bin $(md5sum </mnt/cd/second.bin | cut -d' ' -f1)"
		break
	fi
	sleep 1
	i=$((i + 1))
done
umount /mnt/cd 2>/dev/null
for d in /mnt/*M; do
	tag=${d##*/}
	rm $d/fill && sync
	say "$tag: fstrim: $(fstrim -v $d 2>&1)"
	umount $d && say "$tag: unmounted"
done
sync
say "poweroff"
poweroff -f
INIT
build_busybox_initrd "$TMP/scsi.cpio" "$TMP/init" "$(command -v mke2fs)=mkfs.ext4" \
	"file:/etc/mke2fs.conf:/etc/mke2fs.conf" || { not_ok "scsi: cannot build the busybox initramfs"; exit 1; }

truncate -s 64M "$TMP/raw.img"
"$KVMINI" img create -f qcow2 "$TMP/q.qcow2" 80M >/dev/null
"$KVMINI" run --kernel "$KERNEL" --initrd "$TMP/scsi.cpio" --mem 256M --name scsi --serial none \
	--append "console=ttyS0 quiet panic=-1" \
	--disk "$TMP/raw.img,format=raw,if=scsi,id=raw,target=0,lun=0" \
	--disk "$TMP/q.qcow2,format=qcow2,if=scsi,id=qcow,target=0,lun=1" \
	--disk "$TMP/cd1.iso,if=scsi,media=cdrom,id=cd0,target=1,lun=0" \
	--disk "none,if=scsi,media=cdrom,id=cd1,target=2,lun=0" </dev/null >"$TMP/vm.out" 2>&1 &
vpid=$!
CONSOLE=$TMP/run/scsi.console

# data bytes qemu-img map reports in the first 48 MiB of the qcow2 image
qcow_data() {
	# kvmini holds the image's lock while it runs: qemu-img reads it with locking off
	qemu-img map --output=json --image-opts "driver=qcow2,file.filename=$TMP/q.qcow2,file.locking=off" | python3 -c '
import json, sys
print(sum(min(e["start"] + e["length"], 48 << 20) - e["start"] for e in json.load(sys.stdin)
          if e["data"] and e["start"] < 48 << 20))'
}

for _ in $(seq 9000); do # a boot takes 30-90 s here, many minutes on a loaded host
	grep -aq 'KVSCSI: ready for the medium change' "$CONSOLE" 2>/dev/null && break
	kill -0 $vpid 2>/dev/null || break
	sleep 0.1
done
raw_before= qcow_before=
if ! grep -aq 'KVSCSI: ready for the medium change' "$CONSOLE" 2>/dev/null; then
	not_ok "the guest never got ready for the medium change (no QMP part)"
else
	raw_before=$(stat -c %b "$TMP/raw.img")
	qcow_before=$(qcow_data)
	python3 - "$TMP/run/scsi.qmp" "$TOP/tests/tools" "$TMP" <<'EOF'
import sys
sys.path.insert(0, sys.argv[2])
from qmpclient import QMP
tmp = sys.argv[3]

def check(desc, cond):
    print(("ok - " if cond else "not ok - ") + desc, flush=True)

def blocks(q):
    return {b["device"]: b for b in q.cmd("query-block")["return"]}

q = QMP(sys.argv[1])
q.cmd("qmp_capabilities")
b = blocks(q)
check("query-block lists the four drives (%s)" % sorted(b), sorted(b) == ["cd0", "cd1", "qcow", "raw"])
check("query-block: raw and qcow are fixed disks with their images",
      not b["raw"]["removable"] and b["raw"]["inserted"]["file"] == tmp + "/raw.img"
      and b["qcow"]["inserted"]["drv"] == "qcow2" and b["qcow"]["inserted"]["image"]["virtual-size"] == 80 << 20)
check("query-block: cd0 holds cd1.iso read-only, tray closed",
      b["cd0"]["removable"] and b["cd0"]["inserted"]["file"] == tmp + "/cd1.iso" and b["cd0"]["inserted"]["ro"]
      and not b["cd0"]["tray_open"])
check("query-block: cd1 is a removable drive with no medium", b["cd1"]["removable"] and "inserted" not in b["cd1"])
check("query-block: the guest's mount locked cd0's tray", b["cd0"]["locked"])
r = q.cmd("eject", {"id": "cd0"})
check("eject of the locked tray: QEMU's error (%s)" % r.get("error"),
      r.get("error", {}).get("desc") == "Device 'cd0' is locked and force was not specified, "
      "wait for tray to open and try again")
r = q.cmd("eject", {"id": "raw"})
check("eject of a disk: not removable", r.get("error", {}).get("desc") == "Device 'raw' is not removable")
r = q.cmd("eject", {"id": "nope"})
check("eject of an unknown id: DeviceNotFound", r.get("error", {}).get("class") == "DeviceNotFound")
r = q.cmd("blockdev-change-medium", {"id": "cd0", "filename": tmp + "/missing.iso"})
check("change to a missing file: Could not open", r.get("error", {}).get("desc", "").startswith("Could not open"))
check("eject force=true", q.cmd("eject", {"id": "cd0", "force": True}) == {"return": {}})
ev = q.wait_event("DEVICE_TRAY_MOVED", 5)
check("DEVICE_TRAY_MOVED tray-open true", ev["data"] == {"device": "cd0", "id": "cd0", "tray-open": True})
b = blocks(q)
check("query-block after eject: cd0 empty, tray open", "inserted" not in b["cd0"] and b["cd0"]["tray_open"])
r = q.cmd("blockdev-change-medium", {"id": "cd0", "filename": tmp + "/cd2.iso", "format": "raw",
                                     "read-only-mode": "retain"})
check("blockdev-change-medium to cd2.iso", r == {"return": {}})
ev = q.wait_event("DEVICE_TRAY_MOVED", 5)
check("DEVICE_TRAY_MOVED tray-open false", ev["data"]["tray-open"] is False)
b = blocks(q)
check("query-block: cd0 now holds cd2.iso, tray closed",
      b["cd0"].get("inserted", {}).get("file") == tmp + "/cd2.iso" and not b["cd0"]["tray_open"])
EOF
fi
rc=0
for _ in $(seq 6000); do kill -0 $vpid 2>/dev/null || break; sleep 0.1; done
kill -0 $vpid 2>/dev/null && { rc=-1; kill -KILL $vpid; }
wait $vpid || rc=$?
out=$TMP/console.txt
tr -d '\r' <"$CONSOLE" >"$out" 2>/dev/null
check "the guest powered off by itself (status $rc)" [ "$rc" -eq 0 ]
check "/proc/partitions: the two disks and the CD-ROM with its medium" \
	bash -c "grep -q 'KVSCSI: partition sda 65536' '$out' && grep -q 'KVSCSI: partition sdb 81920' '$out' && grep -q 'KVSCSI: partition sr0 ' '$out'"
check "sysfs: the disks at 0:0:0:0 and 0:0:0:1, discard on" \
	bash -c "grep -q 'KVSCSI: dev sda 0:0:0:0 size=131072 discard_max=[1-9]' '$out' && grep -q 'KVSCSI: dev sdb 0:0:0:1 size=163840 discard_max=[1-9]' '$out'"
# an sr drive whose READ CAPACITY fails (no medium) gets Linux's stand-in capacity, 0x1fffff sectors
check "sysfs: the CD-ROMs at 0:0:1:0 (read-only) and 0:0:2:0 (no capacity: Linux's 2097151)" \
	bash -c "grep -q 'KVSCSI: dev sr0 0:0:1:0 size=[1-9].* ro=1' '$out' && grep -q 'KVSCSI: dev sr1 0:0:2:0 size=2097151 ' '$out'"
check "raw: the image holds the guest's pattern" cmp -s -n 65536 -i 0:$((PAT_OFF * MB)) "$BB" "$TMP/raw.img"
qemu-img convert -O raw "$TMP/q.qcow2" "$TMP/q.raw"
check "qcow2: the image holds the guest's pattern" cmp -s -n 65536 -i 0:$((PAT_OFF * MB)) "$BB" "$TMP/q.raw"
check "mkfs.ext4 and an 8 MiB file on both disks" [ "$(grep -c 'KVSCSI: \(64\|80\)M: \(mkfs.ext4 ok\|filled\)' "$out")" -eq 4 ]
check "the ISO's volume label" grep -q 'KVSCSI: cd: label KVCD1' "$out"
check "the ISO's file checksum matches the host's" grep -q "KVSCSI: cd: first.bin $SUM1" "$out"
check "the empty drive: no medium" grep -q 'KVSCSI: empty: read: .*No medium found' "$out"
check "the guest saw the medium change (second ISO mounted)" grep -q 'KVSCSI: cd: changed after' "$out"
check "the second ISO's file checksum matches the host's" grep -q "KVSCSI: cd: second.bin $SUM2" "$out"
check "fstrim trimmed both filesystems" [ "$(grep -c 'KVSCSI: \(64\|80\)M: fstrim: .*trimmed' "$out")" -eq 2 ]
raw_after=$(stat -c %b "$TMP/raw.img")
qcow_after=$(qcow_data)
# shrunk BEFORE AFTER BY: AFTER is at least BY below BEFORE (both measured)
shrunk() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" -le $(($1 - $3)) ]; }
check "fstrim shrank the raw image by 6 MiB or more (512-byte blocks $raw_before -> $raw_after)" \
	shrunk "$raw_before" "$raw_after" 12288
check "fstrim freed 6 MiB or more of qcow2 clusters (data bytes in the fs area $qcow_before -> $qcow_after)" \
	shrunk "$qcow_before" "$qcow_after" $((6 * MB))
check "qemu-img check: the qcow2 image is clean" qemu-img check -q "$TMP/q.qcow2"
echo "# --- guest and kvmini lines"
grep -a 'KVSCSI:\|kvmini:' "$out" "$TMP/vm.out" | sed 's/^/#   /'
exit 0
