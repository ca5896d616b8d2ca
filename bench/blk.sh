#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# virtio-blk inside the guest with direct I/O (issue 7, item 3), on a raw and a qcow2 disk of the
# same guest: sequential 1 MiB writes (plus one flush) and reads of BLK_SEQ_MIB MiB (default 8),
# then 4 KiB reads at random offsets in that range at queue depth 1 (BLK_RAND reads, default 128)
# and at depth BLK_QD (default 32 threads, BLK_RAND_QD reads in all, default 256). kvmini
# (--disk ...,cache=none) against qemu-system-x86_64 -M microvm with aio=io_uring,cache=none,
# the same vmlinux, initramfs and command line, fresh images of one recipe (kvmini img create:
# raw 64 MiB, qcow2 72 MiB, told apart in the guest by size) per run. BLK_TRANSPORTS (default
# pci) picks the transports, each against qemu's: pci = virtio-blk-pci on microvm,pcie=on,
# mmio = virtio-blk-device. BENCH_RUNS runs of each (default 3), interleaved; medians of MB/s
# (10^6 bytes/s) and IOPS, and the ratio kvmini/qemu. The guest program is
# bench/guest/blkbench.c. About 10 minutes here with the defaults (guest kernel mode is emulated).
# With nbdkit installed (and BLK_NBD not 0) a third disk of 80 MiB is an NBD export: one nbdkit
# serving a file on a Unix socket, which both VMMs open (kvmini --disk nbd+unix://, qemu's NBD
# client with file=nbd+unix://); the network path, not the host disk, is what it compares.
set -uo pipefail
BENCH_NAME=blk
# a boot here takes 30-90 s, several minutes when the machine is busy: a long default timeout
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_vmlinux
SEQ_MIB=${BLK_SEQ_MIB:-8}
NRAND=${BLK_RAND:-128}
QD=${BLK_QD:-32}
NRAND_QD=${BLK_RAND_QD:-256}
TRANSPORTS=${BLK_TRANSPORTS:-pci}
RAW_SIZE=64 QCOW2_SIZE=72 NBD_SIZE=80 # MiB
FORMATS="raw qcow2"
[ "${BLK_NBD:-1}" != 0 ] && command -v nbdkit >/dev/null && FORMATS+=" nbd"
[ "$SEQ_MIB" -le $RAW_SIZE ] || bench_die "BLK_SEQ_MIB must fit the ${RAW_SIZE} MiB image"
MEM=256M
PVM=$(bench_pvm_params)
DEVS=vda,vdb
[[ $FORMATS == *nbd* ]] && DEVS+=,vdc
APPEND="console=ttyS0 quiet kvblk_devs=$DEVS kvblk_seq_mib=$SEQ_MIB kvblk_rand=$NRAND kvblk_qd=$QD kvblk_rand_qd=$NRAND_QD"
INITRD=$(bench_guest_initrd blkbench) || exit 1
TMP=$(mktemp -d -p "${BENCH_TMPDIR:-/var/tmp}") # a disk filesystem: cache=none needs O_DIRECT
trap 'rm -rf "$TMP"' EXIT
NBD_URI="" NBD_QEMU=()
if [[ $FORMATS == *nbd* ]]; then
	NBD_URI="nbd+unix:///?socket=$TMP/nbd.sock"
	# opens the file per connection: each run's fresh image is what that run's VMM sees
	bench_new_image raw "$TMP/d.nbd" ${NBD_SIZE}M
	nbdkit --exit-with-parent -f -U "$TMP/nbd.sock" -P "$TMP/nbd.pid" file "$TMP/d.nbd" &
	NBD_PID=$!
	trap 'kill $NBD_PID 2>/dev/null; rm -rf "$TMP"' EXIT
	for _ in $(seq 100); do [ -s "$TMP/nbd.pid" ] && break; sleep 0.1; done
	[ -s "$TMP/nbd.pid" ] || bench_die "nbdkit did not start"
	NBD_QEMU=(-drive "if=none,id=d2,file=$NBD_URI,format=raw")
fi

kvmini_run() { # LOG TRANSPORT
	local nbd=()
	[ -n "${NBD_URI:-}" ] && nbd=(--disk "$NBD_URI,transport=$2")
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$APPEND" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot \
		--disk "$TMP/d.raw,format=raw,cache=none,transport=$2" \
		--disk "$TMP/d.qcow2,format=qcow2,cache=none,transport=$2" \
		"${nbd[@]}"
}
qemu_run() { # LOG TRANSPORT
	local m=microvm,acpi=on dev=virtio-blk-device
	[ "$2" = pci ] && m=$m,pcie=on dev=virtio-blk-pci,disable-legacy=on
	run_serial "$1" "$QEMU" -M "$m" -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 \
		-nographic -no-reboot -kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND${PVM:+ $PVM}" \
		-drive "if=none,id=d0,file=$TMP/d.raw,format=raw,cache=none,aio=io_uring" -device "$dev,drive=d0" \
		-drive "if=none,id=d1,file=$TMP/d.qcow2,format=qcow2,cache=none,aio=io_uring" -device "$dev,drive=d1" \
		${NBD_QEMU[@]+"${NBD_QEMU[@]}" -device "$dev,drive=d2"}
}

declare -A V=() # V[vmm-transport,format,metric]: space-separated per-run values
KVMINI_FAILED=0
# one_run VMM TRANSPORT: one boot on fresh images, both formats
one_run() {
	local vmm=$1 tr=$2 cfg=$1-$2 log="$TMP/$1-$2-$i.log" dev fmt v ok=1
	bench_new_image raw "$TMP/d.raw" ${RAW_SIZE}M
	bench_new_image qcow2 "$TMP/d.qcow2" ${QCOW2_SIZE}M
	[[ $FORMATS == *nbd* ]] && bench_new_image raw "$TMP/d.nbd" ${NBD_SIZE}M
	"${vmm}_run" "$log" "$tr"
	for dev in ${DEVS//,/ }; do
		case $(sed -n "s/^KVBLK: dev=$dev size=\([0-9]*\).*/\1/p" "$log") in
		$((RAW_SIZE << 20))) fmt=raw ;;
		$((QCOW2_SIZE << 20))) fmt=qcow2 ;;
		$((NBD_SIZE << 20))) fmt=nbd ;;
		*) ok=0; continue ;;
		esac
		blkbench_collect "$log" "$dev" "$cfg,$fmt" wr rd qd1 "qd$QD" || ok=0
	done
	if [ "$RUN_RC" != 0 ] || [ $ok = 0 ]; then
		blkbench_failed "$cfg" "$log"
		[ "$vmm" = qemu ] || KVMINI_FAILED=1
	fi
	return 0
}

VMMS=(kvmini)
[ "$HAVE_QEMU" = 1 ] && VMMS+=(qemu)
for ((i = 1; i <= BENCH_RUNS; i++)); do
	for tr in $TRANSPORTS; do
		for vmm in "${VMMS[@]}"; do one_run "$vmm" "$tr"; done
	done
done

m() { median ${V[$1]:-}; }
for fmt in $FORMATS; do
	table_begin "blk $fmt: in-guest O_DIRECT, ${SEQ_MIB} MiB seq 1 MiB each way, $NRAND random 4 KiB reads at depth 1, $NRAND_QD at depth $QD (threads), cache=none, median of $BENCH_RUNS (qemu -M microvm, aio=io_uring)" qemu
	for tr in $TRANSPORTS; do
		k=kvmini-$tr,$fmt q=qemu-$tr,$fmt
		table_row "seq write 1M MB/s ($tr)" "$(m $k,wr)" "$(m $q,wr)" higher
		table_row "seq read 1M MB/s ($tr)" "$(m $k,rd)" "$(m $q,rd)" higher
		table_row "rand read 4K QD1 IOPS ($tr)" "$(m $k,qd1)" "$(m $q,qd1)" higher %.1f
		table_row "rand read 4K QD$QD IOPS ($tr)" "$(m $k,qd$QD)" "$(m $q,qd$QD)" higher %.1f
	done
	table_end
done
echo "  transports: kvmini's --disk transport=pci|mmio against qemu's virtio-blk-pci (microvm,pcie=on) | virtio-blk-device"
[ -n "$NBD_URI" ] && echo "  nbd: one nbdkit export on a Unix socket for both (kvmini's libnbd client, qemu's NBD client); cache=none does not apply"
echo "  cmdline: $APPEND${PVM:+ $PVM}"
[ "$KVMINI_FAILED" = 0 ] || { echo "  kvmini: some runs FAILED (see above)"; exit 1; }
exit 0
