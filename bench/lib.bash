# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for bench/*.sh (sourced, not run: bench/run-all runs only *.sh).
# Every benchmark runs kvmini and its peer in the same go and prints the ratio: on a PVM host
# (see README, "PVM hosts") absolute times mean little. Benchmarks never fail for being slow:
# they exit 0 unless something is broken (kvmini or a needed file missing, a VM that fails).

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KVMINI="${KVMINI:-$TOP/kvmini}"
BENCH_BUILD="$TOP/build/bench"
BENCH_RUNS="${BENCH_RUNS:-3}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-180}"   # seconds before a hung VM is killed
QEMU="${QEMU:-qemu-system-x86_64}"
# qemu 7.2's `-cpu host` aborts on a PVM host (it cannot set MSR_IA32_ARCH_CAPABILITIES);
# dropping that one feature is the closest working equivalent of `-cpu host`.
QEMU_CPU="${QEMU_CPU:-host,-arch-capabilities}"

bench_die() { echo "$BENCH_NAME: error: $*" >&2; exit 1; }
bench_note() { echo "  note: $*"; }

bench_need_kvmini() {
	[ -x "$KVMINI" ] || bench_die "kvmini not found at $KVMINI (run 'make kvmini')"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || bench_die "/dev/kvm is not usable"
}

# HAVE_QEMU=1 if the peer is installed; otherwise the benchmarks print kvmini's numbers only
bench_check_qemu() {
	if command -v "$QEMU" >/dev/null 2>&1; then
		HAVE_QEMU=1
	else
		HAVE_QEMU=0
		bench_note "$QEMU not found (Debian package qemu-system-x86): kvmini's numbers only"
	fi
}

# The guest kernel parameters kvmini adds by itself on a PVM host; qemu gets them explicitly so
# both guests see the same command line.
bench_pvm_params() {
	[ -d /sys/module/kvm_pvm ] && echo "noxsave noinvpcid clearcpuid=smap,popcnt,rdtscp,rdpid,erms,fsrm,clwb"
	return 0
}

# kit file path (tools/guest-path), or empty
bench_kit() { "$TOP/tools/guest-path" "$1" 2>/dev/null; }

# bench_start ARGS: what every benchmark does first: --help prints the script's header comment,
# then kvmini must exist and the peer is looked up.
bench_start() {
	case "${1:-}" in
	-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	esac
	bench_need_kvmini
	bench_check_qemu
}

# bench_linux_kit: VMLINUX and INITRD from the kit (or BENCH_VMLINUX/BENCH_INITRD); skips the
# benchmark (exit 0) when the kit is not built
bench_linux_kit() {
	bench_vmlinux
	INITRD="${BENCH_INITRD:-$(bench_kit initramfs-test.cpio)}"
	[ -n "$INITRD" ] || { echo "$BENCH_NAME: skipped: the Linux test kit is not built (make kit)"; exit 0; }
}

# bench_vmlinux: VMLINUX alone (the benchmarks that bring their own initramfs), skipping likewise
bench_vmlinux() {
	VMLINUX="${BENCH_VMLINUX:-$(bench_kit vmlinux)}"
	[ -n "$VMLINUX" ] || { echo "$BENCH_NAME: skipped: the Linux test kit is not built (make kit)"; exit 0; }
}

# now in ns (bash 5 EPOCHREALTIME: no fork)
now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t * 1000)); }

# median of the arguments (empty args -> empty output)
median() {
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Table: table_begin TITLE PEER; table_row METRIC KVMINI PEER lower|higher [FMT]; table_end
# (an empty value prints FAILED, or n/a for the peer when qemu is not installed)
table_begin() {
	TABLE_PEER="$2"
	echo
	echo "== $1 =="
	printf '%-40s %14s %14s %12s  %s\n' "metric" "kvmini" "$TABLE_PEER" "kvmini/$TABLE_PEER" "better is"
}
table_row() {
	local metric=$1 a=$2 b=$3 better=$4 fmt=${5:-%.1f} ra rb ratio=-
	if [ -n "$a" ]; then ra=$(printf "$fmt" "$a"); else ra=FAILED; fi
	if [ -n "$b" ]; then rb=$(printf "$fmt" "$b"); elif [ "${HAVE_QEMU:-1}" = 1 ]; then rb=FAILED; else rb=n/a; fi
	if [ -n "$a" ] && [ -n "$b" ]; then
		ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }')
	fi
	printf '%-40s %14s %14s %12s  %s\n' "$metric" "$ra" "$rb" "$ratio" "$better"
}
table_end() { :; }

# run_serial LOG CMD...: runs CMD (stdin /dev/null) with the guest serial on its stdout, stamping
# lines as they arrive (bash's EPOCHREALTIME, no fork per line). Sets RUN_RC (exit status; 124
# if killed by the timeout), RUN_INIT_MS (ms from process start to the first `KVMINI-INIT: start`
# line; empty if never seen), RUN_EXIT_MS (ms from start to exit; empty if the VM had to be
# killed). A VM still running POWEROFF_GRACE seconds (default 30) after init said `poweroff` is
# killed (RUN_RC 124). If RUN_HOOK names a function, it is called once, RUN_HOOK_DELAY seconds
# (default 1) after the init line, with the pid of the launched command (a `timeout` process).
run_serial() {
	local log=$1 line t0 tinit= tend= tpoff= rc= pid= hooked=0 now
	shift
	: >"$log"
	: >"$log.err"
	t0=$(now_ns)
	exec {RUN_FD}< <(timeout -k 5 "$BENCH_TIMEOUT" "$@" </dev/null 2>>"$log.err" &
		echo "__BENCH_PID=$!"; wait $!; echo "__BENCH_RC=$?")
	local buf= st eof=0
	while [ $eof = 0 ]; do
		line=
		IFS= read -r -t 0.2 line <&$RUN_FD
		st=$?
		now=$(now_ns)
		if [ $st -gt 128 ]; then
			buf+=$line         # timed out: keep the partial line, check the clocks below
			line=
		else
			line=$buf$line
			buf=
			[ $st = 0 ] || eof=1
		fi
		case $line in
		*"KVMINI-INIT: start"*) [ -n "$tinit" ] || tinit=$now ;;
		*"KVMINI-INIT: poweroff"*) [ -n "$tpoff" ] || tpoff=$now ;;
		__BENCH_PID=*) pid=${line#__BENCH_PID=}; line= ;;
		esac
		case $line in
		*__BENCH_RC=*) tend=$now; rc=${line##*__BENCH_RC=}; line=${line%__BENCH_RC=*} ;;
		esac
		[ -z "$line" ] || printf '%s\n' "${line%$'\r'}" >>"$log"
		if [ -n "${RUN_HOOK:-}" ] && [ $hooked = 0 ] && [ -n "$tinit" ] && [ -z "$rc" ] &&
			[ $((now - tinit)) -ge $((${RUN_HOOK_DELAY:-1} * 1000000000)) ]; then
			hooked=1
			"$RUN_HOOK" "$pid"
		fi
		if [ -n "$tpoff" ] && [ "$tpoff" != killed ] && [ -z "$rc" ] && [ -n "$pid" ] &&
			[ $((now - tpoff)) -ge $((${POWEROFF_GRACE:-30} * 1000000000)) ]; then
			echo "bench: the VM did not exit ${POWEROFF_GRACE:-30}s after the guest's poweroff; killing it" >>"$log.err"
			kill -TERM "$pid" 2>/dev/null
			tpoff=killed
		fi
	done
	exec {RUN_FD}<&-
	RUN_RC=${rc:-255}
	[ "$tpoff" != killed ] || { RUN_RC=124; tend=; }
	RUN_INIT_MS= RUN_EXIT_MS=
	[ -z "$tinit" ] || RUN_INIT_MS=$(awk -v d=$((tinit - t0)) 'BEGIN { printf "%.1f\n", d / 1e6 }')
	[ -z "$tend" ] || RUN_EXIT_MS=$(awk -v d=$((tend - t0)) 'BEGIN { printf "%.1f\n", d / 1e6 }')
	return 0
}

# after run_serial: "exit status N", or "killed: timed out"
run_status() { if [ "$RUN_RC" = 124 ]; then echo "killed: timed out"; else echo "exit status $RUN_RC"; fi; }

# bench_guest_initrd NAME: builds bench/guest/NAME.c (static, with guest_init.h) as the only file
# (/init) of an uncompressed initramfs and prints its path, $BENCH_BUILD/NAME.cpio; rebuilt when
# a source is newer. Dies if it cannot be built (cc -static needs libc6-dev).
bench_guest_initrd() {
	local src="$TOP/bench/guest/$1.c" out="$BENCH_BUILD/$1.cpio" root
	mkdir -p "$BENCH_BUILD"
	if [ ! -f "$out" ] || [ "$src" -nt "$out" ] || [ "$TOP/bench/guest/guest_init.h" -nt "$out" ]; then
		root=$(mktemp -d)
		${CC:-cc} -static -O2 -Wall -Wextra -o "$root/init" "$src" -lpthread ||
			{ rm -rf "$root"; bench_die "cannot build $src (cc -static needs libc6-dev)"; }
		(cd "$root" && echo init | cpio -o -H newc --quiet >"$out.tmp") && mv "$out.tmp" "$out"
		rm -rf "$root"
		[ -f "$out" ] || bench_die "cannot pack $out"
	fi
	echo "$out"
}

# bench_new_image FORMAT FILE SIZE: a fresh image, the same recipe (kvmini img create) for every VMM
bench_new_image() {
	rm -f "$2"
	"$KVMINI" img create -f "$1" "$2" "$3" >/dev/null || bench_die "kvmini img create -f $1 failed"
}

# blkbench_collect LOG DEV KEY METRICS...: bench/guest/blkbench.c's KVBLK lines for DEV in LOG into
# V[KEY,METRIC] (space-separated per-run values: MB/s for wr/rd, IOPS for qd1, qdN (rand-read at
# depth N), rw (rand-write at depth 1)); returns 1 when one of METRICS is missing
blkbench_collect() {
	local log=$1 dev=$2 key=$3 m v pat ok=0
	shift 3
	for m in "$@"; do
		case $m in
		wr) pat="seq-write mib" ;;
		rd) pat="seq-read mib" ;;
		rw) pat="rand-write qd=1 n" ;;
		qd*) pat="rand-read qd=${m#qd} n" ;;
		esac
		v=$(sed -n "s/^KVBLK: dev=$dev $pat=\([0-9]*\) ns=\([0-9]*\).*/\1 \2/p" "$log" |
			if [[ $m == wr || $m == rd ]]; then awk '{ printf "%.2f", $1 * 1048576 / $2 * 1000 }'; else awk '{ printf "%.1f", $1 / $2 * 1e9 }'; fi)
		if [ -n "$v" ]; then V[$key,$m]+=" $v"; else ok=1; fi
	done
	return $ok
}

# blkbench_failed NAME LOG: the report of a failed or incomplete run (its KVBLK errors and last lines)
blkbench_failed() {
	echo "  $1 run $i: FAILED ($(run_status)); last output:"
	{ grep 'KVBLK: error' "$2"; tail -n 4 "$2"; tail -n 4 "$2.err"; } | sed 's/^/    | /'
}
