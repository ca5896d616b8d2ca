# SPDX-License-Identifier: GPL-2.0-or-later
# Storage pools and volumes (kvmini pool-*, vol-*; no VM): every verb on a pool over a temporary
# directory, with private config and runtime dirs. Images are checked by qemu-img (the peer tool),
# the pool XML by libvirt's own schema (virt-xml-validate), tables and messages against virsh's
# layout. Bad input must be one "kvmini: ..." line with virsh's status (1; 2 for usage) and must
# leave every file as it was.
. "$(dirname "$0")/lib.bash"
command -v qemu-img >/dev/null || { not_ok "qemu-img is missing (tools/install-deps: qemu-utils)"; exit 1; }
export KVMINI_CONFIG_DIR=$TMP/cfg KVMINI_RUNTIME_DIR=$TMP/run
D=$TMP/images
mkdir "$D"
K() { "$KVMINI" "$@"; }

# run CMD...: stdout in $TMP/out, stderr in $TMP/err, status in $rc
run() {
	rc=0
	"$KVMINI" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
}
# the files with sizes and times (a directory's time changes with a temporary file: not compared)
files() { (cd "$TMP" && find cfg run images \( -type d -printf '%p/\n' \) -o -printf '%p %s %T@\n' | sort); }
# refused STATUS TEXT CMD...: fails with STATUS, one "kvmini: ...TEXT..." line, no file changed
refused() {
	local want=$1 text=$2 before
	shift 2
	before=$(files)
	run "$@"
	local line
	line=$(head -n 1 "$TMP/err")
	if [ "$rc" -eq "$want" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && [[ $line == "kvmini: "*"$text"* ]] &&
		[ "$(files)" = "$before" ]; then
		ok "refused (exit $want): kvmini $* -> $line"
	else
		not_ok "refused (exit $want): kvmini $*: got exit $rc, stderr '$(cat "$TMP/err")'"
		[ "$(files)" = "$before" ] || echo "# files changed: $(diff <(echo "$before") <(files) | head -n 5)"
	fi
}
vsize() { qemu-img info --output=json "$1" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p'; }
has() { grep -qF -- "$1" "$TMP/out"; }

# --- define, list, info (inactive)
run pool-define-as p1 dir --target "$D"
check "pool-define-as: exit 0, virsh's words" [ "$rc" -eq 0 -a "$(cat "$TMP/out")" = "Pool p1 defined" ]
check "pool-define-as: the definition is libvirt pool XML in storage/p1.xml" [ -f "$TMP/cfg/storage/p1.xml" ]
if command -v virt-xml-validate >/dev/null; then
	check "pool XML: libvirt's schema accepts it (virt-xml-validate storagepool)" \
		virt-xml-validate "$TMP/cfg/storage/p1.xml" storagepool >/dev/null 2>"$TMP/validate.err"
else
	not_ok "virt-xml-validate is missing (tools/install-deps: libvirt-clients, libxml2-utils)"
fi
run pool-list
check "pool-list: an inactive pool is not listed" [ "$rc" -eq 0 -a "$(sed -n 3p "$TMP/out")" = "" ]
run pool-list --all
check "pool-list --all: virsh's table" [ "$(head -n 3 "$TMP/out")" = " Name   State      Autostart
------------------------------
 p1     inactive   no" ]
run pool-info p1
check "pool-info: inactive, no space lines" [ "$(sed -n 3p "$TMP/out")" = "State:          inactive" \
	-a "$(grep -c Capacity "$TMP/out")" = 0 ]
refused 1 "p1: storage pool is not active" vol-create-as p1 x.raw 1M
refused 1 "p1: storage pool is not active" vol-list p1
refused 1 "p1: storage pool is not active" pool-destroy p1

# --- start
run pool-start p1
check "pool-start: started" [ "$rc" -eq 0 -a "$(head -n 1 "$TMP/out")" = "Pool p1 started" ]
check "pool-start: the state is a file in the runtime dir" [ -f "$TMP/run/pool-p1.active" ]
run pool-list
check "pool-list: active" has " p1     active   no"
run pool-info p1
check "pool-info: running, with capacity" grep -q '^State:          running$' "$TMP/out"
check "pool-info: capacity in virsh's units" grep -Eq '^Capacity:       [0-9]+\.[0-9]{2} (KiB|MiB|GiB|TiB)$' "$TMP/out"
refused 1 "p1: storage pool is already active" pool-start p1
refused 1 "p1: storage pool is active" pool-undefine p1

# --- volumes
run vol-create-as p1 a.raw 10M --format raw
check "vol-create-as raw: created" [ "$rc" -eq 0 -a "$(head -n 1 "$TMP/out")" = "Vol a.raw created" ]
check "vol-create-as raw: qemu-img sees raw, 10 MiB" [ "$(vsize "$D/a.raw")" = 10485760 \
	-a -n "$(qemu-img info "$D/a.raw" | grep '^file format: raw')" ]
check "vol-create-as raw: fully allocated, as libvirt does" [ $(($(stat -c %b "$D/a.raw") * 512)) -ge 10485760 ]
run vol-create-as p1 b.qcow2 1G --format qcow2
check "vol-create-as qcow2: created" [ "$rc" -eq 0 -a "$(vsize "$D/b.qcow2")" = 1073741824 ]
check "vol-create-as qcow2: qemu-img check passes" qemu-img check -q "$D/b.qcow2"
run vol-create-as p1 c.qcow2 1G --format qcow2 --backing-vol b.qcow2 --backing-vol-format qcow2
qemu-img info "$D/c.qcow2" >"$TMP/info"
check "vol-create-as --backing-vol: qemu-img shows the backing file" grep -qx "backing file: $D/b.qcow2" "$TMP/info"
check "vol-create-as --backing-vol: and its format" grep -qx "backing file format: qcow2" "$TMP/info"
check "vol-create-as --backing-vol: qemu-img check passes" qemu-img check -q "$D/c.qcow2"
run vol-create-as p1 s.raw 1GB --allocation 0
check "vol-create-as: 1GB is decimal, as in virsh; --allocation 0 is sparse" [ "$(vsize "$D/s.raw")" = 1000000000 \
	-a "$(stat -c %b "$D/s.raw")" -lt 64 ]
run vol-create-as p1 g.qcow2 10GiB --format qcow2
check "vol-create-as: 10GiB" [ "$(vsize "$D/g.qcow2")" = 10737418240 ]

run vol-list p1
check "vol-list: virsh's table, sorted" [ "$(cat "$TMP/out")" = " Name      Path
$(printf -- '-%.0s' $(seq $((${#D} + 21))))
 a.raw     $D/a.raw
 b.qcow2   $D/b.qcow2
 c.qcow2   $D/c.qcow2
 g.qcow2   $D/g.qcow2
 s.raw     $D/s.raw" ]
run vol-list p1 --details
check "vol-list --details: type, capacity, allocation" grep -Eq "^ a\.raw +$D/a\.raw +file +10\.00 MiB +10\.[0-9]{2} MiB$" "$TMP/out"
check "vol-list --details: qcow2 capacity is its virtual size" grep -Eq "^ g\.qcow2 .* 10\.00 GiB " "$TMP/out"
run vol-info a.raw --pool p1
check "vol-info: virsh's fields" [ "$(head -n 3 "$TMP/out")" = "Name:           a.raw
Type:           file
Capacity:       10.00 MiB" ]
run vol-info "$D/c.qcow2"
check "vol-info by path: found in its pool" grep -qx "Capacity:       1.00 GiB" "$TMP/out"
run vol-info b.qcow2 p1 --bytes
check "vol-info POOL positional, --bytes" grep -qx "Capacity:       1073741824" "$TMP/out"
run vol-path a.raw --pool p1
check "vol-path" [ "$rc" -eq 0 -a "$(head -n 1 "$TMP/out")" = "$D/a.raw" ]

# --- clone: same content (raw: byte for byte; qcow2: the chain flattened into the clone)
head -c 1M /dev/urandom | dd of="$D/a.raw" bs=64k seek=3 conv=notrunc status=none
run vol-clone a.raw a2.raw --pool p1
check "vol-clone raw: cloned" [ "$rc" -eq 0 -a "$(head -n 1 "$TMP/out")" = "Vol a2.raw cloned from a.raw" ]
check "vol-clone raw: content equal (cmp)" cmp "$D/a.raw" "$D/a2.raw"
qemu-io -f qcow2 -c "write -P 0x5a 1M 64k" "$D/b.qcow2" >/dev/null
qemu-io -f qcow2 -c "write -P 0xa5 3M 64k" "$D/c.qcow2" >/dev/null
run vol-clone c.qcow2 c2.qcow2 --pool p1
check "vol-clone qcow2: cloned" [ "$rc" -eq 0 ]
check "vol-clone qcow2: qemu-img compare finds the same content" qemu-img compare -q "$D/c.qcow2" "$D/c2.qcow2"
check "vol-clone qcow2: a qcow2 that stands alone, clean" \
	[ -z "$(qemu-img info "$D/c2.qcow2" | grep 'backing file')" -a "$(qemu-img info "$D/c2.qcow2" | grep -c 'format: qcow2')" = 1 ]
check "vol-clone qcow2: qemu-img check passes" qemu-img check -q "$D/c2.qcow2"
refused 1 "a2.raw: storage volume already exists" vol-clone a.raw a2.raw --pool p1

# --- resize
run vol-resize a.raw 20M --pool p1
check "vol-resize: virsh's words" [ "$(head -n 1 "$TMP/out")" = "Size of volume 'a.raw' successfully changed to 20M" ]
check "vol-resize raw: qemu-img sees 20 MiB" [ "$(vsize "$D/a.raw")" = 20971520 ]
run vol-resize a.raw 1M --pool p1 --delta
check "vol-resize --delta: 21 MiB" [ "$rc" -eq 0 -a "$(vsize "$D/a.raw")" = 22020096 ]
run vol-resize b.qcow2 2G --pool p1
check "vol-resize qcow2: qemu-img sees 2 GiB, and check passes" [ "$(vsize "$D/b.qcow2")" = 2147483648 ]
check "vol-resize qcow2: qemu-img check passes" qemu-img check -q "$D/b.qcow2"
refused 1 "can't shrink capacity below current capacity unless --shrink" vol-resize a.raw 15M --pool p1
refused 1 "qcow2 volumes can only grow" vol-resize b.qcow2 1G --pool p1 --shrink
refused 1 "can't shrink capacity below existing allocation" vol-resize a.raw 5M --pool p1 --shrink
refused 2 "negative size requires --shrink" vol-resize s.raw -1M --pool p1 --delta
run vol-resize s.raw 512M --pool p1 --shrink
check "vol-resize --shrink: a sparse raw volume shrinks" [ "$rc" -eq 0 -a "$(vsize "$D/s.raw")" = 536870912 ]
run vol-resize s.raw -12M --pool p1 --shrink --delta
check "vol-resize -12M --shrink --delta: 500 MiB" [ "$rc" -eq 0 -a "$(vsize "$D/s.raw")" = 524288000 ]

# --- bad input: one line, virsh's status, no file touched
refused 1 "nope: no such storage pool" pool-info nope
refused 1 "nope: no such storage pool" vol-list nope
refused 1 "nope: no such storage pool" vol-create-as nope x.raw 1M
refused 1 "p1: storage pool already exists" pool-define-as p1 dir --target "$TMP/other"
refused 1 "same target" pool-define-as p2 dir --target "$D/"
refused 1 "a.raw: storage volume already exists" vol-create-as p1 a.raw 1M
refused 2 "10Q: malformed size" vol-create-as p1 x.raw 10Q
refused 2 "vmdk: unknown volume format" vol-create-as p1 x.raw 1M --format vmdk
refused 2 "volume 'a/b'" vol-create-as p1 a/b 1M
refused 2 "volume '../x'" vol-create-as p1 ../x 1M
refused 2 "pool 'a/b'" pool-define-as a/b dir --target "$D"
refused 2 "logical: storage pool type not supported" pool-define-as p2 logical --target "$D"
refused 2 "missing storage pool target path" pool-define-as p2 dir
refused 2 "a backing volume needs --format qcow2" vol-create-as p1 x.raw 1M --backing-vol b.qcow2
refused 1 "nope.qcow2: no storage volume" vol-create-as p1 x.qcow2 1M --format qcow2 --backing-vol nope.qcow2
refused 1 "x.raw" vol-create-as p1 x.raw 100T # the fs refuses the size: no partial file left
refused 1 "nope.raw: no storage volume" vol-info nope.raw --pool p1
refused 1 "no storage volume with matching path" vol-info a.raw
refused 2 "unknown option '--bogus'" pool-start p1 --bogus
refused 2 "<pool> is required" pool-start
refused 2 "unexpected argument 'extra'" pool-info p1 extra
refused 2 "unknown command" pool-frobnicate
ln -s /etc/passwd "$D/link"
refused 1 "not a regular file" vol-info link --pool p1
check "vol-list: a symlink is not a volume" [ "$(K vol-list p1 | grep -c link)" = 0 ]
rm "$D/link"

# --- delete, destroy, dumpxml, undefine, define from the XML again
run vol-delete a2.raw --pool p1
check "vol-delete: deleted" [ "$rc" -eq 0 -a "$(head -n 1 "$TMP/out")" = "Vol a2.raw deleted" -a ! -e "$D/a2.raw" ]
K pool-dumpxml p1 >"$TMP/p1.xml"
uuid=$(sed -n 's/^UUID: *//p' < <(K pool-info p1))
run pool-destroy p1
check "pool-destroy: destroyed, state file gone" [ "$(head -n 1 "$TMP/out")" = "Pool p1 destroyed" -a ! -e "$TMP/run/pool-p1.active" ]
refused 1 "p1: storage pool is not active" vol-info a.raw --pool p1
run pool-undefine p1
check "pool-undefine: undefined, definition gone, volumes kept" \
	[ "$(head -n 1 "$TMP/out")" = "Pool p1 has been undefined" -a ! -e "$TMP/cfg/storage/p1.xml" -a -f "$D/a.raw" ]
run pool-list --all
check "pool-list --all: empty" [ "$(wc -l <"$TMP/out")" = 3 ]
run pool-define "$TMP/p1.xml"
check "pool-define FILE: defined again with the same uuid" [ "$(head -n 1 "$TMP/out")" = "Pool p1 defined from $TMP/p1.xml" \
	-a "$(K pool-info p1 | sed -n 's/^UUID: *//p')" = "$uuid" ]
printf "<pool type='dir'>\n<name>q</name>\n<target><path>/x</path>\n</pool>\n" >"$TMP/bad.xml"
refused 1 "bad.xml: line 4: " pool-define "$TMP/bad.xml"
# pool-build makes a missing target directory
K pool-define-as p3 dir --target "$TMP/new" >/dev/null
refused 1 "p3: cannot open directory $TMP/new" pool-start p3
run pool-build p3
check "pool-build: the directory exists" [ "$rc" -eq 0 -a -d "$TMP/new" ]
run pool-start p3
check "pool-start after pool-build" [ "$rc" -eq 0 ]

# --- every verb has --help
for v in pool-define-as pool-define pool-build pool-start pool-destroy pool-undefine pool-info pool-list pool-dumpxml \
	vol-create-as vol-list vol-info vol-path vol-clone vol-delete vol-resize; do
	run "$v" --help
	[ "$rc" -eq 0 ] && grep -q "^Usage: kvmini $v" "$TMP/out" || { not_ok "$v --help (exit $rc)"; continue; }
	ok "$v --help"
done
