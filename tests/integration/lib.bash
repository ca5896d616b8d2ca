# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for integration tests: TAP-like result lines that tests/run-all counts, a scratch
# directory, and guest runs with a time limit.
KVMINI=${KVMINI:-$PWD/kvmini}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

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
