#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PIO exit round trip. A tiny guest (bench/guest/pioloop.S) writes a byte to an unclaimed port
# (0x550) N times and powers off; kvmini's per-exit cost is (wall(N) - wall(0)) / N, so VM
# setup and teardown cancel out. The floor is bench/floor.c: a bare KVM_RUN loop running the
# same loop code, timed around its run loop only. qemu (microvm, qboot + the PVH note of the same
# ELF) is measured like kvmini when installed. BENCH_RUNS (default 3) runs each, interleaved;
# medians. PIO_COUNT overrides N (default 200000).
set -uo pipefail
BENCH_NAME=pio
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
N="${PIO_COUNT:-200000}"
mkdir -p "$BENCH_BUILD"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cd "$TOP" || exit 1
${CC:-cc} -O2 -Wall -Wextra -std=c11 -D_GNU_SOURCE -I. -o "$BENCH_BUILD/floor" bench/floor.c build/libkvmini.a || bench_die "cannot build bench/floor.c (make kvmini first)"
# the profiler's own cost per exit, on the host (needs the library: make kvmini)
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I. -o "$BENCH_BUILD/prof_cost" bench/prof_cost.c build/libkvmini.a \
	$(pkg-config --libs json-c) -lpthread -lm || bench_die "cannot build bench/prof_cost.c"
for c in "$N" 0; do
	${CC:-cc} -nostdlib -static -no-pie -Wl,-T,tests/guest/guest.ld -Wl,--build-id=none -DCOUNT="$c" \
		-o "$BENCH_BUILD/pioloop-$c.elf" bench/guest/pioloop.S || bench_die "cannot build bench/guest/pioloop.S"
done

# wall_ms CMD...: wall time of one run in ms (empty if it failed); exit status 0, or 1 under
# qemu's isa-debug-exit ((0x3400 << 1 | 1) & 0xff)
wall_ms() {
	local ok=$1 t0 t1 rc
	shift
	t0=$(now_ns)
	timeout -k 5 "$BENCH_TIMEOUT" "$@" </dev/null >"$TMP/out" 2>&1
	rc=$?
	t1=$(now_ns)
	if [ "$rc" != "$ok" ]; then
		echo "  $BENCH_NAME: '$*' exited $rc:" >&2
		tail -n 3 "$TMP/out" | sed 's/^/    /' >&2
		return 0
	fi
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e6 }'
}
kvmini_run() { wall_ms 0 "$KVMINI" run --kernel "$BENCH_BUILD/pioloop-$1.elf" --serial none --mem 64M "${@:2}"; }
qemu_run() {
	wall_ms 1 "$QEMU" -M microvm -enable-kvm -cpu "$QEMU_CPU" -m 64M -nographic -nodefaults -no-reboot \
		-device isa-debug-exit,iobase=0x604,iosize=2 -kernel "$BENCH_BUILD/pioloop-$1.elf"
}

floor=() kn=() k0=() qn=() q0=() sn=() s0=() pc_st=() pc_tr=()
for ((i = 1; i <= BENCH_RUNS; i++)); do
	v=$("$BENCH_BUILD/floor" "$N" 0x550 | awk '{ for (i = 1; i < NF; i++) if ($i == "ns_per_exit") print $(i + 1) }')
	[ -n "$v" ] && floor+=("$v")
	v=$(kvmini_run "$N"); [ -n "$v" ] && kn+=("$v")
	v=$(kvmini_run 0); [ -n "$v" ] && k0+=("$v")
	v=$(kvmini_run "$N" --stats); [ -n "$v" ] && sn+=("$v")
	v=$(kvmini_run 0 --stats); [ -n "$v" ] && s0+=("$v")
	read -r _ _ _ st _ tr _ < <("$BENCH_BUILD/prof_cost")
	[ -n "$st" ] && pc_st+=("$st") && pc_tr+=("$tr")
	if [ "$HAVE_QEMU" = 1 ]; then
		v=$(qemu_run "$N"); [ -n "$v" ] && qn+=("$v")
		v=$(qemu_run 0); [ -n "$v" ] && q0+=("$v")
	fi
done

per_exit() { # median wall(N), median wall(0) -> ns per exit
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.1f\n", (a - b) * 1e6 / n }'
	return 0
}
F=$(median "${floor[@]}")
KN=$(median "${kn[@]}") K0=$(median "${k0[@]}")
QN=$(median "${qn[@]}") Q0=$(median "${q0[@]}")
K=$(per_exit "$KN" "$K0")
SN=$(median "${sn[@]}") S0=$(median "${s0[@]}")
S=$(per_exit "$SN" "$S0")
PST=$(median "${pc_st[@]}") PTR=$(median "${pc_tr[@]}")
Q=$(per_exit "$QN" "$Q0")

HAVE_QEMU_SAVE=$HAVE_QEMU
HAVE_QEMU=1
table_begin "pio: PIO exit round trip, $N writes to an unclaimed port, median of $BENCH_RUNS" floor
table_row "ns per exit" "$K" "$F" lower
table_row "ns per exit, --stats (profiler on)" "$S" "$F" lower
table_row "profiler's own ns per exit (host loop)" "$PST" "$F" lower
table_row "  the same with --trace's ring" "$PTR" "$F" lower
echo "  (the profiler rows' ratio is its cost as a share of the bare KVM_RUN round trip; the goal is < 0.02)"
HAVE_QEMU=$HAVE_QEMU_SAVE
table_begin "pio: the same guest in qemu -M microvm (PVH entry), median of $BENCH_RUNS" qemu
table_row "ns per exit" "$K" "$Q" lower
table_row "wall ms, N=$N" "$KN" "$QN" lower
table_row "wall ms, N=0 (start + poweroff)" "$K0" "$Q0" lower
[ -n "$K" ] || { echo "  kvmini: FAILED (see the messages above)"; exit 1; }
exit 0
