#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Restore latency: how long from starting the VMM until a saved Linux guest runs again, against a
# cold boot of the same guest and against qemu's restore from a file, in one run (issue 9 item 8).
# The guest: the test kernel + initramfs-test.cpio, 256M, its init counting (kvtest=count).
#  - kvmini restore: `kvmini snapshot` of the running guest once, then BENCH_RUNS times
#    `kvmini run --restore DIR --name N`: ms from the exec until QMP query-status says running
#    (polled every 2 ms). kvmini maps the memory file privately: pages load as the guest touches
#    them, so this is before all of RAM is read.
#  - qemu restore: qemu `migrate "exec:cat > FILE"` of the same guest once, then BENCH_RUNS times
#    qemu -incoming "exec:cat FILE": ms until query-status says running (all of RAM read first).
#  - cold boot, both: ms from the exec to the guest's first init line (KVMINI-INIT: start).
# Medians; ratios kvmini/qemu and restore/cold boot.
set -uo pipefail
BENCH_NAME=restore
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_linux_kit
TMP=$(mktemp -d)
export KVMINI_RUNTIME_DIR=$TMP/run KVMINI_CONFIG_DIR=$TMP/cfg
QPID=
cleanup() {
	for p in "$TMP"/run/*.pid; do [ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null; done
	[ -z "$QPID" ] || kill -KILL "$QPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
PVM=$(bench_pvm_params)
MEM=256M
APPEND="console=ttyS0 quiet kvtest=count:100000"
QEMU_MACHINE="${QEMU_MACHINE:-microvm,acpi=on}"
QC=$TOP/tests/tools/qmpclient.py
qemu_base() { QCMD=("$QEMU" -M "$QEMU_MACHINE" -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 -display none
	-kernel "$VMLINUX" -initrd "$INITRD" -append "$APPEND${PVM:+ $PVM}" -qmp "unix:$1,server=on,wait=off"
	-serial "file:$2"); }

# running_ms T0 SOCK: ms from T0 (ns) until SOCK's VMM answers query-status "running" (empty if
# not within 60 s)
running_ms() {
	python3 - "$1" "$2" "$QC" <<'PY'
import importlib.util, sys, time
t0, path, qc = int(sys.argv[1]), sys.argv[2], sys.argv[3]
spec = importlib.util.spec_from_file_location("qmpclient", qc)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
end = time.time() + 60
q = None
while time.time() < end:
    try:
        if q is None:
            q = m.QMP(path, timeout=5)
            q.cmd("qmp_capabilities")
        if q.cmd("query-status").get("return", {}).get("status") == "running":
            print("%.1f" % ((time.time_ns() - t0) / 1e6))
            break
    except (OSError, EOFError, ValueError):
        q = None
    time.sleep(0.002)
PY
}

# wait_for FILE TEXT: up to 180 s
wait_for() { for _ in $(seq 1800); do grep -aq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# --- kvmini: cold boots, one snapshot, restores
kvmini_cold=() kvmini_rest=() qemu_cold=() qemu_rest=()
for ((i = 1; i <= BENCH_RUNS; i++)); do
	run_serial "$TMP/kcold-$i.log" "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem $MEM \
		--append "console=ttyS0 quiet kvtest=poweroff" --serial stdio
	[ -z "$RUN_INIT_MS" ] || kvmini_cold+=("$RUN_INIT_MS")
done
"$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem $MEM --append "$APPEND" --name src --daemonize \
	--serial none </dev/null >/dev/null 2>"$TMP/src.err" || bench_die "kvmini: the source VM did not start: $(head -1 "$TMP/src.err")"
wait_for "$TMP/run/src.console" 'count 2 ' || bench_die "kvmini: the source guest never counted"
"$KVMINI" snapshot src "$TMP/ksnap" --pause >/dev/null 2>"$TMP/snap.err" || bench_die "kvmini snapshot: $(cat "$TMP/snap.err")"
kill -KILL "$(cat "$TMP/run/src.pid")"
sleep 0.5
for ((i = 1; i <= BENCH_RUNS; i++)); do
	t0=$(date +%s%N)
	"$KVMINI" run --restore "$TMP/ksnap" --name r$i --serial none </dev/null >/dev/null 2>"$TMP/r$i.err" &
	ms=$(running_ms "$t0" "$TMP/run/r$i.qmp")
	wait_for "$TMP/run/r$i.console" 'count ' || ms=
	kill -KILL $! 2>/dev/null
	wait $! 2>/dev/null
	[ -n "$ms" ] && kvmini_rest+=("$ms") || echo "  kvmini restore $i: failed ($(head -1 "$TMP/r$i.err"))"
done

# --- qemu: cold boots, one migration to a file, incoming restores
if [ "$HAVE_QEMU" = 1 ]; then
	for ((i = 1; i <= BENCH_RUNS; i++)); do
		run_serial "$TMP/qcold-$i.log" "$QEMU" -M "$QEMU_MACHINE" -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 \
			-nographic -no-reboot -kernel "$VMLINUX" -initrd "$INITRD" -append "console=ttyS0 quiet kvtest=poweroff${PVM:+ $PVM}"
		[ -z "$RUN_INIT_MS" ] || qemu_cold+=("$RUN_INIT_MS")
	done
	qemu_base "$TMP/qsrc.qmp" "$TMP/qsrc.log"
	"${QCMD[@]}" </dev/null >/dev/null 2>"$TMP/qsrc.err" &
	QPID=$!
	if wait_for "$TMP/qsrc.log" 'count 2 '; then
		python3 "$QC" "$TMP/qsrc.qmp" migrate "{\"uri\": \"exec:cat > $TMP/qstate\"}" >/dev/null
		for _ in $(seq 600); do
			st=$(python3 "$QC" "$TMP/qsrc.qmp" query-migrate 2>/dev/null)
			case $st in *completed*|*failed*) break ;; esac
			sleep 0.1
		done
		case $st in *completed*) ;; *) echo "  qemu: migrate to a file did not complete: $st" ;; esac
	else
		echo "  qemu: the source guest never counted: $(head -1 "$TMP/qsrc.err")"
	fi
	kill -KILL $QPID 2>/dev/null
	wait $QPID 2>/dev/null
	QPID=
	for ((i = 1; i <= BENCH_RUNS; i++)); do
		[ -s "$TMP/qstate" ] || break
		qemu_base "$TMP/q$i.qmp" "$TMP/q$i.log"
		t0=$(date +%s%N)
		"${QCMD[@]}" -incoming "exec:cat $TMP/qstate" </dev/null >/dev/null 2>"$TMP/q$i.err" &
		QPID=$!
		ms=$(running_ms "$t0" "$TMP/q$i.qmp")
		wait_for "$TMP/q$i.log" 'count ' || ms=
		kill -KILL $QPID 2>/dev/null
		wait $QPID 2>/dev/null
		QPID=
		[ -n "$ms" ] && qemu_rest+=("$ms") || echo "  qemu restore $i: failed ($(head -1 "$TMP/q$i.err"))"
	done
fi

kr=$(median "${kvmini_rest[@]}") qr=$(median "${qemu_rest[@]}") kc=$(median "${kvmini_cold[@]}") qc=$(median "${qemu_cold[@]}")
table_begin "restore: Linux guest, $MEM, exec -> running, median of $BENCH_RUNS (qemu -M $QEMU_MACHINE)" qemu
table_row "ms restore (kvmini --restore | qemu -incoming)" "$kr" "$qr" lower
table_row "ms cold boot to init" "$kc" "$qc" lower
table_row "restore / cold boot" "$([ -n "$kr" ] && [ -n "$kc" ] && awk -v a="$kr" -v b="$kc" 'BEGIN { printf "%.3f", a / b }')" \
	"$([ -n "$qr" ] && [ -n "$qc" ] && awk -v a="$qr" -v b="$qc" 'BEGIN { printf "%.3f", a / b }')" lower %.3f
echo "  (state on disk: kvmini $(du -k "$TMP/ksnap/memory" 2>/dev/null | cut -f1) KiB sparse memory file +" \
	"$(du -k "$TMP/ksnap/state" 2>/dev/null | cut -f1) KiB state; qemu $(du -k "$TMP/qstate" 2>/dev/null | cut -f1) KiB stream)"
[ ${#kvmini_rest[@]} -gt 0 ] || { echo "  kvmini: FAILED to restore (see above)"; exit 1; }
exit 0
