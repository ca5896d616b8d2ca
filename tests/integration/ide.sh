#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IDE (PIIX3) in one Linux boot, the seed's device set: --hda a raw image, --hdb a qcow2 image,
# --cdrom an ISO 9660 image made with Debian's xorriso (IDE secondary master). The guest's
# ata_piix must find the PIIX3 IDE function at 00:01.1 with two disks and an ATAPI CD-ROM, set
# them to DMA (libata's xfer_mode in sysfs), write a 1 MiB pattern to each disk (O_DIRECT, then
# read back), mount the ISO and checksum a file on it. The host then finds the pattern in the raw
# image and in the qcow2 image (qemu-img check clean), and the ISO file's checksum must be the
# host's. kvmini refuses two drives at one IDE position (exit 2, one line).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/initrdlib.bash"
need_kvm "ide"
KERNEL=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
for t in busybox cpio xorriso qemu-img md5sum; do
	command -v "$t" >/dev/null || { not_ok "ide: $t is missing (tools/install-deps: busybox-static, xorriso, qemu-utils)"; exit 1; }
done

# usage errors first (no boot): a position given twice, bad sub-options
"$KVMINI" run --kernel "$KERNEL" --hdc "$TMP/x.img" --cdrom "$TMP/y.iso" >"$TMP/c.out" 2>&1
rc=$?
check "ide: --hdc and --cdrom at bus 1 unit 0: exit 2" [ "$rc" -eq 2 ]
check "ide: ... with one line naming both" \
	bash -c "[ \$(wc -l <'$TMP/c.out') -eq 1 ] && grep -q '^kvmini: --cdrom .*: IDE bus 1 unit 0 is taken by --hdc' '$TMP/c.out'"
"$KVMINI" run --kernel "$KERNEL" --disk "$TMP/x.img,if=ide,bus=2" >"$TMP/c.out" 2>&1
check "ide: bus=2 is a usage error" [ "$?" -eq 2 ]

BLOB=$((1 << 20))
head -c $BLOB "$(command -v busybox)" >"$TMP/blob"
BLOB_MD5=$(md5sum <"$TMP/blob" | cut -d' ' -f1)
mkdir -p "$TMP/iso/docs"
head -c 300000 "$(command -v xorriso)" >"$TMP/iso/docs/data.bin"
echo "kvmini ide cdrom" >"$TMP/iso/readme.txt"
ISO_MD5=$(md5sum <"$TMP/iso/docs/data.bin" | cut -d' ' -f1)
xorriso -as mkisofs -quiet -V KVMINI_IDE -o "$TMP/cd.iso" "$TMP/iso" 2>"$TMP/xorriso.err" ||
	{ not_ok "ide: xorriso cannot make the ISO: $(head -n 1 "$TMP/xorriso.err")"; exit 1; }
truncate -s 32M "$TMP/raw.img"
qemu-img create -q -f qcow2 "$TMP/q.qcow2" 48M

cat >"$TMP/init" <<'INIT'
#!/bin/busybox sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "KVIDE: $*"; }
dmesg | grep -E 'ata[0-9]|PIIX|piix' | sed 's/^/KVIDE: dmesg: /'
for f in /sys/class/ata_device/dev*/xfer_mode; do
	[ -f "$f" ] && say "xfer $(basename $(dirname $f)) $(cat $f)"
done
for b in /sys/block/sd* /sys/block/sr*; do
	[ -d "$b" ] || continue
	d=${b##*/}
	say "disk $d $(($(cat $b/size) / 2048))M $(readlink -f $b/device | grep -o '0000:00:0[0-9].[0-9]')"
	case $d in sd*)
		tag=$(($(cat $b/size) / 2048))M
		dd if=/blob of=/dev/$d bs=64k seek=16 oflag=direct 2>/dev/null && say "$tag: wrote"
		sync
		say "$tag: read-md5 $(dd if=/dev/$d bs=64k skip=16 count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
	esac
done
if mount -t iso9660 -o ro /dev/sr0 /mnt; then
	say "iso: mounted $(grep ' /mnt ' /proc/mounts | cut -d' ' -f3)"
	say "iso: data-md5 $(md5sum </mnt/docs/data.bin | cut -d' ' -f1)"
	say "iso: readme $(cat /mnt/readme.txt)"
	umount /mnt
fi
grep -E '^ *(14|15): ' /proc/interrupts | tr -s ' ' | sed 's/^ */KVIDE: irq /'
sync
poweroff -f
INIT
BUSYBOX_APPLETS="mount umount cut grep cat md5sum dd head sed tr readlink basename dirname sync poweroff sleep dmesg" \
	build_busybox_initrd "$TMP/ide.cpio" "$TMP/init" "file:$TMP/blob:/blob" ||
	{ not_ok "ide: cannot build the busybox initramfs"; exit 1; }

out=$TMP/ide.out
rc=0
run_vm 600 "$out" --kernel "$KERNEL" --initrd "$TMP/ide.cpio" --mem 256M --no-reboot \
	--append "console=ttyS0 panic=-1" \
	--hda "$TMP/raw.img" --hdb "$TMP/q.qcow2" --cdrom "$TMP/cd.iso" || rc=$?
check "ide: guest powered off (exit $rc)" [ "$rc" -eq 0 ]
check "ide: ata_piix drives the PIIX3 IDE function" grep -q 'KVIDE: dmesg: .*ata_piix' "$out"
check "ide: a disk is hda/hdb on 00:01.1 (raw 32M)" grep -q 'KVIDE: disk sd. 32M 0000:00:01.1' "$out"
check "ide: ... and the qcow2 48M one" grep -q 'KVIDE: disk sd. 48M 0000:00:01.1' "$out"
check "ide: the CD-ROM is an ATAPI device on 00:01.1" grep -q 'KVIDE: disk sr0 .* 0000:00:01.1' "$out"
check "ide: libata set all three devices to DMA (MWDMA2, PIIX3's best)" \
	[ "$(grep -c 'KVIDE: xfer dev[12]\.[01] XFER_MW_DMA_2' "$out")" -eq 3 ]
for tag in 32M 48M; do
	check "ide: $tag: the guest read back its 1 MiB pattern" grep -q "KVIDE: $tag: read-md5 $BLOB_MD5" "$out"
done
check "ide: host finds the pattern in the raw image" \
	[ "$(dd if="$TMP/raw.img" bs=64k skip=16 count=16 2>/dev/null | md5sum | cut -d' ' -f1)" = "$BLOB_MD5" ]
check "ide: qemu-img check passes on the qcow2 image" qemu-img check -q "$TMP/q.qcow2"
qemu-img convert -O raw "$TMP/q.qcow2" "$TMP/q.raw"
check "ide: host finds the pattern in the qcow2 image" \
	[ "$(dd if="$TMP/q.raw" bs=64k skip=16 count=16 2>/dev/null | md5sum | cut -d' ' -f1)" = "$BLOB_MD5" ]
check "ide: the guest mounted the ISO 9660 image" grep -q 'KVIDE: iso: mounted iso9660' "$out"
check "ide: a file on the ISO has the host's checksum" grep -q "KVIDE: iso: data-md5 $ISO_MD5" "$out"
check "ide: IRQ 14 and 15 carried the interrupts" \
	bash -c "grep -E 'KVIDE: irq 14: [1-9].*ata_piix' '$out' >/dev/null && grep -E 'KVIDE: irq 15: [1-9].*ata_piix' '$out' >/dev/null"
echo "# --- guest and kvmini lines"
grep 'KVIDE:\|kvmini:' "$out" | sed 's/^/#   /'
exit 0
