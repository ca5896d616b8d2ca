#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Migration (`kvmini migrate NAME tcp:HOST:PORT [--offline|--cancel]`, `kvmini run --incoming`).
# Tiny guests first (tests/guest/ticker.S on loopback): a live migration goes on from the last
# tick and the source exits; a target with no source waits in "inmigrate" and says so when
# stopped; a source aimed at a dead port says why in one line and runs on; a truncated or corrupt
# stream (a relay damages it) is one line on the target, which starts nothing, and the source runs
# on; a board that differs is refused; `--incoming defer` waits for QMP migrate-incoming; every tiny
# guest has IDE, AHCI and virtio-scsi drives; a firmware-booted guest (SeaBIOS, a boot sector) is
# snapshotted, restored and migrated. Then one Linux guest in two network namespaces joined by a
# veth, its disk an NBD export (nbdkit) both ends open: it counts on its console and writes a disk
# block a second; a cancel mid-way (low bandwidth) leaves it running, a live migration moves it
# (same boot id, the count goes on, the clock never goes back), a cold migration (--offline) brings
# it back, and the host finds every block it wrote intact in the export.
. "$(dirname "$0")/lib.bash"
need_kvm "migrate"
named_vms
MP=$TOP/tests/tools/migproxy.py

ticks() { grep -a '^TICK ' "$RUN/$1.console" 2>/dev/null | tr -d '\r' | awk '{print $2}'; }
wait_ticks() { # NAME N
	for _ in $(seq 100); do [ "$(ticks "$1" | wc -l)" -ge "$2" ] && return 0; sleep 0.1; done
	return 1
}
status_of() { python3 "$QC" "$RUN/$1.qmp" query-status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
pid_of() { cat "$RUN/$1.pid" 2>/dev/null; }
alive() { local p; p=$(pid_of "$1") && kill -0 "$p" 2>/dev/null; }
gone() { local p; p=$(pid_of "$1") || return 0; wait_gone "$p"; }
# every tiny guest has an IDE disk, a SATA CD-ROM, a virtio-scsi disk and the IDE CD-ROM (read-only:
# both ends open them at once), so their controllers' state goes along with each migration
truncate -s 4M "$TMP/ide.raw" "$TMP/scsi.raw" "$TMP/cd.iso"
DRIVES=(--disk "$TMP/ide.raw,if=ide,format=raw,readonly" --disk "$TMP/cd.iso,if=sata,media=cdrom"
	--disk "$TMP/scsi.raw,if=scsi,format=raw,readonly" --cdrom "$TMP/cd.iso")
start_tiny() { # NAME [ARGS...]
	local n=$1
	shift
	"$KVMINI" run --kernel "$TICKER" --mem 64M --name "$n" --daemonize --serial none "${DRIVES[@]}" "$@" </dev/null \
		>"$TMP/$n.out" 2>&1
}
wait_listen() { # PORT: up to 10 s until something listens there
	for _ in $(seq 100); do ss -Hltn "sport = :$1" | grep -q . && return 0; sleep 0.1; done
	return 1
}
port() { echo $((40000 + ($$ + $1) % 20000)); }
P1=$(port 1) P2=$(port 2) P3=$(port 3) P4=$(port 4)

# a target with nobody coming: "inmigrate", and a clear line when it is stopped
start_tiny t0 --incoming "tcp:127.0.0.1:$P1"
check "--incoming: the target waits in inmigrate" [ "$(status_of t0)" = inmigrate ]
python3 "$QC" "$RUN/t0.qmp" quit >/dev/null 2>&1
gone t0
check "a target stopped before any source came says so ($(tail -1 "$RUN/t0.log"))" \
	grep -q "stopped before a migration came" "$RUN/t0.log"
check "... and ran no guest" [ -z "$(ticks t0)" ]

start_tiny a
check "the source ticks" wait_ticks a 3

# a dead port: one line, the source runs on
rc=0
timeout 30 "$KVMINI" migrate a "tcp:127.0.0.1:$P2" >"$TMP/dead.out" 2>"$TMP/dead.err" || rc=$?
check "migrate to a dead port: exit 1, one line ($(cat "$TMP/dead.err"))" \
	[ "$rc" -eq 1 -a "$(wc -l <"$TMP/dead.err")" -eq 1 ]
check "... that says why" grep -q "cannot connect: Connection refused" "$TMP/dead.err"
n=$(ticks a | wc -l)
check "... and the source runs on" wait_ticks a $((n + 3))

# a damaged stream: the target refuses it and starts nothing; the source runs on
for mode in truncate:3000 flip:20000; do
	start_tiny t1 --incoming "tcp:127.0.0.1:$P3"
	timeout 70 python3 "$MP" "$P2" "$P3" "${mode%%:*}" "${mode#*:}" &
	relay=$!
	wait_listen "$P2"
	rc=0
	timeout 60 "$KVMINI" migrate a "tcp:127.0.0.1:$P2" >/dev/null 2>"$TMP/m.err" || rc=$?
	wait $relay
	gone t1 || kill -KILL "$(pid_of t1)"
	check "${mode%%:*} stream: the target says why in one line ($(grep -v waiting "$RUN/t1.log" | tail -1))" \
		[ "$(grep -c -- '--incoming' "$RUN/t1.log")" -eq 1 ]
	check "... and ran nothing" [ -z "$(ticks t1)" ]
	check "... the source says it failed (rc $rc: $(cat "$TMP/m.err"))" [ "$rc" -eq 1 ]
	n=$(ticks a | wc -l)
	check "... and runs on" wait_ticks a $((n + 3))
	rm -f "$RUN/t1.console" "$RUN/t1.log"
done
grep -q "checksum mismatch" "$TMP/m.err" && ok "the corrupt stream: the source hears the target's reason" ||
	not_ok "the corrupt stream: the source hears the target's reason ($(cat "$TMP/m.err"))"

# a board that differs: refused before any RAM
"$KVMINI" run --kernel "$TICKER" --mem 64M --cpus 2 --name t2 --daemonize --serial none "${DRIVES[@]}" \
	--incoming "tcp:127.0.0.1:$P3" </dev/null >/dev/null 2>&1
rc=0
timeout 30 "$KVMINI" migrate a "tcp:127.0.0.1:$P3" >/dev/null 2>"$TMP/b.err" || rc=$?
gone t2
check "a board that differs is refused (rc $rc: $(cat "$TMP/b.err"))" \
	grep -q "board differs: vCPUs 1 there, 2 here" "$TMP/b.err"
check "... the source runs on" alive a

# live, then offline back
start_tiny b --incoming "tcp:127.0.0.1:$P4"
last=$(ticks a | tail -1)
rc=0
timeout 60 "$KVMINI" migrate a "tcp:127.0.0.1:$P4" >"$TMP/live.out" 2>"$TMP/live.err" || rc=$?
check "live migration of the tiny guest (IDE, AHCI, virtio-scsi drives): exit 0 ($(tail -1 "$TMP/live.out") $(cat "$TMP/live.err"))" [ "$rc" -eq 0 ]
check "... the source exits" gone a
check "... the target runs" wait_ticks b 3
first=$(ticks b | head -1)
last=$(ticks a | tail -1)
check "... and counts on from the source's last tick ($last -> $first)" [ "$first" -eq $((last + 1)) ]
start_tiny c --incoming defer
python3 "$QC" "$RUN/c.qmp" migrate-incoming "{\"uri\": \"tcp:127.0.0.1:$P1\"}" >"$TMP/defer.out" 2>&1
check "--incoming defer, then QMP migrate-incoming ($(cat "$TMP/defer.out"))" wait_listen "$P1"
rc=0
timeout 60 "$KVMINI" migrate b "tcp:127.0.0.1:$P1" --offline >"$TMP/off.out" 2>&1 || rc=$?
check "offline migration back: exit 0 ($(tail -1 "$TMP/off.out"))" [ "$rc" -eq 0 ]
check "... the target runs" wait_ticks c 3
check "... and counts on ($(ticks b | tail -1) -> $(ticks c | head -1))" \
	[ "$(ticks c | head -1)" -eq $(($(ticks b | tail -1) + 1)) ]
python3 "$QC" "$RUN/c.qmp" quit >/dev/null 2>&1
gone c

# firmware boot: SeaBIOS boots a boot sector on an IDE disk that prints "BOOTTICK x" (x: a..z in
# guest RAM) through the BIOS (int 10h to COM1) on every fourth timer tick (BIOS data area): it
# is saved and restored, then migrated live; each time it goes on with the next letter (the BIOS
# in the shadow RAM, its PAM mapping, the timer and the IDE state came along)
python3 - "$TMP/boot.raw" <<'EOF'
import sys
code = bytes.fromhex(  # 16-bit, at 0x7c00: prints, then waits for 0x46c to advance by 4 (hlt)
    "31c08ed88ed0bc007c31dbfbbe457cac84c07406b40ecd10ebf5a04f7cfec03c7a7602b061a24f7cb40ecd10b00d"
    "cd10b00acd108b166c04f4a16c0429d083f80472f5ebc7424f4f545449434b200060")
img = bytearray(1 << 20)
img[:len(code)] = code
img[510:512] = b"\x55\xaa"
open(sys.argv[1], "wb").write(img)
EOF
FW=(--mem 64M --daemonize --serial none --disk "$TMP/boot.raw,if=ide,format=raw,readonly")
# (SeaBIOS's serial console puts cursor moves anywhere in a line: dropped before matching)
letters() { sed -E 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$RUN/$1.console" 2>/dev/null | grep -a '^BOOTTICK [a-z]' | tr -d '\r' | awk '{print $2}'; }
wait_letters() { # NAME N: up to 120 s (SeaBIOS runs in the instruction emulator here)
	for _ in $(seq 1200); do [ "$(letters "$1" | wc -l)" -ge "$2" ] && return 0; sleep 0.1; done
	return 1
}
# next_of A B: B follows A (or the one after, when a snapshot cut a line in two), a..z wrapping
next_of() { python3 -c "import sys; a, b = (ord(x) - 97 for x in sys.argv[1:]); sys.exit((b - a) % 26 not in (1, 2))" "$1" "$2"; }
timeout 60 "$KVMINI" run --name fw "${FW[@]}" </dev/null >"$TMP/fw.out" 2>&1
check "firmware: the boot sector prints through the BIOS" wait_letters fw 2
rc=0
"$KVMINI" snapshot fw "$TMP/fws" --pause >"$TMP/fws.out" 2>&1 || rc=$?
check "firmware: snapshot --pause of a firmware-booted VM (rc $rc: $(cat "$TMP/fws.out"))" [ "$rc" -eq 0 ]
sleep 0.3
last=$(letters fw | tail -1)
python3 "$QC" "$RUN/fw.qmp" quit >/dev/null 2>&1
gone fw
rc=0
timeout 60 "$KVMINI" run --restore "$TMP/fws" --name fr --daemonize --serial none </dev/null >"$TMP/fr.out" 2>&1 || rc=$?
check "firmware: run --restore (rc $rc: $(head -1 "$TMP/fr.out"))" [ "$rc" -eq 0 ]
check "firmware: the restored boot sector prints on" wait_letters fr 2
first=$(letters fr | head -1)
check "firmware: ... right after the snapshot ($last -> $first)" next_of "$last" "$first"
timeout 60 "$KVMINI" run --name ft "${FW[@]}" --incoming "tcp:127.0.0.1:$P2" </dev/null >"$TMP/ft.out" 2>&1
rc=0
timeout 60 "$KVMINI" migrate fr "tcp:127.0.0.1:$P2" >"$TMP/fm.out" 2>&1 || rc=$?
check "firmware: live migration of the restored VM (rc $rc: $(tail -1 "$TMP/fm.out"))" [ "$rc" -eq 0 ]
gone fr
check "firmware: the target prints on" wait_letters ft 2
check "firmware: ... right after the source ($(letters fr | tail -1) -> $(letters ft | head -1))" \
	next_of "$(letters fr | tail -1)" "$(letters ft | head -1)"
python3 "$QC" "$RUN/ft.qmp" quit >/dev/null 2>&1
gone ft

. "$(dirname "$0")/migrate_linux.bash"
