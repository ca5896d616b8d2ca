#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kvmini img against qemu-img/qemu-io: images either side writes must read identically on the
# other side and pass the other side's checks; image locks keep either off the other's image. Result lines as tests/run-all counts them.
# qemu-img/qemu-io (Debian: qemu-utils, tools/install-deps) are test dependencies: without them
# the test fails. Data is verified by qemu-io's exit status (it prints "read N/N bytes" even after
# "Pattern verification failed") or by comparing bytes.
# shellcheck disable=SC1091,SC2015 # ok/fail always succeed, so "A && ok || fail" is safe
. "$(dirname "$0")/lib.bash"
if ! command -v qemu-img >/dev/null 2>&1 || ! command -v qemu-io >/dev/null 2>&1; then
	not_ok "img-interop: qemu-img/qemu-io not installed (tools/install-deps: qemu-utils)"
	exit 1
fi
case $KVMINI in /*) ;; *) KVMINI=$PWD/$KVMINI ;; esac
[ -x "$KVMINI" ] || { not_ok "img-interop: $KVMINI is not executable"; exit 1; }
cd "$TMP" || exit 1
fails=0
fail() { not_ok "$*"; fails=$((fails + 1)); }
# qio ARGS...: qemu-io on a qcow2 image; its status is 1 if any -c command failed (a read -P
# whose data differ included)
qio() { qemu-io -f qcow2 "$@" >qio.log 2>&1; }

# same guest view as qemu: both convert to raw, compare bytes
same_content() { # image fmt label
	rm -f k.raw q.raw
	if ! "$KVMINI" img convert -q -f "$2" -O raw "$1" k.raw; then fail "$3: kvmini convert"; return; fi
	qemu-img convert -f "$2" -O raw "$1" q.raw || { fail "$3: qemu-img convert"; return; }
	if cmp -s k.raw q.raw; then ok "$3: same content"; else fail "$3: content differs"; fi
}

qcheck() { # image label
	if qemu-img check -q "$1" >check.log 2>&1; then ok "$2: qemu-img check"; else
		cat check.log; fail "$2: qemu-img check"; fi
}

# 1. qemu-made images of several shapes, data written by qemu-io, read by kvmini
for opts in "cluster_size=65536" "cluster_size=512" "cluster_size=2M" "compat=0.10" \
	"refcount_bits=1" "refcount_bits=64" "cluster_size=4096,refcount_bits=8"; do
	rm -f q.qcow2
	qemu-img create -q -f qcow2 -o "$opts" q.qcow2 40M || { fail "qemu-img create $opts"; continue; }
	qio -c "write -P 0x5a 12345 200k" -c "write -P 0x33 20M 1M" -c "write -z 20M 64k" \
		-c "write -P 0x77 39M 1M" q.qcow2 || fail "qemu-io $opts"
	same_content q.qcow2 qcow2 "qemu image ($opts)"
	"$KVMINI" img check q.qcow2 >/dev/null || fail "kvmini check of qemu image ($opts)"
done

# 2. compressed clusters written by qemu-img convert -c
qemu-img create -q -f qcow2 c0.qcow2 8M
qio -c "write -P 0x41 0 3M" -c "write -P 0x42 5M 100k" c0.qcow2 || fail "qemu-io writes c0.qcow2"
qemu-img convert -c -f qcow2 -O qcow2 c0.qcow2 c.qcow2 || fail "qemu-img convert -c"
same_content c.qcow2 qcow2 "compressed"

# 3. kvmini-made images pass qemu-img check and read back identically
head -c 5M /dev/urandom >src.raw
dd if=/dev/zero bs=1M count=3 >>src.raw 2>/dev/null
head -c 1M /dev/urandom >>src.raw
for cs in 512 65536 2M; do
	rm -f k.qcow2
	"$KVMINI" img convert -q -f raw -O qcow2 -o cluster_size=$cs src.raw k.qcow2 || fail "convert cs=$cs"
	qcheck k.qcow2 "kvmini convert cs=$cs"
	qemu-img compare -q -f raw -F qcow2 src.raw k.qcow2 && ok "cs=$cs compare" || fail "cs=$cs compare"
done

# 4. kvmini writes into a qemu image (via resize + snapshot metadata paths), qemu checks it
qemu-img create -q -f qcow2 w.qcow2 16M
qio -c "write -P 0x10 0 2M" w.qcow2 || fail "qemu-io writes w.qcow2"
"$KVMINI" img resize w.qcow2 +1G >/dev/null || fail "resize"
qcheck w.qcow2 "resized"
[ "$(qemu-img info --output=json w.qcow2 | grep -c '"virtual-size": 1090519040')" = 1 ] &&
	ok "resize seen by qemu" || fail "resize seen by qemu"

# 5. snapshots made by kvmini are listed, applied and checked by qemu; and the reverse
"$KVMINI" img snapshot -c first w.qcow2 || fail "snapshot -c"
qio -c "write -P 0x20 1M 2M" w.qcow2 || fail "qemu-io writes over snapshot first"
"$KVMINI" img snapshot -c second w.qcow2 || fail "snapshot -c second"
qemu-img snapshot -l w.qcow2 | grep -q first && qemu-img snapshot -l w.qcow2 | grep -q second &&
	ok "qemu lists kvmini snapshots" || fail "qemu lists kvmini snapshots"
qcheck w.qcow2 "after kvmini snapshots"
qemu-img snapshot -a first w.qcow2 || fail "qemu applies kvmini snapshot"
# the check below must be able to fail: a wrong pattern is refused
if qio -c "read -P 0x20 1M 1M" w.qcow2; then fail "qemu-io read -P accepts wrong data"; else
	ok "qemu-io read -P refuses wrong data (status $?)"; fi
qio -c "read -P 0x10 0 2M" w.qcow2 && ok "qemu applies kvmini snapshot: its content is back" ||
	fail "qemu applies kvmini snapshot: content: $(head -c 300 qio.log)"
"$KVMINI" img snapshot -a second w.qcow2 || fail "kvmini applies snapshot"
qcheck w.qcow2 "after kvmini apply"
qio -c "read -P 0x10 0 1M" -c "read -P 0x20 1M 2M" w.qcow2 &&
	ok "apply restores content" || fail "apply restores content: $(head -c 300 qio.log)"
qemu-img snapshot -c qsnap w.qcow2
"$KVMINI" img snapshot -l w.qcow2 | grep -q qsnap && ok "kvmini lists qemu snapshots" ||
	fail "kvmini lists qemu snapshots"
"$KVMINI" img snapshot -d first w.qcow2 && "$KVMINI" img snapshot -d qsnap w.qcow2 ||
	fail "kvmini deletes snapshots"
qcheck w.qcow2 "after kvmini delete"
qemu-img snapshot -l w.qcow2 >snap.txt 2>&1 || fail "qemu-img snapshot -l after delete"
grep -q second snap.txt && ! grep -q 'first\|qsnap' snap.txt && ok "qemu lists only the snapshot left" ||
	fail "qemu lists only the snapshot left: $(cat snap.txt)"

# 6. backing chains: qemu overlay over a kvmini base and the reverse
"$KVMINI" img create -f raw base.raw 8M >/dev/null || fail "create raw"
qemu-io -f raw -c "write -P 0x61 0 8M" base.raw >/dev/null || fail "qemu-io writes base.raw"
"$KVMINI" img create -f qcow2 -b base.raw -F raw top.qcow2 >/dev/null || fail "create overlay"
qio -c "write -P 0x62 100k 10k" top.qcow2 || fail "qemu-io writes top.qcow2"
qcheck top.qcow2 "kvmini overlay"
same_content top.qcow2 qcow2 "overlay"
"$KVMINI" img info top.qcow2 | grep -q "backing file: base.raw" && ok "info shows backing" ||
	fail "info shows backing"

# 7. refusals: a half-written image never appears; bad input is one line and exit 2
"$KVMINI" img convert -q -O qcow2 missing.raw out.qcow2 2>err.txt && fail "convert of missing"
leftover=$(find . -name '*kvmini-*' | wc -l)
[ ! -e out.qcow2 ] && [ "$leftover" = 0 ] && [ "$(wc -l <err.txt)" = 1 ] &&
	ok "failed convert leaves nothing behind" || fail "failed convert leaves nothing behind"
for args in "create -f qcow2 x.qcow2 12Q" "create x.qcow2 1G" "create -f vmdk x.img 1G" \
	"snapshot w.qcow2" "resize w.qcow2 abc" "bogus" "create -Z -f qcow2 x.qcow2 1M" "info --bogus w.qcow2" \
	"convert -f qcow2 w.qcow2 x.raw -O" "check -r"; do
	rc=0
	# shellcheck disable=SC2086
	"$KVMINI" img $args >/dev/null 2>err.txt || rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <err.txt)" = 1 ] && grep -q '^kvmini: ' err.txt; then
		ok "usage error: img $args"
	else
		fail "usage error: img $args (exit $rc: $(cat err.txt))"
	fi
done
[ -e x.qcow2 ] && fail "image created despite bad input"
rc=0
"$KVMINI" img resize w.qcow2 1M >/dev/null 2>err.txt || rc=$?
[ $rc = 1 ] && ok "qcow2 shrink refused: $(cat err.txt)" || fail "qcow2 shrink refused"
for c in create info check convert resize snapshot; do
	"$KVMINI" img $c --help >/dev/null || fail "img $c --help"
done

# 8. image locks as QEMU takes them (OFD locks on bytes 100+ and 200+): kvmini and qemu keep each
# other off an image as two qemus do, and share a read-only one
locked() { grep -q ":$(stat -c %i "$1") " /proc/locks; }
if [ ! -c /dev/kvm ] || ! command -v qemu-system-x86_64 >/dev/null; then
	skip "image locks against qemu: needs /dev/kvm and qemu-system-x86_64 (tools/install-deps)"
else
	truncate -s 1M lk-ro.raw lk-rw.raw lk-q.raw
	"$KVMINI" img create -q -f qcow2 lk.qcow2 16M # -q as qemu-img: nothing printed
	"$KVMINI" run --kernel "$TOP/build/guest/ticker.elf" --mem 64M --serial none --disk lk-ro.raw,readonly \
		--disk lk-rw.raw --disk lk.qcow2 </dev/null >kv.out 2>&1 &
	kv=$!
	for _ in $(seq 600); do locked lk.qcow2 && break; sleep 0.1; done
	! qemu-img info lk.qcow2 >lk0.out 2>&1 && grep -q 'Failed to get shared "write" lock' lk0.out &&
		ok "a qcow2 kvmini runs: qemu-img info refuses it as for a qemu's ($(head -n 1 lk0.out))" ||
		fail "qemu-img info on kvmini's qcow2: $(cat lk0.out)"
	qemu-io -r -f raw -c 'read 0 512' lk-ro.raw >lk1.out 2>&1 &&
		ok "a read-only image kvmini runs with: qemu-io -r reads it too" ||
		fail "qemu-io -r on kvmini's read-only image: $(head -n 1 lk1.out)"
	! qemu-io -f raw -c 'write 0 512' lk-ro.raw >lk2.out 2>&1 && grep -q 'Failed to get "write" lock' lk2.out &&
		ok "... but qemu-io may not write it ($(head -n 1 lk2.out))" || fail "qemu-io wrote kvmini's read-only image: $(cat lk2.out)"
	! qemu-io -f raw -c 'read 0 512' lk-rw.raw >lk3.out 2>&1 && grep -q 'Failed to get "write" lock' lk3.out &&
		ok "an image kvmini writes: qemu-io may not open it writable ($(head -n 1 lk3.out))" ||
		fail "qemu-io opened kvmini's image writable: $(cat lk3.out)"
	kill $kv
	wait $kv 2>/dev/null
	qemu-system-x86_64 -S -display none -nodefaults -drive file=lk-q.raw,format=raw,if=virtio,readonly=on >lkq.out 2>&1 &
	q=$!
	for _ in $(seq 600); do locked lk-q.raw && break; sleep 0.1; done # qemu starts slowly under load
	locked lk-q.raw || fail "qemu-system-x86_64 never locked lk-q.raw in 60 s: $(head -n 2 lkq.out)"
	"$KVMINI" img info lk-q.raw >lk4.out 2>&1 && ok "qemu's read-only image: kvmini img info opens it" ||
		fail "kvmini img info on qemu's read-only image: $(cat lk4.out)"
	rc=0
	timeout 10 "$KVMINI" run --kernel "$TOP/build/guest/ticker.elf" --mem 64M --disk lk-q.raw </dev/null >lk5.out 2>&1 || rc=$?
	[ $rc = 1 ] && [ "$(grep -c '^kvmini: ' lk5.out)" = 1 ] && grep -q '^kvmini: --disk lk-q.raw: image is locked by another process' lk5.out &&
		ok "... kvmini run may not write it: one line, exit 1" || fail "kvmini run writable on qemu's read-only image (exit $rc): $(cat lk5.out)"
	rc=0
	timeout 3 "$KVMINI" run --kernel "$TOP/build/guest/ticker.elf" --mem 64M --serial file:lk6.serial \
		--disk lk-q.raw,locking=off </dev/null >lk6.out 2>&1 || rc=$?
	[ $rc = 124 ] && grep -q TICK lk6.serial && ok "... unless told locking=off (QEMU's file.locking=off): the guest runs" ||
		fail "kvmini run --disk ...,locking=off beside qemu (exit $rc): $(head -n 2 lk6.out)"
	kill $q
	wait $q 2>/dev/null
fi

[ $fails = 0 ]
