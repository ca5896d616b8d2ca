#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Display over VNC: the Linux test kernel with the test init's display action (it draws the test
# picture through KMS, then waits for keys) in kvmini (`--vnc`, bochs-display) and in
# qemu-system-x86_64 (`-M pc -vga none -device bochs-display -vnc`), same kernel, initrd and
# command line, both booting at once. Once each has drawn, tests/tools/rfbclient.py measures
# BENCH_DISPLAY_UPDATES (default 30) full-screen raw updates (non-incremental requests: median
# latency, bytes each), then the VMM's CPU use (user + system, % of one CPU) over
# BENCH_DISPLAY_IDLE seconds (default 10) with no viewer and with one viewer asking for
# incremental updates of the idle screen (goal: ~0), and the bytes that viewer got.
set -uo pipefail
BENCH_NAME=display
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_linux_kit
command -v python3 >/dev/null || bench_die "python3 is missing"
TMP=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
RFB="$TOP/tests/tools/rfbclient.py"
UPDATES=${BENCH_DISPLAY_UPDATES:-30}
IDLE=${BENCH_DISPLAY_IDLE:-10}
WAIT=${BENCH_DISPLAY_BOOT:-600}
PVM=$(bench_pvm_params)
APPEND="console=ttyS0 quiet kvtest=display:$((WAIT + 300)),poweroff"
KD=${BENCH_KVMINI_DISPLAY:-67} QD=${BENCH_QEMU_DISPLAY:-68}

"$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --cpus 1 --serial "file:$TMP/kvmini.serial" \
	--vnc ":$KD" --append "$APPEND" </dev/null >"$TMP/kvmini.err" 2>&1 &
KPID=$!
PIDS+=($KPID)
QPID=
if [ "$HAVE_QEMU" = 1 ]; then
	"$QEMU" -M pc -enable-kvm -cpu "$QEMU_CPU" -m 256M -smp 1 -vga none -device bochs-display \
		-vnc "127.0.0.1:$QD" -display none -no-reboot -serial "file:$TMP/qemu.serial" -monitor none \
		-kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND${PVM:+ $PVM}" </dev/null >"$TMP/qemu.err" 2>&1 &
	QPID=$!
	PIDS+=($QPID)
fi

drawn() { grep -q 'KVMINI-INIT: display-drawn' "$1" 2>/dev/null; }
t0=$SECONDS
while [ $((SECONDS - t0)) -lt "$WAIT" ]; do
	drawn "$TMP/kvmini.serial" && { [ -z "$QPID" ] || drawn "$TMP/qemu.serial"; } && break
	kill -0 $KPID 2>/dev/null || break
	sleep 1
done
yn() { drawn "$1" && echo drew || echo "had not drawn"; }
note="kvmini guest $(yn "$TMP/kvmini.serial")"
[ -n "$QPID" ] && note+=", qemu guest $(yn "$TMP/qemu.serial")"
echo "  note: after $((SECONDS - t0)) s (BENCH_DISPLAY_BOOT=$WAIT at most): $note"

# cpu_pct PID SECONDS: user+system ticks of PID over SECONDS as % of one CPU
cpu_pct() {
	local a b hz
	hz=$(getconf CLK_TCK)
	a=$(awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null) || return
	sleep "$2"
	b=$(awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null) || return
	awk -v d=$((b - a)) -v s="$2" -v hz="$hz" 'BEGIN { printf "%.2f\n", 100 * d / hz / s }'
}

# measure NAME PID DISPLAY: sets NAME_lat NAME_bytes NAME_cpu0 NAME_cpu1 NAME_idlebytes
measure() {
	local name=$1 pid=$2 d=$3 out
	drawn "$TMP/$name.serial" || { echo "  $name: the guest never drew (see its serial log)"; tail -n 3 "$TMP/$name.serial" | sed 's/^/    | /'; return; }
	out=$(python3 "$RFB" "127.0.0.1:$((5900 + d))" bench "$UPDATES" 2>&1)
	echo "  $name: $out"
	printf -v "${name}_lat" '%s' "$(sed -n 's/.*median_ms \([0-9.]*\).*/\1/p' <<<"$out")"
	printf -v "${name}_bytes" '%s' "$(sed -n 's/.* bytes \([0-9]*\).*/\1/p' <<<"$out")"
	printf -v "${name}_cpu0" '%s' "$(cpu_pct "$pid" "$IDLE")"
	python3 "$RFB" "127.0.0.1:$((5900 + d))" idle "$((IDLE + 2))" >"$TMP/$name.idle" 2>&1 &
	local ipid=$!
	sleep 1
	printf -v "${name}_cpu1" '%s' "$(cpu_pct "$pid" "$IDLE")"
	wait $ipid
	echo "  $name idle viewer: $(cat "$TMP/$name.idle")"
	printf -v "${name}_idlebytes" '%s' "$(sed -n 's/.* bytes \([0-9]*\).*/\1/p' "$TMP/$name.idle")"
	python3 "$RFB" "127.0.0.1:$((5900 + d))" keys 0xff1b >/dev/null 2>&1 # Escape: the action ends
}
kvmini_lat= kvmini_bytes= kvmini_cpu0= kvmini_cpu1= kvmini_idlebytes=
qemu_lat= qemu_bytes= qemu_cpu0= qemu_cpu1= qemu_idlebytes=
measure kvmini $KPID $KD
[ -n "$QPID" ] && measure qemu $QPID $QD

size=$(sed -n 's/.*KVMINI-INIT: kms \([0-9x]*\).*/\1/p' "$TMP/kvmini.serial" | head -1)
table_begin "display: $size x 32 bpp full-screen raw updates over VNC (median of $UPDATES), VMM CPU over ${IDLE} s" qemu
table_row "ms per full-screen update" "$kvmini_lat" "$qemu_lat" lower
table_row "bytes per full-screen update" "$kvmini_bytes" "$qemu_bytes" lower
table_row "VMM CPU %, idle screen, no viewer" "$kvmini_cpu0" "$qemu_cpu0" lower
table_row "VMM CPU %, idle screen, one viewer" "$kvmini_cpu1" "$qemu_cpu1" lower
table_row "bytes to an idle viewer in ${IDLE} s" "$kvmini_idlebytes" "$qemu_idlebytes" lower
table_end
for p in $KPID $QPID; do
	for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done
exit 0
