# SPDX-License-Identifier: GPL-2.0-or-later
# Boots the small Linux test kernel (tools/build-guest) and asserts on what the guest printed and
# on what it left in its disks. Each boot costs 30-90 s on an emulating host, so one boot checks
# many things:
#  - vmlinux with 2 vCPUs and three virtio-blk disks: both CPUs online, init ran its commands, the
#    kernel saw ACPI; the guest writes a known pattern to a raw image over PCI (and reads it back)
#    and to a qcow2 image over MMIO, and its write to a read-only disk fails; poweroff exits 0. The
#    host then checks the bytes in the images (qcow2 through qemu-img, which must find it clean),
#    that the read-only image is untouched and that qcow2 grew only by what was written. A fourth
#    disk is a host block device (a loop device over a file, format probed, cache=none: its size
#    comes from BLKGETSIZE64 and its I/O is O_DIRECT); the guest's pattern must reach the file.
#    With nbdkit installed, a fifth disk is an NBD export (a file served on a Unix socket): the guest
#    writes and reads back a pattern, the host finds it in the served file.
#  - bzImage with 1 vCPU, started through the QEMU front end (kvmini qemu -enable-kvm -m 256
#    -kernel ... -nographic -no-reboot, a virtio-scsi-pci + scsi-hd disk): one CPU online, the
#    guest's pattern on the SCSI disk, reboot with -no-reboot exits.
. "$(dirname "$0")/lib.bash"
need_kvm "Linux boot"
VMLINUX=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
BZIMAGE=$(guest_file bzImage) || { not_ok "test kit: bzImage not built (make kit)"; exit 1; }
INITRD=$(guest_file initramfs-test.cpio) || { not_ok "test kit: initramfs not built (make kit)"; exit 1; }
command -v qemu-img >/dev/null || { not_ok "qemu-img is missing (tools/install-deps: qemu-utils)"; exit 1; }
PAT=$TOP/build/tools/blkpattern
[ -x "$PAT" ] || { not_ok "$PAT is not built (make unit)"; exit 1; }
SIZE=$((4 << 20))

# boot NAME SECONDS ARGS...: output in $TMP/NAME.out, status in $rc
boot() {
	local name=$1 secs=$2
	shift 2
	local t0=$SECONDS
	rc=0
	run_vm "$secs" "$TMP/$name.out" "$@" || rc=$?
	echo "# $name: exit $rc after $((SECONDS - t0)) s"
}
# guest_sum NAME ACTION DISK: the checksum the guest printed for ACTION (blkwrite/blkread) on DISK
# (a size, as the guest names its disks: @64M)
guest_sum() { sed -n "s/.*KVMINI-INIT: $2 $3=[^ ]* [0-9]* \([0-9a-f]*\).*/\1/p" "$TMP/$1.out" | head -n 1; }

# the disks, told apart by size in the guest: raw 64M (PCI), qcow2 1G (MMIO), read-only raw 8M
truncate -s 64M "$TMP/raw.img"
"$KVMINI" img create -f qcow2 "$TMP/q.qcow2" 1G >/dev/null
qbefore=$(du -k "$TMP/q.qcow2" | cut -f1)
head -c $((8 << 20)) /dev/zero >"$TMP/ro.img"
ro_before=$(md5sum <"$TMP/ro.img")
# the block device (32M): detached at exit whatever happens; without loop devices that part skips
truncate -s 32M "$TMP/loop.img"
LOOP=$(losetup -f --show "$TMP/loop.img" 2>"$TMP/losetup.err") || LOOP=
NBD_PID=
trap '[ -n "$LOOP" ] && losetup -d "$LOOP"; [ -n "$NBD_PID" ] && kill $NBD_PID 2>/dev/null; rm -rf "$TMP"' EXIT
loopdisk=() loopact=
if [ -n "$LOOP" ]; then
	loopdisk=(--disk "$LOOP,cache=none")
	loopact=",blkwrite:@32M:13:$SIZE,blkread:@32M:$SIZE"
fi
# NBD: 24M in the guest; the server dies with this script (and is killed at exit)
NBD_DISK=() NBD_ACT=""
if command -v nbdkit >/dev/null; then
	truncate -s 24M "$TMP/nbd.img"
	nbdkit --exit-with-parent -f -U "$TMP/nbd.sock" -P "$TMP/nbd.pid" file "$TMP/nbd.img" &
	NBD_PID=$!
	for _ in $(seq 100); do [ -s "$TMP/nbd.pid" ] && break; sleep 0.1; done
	NBD_DISK=(--disk "nbd+unix:///?socket=$TMP/nbd.sock")
	NBD_ACT="blkwrite:@24M:13:$SIZE,blkread:@24M:$SIZE,"
fi

boot smp2 600 --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --cpus 2 \
	--disk "$TMP/raw.img,format=raw" --disk "$TMP/q.qcow2,format=qcow2,transport=mmio" \
	--disk "$TMP/ro.img,format=raw,readonly" "${loopdisk[@]}" "${NBD_DISK[@]}" \
	--append "console=ttyS0 kvtest=cpus,echo:hello-from-init,cmdline,blkwrite:@64M:7:$SIZE,blkread:@64M:$SIZE,blkwrite:@1G:11:$SIZE,blkwrite:@8M:5:65536$loopact,${NBD_ACT}poweroff"
check "vmlinux, 2 vCPUs: poweroff exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "vmlinux, 2 vCPUs: init started" grep -q 'KVMINI-INIT: start' "$TMP/smp2.out"
check "vmlinux, 2 vCPUs: both CPUs online" grep -q 'KVMINI-INIT: cpus-online 0-1' "$TMP/smp2.out"
check "vmlinux, 2 vCPUs: init ran a command" grep -q 'KVMINI-INIT: echo hello-from-init' "$TMP/smp2.out"
check "vmlinux: the kernel saw ACPI tables (MADT)" grep -q 'ACPI: MADT\|ACPI: APIC' "$TMP/smp2.out"
# a PVM host (its KVM module is loaded) needs the workaround parameters: kvmini must notice
if [ -d /sys/module/kvm_pvm ]; then
	check "PVM host: kvmini said it added the workaround parameters" grep -q 'kvmini: PVM host' "$TMP/smp2.out"
	check "PVM host: the workaround parameters reached the guest's command line" \
		grep -q 'KVMINI-INIT: cmdline .*noxsave.*clearcpuid=' "$TMP/smp2.out"
else
	skip "PVM workaround parameters: this host's KVM is not PVM (no /sys/module/kvm_pvm)"
fi

# raw image over virtio-pci: the guest's bytes are in the file
gsum=$(guest_sum smp2 blkwrite @64M)
hsum=$("$PAT" 7 $SIZE "$TMP/raw.img")
check "raw/pci: the image holds the guest's pattern (guest $gsum, host $hsum)" [ -n "$gsum" -a "$gsum" = "$hsum" ]
check "raw/pci: the guest read back what it wrote" [ -n "$gsum" -a "$(guest_sum smp2 blkread @64M)" = "$gsum" ]

# qcow2 over virtio-mmio: verified through qemu-img, which must also find the image clean
check "qcow2/mmio: the guest wrote its pattern" [ -n "$(guest_sum smp2 blkwrite @1G)" ]
check "qcow2/mmio: qemu-img check passes" qemu-img check "$TMP/q.qcow2"
qemu-img convert -O raw "$TMP/q.qcow2" "$TMP/q.raw"
check "qcow2/mmio: qemu-img reads back the guest's pattern" "$PAT" 11 $SIZE "$TMP/q.raw"
qafter=$(du -k "$TMP/q.qcow2" | cut -f1)
grown=$(( (qafter - qbefore) * 1024 ))
check "qcow2: the file grew by about what was written ($grown bytes for $SIZE)" \
	[ $grown -ge $SIZE -a $grown -le $((SIZE + (2 << 20))) ]

# read-only: the guest's write fails, the file is untouched
check "read-only: the guest's write failed" grep -q 'KVMINI-INIT: blkwrite-error -[0-9]* @8M=/dev/vd' "$TMP/smp2.out"
check "read-only: the image is unchanged" [ "$(md5sum <"$TMP/ro.img")" = "$ro_before" ]

# the loop device: the guest saw it at its size, and its bytes went through to the file
if [ -n "$LOOP" ]; then
	gsum=$(guest_sum smp2 blkwrite @32M)
	losetup -d "$LOOP" && LOOP=
	hsum=$("$PAT" 13 $SIZE "$TMP/loop.img")
	check "block device (loop, cache=none): the file holds the guest's pattern (guest $gsum, host $hsum)" \
		[ -n "$gsum" -a "$gsum" = "$hsum" ]
	check "block device: the guest read back what it wrote" [ -n "$gsum" -a "$(guest_sum smp2 blkread @32M)" = "$gsum" ]
else
	skip "block device as a raw disk: losetup failed ($(head -n 1 "$TMP/losetup.err"))"
fi
# NBD: the guest's bytes reached the served file
if [ -n "$NBD_ACT" ]; then
	gsum=$(guest_sum smp2 blkwrite @24M)
	hsum=$("$PAT" 13 $SIZE "$TMP/nbd.img")
	check "nbd: the served file holds the guest's pattern (guest $gsum, host $hsum)" [ -n "$gsum" -a "$gsum" = "$hsum" ]
	check "nbd: the guest read back what it wrote" [ -n "$gsum" -a "$(guest_sum smp2 blkread @24M)" = "$gsum" ]
	kill "$NBD_PID" 2>/dev/null
else
	skip "nbd disk: nbdkit is not installed (tools/install-deps)"
fi

# the 1-vCPU boot goes through the QEMU front end: qemu-system-x86_64's options, as typed
truncate -s 16M "$TMP/scsi.img"
t0=$SECONDS
rc=0
timeout --kill-after=5 300 "$KVMINI" qemu -enable-kvm -m 256 -smp 1 -no-reboot -nographic \
	-kernel "$BZIMAGE" -initrd "$INITRD" -append "console=ttyS0 kvtest=cpus,blkwrite:/dev/sda:3:65536,reboot" \
	-device virtio-scsi-pci,id=scsi0 -drive "if=none,id=s0,file=$TMP/scsi.img,format=raw" \
	-device scsi-hd,drive=s0,bus=scsi0.0 </dev/null >"$TMP/up1.out" 2>&1 || rc=$?
sed -i 's/\r$//' "$TMP/up1.out"
echo "# up1 (kvmini qemu): exit $rc after $((SECONDS - t0)) s"
check "kvmini qemu -enable-kvm -m 256 -kernel -initrd -append -nographic: the kit booted to init" \
	grep -q 'KVMINI-INIT: start' "$TMP/up1.out"
check "bzImage, 1 vCPU: one CPU online" grep -q 'KVMINI-INIT: cpus-online 0$' "$TMP/up1.out"
check "virtio-scsi: the image holds the guest's pattern (sda on the controller)" "$PAT" 3 65536 "$TMP/scsi.img"
check "bzImage: reboot with -no-reboot exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "bzImage: the guest really rebooted (kernel said so)" grep -q 'reboot: Restarting system' "$TMP/up1.out"

echo "# --- smp2: KVMINI-INIT and kvmini lines"
grep 'KVMINI-INIT\|kvmini:' "$TMP/smp2.out" | sed 's/^/#   /'
echo "# --- up1: last lines"
tail -n 8 "$TMP/up1.out" | sed 's/^/#   /'
