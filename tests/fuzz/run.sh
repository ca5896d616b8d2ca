#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs libFuzzer targets: tests/fuzz/run.sh SECONDS [fuzz_NAME...] (default: every built target).
# Each runs SECONDS at nice 19 over its seeds (tests/fuzz/corpus/<target>/, never written) and its
# working corpus (build/fuzz/corpus/<target>/, where new inputs go). Prints per target
#   ok - fuzz_X: N execs, 0 crashes
#   not ok - fuzz_X: crash, input in build/fuzz/crashes/fuzz_X-... (log: build/fuzz/logs/fuzz_X.log)
# Reproduce a crash with: build/fuzz/fuzz_X build/fuzz/crashes/fuzz_X-<hash>
# FUZZ_JOBS=2 runs two targets at once (the default is one: the machine is shared).
set -u
cd "$(dirname "$0")/../.."
secs=${1:?usage: tests/fuzz/run.sh SECONDS [fuzz_NAME...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for b in build/fuzz/fuzz_*; do
		[ -x "$b" ] && [ "${b%.d}" = "$b" ] && targets+=("$(basename "$b")")
	done
fi
[ ${#targets[@]} -gt 0 ] || { echo "not ok - fuzz: no targets built (make fuzz-build)"; exit 1; }
mkdir -p build/fuzz/logs build/fuzz/crashes

run_one() {
	local t=$1 log=build/fuzz/logs/$1.log
	mkdir -p "build/fuzz/corpus/$t" "tests/fuzz/corpus/$t"
	rm -f build/fuzz/crashes/"$t"-*
	# -close_fd_mask=2: the devices' one-line logs about bad guest input would flood the log;
	# sanitizer reports still reach it. -rss_limit_mb: a parser that allocates what a header
	# claims is a finding too.
	nice -n 19 "build/fuzz/$t" -max_total_time="$secs" -print_final_stats=1 -close_fd_mask=2 \
		-rss_limit_mb=2048 -timeout=10 -artifact_prefix="build/fuzz/crashes/$t-" \
		"build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	local rc=$? execs crashes
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	crashes=$(find build/fuzz/crashes -name "$t-*" | wc -l)
	if [ $rc -eq 0 ] && [ "$crashes" -eq 0 ] && [ -n "$execs" ]; then
		echo "ok - $t: ${execs} execs, 0 crashes (${secs}s)"
	else
		echo "not ok - $t: exit $rc, $crashes crash input(s) in build/fuzz/crashes/ (log: $log)"
		grep -m 3 -E 'ERROR|SUMMARY|fuzz harness' "$log" | sed 's/^/    /'
		return 1
	fi
}

status=0 jobs=${FUZZ_JOBS:-1}
if [ "$jobs" -gt 1 ]; then
	for t in "${targets[@]}"; do
		run_one "$t" >"build/fuzz/logs/$t.result" &
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	done
	wait
	for t in "${targets[@]}"; do
		cat "build/fuzz/logs/$t.result"
		grep -q '^ok - ' "build/fuzz/logs/$t.result" || status=1
	done
else
	for t in "${targets[@]}"; do run_one "$t" || status=1; done
fi
exit $status
