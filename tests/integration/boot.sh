# SPDX-License-Identifier: GPL-2.0-or-later
# Boots the small Linux test kernel (tools/build-guest) and asserts on what the guest printed:
# 1 and 2 vCPUs online, init ran its commands, poweroff exits 0, reboot with --no-reboot exits.
# Each boot costs seconds on an emulating host, so each one checks several things.
. "$(dirname "$0")/lib.bash"
need_kvm "Linux boot"
VMLINUX=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
BZIMAGE=$(guest_file bzImage) || { not_ok "test kit: bzImage not built (make kit)"; exit 1; }
INITRD=$(guest_file initramfs-test.cpio) || { not_ok "test kit: initramfs not built (make kit)"; exit 1; }

# boot NAME SECONDS ARGS...: output in $TMP/NAME.out, status in $rc
boot() {
	local name=$1 secs=$2
	shift 2
	local t0=$SECONDS
	rc=0
	run_vm "$secs" "$TMP/$name.out" "$@" || rc=$?
	echo "# $name: exit $rc after $((SECONDS - t0)) s"
}

boot smp2 300 --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --cpus 2 \
	--append "console=ttyS0 kvtest=cpus,echo:hello-from-init,cmdline,poweroff"
check "vmlinux, 2 vCPUs: poweroff exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "vmlinux, 2 vCPUs: init started" grep -q 'KVMINI-INIT: start' "$TMP/smp2.out"
check "vmlinux, 2 vCPUs: both CPUs online" grep -q 'KVMINI-INIT: cpus-online 0-1' "$TMP/smp2.out"
check "vmlinux, 2 vCPUs: init ran a command" grep -q 'KVMINI-INIT: echo hello-from-init' "$TMP/smp2.out"
check "vmlinux: the kernel saw ACPI tables (MADT)" grep -q 'ACPI: MADT\|ACPI: APIC' "$TMP/smp2.out"
if grep -q 'PVM host' "$TMP/smp2.out"; then
	check "PVM host: the workaround parameters reached the guest's command line" \
		grep -q 'KVMINI-INIT: cmdline .*noxsave.*clearcpuid=' "$TMP/smp2.out"
fi

boot up1 300 --kernel "$BZIMAGE" --initrd "$INITRD" --mem 256M --cpus 1 --no-reboot \
	--append "console=ttyS0 kvtest=cpus,reboot"
check "bzImage, 1 vCPU: one CPU online" grep -q 'KVMINI-INIT: cpus-online 0$' "$TMP/up1.out"
check "bzImage: reboot with --no-reboot exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "bzImage: the guest really rebooted (kernel said so)" grep -q 'reboot: Restarting system' "$TMP/up1.out"

for f in smp2 up1; do
	echo "# --- $f: last lines"
	tail -n 8 "$TMP/$f.out" | sed 's/^/#   /'
done
