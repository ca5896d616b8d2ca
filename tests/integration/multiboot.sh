# SPDX-License-Identifier: GPL-2.0-or-later
# Multiboot (v1) kernels through --kernel: the hand-made tests/guest/multiboot.S in its three forms
# (ELF64, ELF32 as kvm-unit-tests makes them, a flat a.out-kludge binary) prints what the loader
# handed it and exits through --exit-device; broken images are refused with one line, status 1.
# Tiny guests: each runs in milliseconds.
. "$(dirname "$0")/lib.bash"
need_kvm "multiboot"
G=$TOP/build/guest
printf 'module-bytes' >"$TMP/module"

for k in multiboot.elf multiboot.flat mbaout.bin; do
	rc=0
	run_vm 20 "$TMP/out" --kernel "$G/$k" --append "hello multiboot" --initrd "$TMP/module" \
		--serial "file:$TMP/serial" --exit-device --mem 64M || rc=$?
	sed -i 's/\r$//' "$TMP/serial"
	s=$TMP/serial
	check "$k: exits through the exit device with 0x21 -> 67 (got $rc)" [ "$rc" -eq 67 ]
	check "$k: EAX holds the boot magic" grep -qx 'MB: magic 2badb002' "$s"
	check "$k: protected mode, paging off (CR0 = ET|PE)" grep -qx 'MB: cr0 00000011' "$s"
	check "$k: flat code segment 0x08" grep -qx 'MB: cs 00000008' "$s"
	check "$k: info flags: memory, cmdline, module, memory map, loader name" grep -qx 'MB: flags 0000024d' "$s"
	check "$k: mem_lower is 639 KiB" grep -qx 'MB: mem_lower 0000027f' "$s"
	check "$k: mem_upper is 63 MiB" grep -qx 'MB: mem_upper 0000fc00' "$s"
	check "$k: the command line is the kernel's name, then --append's" grep -qxF "MB: cmdline [$G/$k hello multiboot]" "$s"
	check "$k: --initrd is the one module, its bytes intact" \
		sh -c "grep -qx 'MB: mods 00000001' '$s' && grep -qx 'MB: module \[module-bytes\]' '$s'"
	check "$k: three memory map entries" grep -qx 'MB: mmap_length 00000048' "$s"
	check "$k: boot loader name" grep -qx 'MB: loader \[kvmini\]' "$s"
	check "$k: no Linux host parameters added to its command line" sh -c "! grep -q 'PVM host' '$TMP/out'"
done

# more RAM: mem_upper follows --mem (1023 MiB above 1 MiB)
rc=0
run_vm 20 "$TMP/out" --kernel "$G/multiboot.flat" --serial "file:$TMP/serial" --exit-device --mem 1G || rc=$?
check "--mem 1G: mem_upper is 1023 MiB (got $rc)" grep -q '^MB: mem_upper 000ffc00' "$TMP/serial"

# broken images: one line naming the file and the reason, status 1
bad() { # desc file pattern
	local rc=0
	run_vm 20 "$TMP/out" --kernel "$2" --serial "file:$TMP/serial" --exit-device --mem 64M || rc=$?
	check "$1: status 1, one line (got $rc: $(head -1 "$TMP/out"))" \
		sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/out') -eq 1 ] && grep -q '^kvmini: --kernel $2: $3' '$TMP/out'"
}
python3 - "$G" "$TMP" <<'PY'
import struct, sys
g, t = sys.argv[1], sys.argv[2]
flat = bytearray(open(g + "/multiboot.flat", "rb").read())
h = flat.find(struct.pack("<I", 0x1BADB002))
b = bytearray(flat); b[h + 8] ^= 1
open(t + "/badsum.flat", "wb").write(b)
open(t + "/far.bin", "wb").write(bytes(8192) + open(g + "/mbaout.bin", "rb").read())
phoff = struct.unpack_from("<I", flat, 28)[0]
b = bytearray(flat); struct.pack_into("<I", b, phoff + 12, 0x7ff00000)
open(t + "/outside.flat", "wb").write(b)
open(t + "/truncated.flat", "wb").write(flat[:h + 64])
b = bytearray(flat); struct.pack_into("<I", b, phoff + 12, 0x4000)
open(t + "/low.flat", "wb").write(b)
PY
bad "bad header checksum" "$TMP/badsum.flat" "multiboot header has a bad checksum"
bad "header past the first 8 KiB" "$TMP/far.bin" "multiboot header lies past the first 8 KiB"
bad "segment outside guest RAM" "$TMP/outside.flat" "kernel does not fit in guest RAM"
bad "segment over the boot hand-off below 32 KiB" "$TMP/low.flat" "kernel overlaps the boot area"
bad "truncated ELF" "$TMP/truncated.flat" "ELF segment extends past the end of the file"
