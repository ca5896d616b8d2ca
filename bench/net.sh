#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest<->host TCP throughput (16 MiB each way, busybox nc in the guest) and ping latency over a tap
# on a bridge in a throwaway network namespace: kvmini's virtio-net against qemu-system-x86_64 with
# virtio-net-pci (-M microvm,pcie=on) on the same kernel and initramfs, in one run. Prints both and the ratio.
# A benchmark never fails the build: problems are reported and the script exits 0.
# usage: bench/net.sh [--help]   (KVMINI=path/to/kvmini, QEMU=qemu-system-x86_64 to override)
set -u
if [ "${1:-}" = --help ]; then sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
cd "$(dirname "$0")/.."
TOP=$PWD
KVMINI=${KVMINI:-$TOP/kvmini}
QEMU=${QEMU:-qemu-system-x86_64}
TMP=$(mktemp -d)
. tests/integration/netlib.bash
say() { echo "bench net: $*"; }
trap 'netns_down; rm -rf "$TMP"' EXIT
[ -c /dev/kvm ] && [ -w /dev/kvm ] || { say "skipped: /dev/kvm is missing"; exit 0; }
[ "$(id -u)" -eq 0 ] || { say "skipped: needs root (network namespace, taps)"; exit 0; }
KERNEL=$(tools/guest-path vmlinux 2>/dev/null) || { say "skipped: test kit not built (make kit)"; exit 0; }
netns_up || { say "skipped: cannot create a network namespace"; exit 0; }
build_net_initrd "$TMP/net.cpio" || { say "skipped: cannot build the initramfs"; exit 0; }
MB=${BENCH_NET_MB:-16} # BENCH_NET_MB=N moves N MiB each way instead
head -c ${MB}M /dev/urandom >"$TMP/src"
APPEND="console=ttyS0 quiet kvip=10.77.0.2/24 kvhost=$HOST_IP kvrole=bench kvmb=$MB"
# what kvmini adds by itself on a PVM host; qemu needs it spelled out
PVM="noxsave noinvpcid clearcpuid=smap,popcnt,rdtscp,rdpid,erms,fsrm,clwb"

# run_one NAME COMMAND...: boots, serves the transfers, leaves rx/tx MiB/s and ping avg in R_*
run_one() {
	local name=$1 out=$TMP/$1.out
	shift
	host_xfer "$TMP/src" "$TMP/dst" 900 >"$TMP/$name.host" 2>&1 &
	local h=$!
	sleep 0.5
	local t0=$SECONDS
	timeout --kill-after=5 1200 "$@" </dev/null >"$out" 2>&1
	wait "$h"
	local rx tx
	rx=$(sed -n 's/^# host->guest: \([0-9.]*\) s/\1/p' "$TMP/$name.host")
	tx=$(sed -n 's/^# guest->host: \([0-9.]*\) s/\1/p' "$TMP/$name.host")
	R_RX=$(awk -v mb="$MB" -v t="$rx" 'BEGIN { if (t > 0) printf "%.2f", mb / t; else print "n/a" }')
	R_TX=$(awk -v mb="$MB" -v t="$tx" 'BEGIN { if (t > 0) printf "%.2f", mb / t; else print "n/a" }')
	R_PING=$(sed -n 's|^KVNET: ping .* = [0-9.]*/\([0-9.]*\)/.*|\1|p' "$out")
	R_PING=${R_PING:-n/a}
	say "$name: host->guest $R_RX MiB/s, guest->host $R_TX MiB/s, ping avg $R_PING ms ($((SECONDS - t0)) s in all)"
	grep -q 'KVNET: bench-tx done' "$out" || { say "$name: the guest did not finish; last lines:"; tail -n 5 "$out" | sed 's/^/    /'; }
}

run_one kvmini ip netns exec "$NETNS" "$KVMINI" run --kernel "$KERNEL" --initrd "$TMP/net.cpio" --mem 256M \
	--name bench --net tap,bridge=br0 --append "$APPEND"
K_RX=$R_RX K_TX=$R_TX K_PING=$R_PING

if command -v "$QEMU" >/dev/null; then
	NS ip tuntap add qtap0 mode tap
	NS ip link set qtap0 master br0 up
	# microvm with its PCIe host: virtio-net-pci without SeaBIOS and the pc DSDT's slow _PRT method;
	# plain -cpu host aborts on a PVM host (MSR 0x10a)
	run_one qemu ip netns exec "$NETNS" "$QEMU" -enable-kvm -M microvm,acpi=on,pcie=on \
		-cpu "${QEMU_CPU:-host,-arch-capabilities}" -m 256M -smp 1 -nographic \
		-no-reboot -kernel "$KERNEL" -initrd "$TMP/net.cpio" -append "$APPEND $PVM" \
		-netdev tap,id=n0,ifname=qtap0,script=no,downscript=no -device virtio-net-pci,netdev=n0
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
	say "kvmini/qemu: host->guest $(ratio "$K_RX" "$R_RX")x, guest->host $(ratio "$K_TX" "$R_TX")x," \
		"ping latency $(ratio "$K_PING" "$R_PING")x (lower is better for latency)"
else
	say "qemu-system-x86_64 not installed: kvmini numbers only"
fi
exit 0
