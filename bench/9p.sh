#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# virtio-9p host directory sharing: kvmini's --share against qemu-system-x86_64 -fsdev local
# (security_model=none) + virtio-9p-device, both over virtio-mmio on microvm, the same vmlinux,
# initramfs (bench/guest/p9bench.c) and an empty host directory (/var/tmp) per run. In the guest
# (9p2000.L, msize 262144, cache=none): a sequential write of P9_MIB MiB (default 64) in 1 MiB
# writes plus fsync, reading it back, then create, stat and unlink of P9_FILES files (default
# 1000). BENCH_RUNS runs of each (default 3), interleaved; medians of MB/s and operations/s.
set -uo pipefail
BENCH_NAME=9p
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800} # a boot plus 1000 emulated creates, stats and unlinks: minutes here
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_vmlinux
MIB=${P9_MIB:-64}
FILES=${P9_FILES:-1000}
MEM=256M
PVM=$(bench_pvm_params)
APPEND="console=ttyS0 quiet kv9p_mib=$MIB kv9p_files=$FILES"
INITRD=$(bench_guest_initrd p9bench) || exit 1
TMP=$(mktemp -d -p "${BENCH_TMPDIR:-/var/tmp}")
trap 'rm -rf "$TMP"' EXIT

kvmini_run() {
	run_serial "$1" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$APPEND" \
		--mem $MEM --cpus 1 --serial stdio --no-reboot --share "$TMP/share,tag=kvbench,transport=mmio"
}
qemu_run() {
	run_serial "$1" "$QEMU" -M microvm,acpi=on -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 \
		-nographic -no-reboot -kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND${PVM:+ $PVM}" \
		-fsdev "local,id=f0,path=$TMP/share,security_model=none" -device virtio-9p-device,fsdev=f0,mount_tag=kvbench
}

declare -A V=() # V[vmm,metric]: space-separated per-run values
KVMINI_FAILED=0
one_run() { # VMM
	local vmm=$1 log="$TMP/$1-$i.log" v ok=1 what
	rm -rf "$TMP/share" && mkdir "$TMP/share"
	"${vmm}_run" "$log"
	for what in seq-write-mib seq-read-mib create stat unlink; do
		# MiB phases as MB/s (10^6 bytes), the others as operations per second
		v=$(sed -n "s/^KV9PB: $what n=\([0-9]*\) ns=\([0-9]*\).*/\1 \2/p" "$log" |
			awk -v mib="${what%%-*}" '{ if (mib == "seq") printf "%.2f", $1 * 1048576 / $2 * 1000; else printf "%.1f", $1 / $2 * 1e9 }')
		if [ -n "$v" ]; then V[$vmm,$what]+=" $v"; else ok=0; fi
	done
	if [ "$RUN_RC" != 0 ] || [ $ok = 0 ]; then
		echo "  $vmm run $i: FAILED ($(run_status)); last output:"
		{ grep 'KV9PB: error' "$log"; tail -n 4 "$log"; tail -n 4 "$log.err"; } | sed 's/^/    | /'
		[ "$vmm" = qemu ] || KVMINI_FAILED=1
	fi
	return 0
}

for ((i = 1; i <= BENCH_RUNS; i++)); do
	one_run kvmini
	[ "$HAVE_QEMU" = 1 ] && one_run qemu
done

m() { median ${V[$1]:-}; }
table_begin "9p: kvmini --share vs qemu -fsdev local,security_model=none (virtio-mmio, msize 262144, cache=none, median of $BENCH_RUNS)" qemu
table_row "seq write ${MIB} MiB (1 MiB) MB/s" "$(m kvmini,seq-write-mib)" "$(m qemu,seq-write-mib)" higher %.2f
table_row "seq read ${MIB} MiB (1 MiB) MB/s" "$(m kvmini,seq-read-mib)" "$(m qemu,seq-read-mib)" higher %.2f
table_row "create $FILES files /s" "$(m kvmini,create)" "$(m qemu,create)" higher
table_row "stat $FILES files /s" "$(m kvmini,stat)" "$(m qemu,stat)" higher
table_row "unlink $FILES files /s" "$(m kvmini,unlink)" "$(m qemu,unlink)" higher
table_end
echo "  cmdline: $APPEND${PVM:+ $PVM}"
[ "$KVMINI_FAILED" = 0 ] || { echo "  kvmini: some runs FAILED (see above)"; exit 1; }
exit 0
