#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# virtio-blk inside the guest with direct I/O: sequential 1 MiB writes (plus one flush) and reads
# of BLK_SEQ_MIB MiB (default 16), then BLK_RAND (default 500) 4 KiB reads at random offsets in
# that range. kvmini (virtio-mmio, like qemu's microvm; and virtio-pci) against qemu -M microvm
# with virtio-blk-device, cache=none on both, same vmlinux, initramfs and command line, on a
# fresh 64 MiB image of the same recipe per run (raw, then qcow2). BENCH_RUNS runs of each,
# interleaved; medians of MB/s (10^6 bytes/s) and IOPS, and the ratio kvmini/qemu.
# The guest program is bench/guest/blkbench.c, built here with `cc -static` as the only file of
# an initramfs under build/bench/. BENCH_VMLINUX overrides the kit's vmlinux.
set -uo pipefail
BENCH_NAME=blk
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
VMLINUX="${BENCH_VMLINUX:-$(bench_kit vmlinux)}"
[ -n "$VMLINUX" ] || { echo "$BENCH_NAME: skipped: the Linux test kit is not built (make kit)"; exit 0; }
SEQ_MIB=${BLK_SEQ_MIB:-16}
NRAND=${BLK_RAND:-500}
IMG_SIZE=64M
[ "$SEQ_MIB" -le 64 ] || bench_die "BLK_SEQ_MIB must fit the $IMG_SIZE image"
MEM=256M
QEMU_MACHINE="${QEMU_MACHINE:-microvm,acpi=on}"
PVM=$(bench_pvm_params)
APPEND="console=ttyS0 quiet kvblk_seq_mib=$SEQ_MIB kvblk_rand=$NRAND"

# the guest program and its one-file initramfs (rebuilt when the source changes)
mkdir -p "$BENCH_BUILD"
SRC="$TOP/bench/guest/blkbench.c"
INITRD="$BENCH_BUILD/blkbench.cpio"
if [ ! -f "$INITRD" ] || [ "$SRC" -nt "$INITRD" ]; then
	root=$(mktemp -d)
	cc -static -O2 -Wall -o "$root/init" "$SRC" || { rm -rf "$root"; bench_die "cannot build $SRC (cc -static needs libc6-dev)"; }
	(cd "$root" && echo init | cpio -o -H newc --quiet >"$INITRD.tmp") && mv "$INITRD.tmp" "$INITRD"
	rm -rf "$root"
	[ -f "$INITRD" ] || bench_die "cannot pack $INITRD"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

new_image() { # FORMAT FILE: a fresh image, the same recipe for every VMM
	rm -f "$2"
	"$KVMINI" img create -f "$1" "$2" $IMG_SIZE >/dev/null || bench_die "kvmini img create -f $1 failed"
}
kvmini_run() { # LOG FORMAT IMAGE TRANSPORT
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$APPEND" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot --disk "$3,format=$2,cache=none,transport=$4"
}
qemu_run() { # LOG FORMAT IMAGE
	run_serial "$1" "$QEMU" -M "$QEMU_MACHINE" -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 \
		-nographic -no-reboot -kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND${PVM:+ $PVM}" \
		-drive "if=none,id=d0,file=$3,format=$2,cache=none" -device virtio-blk-device,drive=d0
}

# one_run CONFIG FORMAT: boots once on a fresh image; appends to <CONFIG>_<FORMAT>_{wr,rd,iops}
one_run() {
	local cfg=$1 fmt=$2 log="$TMP/$1-$2-$i.log" img="$TMP/disk.$2" wr rd rr
	new_image "$fmt" "$img"
	case $cfg in
	kmmio) kvmini_run "$log" "$fmt" "$img" mmio ;;
	kpci) kvmini_run "$log" "$fmt" "$img" pci ;;
	qemu) qemu_run "$log" "$fmt" "$img" ;;
	esac
	# MB/s = bytes / ns * 1000; IOPS = n / ns * 1e9
	wr=$(sed -n 's/^KVBLK: seq-write mib=\([0-9]*\) ns=\([0-9]*\).*/\1 \2/p' "$log" | awk '{ printf "%.2f", $1 * 1048576 / $2 * 1000 }')
	rd=$(sed -n 's/^KVBLK: seq-read mib=\([0-9]*\) ns=\([0-9]*\).*/\1 \2/p' "$log" | awk '{ printf "%.2f", $1 * 1048576 / $2 * 1000 }')
	rr=$(sed -n 's/^KVBLK: rand-read n=\([0-9]*\) ns=\([0-9]*\).*/\1 \2/p' "$log" | awk '{ printf "%.1f", $1 / $2 * 1e9 }')
	local -n W=${cfg}_${fmt}_wr R=${cfg}_${fmt}_rd Q=${cfg}_${fmt}_iops
	[ -z "$wr" ] || W+=("$wr")
	[ -z "$rd" ] || R+=("$rd")
	[ -z "$rr" ] || Q+=("$rr")
	if [ "$RUN_RC" != 0 ] || [ -z "$rr" ]; then
		echo "  $cfg $fmt run $i: FAILED ($(run_status)); last output:"
		{ grep 'KVBLK: error' "$log"; tail -n 4 "$log"; tail -n 4 "$log.err"; } | sed 's/^/    | /'
		[ "$cfg" = qemu ] || KVMINI_FAILED=1
	fi
}

CONFIGS=(kmmio kpci)
[ "$HAVE_QEMU" = 1 ] && CONFIGS+=(qemu)
KVMINI_FAILED=0
for fmt in raw qcow2; do
	for cfg in kmmio kpci qemu; do
		declare -a "${cfg}_${fmt}_wr=()" "${cfg}_${fmt}_rd=()" "${cfg}_${fmt}_iops=()"
	done
	for ((i = 1; i <= BENCH_RUNS; i++)); do
		for cfg in "${CONFIGS[@]}"; do one_run "$cfg" "$fmt"; done
	done
done

m() { local -n a=$1; median "${a[@]}"; }
for fmt in raw qcow2; do
	table_begin "blk $fmt: in-guest O_DIRECT, ${SEQ_MIB} MiB seq 1 MiB each way, $NRAND random 4 KiB reads, cache=none, median of $BENCH_RUNS (qemu -M $QEMU_MACHINE, virtio-blk-device)" qemu
	for tr in mmio pci; do
		c=k$tr
		table_row "seq write 1M MB/s (kvmini $tr)" "$(m ${c}_${fmt}_wr)" "$(m qemu_${fmt}_wr)" higher
		table_row "seq read 1M MB/s (kvmini $tr)" "$(m ${c}_${fmt}_rd)" "$(m qemu_${fmt}_rd)" higher
		table_row "rand read 4K IOPS (kvmini $tr)" "$(m ${c}_${fmt}_iops)" "$(m qemu_${fmt}_iops)" higher %.0f
	done
	table_end
done
echo "  qemu's column is virtio-mmio in every row; every run gets a fresh $IMG_SIZE image (kvmini img create)"
echo "  cmdline: $APPEND${PVM:+ $PVM}"
[ "$KVMINI_FAILED" = 0 ] || { echo "  kvmini: some runs FAILED (see above)"; exit 1; }
exit 0
