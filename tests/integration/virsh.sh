# SPDX-License-Identifier: GPL-2.0-or-later
# The virsh verbs on three ticker guests at once (tests/guest/ticker.S: "TICK n" ten times a second,
# "TINY: power button" then an ACPI poweroff), defined from domain XML: define, start, list, suspend
# (the ticker stops), resume, shutdown through the guest's own poweroff, destroy, reboot, dumpxml ->
# define round trip and the uuid rules, create (transient), bad input, shutdown racing destroy, a
# kill -9'd VM restarted over its stale socket, another user kept out, and console. The guests
# boot in milliseconds; every command has a time limit.
. "$(dirname "$0")/lib.bash"
need_kvm "virsh verbs"
TICKER=$TOP/build/guest/ticker.elf
if [ ! -f "$TICKER" ]; then
	skip "virsh verbs: $TICKER is missing (make guests)"
	exit 0
fi
export KVMINI_RUNTIME_DIR=$TMP/run KVMINI_CONFIG_DIR=$TMP/cfg
RUN=$KVMINI_RUNTIME_DIR
DOMS=$KVMINI_CONFIG_DIR/domains

# K ARGS...: kvmini with a time limit; stdout to $TMP/out, stderr to $TMP/err, status in $rc
K() {
	rc=0
	timeout --kill-after=5 60 "$KVMINI" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
}
# leave no VM behind, whatever happened
cleanup() {
	local p
	for p in "$RUN"/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# xml NAME [MIB]: a ticker domain
xml() {
	cat <<EOF
<domain type='kvm'>
  <name>$1</name>
  <memory unit='MiB'>${2:-64}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$TICKER</kernel>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <serial type='pty'/>
    <console type='pty'/>
  </devices>
</domain>
EOF
}

# ticks NAME: the TICK lines in NAME's console file so far (0 without the file)
ticks() {
	local n
	n=$(grep -ac '^TICK' "$RUN/$1.console" 2>/dev/null)
	echo "${n:-0}"
}
has_ticked() { [ "$(ticks "$1")" -gt 0 ]; }
# wait_for SECONDS COMMAND...: polls until the command succeeds
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
ticking() { local a; a=$(ticks "$1"); sleep 0.5; [ "$(ticks "$1")" -gt "$a" ]; }
state_is() { [ "$("$KVMINI" domstate "$1" 2>/dev/null | head -n1)" = "$2" ]; }
row() { grep -E "^ +[0-9-]+ +$1 +" "$TMP/out"; }

# --- define and start three at once ---
for n in tick1 tick2 tick3; do
	xml $n >"$TMP/$n.xml"
	K define "$TMP/$n.xml"
	check "define $n (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
	check "define $n says so" grep -qx "Domain '$n' defined from $TMP/$n.xml" "$TMP/out"
done
K list --all
check "list --all: three shut off" [ "$(grep -c ' shut off$' "$TMP/out")" -eq 3 ]
check "list: virsh's header and dashed line" \
	bash -c "head -n2 '$TMP/out' | sed -n 1p | grep -qx ' Id   Name    State' && sed -n 2p '$TMP/out' | grep -qx -- '-*'"
K list
check "list without --all: none live" [ "$(wc -l <"$TMP/out")" -eq 3 ]
for n in tick1 tick2 tick3; do
	K start $n
	check "start $n (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
	check "start $n says so" grep -qx "Domain '$n' started" "$TMP/out"
done
K list
check "list shows three running" [ "$(grep -c ' running$' "$TMP/out")" -eq 3 ]
pid1=$(cat "$RUN/tick1.pid" 2>/dev/null)
check "list's Id is the VMM's pid" bash -c "grep -Eq '^ $pid1 +tick1 +running$' '$TMP/out'"
check "... the process that holds tick1's lock" bash -c "ls -l /proc/$pid1/fd 2>/dev/null | grep -q '$RUN/tick1.lock'"
check "the three guests tick" wait_for 10 bash -c "[ \$(grep -ac '^TICK' '$RUN/tick1.console') -gt 2 ] &&
	[ \$(grep -ac '^TICK' '$RUN/tick2.console') -gt 2 ] && [ \$(grep -ac '^TICK' '$RUN/tick3.console') -gt 2 ]"
K start tick1
check "start of a running domain fails with 1 (got $rc)" [ "$rc" -eq 1 ]
K dominfo tick1
check "dominfo: Id, State, CPU(s), Max memory, Persistent" bash -c "grep -qx 'Id:             $pid1' '$TMP/out' &&
	grep -qx 'State:          running' '$TMP/out' && grep -qx 'CPU(s):         1' '$TMP/out' &&
	grep -qx 'Max memory:     65536 KiB' '$TMP/out' && grep -qx 'Persistent:     yes' '$TMP/out' &&
	grep -Eqx 'UUID:           [0-9a-f-]{36}' '$TMP/out'"

# --- suspend stops the ticker, resume restarts it ---
K suspend tick1
check "suspend tick1 (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
check "domstate says paused" state_is tick1 paused
a=$(ticks tick1)
sleep 1
b=$(ticks tick1)
check "a suspended guest's ticker does not advance in 1 s ($a -> $b)" [ "$a" -eq "$b" ]
check "the other guests go on" ticking tick2
K list
check "list shows tick1 paused" bash -c "grep -Eq '^ [0-9]+ +tick1 +paused$' '$TMP/out'"
K resume tick1
check "resume tick1 (got $rc)" [ "$rc" -eq 0 ]
check "a resumed guest ticks again" wait_for 5 ticking tick1
check "domstate says running" state_is tick1 running

# --- shutdown: the guest's own poweroff; destroy; list --all ---
K shutdown tick1 --timeout 20
check "shutdown tick1 (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
check "shutdown went through the guest's power button handler" grep -aq '^TINY: power button' "$RUN/tick1.console"
check "after shutdown tick1 is shut off" state_is tick1 "shut off"
K destroy tick2
check "destroy tick2 (got $rc)" [ "$rc" -eq 0 ]
check "destroy says so" grep -qx "Domain 'tick2' destroyed" "$TMP/out"
check "after destroy tick2 is shut off" state_is tick2 "shut off"
check "a destroyed VM's socket is gone" [ ! -e "$RUN/tick2.qmp" ]
K list --all
check "list --all: tick1 and tick2 shut off, tick3 running" bash -c "grep -Eq '^ - +tick1 +shut off$' '$TMP/out' &&
	grep -Eq '^ - +tick2 +shut off$' '$TMP/out' && grep -Eq '^ [0-9]+ +tick3 +running$' '$TMP/out'"
K destroy tick2
check "destroy of a shut off domain fails with 1 (got $rc)" [ "$rc" -eq 1 ]

# --- reboot: shut down in the guest, reset, run again ---
K reboot tick3 --timeout 20
check "reboot tick3 (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
check "reboot went through the guest's poweroff" grep -aq '^TINY: power button' "$RUN/tick3.console"
check "the rebooted guest starts over (TICK 0 twice)" wait_for 5 bash -c "[ \$(grep -ac '^TICK 0' '$RUN/tick3.console') -ge 2 ]"
check "after reboot tick3 runs" state_is tick3 running
check "the rebooted guest ticks" wait_for 5 ticking tick3

# --- dumpxml -> define round trip, uuid rules ---
K dumpxml tick1
cp "$TMP/out" "$TMP/rt.xml"
uuid=$(grep -o '<uuid>[^<]*</uuid>' "$TMP/rt.xml")
check "dumpxml has a uuid" [ -n "$uuid" ]
K undefine tick1
check "undefine tick1 (got $rc)" [ "$rc" -eq 0 ]
K domstate tick1
check "an undefined domain is no such domain" bash -c "[ $rc -eq 1 ] && grep -qx 'kvmini: tick1: no such domain' '$TMP/err'"
K define "$TMP/rt.xml"
check "define from dumpxml (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
K dumpxml tick1
check "the round trip is stable" cmp -s "$TMP/out" "$TMP/rt.xml"
xml tick1 96 >"$TMP/re.xml"
K define "$TMP/re.xml"
check "redefine without a uuid (got $rc)" [ "$rc" -eq 0 ]
K dumpxml tick1
check "redefinition keeps the uuid" grep -qF "$uuid" "$TMP/out"
K dominfo tick1
check "redefinition replaces the rest (96 MiB now)" grep -qx 'Max memory:     98304 KiB' "$TMP/out"
sed 's|<uuid>.*</uuid>|<uuid>00000000-1111-2222-3333-444444444444</uuid>|' "$TMP/rt.xml" >"$TMP/other.xml"
K define "$TMP/other.xml"
check "a different uuid for an existing name fails with 1 (got $rc)" [ "$rc" -eq 1 ]
check "... saying so on one line" bash -c "[ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q 'already exists with uuid' '$TMP/err'"

# --- define with two documents (virt-install --print-xml) stores the final pass; warnings ---
{ xml two1 64; xml two1 96; } >"$TMP/two1.xml"
K define "$TMP/two1.xml"
check "define of two documents (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
K dominfo two1
check "... stores the final pass (96 MiB)" grep -qx 'Max memory:     98304 KiB' "$TMP/out"
K undefine two1
xml warn1 | sed 's|<vcpu>|<blkiotune><weight>800</weight></blkiotune><vcpu>|' >"$TMP/warn1.xml"
K define "$TMP/warn1.xml"
check "an element kvmini does not implement: defined (got $rc)" [ "$rc" -eq 0 ]
check "... with a warning naming it ($(cat "$TMP/err"))" grep -q '^kvmini: warning: .*blkiotune' "$TMP/err"
K undefine warn1

# --- bad input: nothing written, one line, virsh's status ---
printf '<domain type="kvm">\n  <name>bad</name>\n  <memory>65536\n</domain>\n' >"$TMP/bad.xml"
before=$(ls -A "$DOMS" | sort | tr '\n' ' ')
K define "$TMP/bad.xml"
check "XML that does not parse fails with 1 (got $rc)" [ "$rc" -eq 1 ]
check "... one line of error (got: $(cat "$TMP/err"))" [ "$(wc -l <"$TMP/err")" -eq 1 ]
check "... and nothing written" [ "$(ls -A "$DOMS" | sort | tr '\n' ' ')" = "$before" ]
K define "$TMP/missing.xml"
check "a missing file fails with 1 (got $rc)" [ "$rc" -eq 1 ]
for v in start shutdown destroy suspend resume dumpxml dominfo domstate console undefine reboot; do
	K $v nope
	check "$v of an unknown name: 'kvmini: nope: no such domain', 1 (got $rc)" \
		bash -c "[ $rc -eq 1 ] && [ \"\$(cat '$TMP/err')\" = 'kvmini: nope: no such domain' ]"
done
K shutdown
check "a verb without its argument is a usage error, 2 (got $rc)" [ "$rc" -eq 2 ]
for v in list start shutdown reboot destroy suspend resume define undefine create dumpxml dominfo domstate console; do
	K $v --help
	check "$v --help" bash -c "[ $rc -eq 0 ] && grep -q '^Usage: kvmini $v' '$TMP/out'"
done
K --help
check "kvmini --help lists the verbs" bash -c "grep -q '^  dumpxml ' '$TMP/out' && grep -q '^  console ' '$TMP/out'"

# --- create: transient, gone after destroy; with two documents the first one runs ---
{ xml trans1 64; xml trans1 96; } >"$TMP/two.xml"
K create "$TMP/two.xml"
check "create (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
check "create says so" grep -qx "Domain 'trans1' created from $TMP/two.xml" "$TMP/out"
check "create is not a definition" [ ! -e "$DOMS/trans1.xml" ]
K dominfo trans1
check "create ran the first document (64 MiB), transient" bash -c "grep -qx 'Max memory:     65536 KiB' '$TMP/out' &&
	grep -qx 'Persistent:     no' '$TMP/out'"
K list --all
check "list --all shows the transient domain running" bash -c "grep -Eq '^ [0-9]+ +trans1 +running$' '$TMP/out'"
K destroy trans1
check "destroy trans1 (got $rc)" [ "$rc" -eq 0 ]
K list --all
check "a transient domain is gone from list --all after it stops" bash -c "! grep -q trans1 '$TMP/out'"
xml tick3 >"$TMP/t3.xml"
K create "$TMP/t3.xml"
check "create of a running name fails with 1 (got $rc)" [ "$rc" -eq 1 ]

# --- undefine a running domain: it goes on, transient ---
xml keep1 >"$TMP/keep1.xml"
K define "$TMP/keep1.xml"
K start keep1
K undefine keep1
check "undefine a running domain (got $rc)" [ "$rc" -eq 0 ]
check "... it keeps running" state_is keep1 running
K dominfo keep1
check "... as a transient domain" grep -qx 'Persistent:     no' "$TMP/out"
K destroy keep1
K list --all
check "... and is gone once it stops" bash -c "! grep -q keep1 '$TMP/out'"

# --- shutdown racing destroy: the VM ends, neither hangs nor crashes ---
for i in 1 2 3; do
	K start tick2
	wait_for 5 has_ticked tick2
	(timeout --kill-after=5 40 "$KVMINI" shutdown tick2 --timeout 30 >"$TMP/race.s" 2>&1; echo $? >"$TMP/race.src") &
	(timeout --kill-after=5 40 "$KVMINI" destroy tick2 >"$TMP/race.d" 2>&1; echo $? >"$TMP/race.drc") &
	wait
	s=$(cat "$TMP/race.src") d=$(cat "$TMP/race.drc")
	check "race $i: shutdown and destroy end with 0 or 1 (got $s, $d)" bash -c "[ $s -le 1 ] && [ $d -le 1 ]"
	check "race $i: at least one of them succeeded" bash -c "[ $s -eq 0 ] || [ $d -eq 0 ]"
	check "race $i: the VM is gone" state_is tick2 "shut off"
	check "race $i: a failure is one line ($(cat "$TMP/race.s" "$TMP/race.d" | tr '\n' '|'))" \
		bash -c "[ \$(grep -c '^kvmini: ' '$TMP/race.s') -le 1 ] && [ \$(grep -c '^kvmini: ' '$TMP/race.d') -le 1 ]"
done

# --- a VM killed with -9: its stale socket is cleaned on the next start ---
K start tick2
pid2=$(cat "$RUN/tick2.pid")
kill -9 "$pid2"
wait_for 5 bash -c "! kill -0 $pid2 2>/dev/null"
check "a killed VM leaves its socket behind" [ -S "$RUN/tick2.qmp" ]
check "a killed VM is shut off (its lock went with it)" state_is tick2 "shut off"
K start tick2
check "start over a stale socket (got $rc: $(cat "$TMP/err"))" [ "$rc" -eq 0 ]
check "... runs" state_is tick2 running
check "... ticks" wait_for 5 ticking tick2
K destroy tick2

# --- another user cannot reach the socket ---
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! command -v setpriv >/dev/null || ! asnobody "$KVMINI" version >/dev/null 2>&1; then
	skip "another user: cannot run $KVMINI as uid 65534 here"
else
	rc=0
	asnobody "$KVMINI" list >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	check "another user's list fails (got $rc: $(cat "$TMP/err"))" [ "$rc" -ne 0 ]
	rc=0
	asnobody "$KVMINI" domstate tick3 >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	check "another user's domstate fails (got $rc: $(cat "$TMP/err"))" bash -c "[ $rc -ne 0 ] && ! grep -q running '$TMP/out'"
	if [ -x /usr/bin/python3 ]; then
		rc=0
		asnobody /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
			"$RUN/tick3.qmp" 2>"$TMP/err" || rc=$?
		check "another user cannot connect to the socket itself (got $rc)" \
			bash -c "[ $rc -ne 0 ] && grep -q PermissionError '$TMP/err'"
	fi
	check "the VM is undisturbed" state_is tick3 running
fi

# --- console shows the ticker; Ctrl-] detaches ---
rc=0
timeout 3 "$KVMINI" console tick3 </dev/null >"$TMP/con" 2>"$TMP/err" || rc=$?
check "console copies the guest's output" grep -aq 'TICK' "$TMP/con"
check "console says virsh's lines" bash -c "grep -qx \"Connected to domain 'tick3'\" '$TMP/err' &&
	grep -q '^Escape character is ^\]' '$TMP/err'"
rc=0
printf '\035' | timeout 5 "$KVMINI" console tick3 >/dev/null 2>&1 || rc=$?
check "Ctrl-] detaches with 0 (got $rc)" [ "$rc" -eq 0 ]
check "the VM runs on after console" state_is tick3 running
K console tick1
check "console of a shut off domain fails with 1 (got $rc)" [ "$rc" -eq 1 ]

# --- the end: everything stops ---
K destroy tick3
check "destroy tick3 (got $rc)" [ "$rc" -eq 0 ]
K list
check "list is empty at the end" [ "$(wc -l <"$TMP/out")" -eq 3 ]
check "no VMM left" bash -c "! ls '$RUN'/*.pid >/dev/null 2>&1"

# --- a Linux guest from Debian's virt-install (direct kernel boot), created and shut down ---
# `shutdown` presses the ACPI power button; the kit's init handles it as logind/acpid do.
VMLINUX=$(guest_file vmlinux 2>/dev/null) && INITRD=$(guest_file initramfs-test.cpio 2>/dev/null) || {
	not_ok "test kit not built (make kit): the virt-install Linux boot did not run"
	exit 0
}
if ! command -v virt-install >/dev/null; then
	skip "virt-install Linux boot: virt-install is not installed (tools/install-deps)"
	exit 0
fi
timeout 120 virt-install --connect test:///default --print-xml --osinfo detect=on,require=off \
	--name lxvi --memory 256 --vcpus 1 --disk none --network none --graphics none \
	--boot "kernel=$VMLINUX,initrd=$INITRD,kernel_args=console=ttyS0 kvtest=echo:from-virt-install,powerbutton" \
	>"$TMP/lxvi.xml" 2>"$TMP/vi.err"
check "virt-install printed a direct-kernel-boot definition" grep -q "<kernel>$VMLINUX</kernel>" "$TMP/lxvi.xml"
K create "$TMP/lxvi.xml"
check "create of virt-install's Linux definition (got $rc: $(head -n 1 "$TMP/err"))" [ "$rc" -eq 0 ]
for _ in $(seq 6000); do # a boot takes 30-90 s here, far more on a loaded host
	grep -aq 'KVMINI-INIT: powerbutton-' "$RUN/lxvi.console" 2>/dev/null && break
	[ -f "$RUN/lxvi.pid" ] || break
	sleep 0.1
done
check "the virt-install guest booted Linux to init with its command line" \
	grep -aq 'KVMINI-INIT: echo from-virt-install' "$RUN/lxvi.console"
check "its init waits for the power button" grep -aq 'KVMINI-INIT: powerbutton-ready' "$RUN/lxvi.console"
rc=0
timeout --kill-after=5 300 "$KVMINI" shutdown lxvi --timeout 240 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
check "shutdown of the Linux guest returns 0 once it is off (got $rc: $(head -n 1 "$TMP/err"))" [ "$rc" -eq 0 ]
check "the guest's init saw the power button and powered off" grep -aq 'KVMINI-INIT: power button' "$RUN/lxvi.console"
K list --all --name
check "the transient Linux guest is gone from list --all" bash -c "! grep -qx lxvi '$TMP/out'"
