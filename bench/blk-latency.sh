#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vCPU exit latency under disk load (issue 7, item 2): a 2-vCPU guest with two virtio-pci disks
# (raw vda, qcow2 vdb: fresh 64 MiB images of one recipe per run) times single exits of vCPU 1
# from guest user mode with rdtsc, p50/p99 (and p99.9 for mmio) in µs, first with the disks idle, then while vCPU 0
# loops over 4 KiB O_DIRECT write + fdatasync on one disk, then on the other:
#   mmio     user-mode read of num_queues in that disk's virtio-pci common config (mmapped BAR):
#            the register access that must never wait for the disk's I/O
#   pio      1-byte pread of /dev/port at an unclaimed port (the kit kernel has no iopl, so this
#            includes the guest kernel's syscall path, emulated on a PVM host)
#   syscall  getpid(): that syscall path alone, to read pio against
# kvmini (--disk ...,cache=none,transport=pci) against qemu -M microvm,pcie=on with virtio-blk-pci
# and aio=io_uring,cache=none, same vmlinux, initramfs and command line. The guest program is
# bench/guest/blklat.c. BLKLAT_RUNS runs each (default 2), interleaved; medians of the per-run
# percentiles. BLKLAT_SECONDS (default 3): seconds per probe and phase.
set -uo pipefail
BENCH_NAME=blk-latency
# a boot here takes 30-90 s, several minutes when the machine is busy: a long default timeout
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_vmlinux
RUNS=${BLKLAT_RUNS:-2}
SECS=${BLKLAT_SECONDS:-3}
IMG_SIZE=64M
MEM=256M
QEMU_MACHINE="${QEMU_LAT_MACHINE:-microvm,acpi=on,pcie=on}"
PVM=$(bench_pvm_params)
APPEND="console=ttyS0 quiet kvlat_devs=vda,vdb kvlat_seconds=$SECS"
INITRD=$(bench_guest_initrd blklat) || exit 1
TMP=$(mktemp -d -p "${BENCH_TMPDIR:-/var/tmp}") # a disk filesystem: tmpfs fsyncs for free
trap 'rm -rf "$TMP"' EXIT

kvmini_run() { # LOG
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$APPEND" \
		--mem $MEM --cpus 2 --serial stdio --no-reboot \
		--disk "$TMP/d.raw,format=raw,cache=none,transport=pci" \
		--disk "$TMP/d.qcow2,format=qcow2,cache=none,transport=pci"
}
qemu_run() { # LOG
	run_serial "$1" "$QEMU" -M "$QEMU_MACHINE" -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 2 \
		-nographic -no-reboot -kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND${PVM:+ $PVM}" \
		-drive "if=none,id=d0,file=$TMP/d.raw,format=raw,cache=none,aio=io_uring" \
		-device virtio-blk-pci,drive=d0,disable-legacy=on \
		-drive "if=none,id=d1,file=$TMP/d.qcow2,format=qcow2,cache=none,aio=io_uring" \
		-device virtio-blk-pci,drive=d1,disable-legacy=on
}

PROBES=(mmio pio syscall)
LOADS=(none vda vdb)
declare -A V=() # V[vmm,probe,load,pNN] / V[vmm,writes,load]: space-separated per-run values
KVMINI_FAILED=0
one_run() { # VMM RUN
	local vmm=$1 log="$TMP/$1-$2.log" p l v
	bench_new_image raw "$TMP/d.raw" $IMG_SIZE
	bench_new_image qcow2 "$TMP/d.qcow2" $IMG_SIZE
	"${vmm}_run" "$log"
	for p in "${PROBES[@]}"; do
		for l in "${LOADS[@]}"; do
			for q in p50 p99 p999; do
				v=$(sed -n "s/^KVLAT: probe=$p load=$l .* ${q}_ns=\([0-9]*\).*/\1/p" "$log")
				[ -z "$v" ] || V[$vmm,$p,$l,$q]+=" $(awk -v n="$v" 'BEGIN { printf "%.1f", n / 1000 }')"
			done
		done
	done
	for l in vda vdb; do
		v=$(sed -n "s/^KVLAT: load=$l writes=\([0-9]*\) seconds=\([0-9.]*\).*/\1 \2/p" "$log" |
			awk '{ if ($2 > 0) printf "%.1f", $1 / $2 }')
		[ -z "$v" ] || V[$vmm,writes,$l]+=" $v"
	done
	if [ "$RUN_RC" != 0 ] || grep -q 'KVLAT: error' "$log" || ! grep -q 'load=vdb writes' "$log"; then
		echo "  $vmm run $2: FAILED ($(run_status)); last output:"
		{ grep 'KVLAT: error' "$log"; tail -n 4 "$log"; tail -n 4 "$log.err"; } | sed 's/^/    | /'
		[ "$vmm" = qemu ] || KVMINI_FAILED=1
	fi
	grep -q 'KVLAT: skip' "$log" && grep 'KVLAT: skip' "$log" | sed "s/^/  $vmm: /"
	return 0
}

VMMS=(kvmini)
[ "$HAVE_QEMU" = 1 ] && VMMS+=(qemu)
for ((i = 1; i <= RUNS; i++)); do
	for vmm in "${VMMS[@]}"; do one_run "$vmm" "$i"; done
done

m() { median ${V[$1]:-}; }
name() { case $1 in none) echo "disks idle" ;; vda) echo "flushes on raw" ;; vdb) echo "flushes on qcow2" ;; esac; }
table_begin "blk-latency: exit round trip of vCPU 1 (µs) while vCPU 0 writes 4 KiB + fdatasync in a loop, median of $RUNS runs (qemu -M $QEMU_MACHINE, virtio-blk-pci, aio=io_uring)" qemu
for p in "${PROBES[@]}"; do
	for l in "${LOADS[@]}"; do
		qs="p50 p99"
		[ "$p" = mmio ] && qs+=" p999"
		for q in $qs; do
			table_row "$p $q µs, $(name $l)" "$(m kvmini,$p,$l,$q)" "$(m qemu,$p,$l,$q)" lower
		done
	done
done
for l in vda vdb; do
	table_row "load: write+fdatasync/s, $(name $l)" "$(m kvmini,writes,$l)" "$(m qemu,writes,$l)" higher
done
table_end
echo "  mmio = user-mode read of the loaded disk's num_queues (its own virtio-pci common config);"
echo "  pio/syscall go through the guest kernel (no iopl in the kit kernel): compare them with each other"
echo "  cmdline: $APPEND${PVM:+ $PVM}"
[ "$KVMINI_FAILED" = 0 ] || { echo "  kvmini: some runs FAILED (see above)"; exit 1; }
exit 0
