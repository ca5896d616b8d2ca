#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --rootfs-share in one Linux boot: a host temporary directory with static busybox becomes the
# guest's `/` (kvmini's embedded init shim mounts it over virtio-9p under a tmpfs overlay and
# execs the init= the command line names). The guest's init reports its root filesystem, reads a
# host file (checksum), writes a new file and appends to a host file, and powers off; the host
# directory must be unchanged afterwards (the writes went to the overlay). Before the boot, the
# usage errors: --initrd with --rootfs-share (status 2), a DIR that is not a directory (status 1).
. "$(dirname "$0")/lib.bash"
need_kvm "rootfs-share"
KERNEL=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
for t in busybox md5sum; do
	command -v "$t" >/dev/null || { not_ok "rootfs: $t is missing (tools/install-deps: busybox-static)"; exit 1; }
done
R=$TMP/root
mkdir -p "$R"/{bin,sbin,dev,proc,data}
cp "$(command -v busybox)" "$R/bin/busybox"
for p in sh mount cut cat md5sum grep echo poweroff ls; do ln -s busybox "$R/bin/$p"; done
head -c 200000 "$(command -v busybox)" >"$R/data/blob"
BLOB_MD5=$(md5sum <"$R/data/blob" | cut -d' ' -f1)
echo "from the host" >"$R/data/hostfile"
cat >"$R/sbin/kvtest" <<'INIT'
#!/bin/busybox sh
export PATH=/bin
mount -t proc proc /proc
say() { echo "KVROOT: $*"; }
say "init: $0"
say "root: $(grep ' / ' /proc/mounts | cut -d' ' -f3 | tr '\n' ' ')"
say "dev: $(ls /dev/console)"
say "blob-md5: $(md5sum </data/blob | cut -d' ' -f1)"
echo "written by the guest" >/data/new && say "new: $(cat /data/new)"
echo "appended" >>/data/hostfile && say "hostfile: $(cat /data/hostfile | tr '\n' ' ')"
poweroff -f
INIT
chmod +x "$R/sbin/kvtest"
(cd "$R" && find . -printf '%p %s %m\n' | sort && cat data/hostfile) >"$TMP/before"

# usage errors: one line each, before any guest runs
"$KVMINI" run --kernel "$KERNEL" --rootfs-share "$R" --initrd "$KERNEL" >"$TMP/e1" 2>&1
rc=$?
check "--rootfs-share with --initrd: status 2 (got $rc)" [ "$rc" -eq 2 ]
check "... in one line" bash -c "[ \$(wc -l <'$TMP/e1') -eq 1 ] && grep -q '^kvmini: .*--rootfs-share: not with --initrd' '$TMP/e1'"
"$KVMINI" run --kernel "$KERNEL" --rootfs-share "$R/data/hostfile" >"$TMP/e2" 2>&1
rc=$?
check "--rootfs-share FILE (not a directory): status 1 (got $rc)" [ "$rc" -eq 1 ]
check "... in one line" bash -c "[ \$(wc -l <'$TMP/e2') -eq 1 ] && grep -q 'rootfs-share.*Not a directory' '$TMP/e2'"

out=$TMP/rootfs.out
rc=0
run_vm "${ROOTFS_TIMEOUT:-900}" "$out" --kernel "$KERNEL" --mem 256M --rootfs-share "$R" \
	--append "console=ttyS0 quiet panic=-1 init=/sbin/kvtest" || rc=$?
g() { grep -q "^KVROOT: $1" "$out"; }
check "the guest powered off (exit $rc)" [ "$rc" -eq 0 ]
check "the shim ran init= from the command line" g "init: /sbin/kvtest"
check "/ is the overlay" g "root: overlay"
check "/dev is devtmpfs, moved into the new root" g "dev: /dev/console"
check "the guest read the host's file intact (md5)" g "blob-md5: $BLOB_MD5"
check "the guest wrote a new file" g "new: written by the guest"
check "the guest appended to a host file" g "hostfile: from the host appended"
check "the host directory is unchanged (writes went to the tmpfs overlay)" \
	bash -c "diff <(cd '$R' && find . -printf '%p %s %m\n' | sort && cat data/hostfile) '$TMP/before'"
check "no kvmini-rootfs failure line" bash -c "! grep -q '^kvmini-rootfs:' '$out'"
echo "# --- guest and kvmini lines"
grep 'KVROOT:\|kvmini\|9p\|overlay' "$out" | sed 's/^/#   /' | head -40
exit 0
