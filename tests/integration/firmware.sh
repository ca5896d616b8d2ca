# SPDX-License-Identifier: GPL-2.0-or-later
# Firmware boot through SeaBIOS (no --kernel), on the images tools/build-fwkit caches: a GRUB rescue
# ISO with the test kernel, a raw disk with GRUB in its first sectors. One Linux boot only (through
# firmware it takes minutes here; the issue measured ~159 s to init with qemu):
#  - bad input, each one line: a missing and a corrupt --bios, --initrd without --kernel, a bad
#    --boot; a disk with no boot signature ends the run with SeaBIOS's "No bootable device" (kvmini
#    stops the VM when SeaBIOS reports it, exit status 1) instead of SeaBIOS's endless retries;
#  - the GRUB disk (virtio-blk) and the ISO (virtio-scsi CD-ROM) both present, --boot order=cd:
#    the disk's GRUB runs (its line on the console) and halts through kvmini's ACPI tables (exit 0);
#  - both present, --boot order=dc, 2 vCPUs: the ISO's GRUB runs, boots Linux, the test init runs
#    with both CPUs (the ACPI MADT came through SeaBIOS's table loader) and powers off through ACPI.
# On a failure the run's SeaBIOS debug log (--bios-log, port 0x402) is printed.
. "$(dirname "$0")/lib.bash"
need_kvm "firmware boot"
BIOS=/usr/share/seabios/bios-256k.bin
[ -f "$BIOS" ] || { not_ok "SeaBIOS is missing (tools/install-deps: seabios)"; exit 1; }
KIT=$("$TOP/tools/build-fwkit" 2>"$TMP/fwkit.err") || { not_ok "firmware test images: $(tail -n 1 "$TMP/fwkit.err")"; exit 1; }
ISO=$KIT/test.iso
DISK=$KIT/grub-disk.img

# fw NAME SECONDS ARGS...: a firmware run; output in $TMP/NAME.out, SeaBIOS's log in NAME.bios, status in $rc
fw() {
	local name=$1 secs=$2
	shift 2
	local t0=$SECONDS
	rc=0
	run_vm "$secs" "$TMP/$name.out" --bios-log "$TMP/$name.bios" "$@" || rc=$?
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

fw iso 900 --cpus 2 --mem 256M --disk "$DISK,readonly" --cdrom "$ISO" --boot order=dc
fcheck iso "--boot order=dc: the ISO's GRUB (--cdrom: the IDE CD-ROM, El Torito) boots Linux to the test init" \
	sh -c "grep -q 'KVMINI-GRUB: iso' '$TMP/iso.out' && grep -q 'KVMINI-INIT: echo firmware-iso' '$TMP/iso.out'"
fcheck iso "firmware-booted guest: 2 CPUs (kvmini's MADT through the table loader), poweroff through ACPI exits 0" \
	sh -c "grep -q 'KVMINI-INIT: cpus-online 0-1' '$TMP/iso.out' && [ $rc -eq 0 ]"
