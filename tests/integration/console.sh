# SPDX-License-Identifier: GPL-2.0-or-later
# The console never blocks a vCPU: the flood guest prints 1 MiB to COM1 and powers off. With an
# output nobody reads (a pty nobody opens, a stdout pipe whose reader sleeps) kvmini must still exit
# 0 in time and --stats must count the dropped bytes; with stdout read, all 1 MiB arrives intact.
. "$(dirname "$0")/lib.bash"
need_kvm "console"
G=$TOP/build/guest
LIMIT=${CONSOLE_LIMIT:-240} # seconds; the guest itself needs 20-80 s on a loaded PVM host (an exit per byte)
MIB=1048576

# the flood guest's bytes: byte i is (i + (i >> 8)) & 0xff
want=$(perl -e 'print pack "C*", map { ($_ + ($_ >> 8)) & 255 } 0..1048575' | cksum)

dropped() { sed -nE 's/^serial: [0-9]+ bytes written, ([0-9]+) dropped.*/\1/p' "$1"; }
counts_add_up() {
	local w d
	w=$(sed -nE 's/^serial: ([0-9]+) bytes written.*/\1/p' "$1")
	d=$(dropped "$1")
	[ -n "$w" ] && [ -n "$d" ] && [ $((w + d)) -eq $MIB ]
}

# 1. --serial pty that nobody opens
rc=0
t0=$SECONDS
timeout --kill-after=5 "$LIMIT" "$KVMINI" run --kernel "$G/flood.elf" --mem 64M --serial pty --stats \
	</dev/null >"$TMP/pty.out" 2>"$TMP/pty.err" || rc=$?
check "pty nobody opens: the guest powers off, kvmini exits 0 (got $rc after $((SECONDS - t0)) s)" [ "$rc" -eq 0 ]
check "pty nobody opens: kvmini named the pty" grep -q '^kvmini: serial console on /dev/pts/' "$TMP/pty.err"
d=$(dropped "$TMP/pty.err")
check "pty nobody opens: --stats reports dropped bytes (${d:-none})" [ "${d:-0}" -gt 0 ]
check "pty nobody opens: written + dropped = 1 MiB" counts_add_up "$TMP/pty.err"

# 2. stdout a pipe whose reader never reads (it holds the fifo open and sleeps)
mkfifo "$TMP/fifo"
sleep $((LIMIT + 30)) <"$TMP/fifo" &
reader=$!
rc=0
t0=$SECONDS
timeout --kill-after=5 "$LIMIT" "$KVMINI" run --kernel "$G/flood.elf" --mem 64M --stats \
	</dev/null >"$TMP/fifo" 2>"$TMP/pipe.err" || rc=$?
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
check "stdout pipe nobody reads: the guest powers off, kvmini exits 0 (got $rc after $((SECONDS - t0)) s)" [ "$rc" -eq 0 ]
d=$(dropped "$TMP/pipe.err")
check "stdout pipe nobody reads: --stats reports dropped bytes (${d:-none})" [ "${d:-0}" -gt 0 ]
check "stdout pipe nobody reads: written + dropped = 1 MiB" counts_add_up "$TMP/pipe.err"

# 3. stdout read as usual: every byte arrives, in order
rc=0
got=$(set -o pipefail; timeout --kill-after=5 "$LIMIT" "$KVMINI" run --kernel "$G/flood.elf" --mem 64M --stats \
	</dev/null 2>"$TMP/read.err" | cksum) || rc=$?
check "stdout read: kvmini exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "stdout read: 1 MiB arrives intact (cksum '$got', want '$want')" [ "$got" = "$want" ]
d=$(dropped "$TMP/read.err")
check "stdout read: --stats reports 0 dropped (${d:-none})" [ "$d" = 0 ]
