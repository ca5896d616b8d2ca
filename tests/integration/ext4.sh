# SPDX-License-Identifier: GPL-2.0-or-later
# ext4 across a guest reboot: one kvmini run, two boots of the same command line, two disks (a
# raw image over virtio-pci and a qcow2 image over virtio-mmio, told apart by size). The first
# boot finds no filesystem on either disk, makes ext4 on each with Debian's real mkfs.ext4
# (e2fsprogs' mke2fs, copied into a busybox initramfs with its shared libraries), writes two
# files, syncs, unmounts and reboots; kvmini restarts the VM with the same disks; the second boot
# mounts both filesystems, prints the files and powers off. The host then reads the files out of
# each image with debugfs and has e2fsck (and for qcow2, qemu-img check) check it.
# The guest's kernel mode is emulated on a PVM host: the data comes from a file already in the
# initramfs (/dev/urandom would cost about a minute per MiB); panic=-1 turns a guest panic into a
# reset that the checks count, instead of a hang.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/initrdlib.bash"
need_kvm "ext4 across a reboot"
# EXT4_TEST_KERNEL: another vmlinux (a debugging aid)
KERNEL=${EXT4_TEST_KERNEL:-$(guest_file vmlinux)} || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
for t in busybox cpio mke2fs debugfs e2fsck ldd md5sum qemu-img; do
	command -v "$t" >/dev/null || { not_ok "ext4: $t is missing (tools/install-deps: e2fsprogs, busybox-static, qemu-utils)"; exit 1; }
done
MKE2FS=$(command -v mke2fs)
TEXT="kvmini ext4 survives a reboot 0123456789"
BLOB_SIZE=262144
BLOB_MD5=$(head -c $BLOB_SIZE "$(command -v busybox)" | md5sum | cut -d' ' -f1)

# The same /init runs on both boots, so each disk must tell them apart: the filesystem is made
# 56 MiB on a disk of 64 MiB or more and a raw marker at 60 MiB (outside it) records that boot 1
# got as far as the reboot. A lost filesystem then fails at once instead of looping through mkfs
# forever. Lines name the disk by its size ("KVEXT4: 64M: ..."), which the host knows.
cat >"$TMP/init" <<INIT
#!/bin/busybox sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
MARKBLK=15360
reboot=
for blk in /sys/block/vd*; do
	dev=/dev/\${blk##*/}
	tag=\$((\$(cat \$blk/size) / 2048))M
	mnt=/mnt/\${blk##*/}
	say() { echo "KVEXT4: \$tag: \$*"; }
	mkdir -p \$mnt
	mark=\$(dd if=\$dev bs=4096 skip=\$MARKBLK count=1 2>/dev/null | head -c 12)
	if mount -t ext4 \$dev \$mnt 2>/dev/null && [ -f \$mnt/kvmini/hello.txt ]; then
		say "boot 2: mounted \$(grep " \$mnt " /proc/mounts | cut -d' ' -f3)"
		say "text: \$(cat \$mnt/kvmini/hello.txt)"
		say "blob-md5: \$(md5sum <\$mnt/kvmini/blob | cut -d' ' -f1)"
		umount \$mnt && say "boot 2: unmounted"
	elif [ "\$mark" = KVEXT4-BOOT1 ]; then
		say "FAIL: boot 1 rebooted but the filesystem is gone"
	else
		/bin/mkfs.ext4 -F -L kvmini \$dev 56M >/tmp/mkfs.log 2>&1 &&
			say "boot 1: mkfs.ext4 ok: \$(head -n 1 /tmp/mkfs.log)"
		mount -t ext4 \$dev \$mnt && say "boot 1: mounted"
		mkdir \$mnt/kvmini
		echo "$TEXT" >\$mnt/kvmini/hello.txt
		head -c $BLOB_SIZE /bin/busybox >\$mnt/kvmini/blob
		say "blob-md5: \$(md5sum <\$mnt/kvmini/blob | cut -d' ' -f1)"
		sync
		umount \$mnt && say "boot 1: unmounted"
		printf KVEXT4-BOOT1 | dd of=\$dev bs=4096 seek=\$MARKBLK conv=notrunc,sync 2>/dev/null
		sync
		reboot=1
	fi
done
if [ -n "\$reboot" ]; then
	echo "KVEXT4: boot 1: rebooting"
	reboot -f
	sleep 10
fi
echo "KVEXT4: poweroff"
poweroff -f
INIT
BUSYBOX_APPLETS="mount umount cut grep cat md5sum dd head mkdir sync reboot poweroff sleep" \
	build_busybox_initrd "$TMP/ext4.cpio" "$TMP/init" "$MKE2FS=mkfs.ext4" "file:/etc/mke2fs.conf:/etc/mke2fs.conf" ||
	{ not_ok "ext4: cannot build the busybox initramfs"; exit 1; }

# the two-boot run on both disks (sizes 64M and 80M tell them apart in the guest)
truncate -s 64M "$TMP/raw.img"
"$KVMINI" img create -f qcow2 "$TMP/q.qcow2" 80M >/dev/null
out=$TMP/ext4.out
rc=0
run_vm 800 "$out" --kernel "$KERNEL" --initrd "$TMP/ext4.cpio" --mem 256M \
	--append "console=ttyS0 quiet panic=-1" \
	--disk "$TMP/raw.img,format=raw,transport=pci" --disk "$TMP/q.qcow2,format=qcow2,transport=mmio" || rc=$?
tr -d '\r' <"$out" >"$out.txt"
check "guest powered off after two boots (exit $rc)" [ "$rc" -eq 0 ]
check "kvmini restarted the VM once ('guest reset: restarting')" \
	[ "$(grep -c 'guest reset: restarting' "$out.txt")" -eq 1 ]

# checks NAME TAG IMAGE FORMAT: what the guest said about the disk of size TAG, and the image
checks() {
	local name=$1 tag=$2 img=$3 fmt=$4 raw=$3
	check "$name: boot 1 made the filesystem with e2fsprogs' mkfs.ext4" grep -q "KVEXT4: $tag: boot 1: mkfs.ext4 ok" "$out.txt"
	check "$name: boot 2 mounted it as ext4" grep -q "KVEXT4: $tag: boot 2: mounted ext4" "$out.txt"
	check "$name: the text file survived the reboot" grep -qx "KVEXT4: $tag: text: $TEXT" "$out.txt"
	check "$name: the 256 KiB file read back identically on both boots" \
		[ "$(grep -c "KVEXT4: $tag: blob-md5: $BLOB_MD5" "$out.txt")" -eq 2 ]
	if [ "$fmt" = qcow2 ]; then
		# the host's e2fsprogs read raw
		raw=$TMP/${name%%/*}.raw
		check "$name: qemu-img check passes" qemu-img check -q "$img"
		qemu-img convert -O raw "$img" "$raw"
	fi
	check "$name: host e2fsck finds the filesystem clean" bash -c "e2fsck -fn '$raw' >/dev/null 2>&1"
	check "$name: host debugfs reads the text file from the image" \
		[ "$(debugfs -R 'cat /kvmini/hello.txt' "$raw" 2>/dev/null)" = "$TEXT" ]
	check "$name: host debugfs reads the same 256 KiB file" \
		[ "$(debugfs -R 'cat /kvmini/blob' "$raw" 2>/dev/null | md5sum | cut -d' ' -f1)" = "$BLOB_MD5" ]
	check "$name: the image holds ext4 (journal, extents)" \
		bash -c "dumpe2fs -h '$raw' 2>/dev/null | grep -i '^filesystem features:' | grep -q 'has_journal.*extent'"
}
checks raw/pci 64M "$TMP/raw.img" raw
checks qcow2/mmio 80M "$TMP/q.qcow2" qcow2
echo "# --- guest and kvmini lines"
grep 'KVEXT4:\|kvmini:' "$out.txt" | sed 's/^/#   /'
exit 0
