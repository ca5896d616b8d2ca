#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke test of the libFuzzer targets (make fuzz-build): each runs a few seconds over its seeds and
# must find no crash. The long runs are `make fuzz FUZZ_SECONDS=N`. FUZZ_SMOKE_SECONDS overrides 5.
set -u
cd "$(dirname "$0")/../.."
if ! command -v "${FUZZ_CC:-clang-14}" >/dev/null; then
	echo "not ok - fuzz: ${FUZZ_CC:-clang-14} is not installed (a test dependency: run tools/install-deps)"
	exit 1
fi
if ! make -s fuzz-build >build/fuzz-build.log 2>&1; then
	echo "not ok - fuzz: make fuzz-build failed (build/fuzz-build.log)"
	tail -n 20 build/fuzz-build.log
	exit 1
fi
exec tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-5}"
