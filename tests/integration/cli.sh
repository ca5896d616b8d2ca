# SPDX-License-Identifier: GPL-2.0-or-later
# Bad user input: one clear "kvmini: ..." line, the right exit status, never a crash.
. "$(dirname "$0")/lib.bash"

# expect_error DESC STATUS ARGS...: kvmini ARGS exits STATUS with exactly one line on stderr
expect_error() {
	local desc=$1 want=$2
	shift 2
	local rc=0
	"$KVMINI" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
	local lines
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -q '^kvmini: ' "$TMP/err"; then
		ok "$desc (exit $rc: $(cat "$TMP/err"))"
	else
		not_ok "$desc: exit $rc (want $want), stderr: $(head -c 400 "$TMP/err")"
	fi
}

head -c 4096 /dev/urandom >"$TMP/garbage"
: >"$TMP/empty"
# a bzImage header that claims boot protocol 2.04 (too old) on a page of zeros
head -c 8192 /dev/zero >"$TMP/oldbz"
printf 'HdrS\x04\x02' | dd of="$TMP/oldbz" bs=1 seek=$((0x202)) conv=notrunc 2>/dev/null
printf '\x55\xaa' | dd of="$TMP/oldbz" bs=1 seek=$((0x1fe)) conv=notrunc 2>/dev/null
# a truncated ELF: a valid-looking 64-bit header cut short
printf '\x7fELF\x02\x01\x01' >"$TMP/shortelf"

expect_error "no command" 2
expect_error "unknown command" 2 frobnicate
expect_error "unknown option" 2 run --kernel "$TMP/garbage" --frobnicate
expect_error "option without its value" 2 run --kernel
expect_error "no kernel" 2 run --mem 512M
expect_error "--mem 0" 2 run --kernel "$TMP/garbage" --mem 0
expect_error "--mem 99T" 2 run --kernel "$TMP/garbage" --mem 99T
expect_error "--mem garbage" 2 run --kernel "$TMP/garbage" --mem lots
expect_error "--cpus 0" 2 run --kernel "$TMP/garbage" --cpus 0
expect_error "--cpus -1" 2 run --kernel "$TMP/garbage" --cpus -1
expect_error "--cpus absurd" 2 run --kernel "$TMP/garbage" --cpus 100000
expect_error "--cpus above the host limit" 2 run --kernel "$TMP/garbage" --cpus 300 --serial none
expect_error "--serial bogus" 2 run --kernel "$TMP/garbage" --serial bogus
expect_error "missing kernel file" 1 run --kernel "$TMP/nonexistent"
expect_error "kernel is a directory" 1 run --kernel "$TMP"
expect_error "empty kernel file" 1 run --kernel "$TMP/empty"
expect_error "missing initrd file" 1 run --kernel "$TMP/garbage" --initrd "$TMP/nonexistent"
expect_error "missing /dev/kvm" 1 run --kernel "$TMP/garbage" --kvm "$TMP/no-kvm"

if [ -c /dev/kvm ]; then
	expect_error "kernel that is neither bzImage nor ELF" 1 run --kernel "$TMP/garbage" --serial none
	expect_error "bzImage with a too old boot protocol" 1 run --kernel "$TMP/oldbz" --serial none
	expect_error "truncated ELF" 1 run --kernel "$TMP/shortelf" --serial none
else
	skip "corrupt kernels are refused: /dev/kvm is missing (the kernel is parsed after KVM opens)"
fi

for sub in "" run img; do
	if "$KVMINI" $sub --help >"$TMP/help" 2>&1 && grep -q 'Usage' "$TMP/help"; then
		ok "kvmini $sub --help"
	else
		not_ok "kvmini $sub --help: $(head -c 300 "$TMP/help")"
	fi
done
