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
# suggestion, each option kvmini lacks its own line (-qmp tcp:); -qmp unix:, -pidfile, -S and
# -machine q35 work (further down, on the ticker guest)
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
expect_error "qemu: -qmp tcp: is refused" 2 "^kvmini: -qmp tcp:127.0.0.1:4444,server,nowait: kvmini's QMP listens on unix sockets only" \
	qemu -kernel "$TMP/garbage" -qmp tcp:127.0.0.1:4444,server,nowait
expect_error "qemu: an unwritable -pidfile" 1 "^kvmini: --pidfile $TMP/nodir/p: No such file" \
	qemu -kernel "$TOP/build/guest/ticker.elf" -display none -pidfile "$TMP/nodir/p"
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

# the QEMU front end's control options on the ticker guest (no Linux): -qmp unix:...,server,nowait
# and -pidfile with -daemonize (no -name), then -machine q35 putting -hda/-cdrom on AHCI
TICKER=$TOP/build/guest/ticker.elf
QC=$TOP/tests/tools/qmpclient.py
if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	skip "qemu -qmp, -pidfile, -M q35: /dev/kvm is missing or not accessible"
elif [ ! -f "$TICKER" ]; then
	not_ok "qemu -qmp, -pidfile, -M q35: ticker guest not built (make guests)"
else
	truncate -s 1M "$TMP/disk.img"
	rc=0
	"$KVMINI" qemu -enable-kvm -m 64 -kernel "$TICKER" -display none -daemonize -pidfile "$TMP/vm.pid" \
		-qmp "unix:$TMP/vm.qmp,server,nowait" </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
	pid=$(cat "$TMP/vm.pid" 2>/dev/null)
	check "qemu -daemonize -pidfile: exit 0 once running, the pid file names the live daemon (pid ${pid:-none}, $(cat "$TMP/err"))" \
		bash -c "[ $rc -eq 0 ] && [ -n '$pid' ] && [ -d /proc/$pid ] && grep -q kvmini /proc/$pid/cmdline"
	# the greeting first, then the answers: qmpclient.py fails without a QMP greeting
	python3 "$QC" "$TMP/vm.qmp" query-status >"$TMP/status" 2>&1
	check "qemu -qmp unix:PATH,server,nowait: greeting and query-status on that socket ($(cat "$TMP/status"))" \
		grep -q '"status": "running"' "$TMP/status"
	python3 "$QC" "$TMP/vm.qmp" quit >/dev/null 2>&1
	gone=0
	[ -n "$pid" ] && wait_gone "$pid" && gone=1
	check "QMP quit on the -qmp socket ends the daemon; its pid file and socket are removed" \
		bash -c "[ $gone -eq 1 ] && [ ! -e '$TMP/vm.pid' ] && [ ! -e '$TMP/vm.qmp' ]"
	[ "$gone" -eq 1 ] || kill -KILL "$pid" 2>/dev/null
	# -M q35: QEMU's q35 has its IDE drives on the ICH9 AHCI controller; kvmini's AHCI (ahci0's
	# MMIO BAR) is there and the PIIX3 IDE ports are not, where -M pc has them
	for machine in pc q35; do
		rc=0
		"$KVMINI" qemu -M $machine -m 64 -kernel "$TICKER" -display none -hda "$TMP/disk.img" -cdrom "" \
			-qmp "unix:$TMP/$machine.qmp,server=on,wait=off" -S -daemonize -pidfile "$TMP/$machine.pid" \
			</dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
		python3 "$QC" "$TMP/$machine.qmp" __org.kvmini_query-devices >"$TMP/$machine.devs" 2>&1
		python3 "$QC" "$TMP/$machine.qmp" query-status >"$TMP/$machine.status" 2>&1
		python3 "$QC" "$TMP/$machine.qmp" quit >/dev/null 2>&1
		pid=$(cat "$TMP/$machine.pid" 2>/dev/null)
		[ -n "$pid" ] && { wait_gone "$pid" || kill -KILL "$pid"; }
		[ $rc -eq 0 ] || echo "# -M $machine: exit $rc: $(cat "$TMP/err")"
	done
	check "qemu -M pc: -hda and -cdrom on the PIIX3 IDE ports, no AHCI" \
		bash -c "grep -q '\"ide0\"' '$TMP/pc.devs' && ! grep -q ahci0 '$TMP/pc.devs'"
	check "qemu -M q35: -hda and -cdrom on the AHCI controller (ahci0), no IDE ports" \
		bash -c "grep -q '\"ahci0\", \"bus\": \"mmio\"' '$TMP/q35.devs' && ! grep -q '\"ide0\"' '$TMP/q35.devs'"
	check "qemu -S with -qmp: the VM waits paused" grep -q '"status": "paused"' "$TMP/q35.status"
fi

for sub in "" run img; do
	if "$KVMINI" $sub --help >"$TMP/help" 2>&1 && grep -q 'Usage' "$TMP/help"; then
		ok "kvmini $sub --help"
	else
		not_ok "kvmini $sub --help: $(head -c 300 "$TMP/help")"
	fi
done
