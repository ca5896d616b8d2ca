# SPDX-License-Identifier: GPL-2.0-or-later
# Tiny freestanding guests (tests/guest/*.S): exit dispatch, unclaimed accesses, --stats, poweroff,
# reset and triple fault handling. Each runs in milliseconds.
. "$(dirname "$0")/lib.bash"
need_kvm "tiny guests"
G=$TOP/build/guest

rc=0
run_vm 20 "$TMP/out" --kernel "$G/dispatch.elf" --serial "file:$TMP/serial" --stats --mem 64M || rc=$?
check "dispatch guest powers off with status 0 (got $rc)" [ "$rc" -eq 0 ]
check "dispatch guest printed through COM1" grep -q '^TINY: hello from a tiny guest$' "$TMP/serial"
check "unclaimed port reads all-ones" grep -q '^TINY: unclaimed pio read ffffffff$' "$TMP/serial"
check "unclaimed MMIO reads all-ones" grep -q '^TINY: unclaimed mmio read ffffffff$' "$TMP/serial"
# --stats: the 100 writes to port 0x510 plus one read of 0x514 land in the unclaimed row of the total
total=$(sed -n '/^total:/,$p' "$TMP/out")
check "--stats counts 101 unclaimed port accesses" grep -Eq '^  pio +\(unclaimed\) +0 +101 ' <<<"$total"
check "--stats counts 2 unclaimed MMIO accesses" grep -Eq '^  mmio +\(unclaimed\) +0 +2 ' <<<"$total"
check "--stats attributes COM1 output to the serial range" grep -Eq '^  pio +[a-z0-9]*(serial|com1|uart)[a-z0-9]* +0x3f8 ' <<<"$total"
check "--stats counts io exits" grep -Eq '^  exit +io ' <<<"$total"

rc=0
run_vm 20 "$TMP/out" --kernel "$G/reset.elf" --serial "file:$TMP/serial" --no-reboot --mem 64M || rc=$?
check "i8042 reset with --no-reboot exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "reset guest ran" grep -q '^TINY: reset via i8042$' "$TMP/serial"

# without --no-reboot the VM restarts: the guest prints again each time, until SIGTERM stops it.
# SIGTERM goes as soon as the first restart is seen: a free-running loop destroys hundreds of VMs a
# second, and this host's kernel has been seen to hang for good in one VM's teardown
# (kvm_destroy_vm -> kvm_free_pit -> synchronize_srcu), so the wait is bounded too.
"$KVMINI" run --kernel "$G/reset.elf" --serial "file:$TMP/serial" --mem 64M </dev/null >"$TMP/out" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q 'guest reset: restarting' "$TMP/out" && break
	sleep 0.05
done
kill -TERM $pid
rc=0
for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
	rc=-1
	echo "# kvmini did not exit within 30 s of SIGTERM: $(cat /proc/$pid/wchan 2>/dev/null) $(tr '\n' ' ' </proc/$pid/stack 2>/dev/null)"
	disown $pid
else
	wait $pid || rc=$?
fi
check "reset restarts the VM (kvmini said so)" grep -q 'guest reset: restarting' "$TMP/out"
check "SIGTERM stops a running VM with status 143 (got $rc)" [ "$rc" -eq 143 ]

rc=0
run_vm 20 "$TMP/out" --kernel "$G/triple.elf" --serial "file:$TMP/serial" --no-reboot --mem 64M || rc=$?
check "triple fault is a reset: exits 0 with --no-reboot (got $rc)" [ "$rc" -eq 0 ]
check "triple-fault guest ran" grep -q '^TINY: triple fault$' "$TMP/serial"

rc=0
run_vm 20 "$TMP/out" --kernel "$G/dispatch.elf" --serial "file:$TMP/serial" --cpus 2 --mem 3584M || rc=$?
check "RAM above the PCI hole (3.5G) boots (got $rc)" [ "$rc" -eq 0 ]

# memory options: KSM-mergeable and THP-backed RAM still run a guest (the madvise calls succeed)
ran_to_poweroff() { [ "$rc" -eq 0 ] && grep -q '^TINY: powering off' "$TMP/serial"; }
for opt in --ksm --hugepages=thp; do
	rc=0
	rm -f "$TMP/serial"
	run_vm 20 "$TMP/out" --kernel "$G/dispatch.elf" --serial "file:$TMP/serial" --mem 64M $opt || rc=$?
	check "$opt: the guest runs and powers off (got $rc)" ran_to_poweroff
done

# --exit-device (QEMU's isa-debug-exit): the guest writes 0x21 to port 0xF4 -> kvmini exits 67;
# without the device the write is unclaimed and the same guest powers off (0); another port misses it
rc=0
run_vm 20 "$TMP/out" --kernel "$G/exitcode.elf" --serial "file:$TMP/serial" --mem 64M --exit-device || rc=$?
check "--exit-device: a write of 0x21 ends kvmini with status 67 (got $rc)" [ "$rc" -eq 67 ]
check "--exit-device: the guest stops at the write" \
	sh -c "grep -q 'writing 0x21' '$TMP/serial' && ! grep -q 'still running' '$TMP/serial'"
rc=0
run_vm 20 "$TMP/out" --kernel "$G/exitcode.elf" --serial "file:$TMP/serial" --mem 64M || rc=$?
check "without --exit-device the write is unclaimed: the guest powers off, status 0 (got $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'still running' '$TMP/serial'"
rc=0
run_vm 20 "$TMP/out" --kernel "$G/exitcode.elf" --serial "file:$TMP/serial" --mem 64M --exit-device=0x501,iosize=2 || rc=$?
check "--exit-device=0x501,iosize=2: port 0xF4 is not it (got $rc)" [ "$rc" -eq 0 ]
rc=0
run_vm 20 "$TMP/out" --kernel "$G/exitcode.elf" --mem 64M --exit-device=iosize=9 || rc=$?
check "--exit-device=iosize=9: usage error, one line (got $rc: $(head -1 "$TMP/out"))" \
	[ "$rc" -eq 2 -a "$(wc -l <"$TMP/out")" -eq 1 ]
