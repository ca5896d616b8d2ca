#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Linux boot: the test kernel (vmlinux) + initramfs-test.cpio with `kvtest=poweroff`, in kvmini
# and in qemu -M microvm (same vmlinux, initrd and command line, the PVM parameters included),
# BENCH_RUNS times each (default 3), interleaved. Medians of the time from process start to the
# guest's `KVMINI-INIT: start` line on the serial console, and to the VMM's exit after poweroff,
# and the VMM's CPU seconds; kvmini also with --pci on (the board before PCI-on-demand) to show
# what not having a PCI bus saves, then the timeline and exit profile of one kvmini boot. Also the
# guest's work, independent of the host's load: the instructions KVM's emulator ran for the guest
# kernel (insn_emulation, from kvmini's --stats and from qemu's query-stats over QMP).
# BENCH_VMLINUX / BENCH_INITRD override the kit files (tools/guest-path).
set -uo pipefail
BENCH_NAME=boot
# a Linux boot takes 30-90 s on an idle PVM host, 10 min and more when the host is loaded
: "${BENCH_TIMEOUT:=1200}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_linux_kit
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

APPEND="console=ttyS0 quiet kvtest=poweroff"
PVM=$(bench_pvm_params)
MEM=256M
# the microvm with ACPI (the guest powers off through the ACPI GED sleep register) and with its
# CMOS RTC, as kvmini's board has one: under KVM the microvm leaves the RTC out by default
# (rtc=auto), and the guest's rtc_cmos then polls the absent chip (0xff: update in progress)
# until it gives up, measured 37 s of a 270 s boot on a loaded host: not a like-for-like board
QEMU_MACHINE="${QEMU_MACHINE:-microvm,acpi=on,rtc=on}"

# CPU seconds of the VMM process (user + sys: a PVM guest's kernel mode counts as sys): on a loaded
# host the guest's own work, where wall time also holds the wait for a CPU
# (a command, not a function: run_serial starts it through timeout)
CPUTIME=(/usr/bin/time -q -f "%U %S" -o)
# --stats only adds its table at exit (the guest's ~800 userspace exits cost nothing measurable)
kvmini_boot() { run_serial "$1" "${CPUTIME[@]}" "$1.cpu" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$APPEND" \
	--mem $MEM --cpus 1 --serial stdio --stats "${@:2}"; }
# the board as it was before each boot-time change, to show what the change saves
kvminipci_boot() { kvmini_boot "$1" --pci on; }
# with python3, qemu stays after the guest's poweroff (-no-shutdown) until qemu_kvmstats.py has read
# its KVM statistics and sent quit (a few ms on the time to exit)
QSTATS=()
command -v python3 >/dev/null && QSTATS=(-no-shutdown -qmp "unix:$TMP/qmp.sock,server=on,wait=off")
qemu_boot() {
	local helper=
	rm -f "$TMP/qmp.sock" "$1.kstats"
	if [ ${#QSTATS[@]} != 0 ]; then
		python3 "$TOP/bench/qemu_kvmstats.py" "$TMP/qmp.sock" "$1.kstats" "$BENCH_TIMEOUT" 2>"$1.qmperr" &
		helper=$!
	fi
	run_serial "$1" "${CPUTIME[@]}" "$1.cpu" "$QEMU" -M "$QEMU_MACHINE" -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 \
		-nographic -no-reboot "${QSTATS[@]}" -kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND${PVM:+ $PVM}"
	[ -z "$helper" ] || wait "$helper"
}
# insn LOG: millions of instructions emulated for the guest (kvmini's --stats table or qemu's file)
insn() { { grep -o -m1 'insn_emulation [0-9]*' "$1.err" "$1.kstats" 2>/dev/null || true; } | awk '{ printf "%.2f\n", $2 / 1e6; exit }'; }

# one_run NAME FUNC: appends to NAME_init / NAME_exit; reports failures
one_run() {
	local name=$1 log="$TMP/$1-$i.log"
	"$2" "$log"
	local -n init=${name}_init exit=${name}_exit cpu=${name}_cpu ins=${name}_insn
	if [ -n "$RUN_INIT_MS" ]; then init+=("$RUN_INIT_MS"); fi
	if [ "$RUN_RC" = 0 ] && [ -n "$RUN_EXIT_MS" ] && [ -n "$RUN_INIT_MS" ]; then
		exit+=("$RUN_EXIT_MS")
		cpu+=("$(awk '{ s = $1 + $2 } END { printf "%.2f\n", s }' "$log.cpu" 2>/dev/null)")
		local n
		n=$(insn "$log")
		[ -z "$n" ] || ins+=("$n")
	else
		echo "  $name run $i: FAILED ($(run_status)${RUN_INIT_MS:+, reached init}$([ -n "$RUN_INIT_MS" ] || echo ", never reached init")); last output:"
		{ tail -n 4 "$log"; tail -n 4 "$log.err"; } | sed 's/^/    | /'
	fi
}

kvmini_init=() kvmini_exit=() qemu_init=() qemu_exit=() kvminipci_init=() kvminipci_exit=()
kvmini_cpu=() qemu_cpu=() kvminipci_cpu=() kvmini_insn=() qemu_insn=() kvminipci_insn=()
for ((i = 1; i <= BENCH_RUNS; i++)); do
	one_run kvmini kvmini_boot
	one_run kvminipci kvminipci_boot
	[ "$HAVE_QEMU" = 1 ] && one_run qemu qemu_boot
done
# where the time goes: the boot timeline and the exit profile of one boot (--boot-trace --stats)
"$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$APPEND" --mem $MEM --cpus 1 --serial none \
	--boot-trace --stats </dev/null >"$TMP/profile" 2>&1
echo "== boot: timeline and exit profile of one kvmini boot (total, top rows) =="
sed -n '/^boot timeline/,$p' "$TMP/profile"
sed -n '/^total:/,/^  in KVM/p' "$TMP/profile" | head -n 14 | cut -c1-150

table_begin "boot: vmlinux + initramfs-test.cpio to init and poweroff, $MEM, 1 vCPU, median of $BENCH_RUNS (qemu -M $QEMU_MACHINE)" qemu
table_row "ms to init (KVMINI-INIT: start)" "$(median "${kvmini_init[@]}")" "$(median "${qemu_init[@]}")" lower
table_row "ms to exit after poweroff" "$(median "${kvmini_exit[@]}")" "$(median "${qemu_exit[@]}")" lower
table_row "VMM CPU s to poweroff (user+sys)" "$(median "${kvmini_cpu[@]}")" "$(median "${qemu_cpu[@]}")" lower %.2f
table_row "guest kernel insns emulated, millions" "$(median "${kvmini_insn[@]}")" "$(median "${qemu_insn[@]}")" lower %.2f
table_row "  --pci on (a PCI bus with no device): init" "$(median "${kvminipci_init[@]}")" "$(median "${qemu_init[@]}")" lower
table_row "  --pci on: exit after poweroff" "$(median "${kvminipci_exit[@]}")" "$(median "${qemu_exit[@]}")" lower
table_row "  --pci on: VMM CPU s" "$(median "${kvminipci_cpu[@]}")" "$(median "${qemu_cpu[@]}")" lower %.2f
# saving BEFORE AFTER [UNIT]: the difference and its share of BEFORE
saving() { awk -v a="$1" -v b="$2" -v u="${3:-ms}" 'BEGIN { if (a != "" && b != "") printf "%.2f %s (%.1f %%)", a - b, u, (a - b) * 100 / a; else print "n/a" }'; }
echo "  saving of no PCI bus when no device needs one: $(saving "$(median "${kvminipci_init[@]}")" "$(median "${kvmini_init[@]}")") to init, $(saving "$(median "${kvminipci_exit[@]}")" "$(median "${kvmini_exit[@]}")") to exit, $(saving "$(median "${kvminipci_cpu[@]}")" "$(median "${kvmini_cpu[@]}")" s) of CPU"
echo "  runs that succeeded: kvmini ${#kvmini_exit[@]}/$BENCH_RUNS${HAVE_QEMU:+}$([ "$HAVE_QEMU" = 1 ] && echo ", qemu ${#qemu_exit[@]}/$BENCH_RUNS")"
echo "  cmdline: $APPEND${PVM:+ $PVM}"
[ ${#kvmini_exit[@]} -gt 0 ] || { echo "  kvmini: FAILED to boot Linux to poweroff (see above)"; exit 1; }
exit 0
