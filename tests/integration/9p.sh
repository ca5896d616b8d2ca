#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# virtio-9p in one Linux boot: a read-write share over virtio-pci and a read-only one over
# virtio-mmio. The guest (a busybox initramfs) mounts both by tag, reads a host file (checksum),
# writes, creates, renames, unlinks, makes a directory and a symlink, fsyncs, chmods and chowns,
# and the host then finds exactly that in the directory; the read-only share refuses every
# write. Escapes: an absolute and a relative symlink pointing out of the share, and a rename race
# (the host swaps a directory for a symlink to the outside while the guest walks through it) never
# show the guest the secret file that lies outside, and nothing outside the share changes. `..` at
# the root and the other protocol-level escapes are covered by tests/unit/test_9p.c, since the
# guest's kernel resolves `..` itself and never sends it.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/initrdlib.bash"
need_kvm "virtio-9p"
KERNEL=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
for t in busybox cpio md5sum; do
	command -v "$t" >/dev/null || { not_ok "9p: $t is missing (tools/install-deps: busybox-static)"; exit 1; }
done
SH=$TMP/share RO=$TMP/roshare OUT=$TMP/outside
mkdir -p "$SH/in" "$SH/out" "$SH/race/d" "$RO/sub" "$OUT"
SECRET="kvmini-9p-secret-$$-outside"
echo "$SECRET" >"$OUT/secret"
echo inside >"$SH/race/d/secret"
head -c 300000 "$(command -v busybox)" >"$SH/in/blob"
BLOB_MD5=$(md5sum <"$SH/in/blob" | cut -d' ' -f1)
echo hello >"$SH/in/mode640" && chmod 640 "$SH/in/mode640"
echo doomed >"$SH/out/del"
echo before >"$SH/out/a"
ln -s "$OUT" "$SH/in/abs"
ln -s ../../outside "$SH/in/rel"
echo "read only" >"$RO/file"
(cd "$OUT" && ls -lA --time-style=+%s) >"$TMP/outside.before"

cat >"$TMP/init" <<'INIT'
#!/bin/busybox sh
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
say() { echo "KV9P: $*"; }
mkdir -p /mnt/rw /mnt/ro
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 kvshare /mnt/rw && say "mounted rw"
mount -t 9p -o trans=virtio,version=9p2000.L kvro /mnt/ro && say "mounted ro"
R=/mnt/rw
say "blob-md5: $(md5sum <$R/in/blob | cut -d' ' -f1)"
say "mode640: $(stat -c '%a %s' $R/in/mode640)"
say "ls-in: $(ls $R/in | tr '\n' ' ')"
echo "written by the guest" >$R/out/new.txt && chmod 600 $R/out/new.txt && say "created"
head -c 1048576 /bin/busybox >$R/out/big && say "big-md5: $(head -c 1048576 /bin/busybox | md5sum | cut -d' ' -f1)"
dd if=/bin/busybox of=$R/out/synced bs=4096 count=4 conv=fsync 2>/dev/null && say "fsynced"
mv $R/out/a $R/out/b && say "renamed"
rm $R/out/del && say "unlinked"
mkdir $R/out/dir && mkdir $R/out/dir/deeper && say "mkdir"
ln -s target $R/out/link && say "symlink: $(readlink $R/out/link)"
echo own >$R/out/owned && chown 1234:5678 $R/out/owned && say "chown"
touch $R/out/gone && rm $R/out/gone && say "touch-rm"
say "ls-out: $(ls $R/out | tr '\n' ' ')"
# the read-only share
say "ro-read: $(cat /mnt/ro/file)"
echo x >/mnt/ro/new 2>/dev/null && say "FAIL ro create" || say "ro create refused"
echo x >>/mnt/ro/file 2>/dev/null && say "FAIL ro append" || say "ro append refused"
mkdir /mnt/ro/d 2>/dev/null && say "FAIL ro mkdir" || say "ro mkdir refused"
rm /mnt/ro/file 2>/dev/null && say "FAIL ro unlink" || say "ro unlink refused"
mv /mnt/ro/file /mnt/ro/moved 2>/dev/null && say "FAIL ro rename" || say "ro rename refused"
chmod 777 /mnt/ro/file 2>/dev/null && say "FAIL ro chmod" || say "ro chmod refused"
# escapes: the links are resolved by the guest in its own tree, never by the host
cat $R/in/abs/secret 2>/dev/null && say "FAIL abs"
cat $R/in/rel/secret 2>/dev/null && say "FAIL rel"
say "abs-link: $(readlink $R/in/abs)"
# the rename race: the host flips race/d between a directory and a symlink to the outside
inside=0 outside=0 i=0
while [ $i -lt 20 ]; do
	c=$(cat $R/race/d/secret 2>/dev/null)
	[ "$c" = inside ] && inside=$((inside + 1))
	case $c in *secret*) outside=$((outside + 1)); echo "$c";; esac
	i=$((i + 1))
done
say "race: inside=$inside outside=$outside"
echo race-done >$R/out/race-done
umount /mnt/rw && umount /mnt/ro && say "unmounted"
poweroff -f
INIT
BUSYBOX_APPLETS="mount umount cut cat md5sum dd head mkdir chmod chown stat ls tr mv rm ln readlink touch poweroff sleep" \
	build_busybox_initrd "$TMP/9p.cpio" "$TMP/init" || { not_ok "9p: cannot build the busybox initramfs"; exit 1; }

# the host side of the race: rename() swaps race/d between the directory and a symlink to the
# outside, a few thousand times a second, until the guest is done
ln -s "$OUT" "$SH/race/d.link"
python3 - "$SH/race" "$SH/out/race-done" <<'PY' &
import os, sys, time
os.chdir(sys.argv[1])
while not os.path.exists(sys.argv[2]) and os.path.isdir("."):
    for a, b in (("d", "d.dir"), ("d.link", "d"), ("d", "d.link"), ("d.dir", "d")):
        try:
            os.rename(a, b)
        except OSError:
            pass
    time.sleep(0.0002)
PY
RACER=$!
out=$TMP/9p.out
rc=0
run_vm "${P9_TIMEOUT:-900}" "$out" --kernel "$KERNEL" --initrd "$TMP/9p.cpio" --mem 256M --append "console=ttyS0 quiet panic=-1" \
	--share "$SH,tag=kvshare" --share "$RO,tag=kvro,ro,transport=mmio" || rc=$?
kill $RACER 2>/dev/null
wait $RACER 2>/dev/null
tr -d '\r' <"$out" >"$out.txt"
g() { grep -q "^KV9P: $1" "$out.txt"; }
check "the guest powered off (exit $rc)" [ "$rc" -eq 0 ]
check "mounted the read-write share by its tag (virtio-pci)" g "mounted rw"
check "mounted the read-only share by its tag (virtio-mmio)" g "mounted ro"
check "the guest read the host's 300000-byte file intact (md5)" g "blob-md5: $BLOB_MD5"
check "stat shows the host's mode and size" g "mode640: 640 6"
check "readdir lists the host's entries" g "ls-in: abs blob mode640 rel "
check "a file the guest created holds its text on the host" [ "$(cat "$SH/out/new.txt" 2>/dev/null)" = "written by the guest" ]
check "its chmod 600 reached the host" [ "$(stat -c %a "$SH/out/new.txt" 2>/dev/null)" = 600 ]
check "a 1 MiB write arrived intact" [ "$(md5sum <"$SH/out/big" | cut -d' ' -f1)" = "$(head -c 1048576 "$(command -v busybox)" | md5sum | cut -d' ' -f1)" ]
check "an fsync'd write arrived" [ "$(stat -c %s "$SH/out/synced" 2>/dev/null)" = 16384 ]
check "rename: a is gone, b holds its data" bash -c "[ ! -e '$SH/out/a' ] && [ \"\$(cat '$SH/out/b')\" = before ]"
check "unlink: del is gone" [ ! -e "$SH/out/del" ]
check "mkdir: dir/deeper is a directory" [ -d "$SH/out/dir/deeper" ]
check "symlink: link -> target on the host" [ "$(readlink "$SH/out/link")" = target ]
check "chown 1234:5678 reached the host" [ "$(stat -c %u:%g "$SH/out/owned" 2>/dev/null)" = 1234:5678 ]
check "create + unlink leaves nothing" [ ! -e "$SH/out/gone" ]
check "the host sees exactly the guest's entries" \
	[ "$(cd "$SH/out" && ls | tr '\n' ' ')" = "b big dir link new.txt owned race-done synced " ]
check "the read-only share reads" g "ro-read: read only"
for w in create append mkdir unlink rename chmod; do
	check "the read-only share refuses $w" g "ro $w refused"
done
check "the read-only share's directory is untouched" [ "$(cd "$RO" && ls | tr '\n' ' ')" = "file sub " ]
check "the read-only file is unchanged" [ "$(cat "$RO/file")" = "read only" ]
check "readlink gives the host link's text (the guest resolves it in its own tree)" g "abs-link: $OUT"
check "no escape showed the guest the secret outside the share" bash -c "! grep -q '$SECRET' '$out.txt'"
check "the guest walked the racing directory (inside > 0, outside = 0)" \
	bash -c "grep -Eq '^KV9P: race: inside=[1-9][0-9]* outside=0$' '$out.txt'"
check "nothing outside the share changed" \
	bash -c "diff -q <(cd '$OUT' && ls -lA --time-style=+%s) '$TMP/outside.before' >/dev/null"
check "no guest line says FAIL" bash -c "! grep -q '^KV9P: FAIL' '$out.txt'"
echo "# --- guest and kvmini lines"
grep 'KV9P:\|kvmini:\|9p' "$out.txt" | sed 's/^/#   /' | head -60
exit 0
