#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Snapshot and restore (`kvmini snapshot NAME DIR [--pause]`, `kvmini run --restore DIR`) on the
# ticker guest (tests/guest/ticker.S: prints TICK n, its counter lives in guest RAM): the restored
# guest counts on from the snapshot's value, three snapshot -> restore cycles in a row, the
# restored guest still powers off on system_powerdown (ACPI state carried), the memory file is
# sparse, and a truncated, corrupt or wrong-version state stream is one line, exit 1, nothing started.
. "$(dirname "$0")/lib.bash"
need_kvm "snapshot"
named_vms

# ticks NAME: the TICK numbers NAME's console copy holds so far, one a line
ticks() { grep -a '^TICK ' "$RUN/$1.console" 2>/dev/null | tr -d '\r' | awk '{print $2}'; }
last_tick() { ticks "$1" | tail -1; }
first_tick() { ticks "$1" | head -1; }
# wait_ticks NAME N: up to 10 s until NAME printed at least N ticks
wait_ticks() {
	for _ in $(seq 100); do [ "$(ticks "$1" | wc -l)" -ge "$2" ] && return 0; sleep 0.1; done
	return 1
}
# kill_vm NAME: SIGKILL, as a crashed source would go
kill_vm() {
	local pid
	pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
	kill -KILL "$pid" && wait_gone "$pid"
}
status_of() { python3 "$QC" "$RUN/$1.qmp" query-status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }

truncate -s 16M "$TMP/disk.raw"
rc=0
timeout 30 "$KVMINI" run --kernel "$TICKER" --mem 64M --name src --daemonize --serial none \
	--disk "$TMP/disk.raw" </dev/null >"$TMP/src.out" 2>"$TMP/src.err" || rc=$?
check "the source VM starts (rc $rc)" [ "$rc" -eq 0 ]
check "the source ticks" wait_ticks src 5

# a snapshot that lets the guest go on
before=$(last_tick src)
rc=0
"$KVMINI" snapshot src "$TMP/s1" >"$TMP/snap.out" 2>"$TMP/snap.err" || rc=$?
after=$(last_tick src)
check "snapshot src DIR: exit 0 (rc $rc: $(cat "$TMP/snap.err"))" [ "$rc" -eq 0 ]
check "the state and memory files are there, no temp files" \
	[ -f "$TMP/s1/state" -a -f "$TMP/s1/memory" -a -z "$(ls "$TMP/s1" | grep tmp)" ]
check "the source runs on after the snapshot" wait_ticks src $((after + 5))
check "query-status: running after a snapshot with resume" [ "$(status_of src)" = running ]
msize=$(stat -c %s "$TMP/s1/memory")
mused=$(($(stat -c %b "$TMP/s1/memory") * $(stat -c %B "$TMP/s1/memory")))
check "the memory file has the RAM's size ($msize)" [ "$msize" -eq $((64 << 20)) ]
check "the memory file is sparse: $mused bytes on disk for 64 MiB of RAM" [ "$mused" -lt $((4 << 20)) ]

# a snapshot that leaves it paused: the restore must go on exactly after the last tick
"$KVMINI" snapshot src "$TMP/s2" --pause >/dev/null 2>"$TMP/snap2.err"
check "snapshot --pause: exit 0 ($(cat "$TMP/snap2.err"))" [ -f "$TMP/s2/state" ]
check "query-status: paused after --pause" [ "$(status_of src)" = paused ]
sleep 0.5
paused_at=$(last_tick src)
sleep 0.5
check "paused: the source does not tick (at $paused_at)" [ "$(last_tick src)" = "$paused_at" ]
check "the source is gone (SIGKILL)" kill_vm src

# restore NAME DIR: a detached VM continuing DIR
restore() {
	rc=0
	timeout 30 "$KVMINI" run --restore "$2" --name "$1" --daemonize --serial none \
		</dev/null >"$TMP/$1.out" 2>"$TMP/$1.err" || rc=$?
}

restore r1 "$TMP/s1"
check "run --restore s1: exit 0 (rc $rc: $(head -1 "$TMP/r1.err"))" [ "$rc" -eq 0 ]
check "the restored guest ticks" wait_ticks r1 3
first=$(first_tick r1)
check "restored from s1: continues at TICK $first (source was at $before..$after when saved), not 0" \
	[ "$first" -gt "$before" -a "$first" -le $((after + 1)) ]
kill_vm r1

# three snapshot -> restore cycles in a row, each from a paused snapshot: exactly the next tick
prev=s2
at=$paused_at
for i in 1 2 3; do
	restore c$i "$TMP/$prev"
	check "cycle $i: run --restore $prev exit 0 (rc $rc: $(head -1 "$TMP/c$i.err"))" [ "$rc" -eq 0 ]
	wait_ticks c$i 3
	first=$(first_tick c$i)
	check "cycle $i: continues at TICK $first, right after $at" [ "$first" = $((at + 1)) ]
	"$KVMINI" snapshot c$i "$TMP/k$i" --pause >/dev/null 2>"$TMP/k$i.err"
	check "cycle $i: snapshot of the restored guest ($(cat "$TMP/k$i.err"))" [ -f "$TMP/k$i/state" ]
	sleep 0.3
	at=$(last_tick c$i)
	[ $i -lt 3 ] && kill_vm c$i
	prev=k$i
done
# the last one resumes (QMP cont) and powers off on the button: the ACPI PM state came along
python3 "$QC" "$RUN/c3.qmp" cont >/dev/null
check "cont after --pause: it ticks again" wait_ticks c3 $(($(ticks c3 | wc -l) + 3))
pid=$(cat "$RUN/c3.pid")
python3 "$QC" "$RUN/c3.qmp" system_powerdown >/dev/null
wait_gone "$pid"
check "a restored guest powers off on system_powerdown" grep -aq '^TINY: power button' "$RUN/c3.console"
check "... and its VMM exits" sh -c "! kill -0 $pid 2>/dev/null"

# a display (bochs-display with its PS/2 and virtio-tablet input devices) is part of the board: the
# restore builds it again without being told, and the guest counts on from the snapshot
rc=0
timeout 30 "$KVMINI" run --kernel "$TICKER" --mem 64M --name dp --daemonize --serial none --display bochs \
	</dev/null >"$TMP/dp.out" 2>&1 || rc=$?
check "a VM with --display bochs starts (rc $rc: $(head -1 "$TMP/dp.out"))" wait_ticks dp 3
"$KVMINI" snapshot dp "$TMP/dps" --pause >/dev/null 2>"$TMP/dps.err"
check "snapshot --pause of a VM with a display ($(cat "$TMP/dps.err"))" [ -f "$TMP/dps/state" ]
sleep 0.3
at=$(last_tick dp)
kill_vm dp
restore dr "$TMP/dps"
check "run --restore of it, no --display given: exit 0 (rc $rc: $(head -1 "$TMP/dr.err"))" [ "$rc" -eq 0 ]
wait_ticks dr 2
first=$(first_tick dr)
check "... it ticks on right after the snapshot ($at -> $first)" [ "$first" = $((at + 1)) ]
kill_vm dr

# broken snapshots: one line, exit 1, nothing started
bad() { # bad NAME: copy of k1 with its state file made bad by the caller
	rm -rf "$TMP/$1"
	mkdir "$TMP/$1"
	cp --sparse=always "$TMP/k1/memory" "$TMP/$1/memory"
	cp "$TMP/k1/state" "$TMP/$1/state"
}
refused() { # refused NAME WHAT
	restore "$1" "$TMP/$1"
	local lines
	lines=$(wc -l <"$TMP/$1.err")
	check "$2: exit 1 with one line (rc $rc, $lines lines: $(head -1 "$TMP/$1.err"))" \
		[ "$rc" -eq 1 -a "$lines" -eq 1 ]
	check "$2: nothing started (no run files for $1)" [ ! -e "$RUN/$1.pid" -a ! -e "$RUN/$1.console" ]
}
bad trunc
size=$(stat -c %s "$TMP/trunc/state")
truncate -s $((size / 2)) "$TMP/trunc/state"
refused trunc "a truncated state stream"
bad flip
python3 - "$TMP/flip/state" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x10
open(p, "wb").write(b)
EOF
refused flip "a bit flipped in the state stream"
bad ver
python3 - "$TMP/ver/state" <<'EOF'
import struct, sys, zlib
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[8:12] = struct.pack("<I", 2)
b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])) & 0xffffffff)  # a valid stream of version 2
open(p, "wb").write(b)
EOF
refused ver "a stream of another format version"
check "the version refusal names the version" grep -q 'version' "$TMP/ver.err"
bad nomem
rm "$TMP/nomem/memory"
refused nomem "a snapshot without its memory file"

# the saved disk opened elsewhere (--disk, one per saved disk): a copy works, another size is refused
# by the virtio-blk state (its capacity), two for one is a usage error
cp --sparse=always "$TMP/disk.raw" "$TMP/moved.raw"
rc=0
timeout 30 "$KVMINI" run --restore "$TMP/k3" --disk "$TMP/moved.raw" --name mv --daemonize --serial none \
	</dev/null >"$TMP/mv.out" 2>"$TMP/mv.err" || rc=$?
check "run --restore --disk COPY: exit 0 (rc $rc: $(head -1 "$TMP/mv.err"))" [ "$rc" -eq 0 ]
check "... and it continues" wait_ticks mv 2
check "... with the copy open, not the recorded disk" sh -c "ls -l /proc/$(cat "$RUN/mv.pid")/fd | grep -q moved.raw"
kill_vm mv
truncate -s 32M "$TMP/moved.raw"
rc=0
timeout 30 "$KVMINI" run --restore "$TMP/k3" --disk "$TMP/moved.raw" --name mv2 --daemonize --serial none \
	</dev/null >"$TMP/mv2.out" 2>"$TMP/mv2.err" || rc=$?
check "run --restore --disk of another size: exit 1, one line (rc $rc: $(head -1 "$TMP/mv2.err"))" \
	[ "$rc" -eq 1 -a "$(wc -l <"$TMP/mv2.err")" -eq 1 ]
check "... and nothing runs" [ ! -e "$RUN/mv2.pid" ]
rc=0; "$KVMINI" run --restore "$TMP/k3" --disk "$TMP/moved.raw" --disk "$TMP/moved.raw" 2>"$TMP/d2.err" || rc=$?
check "run --restore with two --disk for one saved disk: exit 2 ($(cat "$TMP/d2.err"))" [ "$rc" -eq 2 ]

# usage and errors of the verb
rc=0; "$KVMINI" snapshot 2>"$TMP/u.err" || rc=$?
check "snapshot without arguments: exit 2, one line" [ "$rc" -eq 2 -a "$(wc -l <"$TMP/u.err")" -eq 1 ]
rc=0; "$KVMINI" snapshot --help >"$TMP/h.out" || rc=$?
check "snapshot --help: exit 0 and the usage" [ "$rc" -eq 0 -a "$(head -c 22 "$TMP/h.out")" = "Usage: kvmini snapshot" ]
rc=0; "$KVMINI" snapshot nosuchvm "$TMP/n1" 2>"$TMP/n.err" || rc=$?
check "snapshot of no running VM: exit 1, one line, no directory left" \
	[ "$rc" -eq 1 -a "$(wc -l <"$TMP/n.err")" -eq 1 -a ! -e "$TMP/n1" ]
rc=0; "$KVMINI" snapshot c3 "$TMP/k1" 2>"$TMP/ne.err" || rc=$?
check "snapshot into a non-empty directory: exit 1 ($(cat "$TMP/ne.err"))" [ "$rc" -eq 1 ]
rc=0; "$KVMINI" run --restore "$TMP/k1" --mem 128M 2>"$TMP/m.err" || rc=$?
check "run --restore with --mem: usage error ($(cat "$TMP/m.err"))" [ "$rc" -eq 2 ]

# virsh's snapshot verbs on qcow2 disks (virtio-blk and virtio-scsi, a CD-ROM drive, a read-only
# raw disk), with qemu-img as the peer for the images' internal snapshots
"$KVMINI" img create -f qcow2 "$TMP/v1.qcow2" 16M >/dev/null
"$KVMINI" img create -f qcow2 "$TMP/v2.qcow2" 16M >/dev/null
truncate -s 4M "$TMP/ro.raw"
rc=0
timeout 30 "$KVMINI" run --kernel "$TICKER" --mem 64M --name vs --daemonize --serial none --disk none,if=scsi,media=cdrom \
	--disk "$TMP/v1.qcow2" --disk "$TMP/v2.qcow2,if=scsi" --disk "$TMP/ro.raw,format=raw,readonly" \
	</dev/null >"$TMP/vs.out" 2>&1 || rc=$?
check "virsh: the domain starts (rc $rc: $(head -1 "$TMP/vs.out"))" [ "$rc" -eq 0 ]
wait_ticks vs 3
b1=$(last_tick vs)
out=$("$KVMINI" snapshot-create-as vs s1 --description "first one" 2>&1)
a1=$(last_tick vs)
check "snapshot-create-as vs s1: virsh's line ($out)" [ "$out" = "Domain snapshot s1 created" ]
check "... the domain runs on" wait_ticks vs $((a1 + 3))
rc=0; out=$("$KVMINI" snapshot-create-as vs s1 2>&1) || rc=$?
check "snapshot-create-as of a taken name: exit 1, one line ($out)" [ "$rc" -eq 1 -a "$(wc -l <<<"$out")" -eq 1 ]
printf '<domainsnapshot>\n  <name>s2</name>\n  <description>from a file</description>\n</domainsnapshot>\n' >"$TMP/s2.xml"
out=$("$KVMINI" snapshot-create vs "$TMP/s2.xml" 2>&1)
check "snapshot-create vs FILE.xml: the name from the file ($out)" [ "$out" = "Domain snapshot s2 created" ]
printf "<domainsnapshot><memory snapshot='external' file='/x'/></domainsnapshot>" >"$TMP/ext.xml"
rc=0; out=$("$KVMINI" snapshot-create vs "$TMP/ext.xml" 2>&1) || rc=$?
check "snapshot-create of an external snapshot: refused, one line ($out)" [ "$rc" -eq 1 -a "$(wc -l <<<"$out")" -eq 1 ]
"$KVMINI" snapshot-list vs >"$TMP/list.out"
check "snapshot-list: virsh's header" grep -qx ' Name   Creation Time               State' "$TMP/list.out"
check "snapshot-list: s1 and s2, running, in creation order" \
	[ "$(awk 'NR > 2 && NF {print $1 "/" $5}' "$TMP/list.out" | tr '\n' ' ')" = "s1/running s2/running " ]
"$KVMINI" snapshot-info vs s2 >"$TMP/info.out"
check "snapshot-info s2: current, parent s1, internal" sh -c "grep -qx 'Current:        yes' '$TMP/info.out' &&
	grep -qx 'Parent:         s1' '$TMP/info.out' && grep -qx 'Location:       internal' '$TMP/info.out'"
check "snapshot-info s1: one child" sh -c "'$KVMINI' snapshot-info vs s1 | grep -qx 'Children:       1'"
check "the metadata lives under the config dir" [ -f "$TMP/cfg/snapshots/vs/s1/snapshot.xml" -a -f "$TMP/cfg/snapshots/vs/s1/state" ]
rc=0; out=$("$KVMINI" snapshot-revert vs nosuch 2>&1) || rc=$?
check "snapshot-revert of an unknown snapshot: virsh's words ($out)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'Domain snapshot not found' <<<\"\$1\"" _ "$out"
rc=0; out=$("$KVMINI" snapshot-revert vs s1 --paused 2>&1) || rc=$?
check "snapshot-revert vs s1 --paused: exit 0, silent as virsh ($out)" [ "$rc" -eq 0 -a -z "$out" ]
check "... the domain is paused" [ "$("$KVMINI" domstate vs | head -1)" = paused ]
"$KVMINI" resume vs >/dev/null
wait_ticks vs 2
first=$(first_tick vs)
check "... and after resume it goes on from s1 (TICK $first, s1 was taken at $b1..$a1)" \
	[ "$first" -gt "$b1" -a "$first" -le $((a1 + 1)) ]
out=$("$KVMINI" snapshot-delete vs s2 2>&1)
check "snapshot-delete of a live domain's snapshot: virsh's line ($out)" [ "$out" = "Domain snapshot s2 deleted" ]
"$KVMINI" destroy vs >/dev/null
for img in v1 v2; do
	check "qemu-img snapshot -l $img.qcow2: s1 there, s2 gone" \
		sh -c "qemu-img snapshot -l '$TMP/$img.qcow2' | awk '{print \$2}' | grep -qx s1 && ! qemu-img snapshot -l '$TMP/$img.qcow2' | awk '{print \$2}' | grep -qx s2"
	check "qemu-img check $img.qcow2: clean" qemu-img check -q "$TMP/$img.qcow2"
done
check "the read-only raw disk got no snapshot (it cannot change)" cmp -s "$TMP/ro.raw" <(head -c 4M /dev/zero)
out=$("$KVMINI" snapshot-delete vs s1 2>&1)
check "snapshot-delete of a shut-off domain's snapshot: virsh's line ($out)" [ "$out" = "Domain snapshot s1 deleted" ]
check "... qemu-img lists no snapshot left, the images are clean" \
	sh -c "[ -z \"\$(qemu-img snapshot -l '$TMP/v1.qcow2')\" ] && qemu-img check -q '$TMP/v1.qcow2' && qemu-img check -q '$TMP/v2.qcow2'"
check "... and no metadata" [ -z "$(ls "$TMP/cfg/snapshots/vs")" ]
# a writable raw disk: refused with libvirt's reason, nothing left behind
truncate -s 4M "$TMP/rw.raw"
timeout 30 "$KVMINI" run --kernel "$TICKER" --mem 64M --name vr --daemonize --serial none \
	--disk "$TMP/v1.qcow2" --disk "$TMP/rw.raw,format=raw" </dev/null >/dev/null 2>&1
rc=0; out=$("$KVMINI" snapshot-create-as vr x 2>&1) || rc=$?
check "snapshot-create with a writable raw disk: refused ($out)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'internal snapshot for disk .*rw.raw unsupported for storage type raw' <<<\"\$1\"" _ "$out"
check "... no metadata, no snapshot in the qcow2 image, the domain runs on" \
	sh -c "[ -z \"\$(ls '$TMP/cfg/snapshots/vr')\" ] && [ \"\$('$KVMINI' domstate vr | head -1)\" = running ]"
"$KVMINI" destroy vr >/dev/null
check "... (qemu-img: none in the qcow2 image)" [ -z "$(qemu-img snapshot -l "$TMP/v1.qcow2")" ]

# one Linux boot (qcow2 disks on virtio-blk, virtio-scsi, IDE and AHCI, an empty CD-ROM drive): snapshot while
# its init counts, then snapshot -> restore three times in a row (the second restore --paused until
# resume): the same boot id, the count goes on right after the last, uptime never goes backwards;
# the disks hold what was written before and take new I/O. Then virsh snapshot-revert to an
# internal snapshot taken at the start: memory and all four disks go back together, so the guest
# reads the data of then, not what it wrote later. The disks are named by size (16M virtio-blk,
# 32M virtio-scsi, 24M IDE, 40M AHCI): the SCSI and ATA hosts probe in any order.
VMLINUX=$(guest_file vmlinux 2>/dev/null) && INITRD=$(guest_file initramfs-test.cpio 2>/dev/null) || {
	not_ok "test kit not built (make kit): the Linux snapshot did not run"
	exit 0
}
"$KVMINI" img create -f qcow2 "$TMP/lx.qcow2" 16M >/dev/null
"$KVMINI" img create -f qcow2 "$TMP/ls.qcow2" 32M >/dev/null
"$KVMINI" img create -f qcow2 "$TMP/li.qcow2" 24M >/dev/null
"$KVMINI" img create -f qcow2 "$TMP/la.qcow2" 40M >/dev/null
LXDISKS="@16M @32M @24M @40M" # virtio-blk, virtio-scsi, IDE, AHCI
lx_io() { # lx_io blkwrite SEED | lx_io blkread: the kvtest actions for every disk (1 MiB each; seeds SEED+1..)
	local d out= k=0
	for d in $LXDISKS; do
		k=$((k + 1))
		out+="${out:+,}$1:$d:${2:+$(($2 + k)):}1M"
	done
	echo "$out"
}
rc=0
timeout 30 "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --name lx --daemonize \
	--serial none --disk "$TMP/lx.qcow2" --disk "$TMP/ls.qcow2,if=scsi" --disk none,if=scsi,media=cdrom \
	--disk "$TMP/li.qcow2,if=ide" --disk "$TMP/la.qcow2,if=sata" </dev/null >"$TMP/lx.out" 2>"$TMP/lx.err" \
	--append "console=ttyS0 kvtest=bootid,$(lx_io blkwrite 10),count:25,bootid,$(lx_io blkread),$(lx_io blkwrite 20),$(lx_io blkread),poweroff" ||
	rc=$?
check "Linux: the VM starts (rc $rc)" [ "$rc" -eq 0 ]
for _ in $(seq 3000); do # a boot takes 30-90 s here, far more on a loaded host
	grep -aq 'KVMINI-INIT: count 3 ' "$RUN/lx.console" 2>/dev/null && break
	sleep 0.1
done
init_lines() { grep -a '^KVMINI-INIT: ' "$RUN/$1.console" | tr -d '\r'; }
counts() { init_lines "$1" | sed -n 's/^KVMINI-INIT: count \([0-9]*\) .*/\1/p'; }
uptime_at() { init_lines "$1" | sed -n "s/^KVMINI-INIT: count $2 up //p"; }
# blk NAME OP DEV: the checksum of NAME's first (or with a 4th argument, last) OP on DEV
blk() { init_lines "$1" | sed -n "s|^KVMINI-INIT: $2 $3[^ ]* 1048576 ||p" | if [ -n "${4:-}" ]; then tail -1; else head -1; fi; }
check "Linux: init counts" grep -aq 'KVMINI-INIT: count 3 ' "$RUN/lx.console"
out=$("$KVMINI" snapshot-create-as lx c0 2>&1)
check "Linux: virsh snapshot-create-as lx c0 ($out)" [ "$out" = "Domain snapshot c0 created" ]
c0=$(counts lx | tail -1)
t0=$(date +%s%N)
rc=0
"$KVMINI" snapshot lx "$TMP/ls" --pause >/dev/null 2>"$TMP/ls.err" || rc=$?
t1=$(date +%s%N)
check "Linux: snapshot --pause exit 0 in $(((t1 - t0) / 1000000)) ms, $(du -k "$TMP/ls/memory" | cut -f1) KiB of 256 MiB RAM on disk ($(cat "$TMP/ls.err"))" [ "$rc" -eq 0 ]
bootid=$(init_lines lx | sed -n 's/^KVMINI-INIT: boot-id //p' | head -1)
declare -A before
for d in $LXDISKS; do before[$d]=$(blk lx blkwrite $d); done
kill_vm lx
# restore (ly), then two more snapshot -> restore cycles (l2 --paused, l3)
prev=lx dir=$TMP/ls
for n in ly l2 l3; do
	last=$(counts $prev | tail -1)
	up0=$(uptime_at $prev "$last")
	t0=$(date +%s%N)
	rc=0
	paused=
	[ $n = l2 ] && paused=--paused
	timeout 30 "$KVMINI" run --restore "$dir" --name $n --daemonize --serial none $paused \
		</dev/null >"$TMP/$n.out" 2>"$TMP/$n.err" || rc=$?
	t1=$(date +%s%N)
	check "Linux $n: run --restore $paused exit 0, up after $(((t1 - t0) / 1000000)) ms (rc $rc: $(head -1 "$TMP/$n.err"))" [ "$rc" -eq 0 ]
	if [ -n "$paused" ]; then
		sleep 2
		check "Linux $n: --paused: no count, query-status paused" \
			[ -z "$(counts $n)" -a "$(status_of $n)" = paused ]
		"$KVMINI" resume $n >/dev/null
	fi
	for _ in $(seq 300); do [ "$(counts $n | wc -l)" -ge 2 ] && break; sleep 0.1; done
	first=$(counts $n | head -1)
	up1=$(uptime_at $n "$first")
	# right after: the next count, or the one after it when the snapshot cut a line in two (its
	# start went out through the old VMM's console, the rest through the new one's)
	check "Linux $n: the restored init counts on at $first, right after $last (no new boot)" \
		[ \( "$first" = $((last + 1)) -o "$first" = $((last + 2)) \) -a -z "$(init_lines $n | grep -x 'KVMINI-INIT: start')" ]
	# (the time until the first count after the restore runs on the guest's clock, a --paused
	# wait included: kvmini's stop does not freeze kvmclock; a loaded host takes seconds)
	check "Linux $n: the guest clock goes on, never back ($up0 s before, $up1 s after)" \
		python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(not (a < b < a + 30))" "$up0" "$up1"
	if [ $n != l3 ]; then
		"$KVMINI" snapshot $n "$TMP/$n.snap" --pause >/dev/null 2>"$TMP/$n.serr"
		check "Linux $n: snapshot --pause of the restored guest ($(cat "$TMP/$n.serr"))" [ -f "$TMP/$n.snap/state" ]
		kill_vm $n
		prev=$n dir=$TMP/$n.snap
	fi
done
pid=$(cat "$RUN/l3.pid" 2>/dev/null)
# up to 300 s: each 1 MiB O_DIRECT pass costs seconds on this loaded, emulated host
for _ in $(seq 3000); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "Linux: the same boot id after three restores ($bootid)" \
	[ -n "$bootid" -a "$(init_lines l3 | sed -n 's/^KVMINI-INIT: boot-id //p')" = "$bootid" ]
kind() { case $1 in @16M) echo virtio-blk ;; @32M) echo virtio-scsi ;; @24M) echo IDE ;; *) echo AHCI ;; esac; }
for d in $LXDISKS; do
	check "Linux: the $(kind $d) disk holds what was written before the snapshots (${before[$d]})" \
		[ -n "${before[$d]}" -a "$(blk l3 blkread $d)" = "${before[$d]}" ]
	w=$(blk l3 blkwrite $d last)
	check "Linux: new I/O on the $(kind $d) disk after the restores reads back ($w)" \
		[ -n "$w" -a "$(blk l3 blkread $d last)" = "$w" ]
done
check "Linux: the restored guest powers off by itself" grep -aq 'KVMINI-INIT: poweroff' "$RUN/l3.console"
# the images now hold the later writes; revert to c0 (taken before them)
rc=0
out=$("$KVMINI" snapshot-revert lx c0 2>&1) || rc=$?
check "Linux: virsh snapshot-revert lx c0 (rc $rc: $out)" [ "$rc" -eq 0 ]
first=$(counts lx | head -1)
pid=$(cat "$RUN/lx.pid" 2>/dev/null)
for _ in $(seq 3000); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
first=$(counts lx | head -1)
check "Linux revert: the guest goes on from c0 (count $first, c0 was taken at $c0)" \
	[ -n "$first" -a "$first" -le $((c0 + 1)) ]
for d in $LXDISKS; do
	check "Linux revert: the $(kind $d) disk reads the data of c0's time, not the later writes (${before[$d]})" \
		[ "$(blk lx blkread $d)" = "${before[$d]}" ]
done
check "Linux revert: the guest powers off by itself" grep -aq 'KVMINI-INIT: poweroff' "$RUN/lx.console"
for img in lx ls li la; do
	check "Linux: qemu-img check $img.qcow2 clean, c0 listed" \
		sh -c "qemu-img check -q '$TMP/$img.qcow2' && qemu-img snapshot -l '$TMP/$img.qcow2' | grep -q ' c0 '"
done
