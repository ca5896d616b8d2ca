#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IDE (PIIX3, issue 11): the guest's ata_piix disk with direct I/O, the workload of bench/blk.sh
# (bench/guest/blkbench.c: sequential 1 MiB writes plus a flush and reads of IDE_SEQ_MIB MiB,
# default 4, then 4 KiB random reads at depth 1, IDE_RAND of them, default 32, and at depth
# IDE_QD threads, default 8, IDE_RAND_QD reads, default 32; smaller than blk.sh's: an IDE command
# costs some 20 register exits, each emulated here) on a fresh 64 MiB raw image per run
# (kvmini img create), cache=none. Three guests of the same vmlinux, initramfs and command line:
# kvmini's IDE (--disk ...,if=ide: hda on the PIIX3 at 00:01.1), qemu-system-x86_64 -M pc with
# ide-hd on its PIIX3 (aio=io_uring), and kvmini's own virtio-blk-pci. Ratios: kvmini IDE against
# qemu's IDE, and kvmini IDE against kvmini virtio-blk (the seed: "IDE is slower than virtio").
# BENCH_RUNS runs of each (default 3), interleaved; medians. Several minutes here: every boot's
# kernel mode is emulated on a PVM host, and IDE's MWDMA transfers cost a register exit each.
set -uo pipefail
BENCH_NAME=ide
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800} # a loaded host: boots alone took 5 min
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_vmlinux
SEQ_MIB=${IDE_SEQ_MIB:-4}
NRAND=${IDE_RAND:-32}
QD=${IDE_QD:-8}
NRAND_QD=${IDE_RAND_QD:-32}
SIZE=64 # MiB
[ "$SEQ_MIB" -le $SIZE ] || bench_die "IDE_SEQ_MIB must fit the ${SIZE} MiB image"
MEM=256M
PVM=$(bench_pvm_params)
APPEND="console=ttyS0 quiet kvblk_seq_mib=$SEQ_MIB kvblk_rand=$NRAND kvblk_qd=$QD kvblk_rand_qd=$NRAND_QD"
INITRD=$(bench_guest_initrd blkbench) || exit 1
TMP=$(mktemp -d -p "${BENCH_TMPDIR:-/var/tmp}") # a disk filesystem: cache=none needs O_DIRECT
trap 'rm -rf "$TMP"' EXIT

kvmini_ide_run() { # LOG
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$APPEND kvblk_devs=sda" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot --disk "$TMP/d.raw,format=raw,cache=none,if=ide"
}
kvmini_virtio_run() { # LOG
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$APPEND kvblk_devs=vda" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot --disk "$TMP/d.raw,format=raw,cache=none"
}
qemu_ide_run() { # LOG
	run_serial "$1" "$QEMU" -M pc -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 -nodefaults -display none \
		-serial stdio -no-reboot -kernel "$VMLINUX" -initrd "$INITRD" \
		-append "$APPEND kvblk_devs=sda${PVM:+ $PVM}" \
		-drive "if=none,id=d0,file=$TMP/d.raw,format=raw,cache=none,aio=io_uring" -device ide-hd,drive=d0,bus=ide.0
}

declare -A V=() # V[config,metric]: space-separated per-run values
KVMINI_FAILED=0
one_run() { # CONFIG (kvmini_ide, qemu_ide, kvmini_virtio)
	local cfg=$1 log="$TMP/$1-$i.log" dev=sda ok=1
	[ "$cfg" = kvmini_virtio ] && dev=vda
	bench_new_image raw "$TMP/d.raw" ${SIZE}M
	"${cfg}_run" "$log"
	blkbench_collect "$log" $dev "$cfg" wr rd qd1 "qd$QD" || ok=0
	if [ "$RUN_RC" != 0 ] || [ $ok = 0 ]; then
		blkbench_failed "$cfg" "$log"
		[ "$cfg" = qemu_ide ] || KVMINI_FAILED=1
	fi
	return 0
}

CFGS=(kvmini_ide kvmini_virtio)
[ "$HAVE_QEMU" = 1 ] && CFGS+=(qemu_ide)
for ((i = 1; i <= BENCH_RUNS; i++)); do
	for cfg in "${CFGS[@]}"; do one_run "$cfg"; done
done

m() { median ${V[$1]:-}; }
rows() { # PEER-CONFIG
	table_row "seq write 1M MB/s" "$(m kvmini_ide,wr)" "$(m $1,wr)" higher
	table_row "seq read 1M MB/s" "$(m kvmini_ide,rd)" "$(m $1,rd)" higher
	table_row "rand read 4K QD1 IOPS" "$(m kvmini_ide,qd1)" "$(m $1,qd1)" higher %.1f
	table_row "rand read 4K QD$QD IOPS" "$(m kvmini_ide,qd$QD)" "$(m $1,qd$QD)" higher %.1f
}
WORK="in-guest O_DIRECT on a raw image, ${SEQ_MIB} MiB seq 1 MiB each way, $NRAND random 4 KiB reads at depth 1, $NRAND_QD at depth $QD (threads), cache=none, median of $BENCH_RUNS"
table_begin "ide: kvmini IDE (PIIX3, ata_piix) against qemu -M pc ide-hd: $WORK" qemu
rows qemu_ide
table_end
HAVE_QEMU=1 table_begin "ide: kvmini IDE against kvmini virtio-blk-pci (same image and work)" virtio
HAVE_QEMU=1 rows kvmini_virtio
table_end
echo "  cmdline: $APPEND${PVM:+ $PVM}"
[ "$KVMINI_FAILED" = 0 ] || { echo "  kvmini: some runs FAILED (see above)"; exit 1; }
exit 0
