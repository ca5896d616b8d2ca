#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# VMM startup and memory overhead, kvmini vs qemu -M microvm, the same Linux guest (test kernel +
# initramfs-test.cpio) and command line for both, BENCH_RUNS times each (default 3), interleaved;
# medians.
#  - process start to first KVM_RUN: `strace -f -ttt -e trace=execve,ioctl`, the time between the
#    VMM's execve and its first ioctl(..., KVM_RUN, ...); the VM is killed right after.
#  - VMM RSS beyond guest RAM: a second run with `kvtest=sleep:5,poweroff`; 1 s after the init
#    line, /proc/PID/smaps of the VMM, the Rss of every mapping except guest RAM (mappings at
#    least as large as the guest's memory).
# strace is a Debian package: it is installed with apt-get when missing (as root).
set -uo pipefail
BENCH_NAME=startup
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

bench_start "$@"
bench_linux_kit
TMP=$(mktemp -d)
VPID=
trap '[ -z "$VPID" ] || kill -KILL "$VPID" 2>/dev/null; rm -rf "$TMP"' EXIT

HAVE_STRACE=1
if ! command -v strace >/dev/null 2>&1; then
	bench_note "strace is missing: installing the Debian package strace"
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends strace >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends strace >/dev/null 2>&1; }
	fi
	command -v strace >/dev/null 2>&1 || { HAVE_STRACE=0; bench_note "no strace: startup time skipped (apt-get install strace)"; }
fi

PVM=$(bench_pvm_params)
MEM=256M
MEM_KB=$((256 * 1024))
QEMU_MACHINE="${QEMU_MACHINE:-microvm,acpi=on}"
kvmini_cmd() { CMD=("$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --append "$1" --mem $MEM --cpus 1 --serial stdio); }
qemu_cmd() { CMD=("$QEMU" -M "$QEMU_MACHINE" -enable-kvm -cpu "$QEMU_CPU" -m $MEM -smp 1 -nographic -no-reboot
	-kernel "$VMLINUX" -initrd "$INITRD" -append "$1${PVM:+ $PVM}"); }

# startup_ms NAME: START_MS = ms from the VMM's execve to its first KVM_RUN (empty on failure)
startup_ms() {
	local st="$TMP/strace-$1-$i" pid t
	VPID=
	"$1_cmd" "console=ttyS0 quiet kvtest=poweroff"
	strace -f -ttt --seccomp-bpf -e trace=execve,ioctl -o "$st" "${CMD[@]}" </dev/null >/dev/null 2>"$st.err" &
	pid=$!
	for ((t = 0; t < 600; t++)); do   # up to 60 s
		[ -z "$VPID" ] && [ -s "$st" ] && VPID=$(awk 'NR == 1 { print $1 }' "$st")
		grep -q 'KVM_RUN' "$st" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	# the VMM, not strace: a signalled strace detaches and leaves its tracee running
	[ -z "$VPID" ] && [ -s "$st" ] && VPID=$(awk 'NR == 1 { print $1 }' "$st")
	if [ -n "$VPID" ]; then kill -KILL "$VPID" 2>/dev/null; else kill -KILL $pid 2>/dev/null; fi
	wait $pid 2>/dev/null
	VPID=
	START_MS=$(awk '$3 ~ /^execve\(/ && !e { e = $2 } /KVM_RUN/ { if (e) printf "%.1f\n", ($2 - e) * 1000; exit }' "$st")
}

# smaps of the VMM (child of the timeout process run_serial started): RSS_OTHER (kB outside
# guest RAM), RSS_RAM (kB in guest RAM mappings)
RSS_OTHER= RSS_RAM=
sample_rss() {
	local vmm
	vmm=$(cat "/proc/$1/task/$1/children" 2>/dev/null | awk '{ print $1 }')
	[ -n "$vmm" ] && [ -r "/proc/$vmm/smaps" ] || return 0
	read -r RSS_OTHER RSS_RAM < <(awk -v mem="$MEM_KB" '
		/^Size:/ { size = $2 }
		/^Rss:/ { if (size >= mem) ram += $2; else other += $2 }
		END { print other + 0, ram + 0 }' "/proc/$vmm/smaps")
}
rss_run() {
	RSS_OTHER= RSS_RAM=
	"$1_cmd" "console=ttyS0 quiet kvtest=sleep:5,poweroff"
	RUN_HOOK=sample_rss RUN_HOOK_DELAY=1 run_serial "$TMP/$1-rss-$i.log" "${CMD[@]}"
	if [ -z "$RSS_OTHER" ]; then
		echo "  $1 run $i: no RSS sample ($(run_status)${RUN_INIT_MS:+, reached init}$([ -n "$RUN_INIT_MS" ] || echo ", never reached init")); last output:"
		{ tail -n 4 "$TMP/$1-rss-$i.log"; tail -n 4 "$TMP/$1-rss-$i.log.err"; } | sed 's/^/    | /'
	fi
}

kvmini_start=() qemu_start=() kvmini_rss=() qemu_rss=() kvmini_ram=() qemu_ram=()
for ((i = 1; i <= BENCH_RUNS; i++)); do
	for vmm in kvmini qemu; do
		[ "$vmm" = kvmini ] || [ "$HAVE_QEMU" = 1 ] || continue
		if [ "$HAVE_STRACE" = 1 ]; then
			startup_ms $vmm
			if [ -n "$START_MS" ]; then eval "${vmm}_start+=(\"\$START_MS\")"
			else echo "  $vmm run $i: no KVM_RUN within 60 s"; tail -n 3 "$TMP/strace-$vmm-$i.err" | sed 's/^/    | /'; fi
		fi
		rss_run $vmm
		[ -z "$RSS_OTHER" ] || eval "${vmm}_rss+=(\"\$RSS_OTHER\") ${vmm}_ram+=(\"\$RSS_RAM\")"
	done
done

table_begin "startup: VMM process start to first KVM_RUN; VMM memory, Linux guest, $MEM, median of $BENCH_RUNS (qemu -M $QEMU_MACHINE)" qemu
[ "$HAVE_STRACE" = 0 ] || table_row "ms execve -> first KVM_RUN (strace)" "$(median "${kvmini_start[@]}")" "$(median "${qemu_start[@]}")" lower
table_row "VMM RSS excl. guest RAM (KiB)" "$(median "${kvmini_rss[@]}")" "$(median "${qemu_rss[@]}")" lower %.0f
table_row "guest RAM RSS (KiB, info)" "$(median "${kvmini_ram[@]}")" "$(median "${qemu_ram[@]}")" lower %.0f
echo "  (the strace times include strace's own cost per traced execve/ioctl, the same for both;"
echo "   RSS sampled 1 s after the guest's init started, during kvtest=sleep:5)"
[ ${#kvmini_rss[@]} -gt 0 ] || { echo "  kvmini: FAILED to run the Linux guest (see above)"; exit 1; }
exit 0
