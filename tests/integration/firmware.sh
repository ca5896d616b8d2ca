# SPDX-License-Identifier: GPL-2.0-or-later
# Firmware boot through SeaBIOS (no --kernel), on the images tools/build-fwkit caches: a GRUB rescue
# ISO with the test kernel, a raw disk with GRUB in its first sectors. One Linux boot only (through
# firmware it takes minutes here; the issue measured ~159 s to init with qemu):
#  - bad input, each one line: a missing and a corrupt --bios, --initrd without --kernel, a bad
#    --boot; a disk with no boot signature ends the run with SeaBIOS's "No bootable device" (kvmini
#    stops the VM when SeaBIOS reports it, exit status 1) instead of SeaBIOS's endless retries;
#  - the GRUB disk (virtio-blk) and the ISO (virtio-scsi CD-ROM) both present, --boot order=cd:
#    the disk's GRUB runs (its line on the console) and halts through kvmini's ACPI tables (exit 0);
#  - `kvmini qemu -hda grub-disk.img -cdrom test.iso -boot c`: the disk boots as the IDE master;
#  - through the QEMU front end, `kvmini qemu -enable-kvm -m 256 -cdrom test.iso -boot d -nographic`
#    with -smp 2 and the GRUB disk as -hda (-snapshot: the cached image is never written): -boot d
#    picks the ISO (IDE CD-ROM, El Torito) over the disk, its GRUB boots Linux, the test init runs
#    with both CPUs (the ACPI MADT came through SeaBIOS's table loader) and powers off through ACPI;
#  - the seed's first line as written, with the ISO: `kvmini img create -f qcow2 ubuntutest.img 8G`,
#    `kvmini qemu -enable-kvm -name ubuntutest -m 2048 -hda ubuntutest.img -cdrom test.iso -boot d
#    -vnc :19`: a vncsnapshot (RFB 3.3) on port 5919 shows SeaBIOS's text and then GRUB's welcome
#    (the VGA BIOS drew into the bochs-display), `kvmini destroy ubuntutest` stops it (no Linux);
#  - the seed's second line, paused (-S), in a network namespace: kvmini creates tap0 and holds it
#    while the VM lives; it is gone once QMP quit ends the VM.
# On a failure the run's SeaBIOS debug log (--bios-log, or QEMU's -chardev file + isa-debugcon at
# port 0x402) is printed.
. "$(dirname "$0")/lib.bash"
need_kvm "firmware boot"
BIOS=/usr/share/seabios/bios-256k.bin
[ -f "$BIOS" ] || { not_ok "SeaBIOS is missing (tools/install-deps: seabios)"; exit 1; }
RUN=$KVMINI_RUNTIME_DIR
for t in vncsnapshot /usr/bin/python3; do
	command -v $t >/dev/null || { not_ok "firmware boot: $t is missing (tools/install-deps)"; exit 1; }
done
KIT=$("$TOP/tools/build-fwkit" 2>"$TMP/fwkit.err") || { not_ok "firmware test images: $(tail -n 1 "$TMP/fwkit.err")"; exit 1; }
ISO=$KIT/test.iso
DISK=$KIT/grub-disk.img

# plain FILE: without terminal escapes. GRUB's text reaches the serial port through SeaBIOS's
# serial console, which moves the cursor with ANSI sequences wherever it flushes the screen, even
# inside a word ("K\e[06;02HVMINI-GRUB: disk", seen in a CI run)
plain() { sed -i -E 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' "$1"; }
# fw NAME SECONDS ARGS...: a firmware run; output in $TMP/NAME.out, SeaBIOS's log in NAME.bios, status in $rc
fw() {
	local name=$1 secs=$2
	shift 2
	local t0=$SECONDS
	rc=0
	run_vm "$secs" "$TMP/$name.out" --bios-log "$TMP/$name.bios" "$@" || rc=$?
	plain "$TMP/$name.out"
	echo "# $name: exit $rc after $((SECONDS - t0)) s"
}
# fcheck NAME DESCRIPTION COMMAND...: a result line; on failure the run's console and SeaBIOS log
fcheck() {
	local name=$1 desc=$2
	shift 2
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# --- $name: console and kvmini ---"
		sed 's/^/# /' "$TMP/$name.out" | tail -n 40
		echo "# --- $name: SeaBIOS debug log ---"
		[ -f "$TMP/$name.bios" ] && sed 's/^/# /' "$TMP/$name.bios" | tail -n 60
	fi
}
# one_line NAME STATUS PATTERN: exit STATUS and one "kvmini: " line matching PATTERN
one_line() {
	[ "$rc" -eq "$2" ] && [ "$(grep -c '^kvmini: ' "$TMP/$1.out")" -eq 1 ] && grep -q "$3" "$TMP/$1.out"
}

fw nobios 20 --bios "$TMP/none.bin" --disk "$DISK,readonly"
fcheck nobios "missing --bios file: one line, exit 1" one_line nobios 1 "^kvmini: --bios $TMP/none.bin: "
head -c 131072 /dev/zero >"$TMP/zero.bin"
fw zerobios 20 --bios "$TMP/zero.bin" --disk "$DISK,readonly"
fcheck zerobios "corrupt --bios file: one line, exit 1" one_line zerobios 1 "not a BIOS image"
head -c 1000 "$BIOS" >"$TMP/short.bin"
fw shortbios 20 --bios "$TMP/short.bin"
fcheck shortbios "truncated --bios file: one line, exit 1" one_line shortbios 1 "not a BIOS image"
fw initrd 20 --initrd "$ISO"
fcheck initrd "--initrd without --kernel: one line, exit 2" one_line initrd 2 "needs --kernel"
fw badboot 20 --boot order=n --disk "$DISK,readonly"
fcheck badboot "--boot order=n: one line, exit 2" one_line badboot 2 "^kvmini: .*--boot order=n: .n. is not a device"

truncate -s 1M "$TMP/blank.img"
fw noboot 300 --disk "$TMP/blank.img" --boot order=c
fcheck noboot "no boot signature: SeaBIOS's 'No bootable device' on the console, exit 1 with one line" \
	sh -c "[ $rc -eq 1 ] && grep -q 'No bootable device' '$TMP/noboot.out' && grep -q 'kvmini: firmware: No bootable device' '$TMP/noboot.out'"

fw disk 400 --disk "$DISK,readonly" --cdrom "$ISO" --boot order=cd
fcheck disk "--boot order=cd with a GRUB disk and the ISO: the disk's GRUB runs (virtio-blk) and halts through ACPI" \
	sh -c "[ $rc -eq 0 ] && grep -q 'KVMINI-GRUB: d' '$TMP/disk.out' && ! grep -q 'KVMINI-GRUB: iso' '$TMP/disk.out'"
fcheck disk "SeaBIOS was handed the disk first in its bootorder file" \
	grep -q 'Searching bootorder for: /pci@i0cf8/\*@[0-9a-f]*$' "$TMP/disk.bios"

# qfw NAME SECONDS ARGS...: as fw, through `kvmini qemu ARGS` with SeaBIOS's log the QEMU way
qfw() {
	local name=$1 secs=$2
	shift 2
	local t0=$SECONDS
	rc=0
	timeout --kill-after=5 "$secs" "$KVMINI" qemu "$@" -chardev "file,id=seabios,path=$TMP/$name.bios" \
		-device isa-debugcon,iobase=0x402,chardev=seabios </dev/null >"$TMP/$name.out" 2>&1 || rc=$?
	sed -i 's/\r$//' "$TMP/$name.out"
	plain "$TMP/$name.out"
	echo "# $name: exit $rc after $((SECONDS - t0)) s"
}

# the raw GRUB disk as -hda (IDE primary master) with the ISO present, -boot c: the disk boots
qfw hda 400 -enable-kvm -m 256 -hda "$DISK" -cdrom "$ISO" -boot c -nographic -snapshot
fcheck hda "kvmini qemu -hda grub-disk.img -cdrom test.iso -boot c: the disk's GRUB runs (IDE) and halts through ACPI" \
	sh -c "[ $rc -eq 0 ] && grep -q 'KVMINI-GRUB: d' '$TMP/hda.out' && ! grep -q 'KVMINI-GRUB: iso' '$TMP/hda.out'"
fcheck hda "SeaBIOS was handed the IDE disk first (-boot c)" \
	sh -c "grep -m1 'Searching bootorder for: /pci' '$TMP/hda.bios' | grep -q '/drive@0/disk@0$'"

qfw iso 1800 -enable-kvm -m 256 -cdrom "$ISO" -boot d -nographic -smp 2 -hda "$DISK" -snapshot
fcheck iso "kvmini qemu -cdrom test.iso -boot d -nographic (GRUB disk as -hda): the ISO's GRUB (IDE CD-ROM, El Torito) boots Linux to the test init" \
	sh -c "grep -q 'KVMINI-GRUB: iso' '$TMP/iso.out' && grep -q 'KVMINI-INIT: echo firmware-iso' '$TMP/iso.out' && ! grep -q 'KVMINI-GRUB: d' '$TMP/iso.out'"
fcheck iso "firmware-booted guest: 2 CPUs (kvmini's MADT through the table loader), poweroff through ACPI exits 0" \
	sh -c "grep -q 'KVMINI-INIT: cpus-online 0-1' '$TMP/iso.out' && [ $rc -eq 0 ]"

# the seed's first line, as written, on the ISO; the screen through a real VNC client
cd "$TMP" || exit 1
"$KVMINI" img create -f qcow2 ubuntutest.img 8G >/dev/null
timeout --kill-after=5 600 "$KVMINI" qemu -enable-kvm -name ubuntutest -m 2048 -hda ubuntutest.img -cdrom "$ISO" \
	-boot d -vnc :19 -chardev "file,id=seabios,path=$TMP/seed.bios" -device isa-debugcon,iobase=0x402,chardev=seabios \
	</dev/null >"$TMP/seed.out" 2>&1 &
SEED=$!
# lit FILE Y0 Y1: how many pixels of the text rows Y0..Y1 (left 320 columns) are bright: SeaBIOS's
# banner and "Booting from DVD/CD..." are the first two text lines (y 0..31), GRUB's "Welcome to
# GRUB!" the third (y 32..47)
lit() {
	/usr/bin/python3 -c 'import sys; from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
print(sum(1 for y in range(int(sys.argv[2]), int(sys.argv[3]) + 1) for x in range(320) if sum(im.getpixel((x, y))) > 300))' "$@" 2>/dev/null || echo 0
}
bios=0 grub=0
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 500 ] && kill -0 $SEED 2>/dev/null; do
	if vncsnapshot -quiet -quality 100 127.0.0.1:19 "$TMP/seed.jpg" >/dev/null 2>&1; then
		bios=$(lit "$TMP/seed.jpg" 0 31)
		grub=$(lit "$TMP/seed.jpg" 32 47)
	fi
	[ "$grub" -ge 50 ] && break
	sleep 3
done
echo "# seed line: screen after $((SECONDS - t0)) s: $bios bright pixels in the BIOS lines, $grub in GRUB's"
fcheck seed "the seed's line: vncsnapshot on port 5919 shows SeaBIOS's text screen ($bios bright pixels)" [ "$bios" -ge 200 ]
fcheck seed "the seed's line: -boot d boots the ISO, GRUB's welcome on the screen ($grub bright pixels)" [ "$grub" -ge 50 ]
"$KVMINI" destroy ubuntutest >"$TMP/destroy.out" 2>&1
wait_gone $SEED || kill -KILL $SEED 2>/dev/null
check "kvmini destroy ubuntutest stops the seed's VM ($(head -c 200 "$TMP/destroy.out"))" bash -c "! kill -0 $SEED 2>/dev/null"

# the seed's second line, paused, its tap in a namespace of its own (never the host's tap0)
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
	skip "the seed's -net tap line: needs root, /dev/net/tun and ip"
else
	NETNS=kvmini-fw-$$
	ip netns add "$NETNS"
	ip netns exec "$NETNS" "$KVMINI" qemu -enable-kvm -name ubuntutest -m 2048 -hda ubuntutest.img -cdrom "$ISO" -boot d \
		-net nic,model=virtio -net tap,ifname=tap0,script=no,downscript=no -S </dev/null >"$TMP/tap.out" 2>&1 &
	TAPVM=$!
	for _ in $(seq 100); do [ -S "$RUN/ubuntutest.qmp" ] && break; sleep 0.2; done
	python3 "$TOP/tests/tools/qmpclient.py" "$RUN/ubuntutest.qmp" query-status >"$TMP/tap.status" 2>&1
	check "the seed's -net nic,model=virtio -net tap,ifname=tap0 line (-S): the VM waits paused with tap0 open ($(cat "$TMP/tap.status"))" \
		bash -c "grep -q paused '$TMP/tap.status' && ip netns exec $NETNS ip -d link show tap0 | grep -q 'tun type tap'"
	python3 "$TOP/tests/tools/qmpclient.py" "$RUN/ubuntutest.qmp" quit >/dev/null 2>&1
	wait_gone $TAPVM || kill -KILL $TAPVM 2>/dev/null
	check "QMP quit ends it and tap0 goes with it" bash -c "! kill -0 $TAPVM 2>/dev/null && ! ip netns exec $NETNS ip link show tap0 2>/dev/null"
	[ -s "$TMP/tap.out" ] && sed 's/^/# tap run: /' "$TMP/tap.out" | head -n 5
	ip netns del "$NETNS"
fi
