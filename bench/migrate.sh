#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Live migration of a 256 MiB Linux guest (test kernel + initramfs-test.cpio), kvmini vs
# qemu-system-x86_64 (-cpu host,-arch-capabilities, -incoming tcp:, QMP migrate), on loopback,
# the same guest and kernel command line for both. One boot per VMM: the guest maps DIRTY_FILL MiB
# (default 32) and writes every page, idles (kvtest=dirty:FILL:0:IDLE) while it migrates to a
# second process, then on the target writes every page again and keeps writing one word in each
# of DIRTY_RATE MiB (default 8) worth of pages a second while it migrates to a third. Both VMMs
# get the same limits: downtime-limit 300 ms, max-bandwidth unlimited. Printed per case: total
# time, downtime (each VMM's query-migrate), MiB sent, and the ratios.
set -uo pipefail
BENCH_NAME=migrate
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_linux_kit
TMP=$(mktemp -d)
export KVMINI_RUNTIME_DIR=$TMP/run KVMINI_CONFIG_DIR=$TMP/cfg
QC=$TOP/tests/tools/qmpclient.py
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
PVM=$(bench_pvm_params)
RATE=${DIRTY_RATE:-8}
PORT=$((43000 + $$ % 1000))
BOOT_WAIT=${BOOT_WAIT:-1200} # a loaded PVM host boots Linux in minutes
IDLE=${IDLE_SECS:-180} # guest seconds of the idle phase: both idle migrations happen in it, after both boots
FILL=${DIRTY_FILL:-32} # MiB the guest maps and writes (page faults are slow in an emulated guest kernel)
APPEND="console=ttyS0 quiet kvtest=dirty:$FILL:0:$IDLE,dirty:$FILL:$RATE:3600${PVM:+ $PVM}"

# wait_n FILE PATTERN N SECONDS: until FILE has N lines matching PATTERN
wait_n() {
	for _ in $(seq $(($4 * 5))); do [ "$(grep -ac "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0; sleep 0.2; done
	return 1
}
qmp_json() { python3 "$QC" "$@" 2>/dev/null; }
stats() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); r=d.get("ram",{}); print(d.get("total-time",""), d.get("downtime",""), r.get("transferred",""))' "$1"; }
# migrate SOCKET PORT: runs one migration from the VMM at SOCKET; prints "total downtime bytes"
migrate() {
	local out
	qmp_json "$1" migrate-set-parameters '{"downtime-limit": 300, "max-bandwidth": 0}' >/dev/null
	qmp_json "$1" migrate "{\"uri\": \"tcp:127.0.0.1:$2\"}" >/dev/null || return 1
	for _ in $(seq 2400); do
		out=$(qmp_json "$1" query-migrate) || return 1
		case "$out" in *'"completed"'*) stats "$out"; return 0 ;; *'"failed"'* | *'"cancelled"'*) return 1 ;; esac
		sleep 0.05
	done
	return 1
}

# kvmini_vm NAME [ARGS]
kvmini_vm() {
	local n=$1
	shift
	"$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --name "$n" --daemonize --serial none \
		--no-host-workarounds --append "$APPEND" "$@" </dev/null >/dev/null 2>&1 || return 1
	PIDS+=("$(cat "$TMP/run/$n.pid")")
}
# qemu_vm NAME [ARGS]: console in $TMP/NAME.console, QMP at $TMP/NAME.qmp
qemu_vm() {
	local n=$1
	shift
	"$QEMU" -M pc -enable-kvm -cpu "$QEMU_CPU" -m 256 -smp 1 -display none -serial "file:$TMP/$n.console" \
		-kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND" -qmp "unix:$TMP/$n.qmp,server=on,wait=off" "$@" \
		</dev/null >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do [ -S "$TMP/$n.qmp" ] && return 0; sleep 0.1; done
	return 1
}

# Both guests boot at once (the boot is not measured, and takes minutes on a PVM host); then each
# VMM's idle migration, then each one's dirtying migration, one migration at a time.
run_all() {
	K_IDLE= K_DIRTY= Q_IDLE= Q_DIRTY=
	local kok=0 qok=0
	kvmini_vm k1 && kok=1
	[ "$HAVE_QEMU" = 1 ] && qemu_vm q1 && qok=1
	[ $kok = 1 ] && { wait_n "$TMP/run/k1.console" dirty-ready 1 "$BOOT_WAIT" || kok=0; }
	[ $qok = 1 ] && { wait_n "$TMP/q1.console" dirty-ready 1 "$BOOT_WAIT" || qok=0; }
	[ $kok = 1 ] && kvmini_vm k2 --incoming "tcp:127.0.0.1:$PORT" && K_IDLE=$(migrate "$TMP/run/k1.qmp" "$PORT")
	if [ $qok = 1 ] && qemu_vm q2 -incoming "tcp:127.0.0.1:$((PORT + 2))"; then
		Q_IDLE=$(migrate "$TMP/q1.qmp" $((PORT + 2)))
		qmp_json "$TMP/q1.qmp" quit >/dev/null
	fi
	# the targets' guests say dirty-ready once more when their dirtying phase starts
	if [ -n "$K_IDLE" ] && wait_n "$TMP/run/k2.console" dirty-ready 1 $((IDLE * 3 + 120)) &&
		kvmini_vm k3 --incoming "tcp:127.0.0.1:$((PORT + 1))"; then
		sleep 3 # the dirtying is under way
		K_DIRTY=$(migrate "$TMP/run/k2.qmp" $((PORT + 1)))
		qmp_json "$TMP/run/k3.qmp" quit >/dev/null
	fi
	if [ -n "$Q_IDLE" ] && wait_n "$TMP/q2.console" dirty-ready 1 $((IDLE * 3 + 120)) &&
		qemu_vm q3 -incoming "tcp:127.0.0.1:$((PORT + 3))"; then
		sleep 3
		Q_DIRTY=$(migrate "$TMP/q2.qmp" $((PORT + 3)))
		qmp_json "$TMP/q2.qmp" quit >/dev/null
		qmp_json "$TMP/q3.qmp" quit >/dev/null
	fi
	[ -n "$K_IDLE" ] && [ -n "$K_DIRTY" ] || bench_note "a kvmini migration failed (or its guest did not boot in time)"
	[ "$HAVE_QEMU" = 0 ] || { [ -n "$Q_IDLE" ] && [ -n "$Q_DIRTY" ]; } ||
		bench_note "a qemu migration failed (or its guest did not boot in time)"
}

run_all
mib() { [ -n "${1:-}" ] && echo "$1 / 1048576" | bc -l; }
for c in IDLE DIRTY; do
	k=K_$c q=Q_$c
	read -r kt kd kb <<<"${!k:-}"
	read -r qt qd qb <<<"${!q:-}"
	table_begin "live migration, 256 MiB guest, $([ $c = IDLE ] && echo "idle ($FILL MiB written once)" || echo "dirtying $RATE MiB/s")" qemu
	table_row "total time (ms)" "${kt:-}" "${qt:-}" lower %.0f
	table_row "downtime (ms)" "${kd:-}" "${qd:-}" lower %.0f
	table_row "sent (MiB)" "$(mib "${kb:-}")" "$(mib "${qb:-}")" lower
	table_end
done
