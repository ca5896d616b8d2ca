# SPDX-License-Identifier: GPL-2.0-or-later
# The GDB stub (--gdb, --gdb-wait) driven by Debian's gdb in batch mode:
#  - the tiny guest gdbloop (tests/guest/gdbloop.S) with 2 vCPUs: held before its first
#    instruction, a software breakpoint (turned into a hardware one) and a hardware breakpoint
#    hit, a memory read, stepi, two threads, a write watchpoint (this host's PVM does not deliver
#    data breakpoints: then a skip line, and Ctrl-C stops the guest instead), a memory write that
#    ends the guest's loop, detach: the guest runs on and powers off; a second run: kill ends kvmini.
#  - ONE Linux boot of the test kernel (vmlinux, 2 vCPUs): hbreak start_kernel, continue, the stop is
#    in start_kernel, registers and kernel variables read through the kernel's page tables, stepi,
#    info threads, delete, continue: the guest reaches the test init and powers off.
. "$(dirname "$0")/lib.bash"
need_kvm "GDB stub"
command -v gdb >/dev/null || { not_ok "gdb is missing (tools/install-deps: gdb)"; exit 1; }
G=$TOP/build/guest/gdbloop.elf
[ -f "$G" ] || { not_ok "gdbloop guest not built (make guests)"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# debug NAME GDB_SECS ARGS...: kvmini run ARGS --gdb tcp::PORT in the background, then gdb -batch
# with $TMP/NAME.gdb (its "@PORT@" replaced) against FILE $SYMS; gdb's output in $TMP/NAME.gdb.out,
# kvmini's status in $rc. gdb gets one SIGINT (Ctrl-C) 3 s after it printed INTERRUPT-ME.
debug() {
	local name=$1 secs=$2
	shift 2
	local port
	port=$(free_port)
	sed -i "s/@PORT@/$port/" "$TMP/$name.gdb"
	timeout --kill-after=5 "$secs" "$KVMINI" run "$@" --gdb "tcp::$port" </dev/null >"$TMP/$name.out" 2>&1 &
	local kpid=$!
	for _ in $(seq 100); do grep -q "127.0.0.1:$port" <(ss -Htln 2>/dev/null) && break; sleep 0.1; done
	timeout --kill-after=5 "$secs" gdb -batch -nx -x "$TMP/$name.gdb" "$SYMS" </dev/null >"$TMP/$name.gdb.out" 2>&1 &
	local gpid=$!
	for _ in $(seq $((secs * 10))); do
		kill -0 $gpid 2>/dev/null || break
		if grep -q '^INTERRUPT-ME' "$TMP/$name.gdb.out"; then
			sleep 3
			# gdb itself, once: timeout would pass the signal on twice (to gdb, then to its
			# process group), and a second Ctrl-C before the stop reply makes gdb drop the target
			kill -INT $(pgrep -P $gpid -x gdb) 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait $gpid
	rc=0
	wait $kpid || rc=$?
	sed -i 's/\r$//' "$TMP/$name.out"
	echo "# $name: kvmini exit $rc; gdb said:"
	sed 's/^/#   /' "$TMP/$name.gdb.out"
}
has() { grep -Eq "$2" "$TMP/$1"; }

# --- tiny guest ------------------------------------------------------------------------------
SYMS=$G
cat >"$TMP/tiny.gdb" <<'G'
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
echo AT-START\n
info registers rip
break tick
continue
echo AT-TICK\n
info registers rip
delete
hbreak tick
continue
continue
p/d *(int *)&counter
stepi
echo AFTER-STEPI\n
info registers rip
info threads
delete
watch *(int *)&counter
python
try:
    gdb.execute("continue")
except gdb.error as e:
    print("HW-WATCH-REFUSED: %s" % e)
end
delete
set can-use-hw-watchpoints 0
watch *(int *)&counter
continue
echo AFTER-SW-WATCH\n
delete
set can-use-hw-watchpoints 1
echo INTERRUPT-ME\n
continue
echo AFTER-CTRL-C\n
info program
set var *(int *)&flag = 1
p/d *(int *)&flag
detach
G
debug tiny 60 --kernel "$G" --serial "file:$TMP/tiny.serial" --mem 64M --cpus 2 --gdb-wait
check "--gdb-wait: the vCPU waits at the entry point (rip 0x200000)" \
	sh -c "sed -n '/^AT-START/,\$p' '$TMP/tiny.gdb.out' | grep -Eq '^rip +0x200000 '"
check "break (Z0, as a hardware breakpoint) stops at tick" \
	sh -c "sed -n '/^AT-TICK/,\$p' '$TMP/tiny.gdb.out' | grep -Eq '^rip +0x20000c .*<tick>'"
check "hbreak hit twice, the guest's counter read through its page tables" \
	has tiny.gdb.out '^\$1 = [1-9][0-9]*$'
check "stepi runs one instruction (incl -> mov at tick+6)" \
	sh -c "sed -n '/^AFTER-STEPI/,\$p' '$TMP/tiny.gdb.out' | grep -Eq '^rip +0x200012 .*<tick\+6>'"
check "info threads lists both vCPUs" has tiny.gdb.out 'Thread 2 \(vCPU 1\)'
# a PVM host never fires data breakpoints: the stub refuses Z2 there (gdb cannot insert it)
if grep -q '^kvmini: PVM host' "$TMP/tiny.out"; then
	check "hardware watchpoint refused on a PVM host (gdb says it cannot insert it)" \
		sh -c "grep -q '^Could not insert hardware watchpoint' '$TMP/tiny.gdb.out' && grep -q '^HW-WATCH-REFUSED' '$TMP/tiny.gdb.out'"
	skip "hardware watchpoint firing: this host (PVM) delivers no data breakpoints to KVM_SET_GUEST_DEBUG"
else
	check "a hardware write watchpoint fires" has tiny.gdb.out '^Hardware watchpoint [0-9]+: .*counter'
fi
check "a software watchpoint (can-use-hw-watchpoints 0: single steps) fires on the counter's change" \
	sh -c "grep -q '^Watchpoint [0-9]*: \*(int \*)&counter' '$TMP/tiny.gdb.out' && grep -q '^New value = ' '$TMP/tiny.gdb.out'"
check "Ctrl-C stops the running guest (SIGINT stop reply)" \
	sh -c "sed -n '/^AFTER-CTRL-C/,\$p' '$TMP/tiny.gdb.out' | grep -q 'It stopped with signal SIGINT'"
check "detach after a memory write: the guest ends its loop and powers off (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'flag set by the debugger' '$TMP/tiny.serial'"

cat >"$TMP/kill.gdb" <<'G'
target remote 127.0.0.1:@PORT@
kill
G
debug kill 30 --kernel "$G" --serial "file:$TMP/kill.serial" --mem 64M --gdb-wait
check "kill ends kvmini before the guest ran (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && ! grep -q TINY '$TMP/kill.serial'"

# --- Linux -----------------------------------------------------------------------------------
VMLINUX=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
INITRD=$(guest_file initramfs-test.cpio) || { not_ok "test kit: initramfs not built (make kit)"; exit 1; }
SYMS=$VMLINUX
# the kit's vmlinux has symbols but no debug info: variables are read through casts
cat >"$TMP/linux.gdb" <<'G'
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
hbreak start_kernel
continue
echo IN-START-KERNEL\n
info registers rip
printf "CR0-PG %d EFER-LMA %d CR3 %#lx CS %#x\n", ($cr0 >> 31) & 1, ($efer >> 10) & 1, $cr3, $cs
printf "GS_BASE %#lx\n", $gs_base
x/s (char *)&linux_banner
printf "JIFFIES %lu\n", *(unsigned long *)&jiffies
stepi
echo AFTER-STEPI\n
info registers rip
bt 2
info threads
delete
continue
G
t0=$SECONDS
debug linux 1500 --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --cpus 2 --serial "file:$TMP/linux.serial" \
	--append "console=ttyS0 kvtest=cpus,echo:gdb-let-me-go,poweroff" --gdb-wait
echo "# Linux under gdb: $((SECONDS - t0)) s; the console's test init lines:"
grep 'KVMINI-INIT' "$TMP/linux.serial" | sed 's/^/#   /'

inside() { sed -n "/^$1/,\$p" "$TMP/linux.gdb.out" | grep -Eq "$2"; }
check "hbreak start_kernel: the boot vCPU stops there" inside IN-START-KERNEL '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <start_kernel>'
check "control registers: paging on (cr0 PG), long mode (efer LMA), kernel CS, a page table in cr3" \
	has linux.gdb.out '^CR0-PG 1 EFER-LMA 1 CR3 0x[1-9a-f][0-9a-f]*000 CS 0x10$'
check "gs_base readable (a per-CPU base or 0 this early)" has linux.gdb.out '^GS_BASE (0|0x[0-9a-f]+)$'
check "x/s linux_banner: kernel memory read through the guest's page tables" \
	has linux.gdb.out '<linux_banner>:[[:space:]]+"Linux version 6\.'
check "jiffies: a kernel variable read (a number)" has linux.gdb.out '^JIFFIES [0-9]+$'
check "stepi: one instruction on, still in start_kernel" inside AFTER-STEPI '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <start_kernel\+[0-9]+>'
check "info threads: two vCPUs" has linux.gdb.out 'Thread 2 \(vCPU 1\)'
check "delete, continue: the guest reaches the test init and powers off (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'KVMINI-INIT: echo gdb-let-me-go' '$TMP/linux.serial' && grep -q 'KVMINI-INIT: cpus-online 0-1' '$TMP/linux.serial'"
