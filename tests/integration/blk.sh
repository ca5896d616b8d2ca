# SPDX-License-Identifier: GPL-2.0-or-later
# virtio-blk with the Linux test guest: the guest writes a known pattern to its disk, syncs and
# powers off; the host then checks the bytes in the image (raw over PCI, qcow2 over MMIO), that a
# read-only disk refused the write, and that qcow2 grew only by what was written.
. "$(dirname "$0")/lib.bash"
need_kvm "virtio-blk with Linux"
KERNEL=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
INITRD=$(guest_file initramfs-test.cpio) || { not_ok "test kit: initramfs not built (make kit)"; exit 1; }
PAT=$TOP/build/tools/blkpattern
SIZE=$((4 << 20))

# guest NAME ACTIONS DISK-ARGS...: boots with kvtest=ACTIONS,poweroff; output in $TMP/NAME.out
guest() {
	local name=$1 actions=$2
	shift 2
	rc=0
	run_vm 300 "$TMP/$name.out" --kernel "$KERNEL" --initrd "$INITRD" --mem 256M \
		--append "console=ttyS0 quiet kvtest=$actions,poweroff" "$@" || rc=$?
}
# the checksum the guest printed for ACTION (blkwrite/blkread)
guest_sum() { sed -n "s/.*KVMINI-INIT: $2 [^ ]* [0-9]* \([0-9a-f]*\).*/\1/p" "$TMP/$1.out" | tr -d '\r' | head -n 1; }

# raw image over virtio-pci: the guest's bytes are in the file
truncate -s 64M "$TMP/raw.img"
guest raw "blkwrite:/dev/vda:7:$SIZE,blkread:/dev/vda:$SIZE" --disk "$TMP/raw.img,format=raw"
check "raw/pci: guest powered off (exit $rc)" [ "$rc" -eq 0 ]
gsum=$(guest_sum raw blkwrite)
hsum=$("$PAT" 7 $SIZE "$TMP/raw.img")
check "raw/pci: the image holds the guest's pattern (guest $gsum, host $hsum)" [ -n "$gsum" -a "$gsum" = "$hsum" ]
check "raw/pci: the guest read back what it wrote" [ -n "$gsum" -a "$(guest_sum raw blkread)" = "$gsum" ]

# qcow2 over virtio-mmio: verified through qemu-img, which must also find the image clean
"$KVMINI" img create -f qcow2 "$TMP/q.qcow2" 1G >/dev/null
before=$(du -k "$TMP/q.qcow2" | cut -f1)
guest qcow2 "blkwrite:/dev/vda:11:$SIZE" --disk "$TMP/q.qcow2,format=qcow2,transport=mmio"
check "qcow2/mmio: guest powered off (exit $rc)" [ "$rc" -eq 0 ]
if command -v qemu-img >/dev/null; then
	check "qcow2/mmio: qemu-img check passes" qemu-img check "$TMP/q.qcow2"
	qemu-img convert -O raw "$TMP/q.qcow2" "$TMP/q.raw"
	check "qcow2/mmio: qemu-img reads back the guest's pattern" "$PAT" 11 $SIZE "$TMP/q.raw"
else
	skip "qcow2 checks through qemu-img: qemu-img is not installed"
fi
after=$(du -k "$TMP/q.qcow2" | cut -f1)
grown=$(( (after - before) * 1024 ))
check "qcow2: the file grew by about what was written ($grown bytes for $SIZE)" \
	[ $grown -ge $SIZE -a $grown -le $((SIZE + (2 << 20))) ]

# read-only: the guest's write fails, the file is untouched
head -c $((8 << 20)) /dev/zero >"$TMP/ro.img"
sum_before=$(md5sum <"$TMP/ro.img")
guest ro "blkwrite:/dev/vda:5:65536" --disk "$TMP/ro.img,format=raw,readonly"
check "read-only: guest powered off (exit $rc)" [ "$rc" -eq 0 ]
check "read-only: the guest's write failed" grep -q 'KVMINI-INIT: blkwrite-error' "$TMP/ro.out"
check "read-only: the image is unchanged" [ "$(md5sum <"$TMP/ro.img")" = "$sum_before" ]

for f in raw qcow2 ro; do
	echo "# --- $f: KVMINI-INIT lines"
	grep 'KVMINI-INIT\|kvmini:' "$TMP/$f.out" | sed 's/^/#   /'
done
