#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Firmware boot: the GRUB rescue ISO of tools/build-fwkit (test kernel + initramfs-test.cpio) from
# a CD-ROM through SeaBIOS, in kvmini (`--cdrom`: the IDE CD-ROM, PIO, as qemu's) and in qemu -M pc
# (its IDE CD-ROM, the machine `-cdrom` gives), the same Debian SeaBIOS, ISO and memory, in one
# run; then kvmini with the ISO on an AHCI port (DMA: the BIOS's disk reads with fewer exits than
# IDE PIO), against the same qemu run (BENCH_FW_AHCI=0 skips it). Times from process
# start: POST done (SeaBIOS's "Booting from" on its debug port 0x402), the first boot-loader byte
# (GRUB's "KVMINI-GRUB: iso" line on the serial console), the test init's first line, the exit
# after its poweroff. Then kvmini's exits per phase (--stats): a run that stops after POST (a disk
# with no boot signature) against the whole boot, and where the VMM's time went.
# BENCH_RUNS (default 1: a firmware boot takes minutes here), BENCH_TIMEOUT (default 900 s).
set -uo pipefail
BENCH_NAME=firmware
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
BENCH_RUNS=${BENCH_RUNS_FW:-1}
BIOS=/usr/share/seabios/bios-256k.bin
[ -f "$BIOS" ] || bench_die "$BIOS is missing (Debian package seabios)"
KIT=$("$TOP/tools/build-fwkit" 2>/dev/null) || { echo "$BENCH_NAME: skipped: no firmware test images (tools/build-fwkit)"; exit 0; }
ISO=$KIT/test.iso
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
MEM=256

# stamp LOG PREFIX: lines from stdin, each prefixed with ms since T0
stamp() {
	local line
	while IFS= read -r line; do
		printf '%s %s %s\n' "$2" $((($(now_ns) - T0) / 1000000)) "${line%$'\r'}" >>"$1"
	done
}

# fw_run NAME CMD...: runs CMD with serial on stdout and SeaBIOS's debug log on the FIFO $TMP/NAME.dbg
fw_run() {
	local name=$1 log=$TMP/$1.log
	shift
	: >"$log"
	rm -f "$TMP/$name.dbg"
	mkfifo "$TMP/$name.dbg"
	T0=$(now_ns)
	exec 8<>"$TMP/$name.dbg" # a reader from the start: kvmini opens the log non-blocking
	stamp "$log" dbg <&8 &
	local reader=$!
	timeout -k 5 "$BENCH_TIMEOUT" "$@" </dev/null 2>"$TMP/$name.err" | stamp "$log" ser
	RUN_RC=${PIPESTATUS[0]}
	local tend=$((($(now_ns) - T0) / 1000000))
	sleep 0.5
	kill $reader 2>/dev/null
	wait $reader 2>/dev/null
	exec 8>&-
	POST=$(awk -v p="Booting from" '$1 == "dbg" && index($0, p) { print $2; exit }' "$log")
	GRUB=$(awk '$1 == "ser" && /KVMINI-GRUB: iso/ { print $2; exit }' "$log")
	INIT=$(awk '$1 == "ser" && /KVMINI-INIT: start/ { print $2; exit }' "$log")
	EXIT=
	[ "$RUN_RC" = 0 ] && EXIT=$tend
	echo "  $name: exit $RUN_RC, POST ${POST:-?} ms, GRUB ${GRUB:-?} ms, init ${INIT:-?} ms, end $tend ms"
}

kvmini_iso() {
	fw_run kvmini-$1 "$KVMINI" run --mem ${MEM}M --cdrom "$ISO" --boot order=d --serial stdio \
		--bios "$BIOS" --bios-log "$TMP/kvmini-$1.dbg" --stats
}
kvmini-ahci_iso() {
	fw_run kvmini-ahci-$1 "$KVMINI" run --mem ${MEM}M --disk "$ISO,if=sata,media=cdrom" --boot order=d --serial stdio \
		--bios "$BIOS" --bios-log "$TMP/kvmini-ahci-$1.dbg" --stats
}
qemu_iso() {
	fw_run qemu-$1 "$QEMU" -enable-kvm -M pc -cpu "$QEMU_CPU" -m $MEM -display none -nodefaults -serial stdio \
		-bios "$BIOS" -cdrom "$ISO" -boot d -no-reboot \
		-chardev file,id=dbg,path="$TMP/qemu-$1.dbg" -device isa-debugcon,iobase=0x402,chardev=dbg
}

declare -A v
for i in $(seq 1 "$BENCH_RUNS"); do
	for vmm in kvmini qemu kvmini-ahci; do
		[ $vmm = qemu ] && [ "$HAVE_QEMU" = 0 ] && continue
		[ $vmm = kvmini-ahci ] && [ "${BENCH_FW_AHCI:-1}" = 0 ] && continue
		${vmm}_iso $i
		[ "$RUN_RC" = 0 ] || { echo "  $vmm run $i: exit $RUN_RC:"; tail -n 5 "$TMP/$vmm-$i.err" "$TMP/$vmm-$i.log" | sed 's/^/    /'; }
		v[$vmm.post]+="${POST:+$POST }"
		v[$vmm.grub]+="${GRUB:+$GRUB }"
		v[$vmm.init]+="${INIT:+$INIT }"
		v[$vmm.exit]+="${EXIT:+$EXIT }"
	done
done
s() { echo "$(median ${v[$1]:-}) / 1000" | bc -l 2>/dev/null | sed 's/^\./0./'; }
table_begin "firmware boot of the GRUB ISO to init, $MEM MiB, median of $BENCH_RUNS (s from start)" qemu
table_row "SeaBIOS POST done ('Booting from')" "$(s kvmini.post)" "$(s qemu.post)" lower
table_row "first boot-loader byte (GRUB's line)" "$(s kvmini.grub)" "$(s qemu.grub)" lower
table_row "test init's first line" "$(s kvmini.init)" "$(s qemu.init)" lower
table_row "exit after poweroff" "$(s kvmini.exit)" "$(s qemu.exit)" lower
if [ "${BENCH_FW_AHCI:-1}" != 0 ]; then
	table_begin "the same, kvmini's CD-ROM on AHCI (DMA) against qemu's IDE (s from start)" qemu
	table_row "SeaBIOS POST done ('Booting from')" "$(s kvmini-ahci.post)" "$(s qemu.post)" lower
	table_row "first boot-loader byte (GRUB's line)" "$(s kvmini-ahci.grub)" "$(s qemu.grub)" lower
	table_row "test init's first line" "$(s kvmini-ahci.init)" "$(s qemu.init)" lower
	table_row "exit after poweroff" "$(s kvmini-ahci.exit)" "$(s qemu.exit)" lower
fi

# exits per phase: POST alone (SeaBIOS ends on a blank disk) against the whole ISO boot above
truncate -s 1M "$TMP/blank.img"
"$KVMINI" run --mem ${MEM}M --disk "$TMP/blank.img" --boot order=c --serial none --stats \
	</dev/null >"$TMP/post.out" 2>&1
total() { awk '/^total:/ { print $2; exit }' "$1"; }
post=$(total "$TMP/post.out")
all=$(total "$TMP/kvmini-1.err")
echo
echo "== kvmini exits per phase (--stats) =="
echo "  POST (SeaBIOS to 'No bootable device'): ${post:-?} exits"
echo "  whole ISO boot to poweroff:             ${all:-?} exits"
[ -n "$post" ] && [ -n "$all" ] && echo "  after POST (GRUB reading the ISO, Linux): $((all - post)) exits"
ahci=$(total "$TMP/kvmini-ahci-1.err" 2>/dev/null)
[ -n "$ahci" ] && echo "  whole ISO boot, CD-ROM on AHCI (DMA):    $ahci exits"
echo "  the ISO boot's busiest exits (count, VMM time):"
awk '/^total:/ { t = 1; next } t && /^  (pio|mmio|exit) / { print "    " $0 } t && /^serial/ { exit }' \
	"$TMP/kvmini-1.err" | head -n 12
