# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for integration tests: TAP-like result lines that tests/run-all counts, a scratch
# directory, and guest runs with a time limit.
KVMINI=${KVMINI:-$PWD/kvmini}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# a named VM's run files and definitions stay in this test's scratch space, never /run or /etc
export KVMINI_RUNTIME_DIR=$TMP/run KVMINI_CONFIG_DIR=$TMP/cfg

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
skip() { echo "skip - $*"; }

# check DESCRIPTION COMMAND...: one result line from a command's status
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# Tests that boot anything need a usable /dev/kvm: without one they say so and skip.
need_kvm() {
	if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		skip "$1: /dev/kvm is missing or not accessible on this machine"
		exit 0
	fi
}

# named_vms: for scripts that run named VMs of the ticker guest (tests/guest/ticker.S): run files
# and config under $TMP ($RUN is the runtime dir), $TICKER and the QMP client $QC, and every VM
# the script started killed at exit, whatever happened.
named_vms() {
	export KVMINI_RUNTIME_DIR=$TMP/run KVMINI_CONFIG_DIR=$TMP/cfg
	RUN=$TMP/run
	TICKER=$TOP/build/guest/ticker.elf
	QC=$TOP/tests/tools/qmpclient.py
	[ -f "$TICKER" ] || { not_ok "ticker guest not built (make guests)"; exit 1; }
	trap named_vms_cleanup EXIT
}
named_vms_cleanup() {
	for p in "$RUN"/*.pid; do
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$TMP"
}

# wait_gone PID: up to 20 s for a process to end
wait_gone() {
	for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

# guest_file NAME: a file of the Linux test kit (tools/build-guest), or a failure
guest_file() {
	"$TOP/tools/guest-path" "$1"
}

# run_vm SECONDS OUTFILE ARGS...: runs kvmini run ARGS with output to OUTFILE, returns its status
run_vm() {
	local secs=$1 out=$2
	shift 2
	local rc=0
	timeout --kill-after=5 "$secs" "$KVMINI" run "$@" </dev/null >"$out" 2>&1 || rc=$?
	sed -i 's/\r$//' "$out" # the guest's console ends lines with \r\n
	return $rc
}
