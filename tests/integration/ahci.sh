# SPDX-License-Identifier: GPL-2.0-or-later
# AHCI in one Linux boot: a raw disk, a qcow2 disk and an ATAPI CD-ROM with an ISO 9660 image (made
# with Debian's xorriso) on the one ICH9 AHCI controller (--disk ...,if=sata). The guest's `ahci`
# driver finds them (NCQ depth in dmesg, an MSI vector in /proc/interrupts); the guest writes a
# pattern to each disk that the host then finds in the images (qemu-img check passes on qcow2);
# it mounts the ISO and a file's checksum matches the host's; and on the raw disk, which the host
# filled with data first, Debian's mkfs.ext4 (no discard of its own) and busybox fstrim send DSM
# TRIM through AHCI, which the host sees as blocks given back in the raw image.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/initrdlib.bash"
need_kvm "AHCI disks and CD-ROM"
KERNEL=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
for t in busybox cpio mke2fs xorriso qemu-img md5sum; do
	command -v "$t" >/dev/null || { not_ok "ahci: $t is missing (tools/install-deps: busybox-static, e2fsprogs, xorriso, qemu-utils)"; exit 1; }
done
MKE2FS=$(command -v mke2fs)
BLOB=262144
head -c $BLOB "$(command -v busybox)" >"$TMP/blob"
BLOB_MD5=$(md5sum <"$TMP/blob" | cut -d' ' -f1)
mkdir -p "$TMP/iso/kvmini"
head -c 300000 "$MKE2FS" >"$TMP/iso/kvmini/file.bin"
ISO_MD5=$(md5sum <"$TMP/iso/kvmini/file.bin" | cut -d' ' -f1)
xorriso -as mkisofs -quiet -V KVMINI_AHCI -o "$TMP/cd.iso" "$TMP/iso" 2>/dev/null ||
	{ not_ok "ahci: xorriso cannot make the ISO image"; exit 1; }

# disks told apart by size: raw 48M (ext4 + TRIM, pattern at 40M), qcow2 80M (pattern at 1M)
cat >"$TMP/init" <<INIT
#!/bin/busybox sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "KVAHCI: \$* [uptime \$(cut -d" " -f1 /proc/uptime)]"; }
dmesg | grep -E 'ahci|NCQ|ata[0-9]' | sed 's/^/KVAHCI: dmesg: /'
grep ahci /proc/interrupts | sed 's/^/KVAHCI: irq: /'
mkdir -p /mnt/cd
if mount -t iso9660 -o ro /dev/sr0 /mnt/cd; then
	say "cd: mounted \$(cat /sys/block/sr0/device/model 2>/dev/null)"
	say "cd: md5 \$(md5sum </mnt/cd/kvmini/file.bin | cut -d' ' -f1)"
	umount /mnt/cd
else
	say "cd: mount failed"
fi
for blk in /sys/block/sd*; do
	dev=/dev/\${blk##*/}
	mb=\$((\$(cat \$blk/size) / 2048))
	say "disk \${blk##*/} \${mb}M driver \$(basename \$(readlink \$blk/device/../../../../driver 2>/dev/null))"
	case \$mb in
	80) dd if=/bin/blob of=\$dev bs=4096 seek=256 conv=fsync 2>/dev/null && say "80M: pattern written"
	    say "80M: read back \$(dd if=\$dev bs=4096 skip=256 count=64 2>/dev/null | md5sum | cut -d' ' -f1)" ;;
	48) dd if=/bin/blob of=\$dev bs=4096 seek=10240 conv=fsync 2>/dev/null && say "48M: pattern written"
	    /bin/mkfs.ext4 -F -q -E nodiscard \$dev 32M >/tmp/mkfs.log 2>&1 && say "48M: mkfs.ext4 ok"
	    mkdir -p /mnt/d && mount -t ext4 \$dev /mnt/d && say "48M: mounted"
	    say "48M: fstrim: \$(fstrim -v /mnt/d 2>&1)"
	    umount /mnt/d && sync && say "48M: unmounted" ;;
	esac
done
say poweroff
poweroff -f
INIT
BUSYBOX_APPLETS="mount umount cut grep cat md5sum dd head mkdir sync poweroff sleep sed basename readlink fstrim" \
	build_busybox_initrd "$TMP/ahci.cpio" "$TMP/init" "$MKE2FS=mkfs.ext4" "file:/etc/mke2fs.conf:/etc/mke2fs.conf" \
	"file:$TMP/blob:/bin/blob" || { not_ok "ahci: cannot build the busybox initramfs"; exit 1; }

# the raw disk starts full of data (so TRIM has blocks to give back), the qcow2 one empty
head -c 48M /dev/urandom >"$TMP/raw.img"
"$KVMINI" img create -f qcow2 "$TMP/q.qcow2" 80M >/dev/null
blocks_before=$(stat -c %b "$TMP/raw.img")
out=$TMP/ahci.out
rc=0
run_vm ${AHCI_TIMEOUT:-1200} "$out" --kernel "$KERNEL" --initrd "$TMP/ahci.cpio" --mem 256M --append "console=ttyS0 quiet panic=-1" \
	--disk "$TMP/raw.img,format=raw,if=sata" --disk "$TMP/q.qcow2,format=qcow2,if=sata,bus=3" \
	--disk "$TMP/cd.iso,if=sata,media=cdrom" || rc=$?
check "guest powered off (exit $rc)" [ "$rc" -eq 0 ]
check "the guest got to the end of its checks" grep -q "KVAHCI: poweroff" "$out"
check "ahci drives the controller (AHCI 1.3, 6 ports, NCQ)" grep -q "KVAHCI: dmesg: ahci .*AHCI 0001.0300 32 slots 6 ports" "$out"
check "disks found with NCQ depth 32" [ "$(grep -c 'KVAHCI: dmesg: ata.*NCQ (depth 32)' "$out")" -eq 2 ]
check "the ATAPI CD-ROM is found" grep -q "KVAHCI: dmesg: ata.*ATAPI: KVMINI DVD-ROM" "$out"
check "the qcow2 disk is on port 4 (bus=3)" grep -q "KVAHCI: dmesg: ata4.00: .*NCQ" "$out"
check "the interrupt is MSI" grep -q "KVAHCI: irq: .*PCI-MSI.*ahci" "$out"
check "both disks are driven by ahci" [ "$(grep -c 'KVAHCI: disk sd[a-z] .* driver ahci' "$out")" -eq 2 ]
check "the guest read its pattern back from the qcow2 disk" grep -q "KVAHCI: 80M: read back $BLOB_MD5" "$out"
check "host: the pattern is in the raw image" \
	[ "$(dd if="$TMP/raw.img" bs=4096 skip=10240 count=64 2>/dev/null | md5sum | cut -d' ' -f1)" = "$BLOB_MD5" ]
check "host: qemu-img check passes on the qcow2 image" qemu-img check -q "$TMP/q.qcow2"
qemu-img convert -O raw "$TMP/q.qcow2" "$TMP/q.raw"
check "host: the pattern is in the qcow2 image" \
	[ "$(dd if="$TMP/q.raw" bs=4096 skip=256 count=64 2>/dev/null | md5sum | cut -d' ' -f1)" = "$BLOB_MD5" ]
check "mkfs.ext4 over AHCI" grep -q "KVAHCI: 48M: mkfs.ext4 ok" "$out"
check "fstrim trimmed the filesystem" grep -q "KVAHCI: 48M: fstrim: .*trimmed" "$out"
blocks_after=$(stat -c %b "$TMP/raw.img")
check "host: TRIM gave blocks back in the raw image ($((blocks_before / 2)) KiB -> $((blocks_after / 2)) KiB)" \
	[ "$blocks_after" -lt $((blocks_before * 3 / 4)) ]
check "host: the filesystem is clean" bash -c "e2fsck -fn '$TMP/raw.img' >/dev/null 2>&1"
check "the ISO 9660 CD-ROM mounted" grep -q "KVAHCI: cd: mounted" "$out"
check "the file on the CD-ROM has the host's checksum" grep -q "KVAHCI: cd: md5 $ISO_MD5" "$out"
echo "# --- guest lines"
grep 'KVAHCI:\|kvmini:' "$out" | grep -v 'dmesg: ata[0-9]: SATA link down' | sed 's/^/#   /'
exit 0
