#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt domain XML made by Debian's virt-install (--print-xml against libvirt's built-in test
# driver, offline) goes through kvmini's parser (build/tools/domxml-tool): the seed's VM and a
# direct kernel boot are accepted, their dumpxml validates with libvirt's schema and round-trips,
# the kernel boot gives the expected `kvmini run` arguments, and malformed XML is one line with
# its line number. Boots nothing; needs no /dev/kvm.
. "$(dirname "$0")/lib.bash"

TOOL=$TOP/build/tools/domxml-tool
if [ ! -x "$TOOL" ]; then
	not_ok "domxml: $TOOL is not built (make unit)"
	exit 0
fi
for p in virt-install virt-xml-validate; do
	if ! command -v "$p" >/dev/null; then
		skip "domxml: $p is not installed (tools/install-deps)"
		exit 0
	fi
done

vi() { virt-install --connect test:///default --print-xml --osinfo detect=on,require=off "$@" 2>"$TMP/vi.err"; }
# has FILE TEXT...: every TEXT is a line of FILE (after leading blanks)
has() {
	local f=$1 t
	shift
	for t in "$@"; do
		sed 's/^ *//' "$f" | grep -Fxq -- "$t" || { echo "missing: $t" >&2; return 1; }
	done
}
# valid FILE: libvirt's own schema takes it
valid() { virt-xml-validate "$1" domain >"$TMP/validate.log" 2>&1; }

: >"$TMP/disk.qcow2" >"$TMP/install.iso" >"$TMP/vmlinuz" >"$TMP/initrd.img"

# (a) the seed's VM: 2048 MiB, a qcow2 disk, an ISO cdrom, br0 with a virtio NIC, VNC on 5919
if vi --name ubuntutest --memory 2048 --vcpus 2 --disk "path=$TMP/disk.qcow2,format=qcow2,bus=virtio" \
	--cdrom "$TMP/install.iso" --network bridge=br0,model=virtio --graphics vnc,port=5919 >"$TMP/seed.xml"; then
	ndoc=$(grep -c '^<domain' "$TMP/seed.xml")
	check "domxml: virt-install printed the install and the final pass ($ndoc documents)" [ "$ndoc" -eq 2 ]
	if "$TOOL" warnings "$TMP/seed.xml" >"$TMP/seed.warn" 2>"$TMP/seed.err"; then
		ok "domxml: the seed's definition is accepted ($(wc -l <"$TMP/seed.warn") warnings)"
	else
		not_ok "domxml: the seed's definition is refused: $(cat "$TMP/seed.err")"
	fi
	# each element kvmini leaves out is named once, however often it appears (4 usb controllers)
	check "domxml: unimplemented elements are named once each" \
		[ "$(grep -c "<controller type='usb'>: not supported by kvmini, ignored" "$TMP/seed.warn")" -eq 1 ] &&
		[ "$(grep -c '<pm>: not supported' "$TMP/seed.warn")" -eq 1 ] &&
		[ "$(grep -c '<input>: not supported' "$TMP/seed.warn")" -eq 1 ]
	"$TOOL" format "$TMP/seed.xml" first >"$TMP/seed-install.xml" && "$TOOL" format "$TMP/seed.xml" >"$TMP/seed-final.xml"
	check "domxml: dumpxml of the final pass keeps the seed's settings" has "$TMP/seed-final.xml" \
		"<name>ubuntutest</name>" "<memory unit='KiB'>2097152</memory>" "<vcpu placement='static'>2</vcpu>" \
		"<source file='$TMP/disk.qcow2'/>" "<target dev='vda' bus='virtio'/>" "<disk type='file' device='cdrom'>" \
		"<source bridge='br0'/>" "<model type='virtio'/>" "<graphics type='vnc' port='5919' autoport='no'/>" \
		"<boot dev='hd'/>"
	check "domxml: the install pass boots the ISO from the cdrom" has "$TMP/seed-install.xml" \
		"<source file='$TMP/install.iso'/>" "<boot dev='cdrom'/>"
	if valid "$TMP/seed-final.xml" && valid "$TMP/seed-install.xml"; then
		ok "domxml: dumpxml of both passes validates with virt-xml-validate"
	else
		not_ok "domxml: virt-xml-validate refuses dumpxml: $(tail -n 3 "$TMP/validate.log")"
	fi
	check "domxml: the seed's definition round-trips (format, parse, format: the same text)" \
		"$TOOL" roundtrip "$TMP/seed.xml"
	# the install pass as run's arguments: firmware boot from the CD-ROM first, the ISO on the IDE
	# place virt-install chose (hda: bus 0, unit 0), VNC on display 19 (port 5919) on loopback
	if "$TOOL" argv "$TMP/seed.xml" first >"$TMP/argv1" 2>"$TMP/argv.err" && "$TOOL" argv "$TMP/seed.xml" >"$TMP/argv2" 2>>"$TMP/argv.err"; then
		check "domxml: the install pass runs as kvmini run --boot order=dc, the ISO an IDE CD-ROM, --vnc :19" has "$TMP/argv1" \
			"order=dc" "$TMP/install.iso,if=ide,bus=0,unit=0,media=cdrom" "$TMP/disk.qcow2" "127.0.0.1:19" "--no-reboot"
		check "domxml: the final pass boots the disk with the CD-ROM drive empty" has "$TMP/argv2" \
			"order=c" "none,if=ide,bus=0,unit=0,media=cdrom" "127.0.0.1:19"
	else
		not_ok "domxml: run arguments for the seed's definition: $(cat "$TMP/argv.err")"
	fi
else
	not_ok "domxml: virt-install --print-xml failed: $(head -c 300 "$TMP/vi.err")"
fi

# (b) a direct kernel boot, serial on a pty, reboot = power off, nested virtualization
if vi --name kboot --memory 768 --vcpus 2 --cpu host-passthrough --serial pty --events on_reboot=destroy \
	--boot "kernel=$TMP/vmlinuz,initrd=$TMP/initrd.img,kernel_args=console=ttyS0 quiet" \
	--disk "path=$TMP/disk.qcow2,format=qcow2,bus=virtio" --network bridge=br0,model=virtio --graphics none \
	>"$TMP/kboot.xml"; then
	if "$TOOL" warnings "$TMP/kboot.xml" >"$TMP/kboot.warn" 2>"$TMP/kboot.err"; then
		ok "domxml: the kernel-boot definition is accepted ($(wc -l <"$TMP/kboot.warn") warnings)"
	else
		not_ok "domxml: the kernel-boot definition is refused: $(cat "$TMP/kboot.err")"
	fi
	"$TOOL" format "$TMP/kboot.xml" >"$TMP/kboot-dump.xml"
	if valid "$TMP/kboot-dump.xml"; then ok "domxml: kernel-boot dumpxml validates"; else
		not_ok "domxml: kernel-boot dumpxml: $(tail -n 3 "$TMP/validate.log")"; fi
	check "domxml: the kernel-boot definition round-trips" "$TOOL" roundtrip "$TMP/kboot.xml"
	mac=$(sed -n "s/.*<mac address=['\"]\([0-9a-f:]*\)['\"].*/\1/p" "$TMP/kboot.xml")
	printf '%s\n' --name kboot --mem 768M --cpus 2 --cpu host --kernel "$TMP/vmlinuz" --initrd "$TMP/initrd.img" \
		--append "console=ttyS0 quiet" --no-reboot --serial pty --disk "$TMP/disk.qcow2" \
		--net "tap,mac=$mac,bridge=br0" >"$TMP/argv.want"
	if "$TOOL" argv "$TMP/kboot.xml" >"$TMP/argv.got" 2>"$TMP/argv.err" && cmp -s "$TMP/argv.want" "$TMP/argv.got"; then
		ok "domxml: the kernel boot gives the expected run arguments ($(tr '\n' ' ' <"$TMP/argv.got"))"
	else
		not_ok "domxml: run arguments: $(cat "$TMP/argv.err") $(diff "$TMP/argv.want" "$TMP/argv.got" | head -n 10)"
	fi
	# kvmini run's own option parser takes them: it fails later, at the missing KVM device, not
	# with a usage error (exit 2)
	if [ -x "$KVMINI" ]; then
		mapfile -t args <"$TMP/argv.got"
		rc=0
		"$KVMINI" run "${args[@]}" --kvm "$TMP/no-kvm" </dev/null >/dev/null 2>"$TMP/run.err" || rc=$?
		if [ "$rc" -ne 2 ] && [ "$rc" -ne 0 ]; then
			ok "domxml: kvmini run accepts the arguments (exit $rc: $(head -n 1 "$TMP/run.err"))"
		else
			not_ok "domxml: kvmini run with the arguments: exit $rc: $(cat "$TMP/run.err")"
		fi
	else
		skip "domxml: kvmini run option check: $KVMINI is not built"
	fi
else
	not_ok "domxml: virt-install --print-xml (kernel boot) failed: $(head -c 300 "$TMP/vi.err")"
fi

# (c) malformed XML: one line, with the line number, and a failure status
printf '<domain>\n  <name>bad</name>\n  <memory>1024</memory\n</domain>\n' >"$TMP/bad.xml"
rc=0
"$TOOL" warnings "$TMP/bad.xml" >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
if [ "$rc" -ne 0 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && grep -Eq ": line [0-9]+: " "$TMP/bad.err" && [ ! -s "$TMP/bad.out" ]; then
	ok "domxml: malformed XML is refused in one line (exit $rc: $(cat "$TMP/bad.err"))"
else
	not_ok "domxml: malformed XML: exit $rc, stderr: $(cat "$TMP/bad.err")"
fi
sed 's/<name>ubuntutest/<name>ubuntu test/' "$TMP/seed.xml" >"$TMP/badname.xml" 2>/dev/null
rc=0
"$TOOL" warnings "$TMP/badname.xml" >/dev/null 2>"$TMP/bad.err" || rc=$?
if [ "$rc" -ne 0 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && grep -q "line 2: <name>ubuntu test</name>" "$TMP/bad.err"; then
	ok "domxml: an invalid name is one line with its line ($(cat "$TMP/bad.err"))"
else
	not_ok "domxml: invalid name: exit $rc, stderr: $(cat "$TMP/bad.err")"
fi
