#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Throw-away disks (`kvmini run --snapshot`, QEMU's -snapshot): a Linux guest writes to its raw and
# qcow2 disks and reads its writes back, yet both images are byte-for-byte unchanged (sha256)
# afterwards, and no overlay is ever left in TMPDIR: not while the VM runs (unlinked once open),
# not after SIGTERM or SIGKILL. The tiny-guest cases run in milliseconds; one Linux boot.
. "$(dirname "$0")/lib.bash"
need_kvm "--snapshot"
named_vms
OV=$TMP/ov
mkdir -p "$OV"
export TMPDIR=$OV
truncate -s 16M "$TMP/a.raw"
printf 'kvmini image data' | dd of="$TMP/a.raw" conv=notrunc status=none
"$KVMINI" img create -f qcow2 "$TMP/b.qcow2" 32M >/dev/null
sum() { sha256sum "$TMP/a.raw" "$TMP/b.qcow2" | cut -d' ' -f1 | tr '\n' ' '; }
before=$(sum)
empty_ov() { [ -z "$(ls -A "$OV")" ]; }

# a tiny guest, then SIGKILL: nothing in TMPDIR while it runs, nothing after
rc=0
timeout 30 "$KVMINI" run --kernel "$TICKER" --mem 64M --name t1 --daemonize --serial none --snapshot \
	--disk "$TMP/a.raw,format=raw" --disk "$TMP/b.qcow2" </dev/null >"$TMP/t1.out" 2>&1 || rc=$?
check "--snapshot: the VM starts (rc $rc: $(head -1 "$TMP/t1.out"))" [ "$rc" -eq 0 ]
pid=$(cat "$RUN/t1.pid" 2>/dev/null)
check "--snapshot: the overlays are unlinked while the VM runs (TMPDIR empty)" empty_ov
check "--snapshot: the VMM holds two deleted overlays open" \
	[ "$(ls -l /proc/"$pid"/fd 2>/dev/null | grep -c "$OV/kvmini-snapshot-.*(deleted)")" -eq 2 ]
rc=0
"$KVMINI" img info "$TMP/a.raw" >/dev/null 2>&1 || rc=$?
check "--snapshot: the image is only read-locked (img info opens it)" [ "$rc" -eq 0 ]
rc=0
timeout 10 "$KVMINI" run --kernel "$TICKER" --mem 64M --serial none --disk "$TMP/a.raw,format=raw" \
	</dev/null >"$TMP/w.out" 2>&1 || rc=$?
check "--snapshot: a writer of the image is refused meanwhile (rc $rc: $(head -1 "$TMP/w.out"))" \
	grep -q 'locked' "$TMP/w.out"
kill -KILL "$pid"
wait_gone "$pid"
check "--snapshot: SIGKILL leaves nothing in TMPDIR" empty_ov

# SIGTERM: status 143, nothing left
"$KVMINI" run --kernel "$TICKER" --mem 64M --serial none --snapshot --disk "$TMP/b.qcow2" </dev/null \
	>"$TMP/t2.out" 2>&1 &
pid=$!
sleep 0.5
kill -TERM $pid
rc=0
wait $pid || rc=$?
check "--snapshot: SIGTERM ends it with 143 (got $rc), nothing in TMPDIR" sh -c "[ $rc -eq 143 ] && [ -z \"\$(ls -A '$OV')\" ]"
# an error exit after the overlays were made (the second disk does not open)
rc=0
"$KVMINI" run --kernel "$TICKER" --mem 64M --serial none --snapshot --disk "$TMP/a.raw,format=raw" \
	--disk "$TMP/nosuch.raw" </dev/null >"$TMP/t3.out" 2>&1 || rc=$?
check "--snapshot: an error exit (rc $rc) leaves nothing in TMPDIR" sh -c "[ $rc -eq 1 ] && [ -z \"\$(ls -A '$OV')\" ]"
rc=0
"$KVMINI" run --restore "$TMP" --snapshot </dev/null >"$TMP/t4.out" 2>&1 || rc=$?
check "--snapshot with --restore: usage error ($(head -1 "$TMP/t4.out"))" [ "$rc" -eq 2 ]
check "the images are unchanged after the tiny guests" [ "$(sum)" = "$before" ]

VMLINUX=$(guest_file vmlinux 2>/dev/null) && INITRD=$(guest_file initramfs-test.cpio 2>/dev/null) || {
	not_ok "test kit not built (make kit): the Linux --snapshot run did not run"
	exit 0
}
# Linux writes 1 MiB to each disk and reads it back, then powers off
rc=0
timeout --kill-after=5 600 "$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --serial "file:$TMP/lx.console" \
	--snapshot --disk "$TMP/a.raw,format=raw" --disk "$TMP/b.qcow2,if=scsi" </dev/null >"$TMP/lx.out" 2>&1 \
	--append "console=ttyS0 kvtest=blkwrite:/dev/vda:7:1M,blkread:/dev/vda:1M,blkwrite:/dev/sda:9:1M,blkread:/dev/sda:1M,poweroff" ||
	rc=$?
lines() { grep -a "^KVMINI-INIT: $1" "$TMP/lx.console" | tr -d '\r' | sed "s/^KVMINI-INIT: $1 //"; }
check "Linux --snapshot: the guest ran and powered off (rc $rc)" sh -c "[ $rc -eq 0 ] && grep -aq 'KVMINI-INIT: poweroff' '$TMP/lx.console'"
for dev in vda sda; do
	w=$(lines blkwrite | grep "^/dev/$dev " | cut -d' ' -f3)
	r=$(lines blkread | grep "^/dev/$dev " | cut -d' ' -f3)
	check "Linux --snapshot: /dev/$dev reads back what it wrote ($w)" [ -n "$w" -a "$w" = "$r" ]
done
check "Linux --snapshot: both images byte-for-byte unchanged (sha256)" [ "$(sum)" = "$before" ]
check "Linux --snapshot: no overlay left in TMPDIR" empty_ov
