#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Live migration of a 256 MiB Linux guest (test kernel + initramfs-test.cpio), kvmini vs two
# qemu-system-x86_64 processes (-cpu host,-arch-capabilities, -incoming tcp:, QMP migrate), on
# loopback, the same guest and kernel command line for both: the guest maps 160 MiB and writes
# every page (kvtest=dirty), then either idles or keeps writing one word in each of DIRTY_RATE MiB
# (default 32) worth of its pages a second. Both peers get the same limits: downtime-limit 300 ms,
# max-bandwidth unlimited. Printed per case: total time, downtime (as each VMM's query-migrate
# reports it), bytes sent, and the ratios.
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
RATE=${DIRTY_RATE:-32}
PORT=$((43000 + $$ % 1000))
BOOT_WAIT=${BOOT_WAIT:-400}

# wait_line FILE PATTERN SECONDS
wait_line() {
	for _ in $(seq $(($3 * 5))); do grep -aq "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done
	return 1
}
# qmp_json SOCKET CMD [ARGS]: the answer's JSON
qmp_json() { python3 "$QC" "$@" 2>/dev/null; }
# stats JSON: "total downtime bytes"
stats() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); r=d.get("ram",{}); print(d.get("total-time",""), d.get("downtime",""), r.get("transferred",""))' "$1"; }

append() { echo "console=ttyS0 quiet kvtest=dirty:160:$1:3600${PVM:+ $PVM}"; }

# kvmini_case RATE: "total downtime bytes" of one migration
kvmini_case() {
	local rate=$1 out
	rm -rf "$TMP/run"
	"$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --name src --daemonize --serial none \
		--no-host-workarounds --append "$(append "$rate")" </dev/null >/dev/null 2>&1 || return 1
	PIDS+=("$(cat "$TMP/run/src.pid")")
	wait_line "$TMP/run/src.console" dirty-ready "$BOOT_WAIT" || return 1
	"$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --name dst --daemonize --serial none \
		--no-host-workarounds --append "$(append "$rate")" --incoming "tcp:127.0.0.1:$PORT" </dev/null >/dev/null 2>&1 || return 1
	PIDS+=("$(cat "$TMP/run/dst.pid")")
	qmp_json "$TMP/run/src.qmp" migrate-set-parameters '{"downtime-limit": 300, "max-bandwidth": 0}' >/dev/null
	qmp_json "$TMP/run/src.qmp" migrate "{\"uri\": \"tcp:127.0.0.1:$PORT\"}" >/dev/null || return 1
	for _ in $(seq 1200); do
		out=$(qmp_json "$TMP/run/src.qmp" query-migrate) || break
		case "$out" in *'"completed"'*) stats "$out"; break ;; *'"failed"'* | *'"cancelled"'*) return 1 ;; esac
		sleep 0.05
	done
	python3 "$QC" "$TMP/run/dst.qmp" quit >/dev/null 2>&1
	sleep 1
}

qemu_case() {
	local rate=$1 out
	local q=("$QEMU" -M pc -enable-kvm -cpu "$QEMU_CPU" -m 256 -smp 1 -display none -serial "file:$TMP/q.console"
		-kernel "$VMLINUX" -initrd "$INITRD" -append "$(append "$rate")")
	rm -f "$TMP/q.console" "$TMP/qs.qmp" "$TMP/qd.qmp"
	"${q[@]}" -qmp "unix:$TMP/qs.qmp,server=on,wait=off" </dev/null >/dev/null 2>&1 &
	PIDS+=($!)
	wait_line "$TMP/q.console" dirty-ready "$BOOT_WAIT" || return 1
	"${q[@]}" -serial null -qmp "unix:$TMP/qd.qmp,server=on,wait=off" -incoming "tcp:127.0.0.1:$PORT" \
		</dev/null >/dev/null 2>&1 &
	PIDS+=($!)
	sleep 2
	qmp_json "$TMP/qs.qmp" migrate-set-parameters '{"downtime-limit": 300, "max-bandwidth": 0}' >/dev/null
	qmp_json "$TMP/qs.qmp" migrate "{\"uri\": \"tcp:127.0.0.1:$PORT\"}" >/dev/null || return 1
	for _ in $(seq 1200); do
		out=$(qmp_json "$TMP/qs.qmp" query-migrate) || break
		case "$out" in *'"completed"'*) stats "$out"; break ;; *'"failed"'* | *'"cancelled"'*) return 1 ;; esac
		sleep 0.05
	done
	qmp_json "$TMP/qs.qmp" quit >/dev/null
	qmp_json "$TMP/qd.qmp" quit >/dev/null
	sleep 1
}

for rate in 0 "$RATE"; do
	k=$(kvmini_case "$rate") || k=
	q=
	[ "$HAVE_QEMU" = 1 ] && { q=$(qemu_case "$rate") || q=; }
	read -r kt kd kb <<<"$k"
	read -r qt qd qb <<<"$q"
	table_begin "live migration, 256 MiB guest, $([ "$rate" = 0 ] && echo idle || echo "dirtying $rate MiB/s")" qemu
	table_row "total time (ms)" "${kt:-}" "${qt:-}" lower %.0f
	table_row "downtime (ms)" "${kd:-}" "${qd:-}" lower %.0f
	table_row "sent (MiB)" "$([ -n "${kb:-}" ] && echo "$kb / 1048576" | bc -l)" "$([ -n "${qb:-}" ] && echo "$qb / 1048576" | bc -l)" lower
	table_end
done
