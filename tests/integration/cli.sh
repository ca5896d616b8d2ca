# SPDX-License-Identifier: GPL-2.0-or-later
# Bad user input: one clear "kvmini: ..." line, the right exit status, never a crash.
. "$(dirname "$0")/lib.bash"

# expect_error DESC STATUS CAUSE ARGS...: kvmini ARGS exits STATUS with exactly one line on stderr,
# "kvmini: ...", that names the cause (CAUSE: an extended regular expression). The cause matters:
# a run refused for another reason (no /dev/kvm access, say) must not count as this refusal.
expect_error() {
	local desc=$1 want=$2 cause=$3
	shift 3
	local rc=0
	"$KVMINI" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
	local lines
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -q '^kvmini: ' "$TMP/err" &&
		grep -Eq -- "$cause" "$TMP/err"; then
		ok "$desc (exit $rc: $(cat "$TMP/err"))"
	else
		not_ok "$desc: exit $rc (want $want, a line naming /$cause/), stderr: $(head -c 400 "$TMP/err")"
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

expect_error "no command" 2 'no command'
expect_error "unknown command" 2 'frobnicate: unknown command' frobnicate
# the QEMU front end (kvmini qemu, or kvmini behind a qemu-system-x86_64 symlink): the seed's two
# command lines are translated whole (IDE disk, IDE CD-ROM, firmware boot order, VNC, the old -net
# pair) and reach kvmini run, which names the seed's image, missing here; its -nettap typo gets a
# suggestion, and each option kvmini lacks its own line
ln -s "$KVMINI" "$TMP/qemu-system-x86_64"
SEED1="-enable-kvm -name ubuntutest -m 2048 -hda $TMP/ubuntutest.img -cdrom $TMP/ubuntu.iso -boot d"
expect_error "qemu: the seed's first line reaches kvmini run" 1 "^kvmini: --disk $TMP/ubuntutest.img: No such file" \
	qemu $SEED1 -vnc :19
rc=0
"$TMP/qemu-system-x86_64" $SEED1 -net nic,model=virtio -net tap,ifname=tap0,script=no,downscript=no \
	</dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
check "qemu-system-x86_64 symlink: the seed's second line reaches kvmini run, one line, status 1 ($(cat "$TMP/err"))" \
	bash -c "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q '^kvmini: --disk $TMP/ubuntutest.img: No such file' '$TMP/err'"
expect_error "qemu: the seed's -nettap typo names -net tap" 2 \
	"^kvmini: -nettap,ifname=tap0,script=no,downscript=no: unknown option \(did you mean '-net tap,ifname=tap0,script=no,downscript=no'\?\)$" \
	qemu -enable-kvm -m 2048 -nettap,ifname=tap0,script=no,downscript=no
expect_error "qemu: a malformed -vnc is one line" 2 '^kvmini: -vnc :bad: expected :N' qemu -kernel "$TMP/garbage" -vnc :bad
expect_error "qemu: -pidfile" 2 '^kvmini: -pidfile: not supported yet' qemu -kernel "$TMP/garbage" -pidfile "$TMP/p"
expect_error "qemu: -qmp" 2 '^kvmini: -qmp: not supported yet' qemu -kernel "$TMP/garbage" -qmp "unix:$TMP/q,server,nowait"
expect_error "qemu: -device ide-hd on an AHCI port that does not exist" 2 '^kvmini: -device ide-hd,drive=d,bus=ahci0.7: bus=ahci0.7: an AHCI port is' \
	qemu -kernel "$TMP/garbage" -device ahci,id=ahci0 -drive file="$TMP/garbage",if=none,id=d -device ide-hd,drive=d,bus=ahci0.7
expect_error "qemu: -boot with a device the firmware cannot boot" 2 "^kvmini: -boot n: kvmini's firmware boots c" qemu -m 256 -cdrom "$TMP/garbage" -boot n
expect_error "qemu: an unknown option" 2 '^kvmini: -usb: unknown option$' qemu -kernel "$TMP/garbage" -usb
expect_error "qemu: a translated line reaches kvmini run's checks" 2 '^kvmini: --mem 1M: a guest needs at least 16M' qemu -kernel "$TMP/garbage" -m 1
expect_error "unknown option" 2 '--frobnicate: unknown option' run --kernel "$TMP/garbage" --frobnicate
expect_error "option without its value" 2 '--kernel: needs a value' run --kernel
expect_error "--append without --kernel" 2 '--append: needs --kernel' run --mem 512M --append console=ttyS0
expect_error "--mem 0" 2 '--mem 0: .*at least' run --kernel "$TMP/garbage" --mem 0
expect_error "--mem 99T" 2 '--mem 99.*more than this host' run --kernel "$TMP/garbage" --mem 99T
expect_error "--mem garbage" 2 '--mem lots: expected a size' run --kernel "$TMP/garbage" --mem lots
expect_error "--cpus 0" 2 '--cpus 0: expected a number' run --kernel "$TMP/garbage" --cpus 0
expect_error "--cpus -1" 2 '--cpus -1: expected a number' run --kernel "$TMP/garbage" --cpus -1
expect_error "--cpus absurd" 2 '--cpus 100000: expected a number' run --kernel "$TMP/garbage" --cpus 100000
expect_error "--serial bogus" 2 '--serial bogus: expected' run --kernel "$TMP/garbage" --serial bogus
expect_error "missing kernel file" 1 '--kernel .*nonexistent: No such file' run --kernel "$TMP/nonexistent"
expect_error "kernel is a directory" 1 '--kernel .*: not a regular file' run --kernel "$TMP"
expect_error "empty kernel file" 1 '--kernel .*empty: empty file' run --kernel "$TMP/empty"
expect_error "missing initrd file" 1 '--initrd .*nonexistent: No such file' \
	run --kernel "$TMP/garbage" --initrd "$TMP/nonexistent"
expect_error "missing /dev/kvm" 1 'no-kvm: no such device' run --kernel "$TMP/garbage" --kvm "$TMP/no-kvm"
expect_error "--gdb not tcp:[HOST]:PORT" 2 '--gdb 1234: expected tcp:\[HOST\]:PORT' run --kernel "$TMP/garbage" --gdb 1234
expect_error "--gdb-wait without --gdb" 2 '--gdb-wait: needs --gdb' run --kernel "$TMP/garbage" --gdb-wait

# these need an open /dev/kvm (the host's vCPU limit; kernels are parsed after KVM opens)
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	expect_error "--cpus above the host limit" 2 '--cpus 300: .*at most [0-9]+' \
		run --kernel "$TMP/garbage" --cpus 300 --serial none
	expect_error "kernel that is neither bzImage nor ELF" 1 '--kernel .*garbage: not a bzImage or ELF' \
		run --kernel "$TMP/garbage" --serial none
	expect_error "bzImage with a too old boot protocol" 1 '--kernel .*oldbz: .*boot protocol is older' \
		run --kernel "$TMP/oldbz" --serial none
	expect_error "truncated ELF" 1 '--kernel .*shortelf: truncated ELF' run --kernel "$TMP/shortelf" --serial none
else
	skip "host vCPU limit and corrupt kernels: /dev/kvm is missing or not accessible"
fi

for sub in "" run img; do
	if "$KVMINI" $sub --help >"$TMP/help" 2>&1 && grep -q 'Usage' "$TMP/help"; then
		ok "kvmini $sub --help"
	else
		not_ok "kvmini $sub --help: $(head -c 300 "$TMP/help")"
	fi
done
