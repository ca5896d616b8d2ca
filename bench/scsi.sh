#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# virtio-scsi inside the guest with direct I/O (issue 10, item 6): kvmini's virtio-scsi against
# kvmini's virtio-blk and against qemu-system-x86_64's virtio-scsi-pci + scsi-hd, on the same raw
# image recipe (64 MiB, fresh per run), the same vmlinux and guest program (bench/guest/blkbench.c,
# as bench/blk.sh uses it): sequential 1 MiB writes (plus one flush) and reads of SCSI_SEQ_MIB MiB
# (default 8), 4 KiB reads at random offsets at depth 1 (SCSI_RAND, default 128) and at depth
# SCSI_QD (default 32 threads, SCSI_RAND_QD reads, default 256), then SCSI_RANDW (default 128)
# 4 KiB writes at random offsets at depth 1 and one flush. cache=none everywhere (qemu:
# aio=io_uring), one vCPU, PCI (qemu -M microvm,pcie=on, as bench/blk.sh). BENCH_RUNS runs of
# each (default 3), interleaved; medians of MB/s (10^6 bytes/s) and IOPS, and the ratios
# kvmini-scsi/qemu-scsi and kvmini-scsi/kvmini-blk. About 10 minutes here with the defaults.
set -uo pipefail
BENCH_NAME=scsi
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900} # a boot here takes 30-90 s, minutes when the host is busy
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_vmlinux
SEQ_MIB=${SCSI_SEQ_MIB:-8}
NRAND=${SCSI_RAND:-128}
QD=${SCSI_QD:-32}
NRAND_QD=${SCSI_RAND_QD:-256}
NRANDW=${SCSI_RANDW:-128}
SIZE=64 # MiB
[ "$SEQ_MIB" -le $SIZE ] || bench_die "SCSI_SEQ_MIB must fit the ${SIZE} MiB image"
MEM=256M
PVM=$(bench_pvm_params)
WORK="kvblk_seq_mib=$SEQ_MIB kvblk_rand=$NRAND kvblk_qd=$QD kvblk_rand_qd=$NRAND_QD kvblk_randw=$NRANDW"
INITRD=$(bench_guest_initrd blkbench) || exit 1
TMP=$(mktemp -d -p "${BENCH_TMPDIR:-/var/tmp}") # a disk filesystem: cache=none needs O_DIRECT
trap 'rm -rf "$TMP"' EXIT

# the disk is sda on SCSI, vda on virtio-blk: only kvblk_devs differs between the command lines
append() { echo "console=ttyS0 quiet kvblk_devs=$1 $WORK"; }
kscsi_run() {
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$(append sda)" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot --disk "$TMP/d.raw,format=raw,cache=none,if=scsi"
}
kblk_run() {
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$(append vda)" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot --disk "$TMP/d.raw,format=raw,cache=none"
}
qscsi_run() {
	run_serial "$1" "$QEMU" -M microvm,acpi=on,pcie=on -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 \
		-nographic -no-reboot -kernel "$VMLINUX" -initrd "$INITRD" -append "$(append sda)${PVM:+ $PVM}" \
		-device virtio-scsi-pci,id=scsi0,disable-legacy=on \
		-drive "if=none,id=d0,file=$TMP/d.raw,format=raw,cache=none,aio=io_uring" -device scsi-hd,drive=d0,bus=scsi0.0
}

declare -A V=() # V[config,metric]: space-separated per-run values
KVMINI_FAILED=0
one_run() { # CONFIG DEV
	local cfg=$1 dev=$2 log="$TMP/$1-$i.log" ok=1
	bench_new_image raw "$TMP/d.raw" ${SIZE}M
	"${cfg}_run" "$log"
	blkbench_collect "$log" "$dev" "$cfg" wr rd qd1 "qd$QD" rw || ok=0
	if [ "$RUN_RC" != 0 ] || [ $ok = 0 ]; then
		blkbench_failed "$cfg" "$log"
		[ "$cfg" = qscsi ] || KVMINI_FAILED=1
	fi
	return 0
}

for ((i = 1; i <= BENCH_RUNS; i++)); do
	one_run kscsi sda
	one_run kblk vda
	[ "$HAVE_QEMU" = 1 ] && one_run qscsi sda
done

m() { median ${V[$1]:-}; }
rows() { # PEER-CONFIG
	table_row "seq write 1M MB/s" "$(m kscsi,wr)" "$(m $1,wr)" higher
	table_row "seq read 1M MB/s" "$(m kscsi,rd)" "$(m $1,rd)" higher
	table_row "rand read 4K QD1 IOPS" "$(m kscsi,qd1)" "$(m $1,qd1)" higher %.1f
	table_row "rand read 4K QD$QD IOPS" "$(m kscsi,qd$QD)" "$(m $1,qd$QD)" higher %.1f
	table_row "rand write 4K QD1 IOPS" "$(m kscsi,rw)" "$(m $1,rw)" higher %.1f
}
title="in-guest O_DIRECT on a raw image, ${SEQ_MIB} MiB seq 1 MiB each way, $NRAND (QD1) and $NRAND_QD (QD$QD) random 4 KiB reads, $NRANDW random 4 KiB writes + flush, cache=none, median of $BENCH_RUNS"
table_begin "scsi: kvmini virtio-scsi vs qemu virtio-scsi-pci + scsi-hd (microvm, aio=io_uring); $title" qemu
rows qscsi
table_end
table_begin "scsi: kvmini virtio-scsi vs kvmini virtio-blk; $title" kvmini-blk
HAVE_QEMU=1 rows kblk # the peer column is kvmini's own virtio-blk here
table_end
echo "  cmdline: $(append sda)${PVM:+ $PVM} (kvblk_devs=vda for virtio-blk)"
[ "$KVMINI_FAILED" = 0 ] || { echo "  kvmini: some runs FAILED (see above)"; exit 1; }
exit 0
