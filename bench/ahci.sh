#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# AHCI inside the guest with direct I/O, with bench/blk.sh's workload and guest program
# (bench/guest/blkbench.c): sequential 1 MiB writes (plus one flush) and reads of AHCI_SEQ_MIB MiB
# (default 8), 4 KiB reads at random offsets in that range at queue depth 1 (AHCI_RAND, default
# 128) and at depth AHCI_QD (default 32 threads: NCQ, AHCI_RAND_QD reads in all, default 256), on
# a fresh raw image of 64 MiB (kvmini img create) per run, cache=none. Three configurations, the
# same vmlinux, initramfs and command line: kvmini's AHCI (--disk ...,if=sata), qemu-system-x86_64
# -M q35 with its ICH9 AHCI and an ide-hd (aio=io_uring), and kvmini's own virtio-blk (PCI).
# BENCH_RUNS runs of each (default 3), interleaved; medians of MB/s (10^6 bytes/s) and IOPS; the
# ratios kvmini-AHCI/qemu-AHCI and kvmini-AHCI/kvmini-virtio-blk.
set -uo pipefail
BENCH_NAME=ahci
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900} # q35 boots through SeaBIOS and a large DSDT: minutes here
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_vmlinux
SEQ_MIB=${AHCI_SEQ_MIB:-8}
NRAND=${AHCI_RAND:-128}
QD=${AHCI_QD:-32}
NRAND_QD=${AHCI_RAND_QD:-256}
SIZE=64 # MiB
[ "$SEQ_MIB" -le $SIZE ] || bench_die "AHCI_SEQ_MIB must fit the ${SIZE} MiB image"
MEM=256M
PVM=$(bench_pvm_params)
args() { echo "console=ttyS0 quiet kvblk_devs=$1 kvblk_seq_mib=$SEQ_MIB kvblk_rand=$NRAND kvblk_qd=$QD kvblk_rand_qd=$NRAND_QD"; }
INITRD=$(bench_guest_initrd blkbench) || exit 1
TMP=$(mktemp -d -p "${BENCH_TMPDIR:-/var/tmp}") # a disk filesystem: cache=none needs O_DIRECT
trap 'rm -rf "$TMP"' EXIT

kvmini_ahci_run() {
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$(args sda)" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot --disk "$TMP/d.raw,format=raw,cache=none,if=sata"
}
kvmini_blk_run() {
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$(args vda)" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot --disk "$TMP/d.raw,format=raw,cache=none"
}
qemu_ahci_run() {
	run_serial "$1" "$QEMU" -M q35 -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 -nographic -no-reboot -nic none \
		-kernel "$VMLINUX" -initrd "$INITRD" -append "$(args sda)${PVM:+ $PVM}" \
		-drive "if=none,id=d0,file=$TMP/d.raw,format=raw,cache=none,aio=io_uring" -device ide-hd,drive=d0,bus=ide.0
}

declare -A V=() # V[config,metric]: space-separated per-run values
KVMINI_FAILED=0
one_run() { # CONFIG DEV
	local cfg=$1 dev=$2 log="$TMP/$1-$i.log" ok=1
	bench_new_image raw "$TMP/d.raw" ${SIZE}M
	"${cfg}_run" "$log"
	blkbench_collect "$log" "$dev" "$cfg" wr rd qd1 "qd$QD" || ok=0
	if [ "$RUN_RC" != 0 ] || [ $ok = 0 ]; then
		blkbench_failed "$cfg" "$log"
		[ "$cfg" = qemu_ahci ] || KVMINI_FAILED=1
	fi
	return 0
}

for ((i = 1; i <= BENCH_RUNS; i++)); do
	one_run kvmini_ahci sda
	[ "$HAVE_QEMU" = 1 ] && one_run qemu_ahci sda
	one_run kvmini_blk vda
done

m() { median ${V[$1]:-}; }
rows() { # A B
	table_row "seq write 1M MB/s" "$(m $1,wr)" "$(m $2,wr)" higher
	table_row "seq read 1M MB/s" "$(m $1,rd)" "$(m $2,rd)" higher
	table_row "rand read 4K QD1 IOPS" "$(m $1,qd1)" "$(m $2,qd1)" higher %.1f
	table_row "rand read 4K QD$QD IOPS" "$(m $1,qd$QD)" "$(m $2,qd$QD)" higher %.1f
}
W="in-guest O_DIRECT on raw, ${SEQ_MIB} MiB seq 1 MiB each way, $NRAND random 4 KiB reads at depth 1, $NRAND_QD at depth $QD, cache=none, median of $BENCH_RUNS"
table_begin "ahci: kvmini AHCI vs qemu -M q35 AHCI + ide-hd ($W)" qemu
rows kvmini_ahci qemu_ahci
table_end
HAVE_QEMU=1 table_begin "ahci vs virtio-blk, both kvmini (the column 'virtio-blk' is kvmini's virtio-blk-pci)" virtio-blk
HAVE_QEMU=1 rows kvmini_ahci kvmini_blk
table_end
echo "  cmdline: $(args sdX)${PVM:+ $PVM}"
[ "$KVMINI_FAILED" = 0 ] || { echo "  kvmini: some runs FAILED (see above)"; exit 1; }
exit 0
