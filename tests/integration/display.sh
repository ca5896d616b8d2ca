# SPDX-License-Identifier: GPL-2.0-or-later
# The display with real VNC clients: Debian's vncsnapshot (RFB 3.3) takes screenshots, decoded with
# Pillow; tests/tools/rfbclient.py speaks 3.3/3.7/3.8, types keys and moves the pointer.
#  - usage errors: a malformed --vnc, --vnc with --display none, a port in use: one line, status 2
#  - a tiny guest (tests/guest/fbwrite.S, milliseconds) draws through DISPI without a driver: the
#    screenshot has its colours; keys typed through VNC reach it as set 1 scan codes through the
#    i8042; its repaint reaches a connected client; 300 connect/disconnect cycles and hostile RFB
#    messages leave server and guest working; VNC authentication (password file, then QMP
#    change-vnc-password: the old one stops working); a Unix socket
#  - one Linux boot: the bochs DRM driver reads the EDID, the PS/2 keyboard, mouse and the virtio
#    tablet appear; the test init draws the test picture through KMS, the screenshot has it; keys
#    (plain and QEMU extended key events) arrive as evdev key codes, a pointer move as absolute
#    coordinates where the viewer put it; Escape ends the action and the guest powers off.
. "$(dirname "$0")/lib.bash"
need_kvm "display"
FBW=$TOP/build/guest/fbwrite.elf
RFB=$TOP/tests/tools/rfbclient.py
QC=$TOP/tests/tools/qmpclient.py
[ -f "$FBW" ] || { not_ok "fbwrite guest not built (make guests)"; exit 1; }
for t in vncsnapshot /usr/bin/python3; do
	command -v "$t" >/dev/null || { not_ok "$t is missing (tools/install-deps)"; exit 1; }
done
/usr/bin/python3 -c 'import PIL' 2>/dev/null || { not_ok "python3-pil is missing (tools/install-deps)"; exit 1; }
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# a display number nobody listens on (5900 + N)
free_display() {
	local n
	for n in $(seq "$1" $(($1 + 40))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$((5900 + n))") 2>/dev/null; then echo "$n"; return; fi
	done
	echo "$1"
}
# px FILE X Y: "R G B" of a screenshot's pixel
px() { /usr/bin/python3 -c 'import sys; from PIL import Image; print(*Image.open(sys.argv[1]).convert("RGB").getpixel((int(sys.argv[2]), int(sys.argv[3]))))' "$@"; }
# near "R G B" "R G B": each channel within 24 (JPEG)
near() {
	local a=($1) b=($2) i
	for i in 0 1 2; do
		local d=$((a[i] - b[i]))
		[ ${d#-} -le 24 ] || return 1
	done
}
# wait_for FILE PATTERN SECONDS
wait_for() {
	for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
shot() { vncsnapshot -quiet -quality 100 "$@" >/dev/null 2>&1; }
# refused COMMAND...: the command fails (its output dropped)
refused() { ! "$@" >/dev/null 2>&1; }

# ---- usage errors ----
for bad in ":x" "19" ":1,bogus=1" ":70000" "unix:"; do
	rc=0
	"$KVMINI" run --kernel "$FBW" --vnc "$bad" >"$TMP/err" 2>&1 || rc=$?
	check "--vnc '$bad' is a usage error (status $rc, one line)" [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q '^kvmini: --vnc' "$TMP/err"
done
rc=0
"$KVMINI" run --kernel "$FBW" --display none --vnc :1 >"$TMP/err" 2>&1 || rc=$?
check "--vnc with --display none is a usage error (status $rc)" [ "$rc" -eq 2 ]
D=$(free_display 31)
/usr/bin/python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(30)' $((5900 + D)) &
PIDS+=($!)
sleep 0.5
rc=0
"$KVMINI" run --kernel "$FBW" --mem 64M --vnc ":$D" >"$TMP/err" 2>&1 || rc=$?
check "a VNC port in use is one line and status 2 (got $rc: $(head -c 120 "$TMP/err"))" [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q 'in use' "$TMP/err"
kill "${PIDS[-1]}" 2>/dev/null

# ---- the tiny guest ----
D=$(free_display 41)
A=127.0.0.1:$((5900 + D))
"$KVMINI" run --kernel "$FBW" --mem 64M --serial "file:$TMP/tiny.serial" --vnc ":$D,pointer=ps2" </dev/null >"$TMP/tiny.out" 2>&1 &
TPID=$!
PIDS+=($TPID)
wait_for "$TMP/tiny.serial" 'TINY: drawn' 20
check "tiny guest drew" grep -q 'TINY: drawn' "$TMP/tiny.serial"
shot "127.0.0.1:$D" "$TMP/tiny1.jpg"
check "vncsnapshot (RFB 3.3) got a 320x200 screen" [ "$(/usr/bin/python3 -c 'import sys; from PIL import Image; print("%dx%d" % Image.open(sys.argv[1]).size)' "$TMP/tiny1.jpg" 2>/dev/null)" = 320x200 ]
check "top half is red ($(px "$TMP/tiny1.jpg" 10 10))" near "$(px "$TMP/tiny1.jpg" 10 10)" "255 0 0"
check "bottom half is blue ($(px "$TMP/tiny1.jpg" 300 190))" near "$(px "$TMP/tiny1.jpg" 300 190)" "0 0 255"
for v in 3.3 3.7 3.8; do
	check "RFB $v handshake and a raw update" [ "$(python3 "$RFB" --version $v "$A" pixel 5 150 2>&1)" = 0000ff ]
done
# a client stays connected while the guest repaints: the change must reach it
python3 - "$RFB" "$A" >"$TMP/live" 2>&1 <<'EOF' &
import sys, time
sys.path.insert(0, __import__("os").path.dirname(sys.argv[1]))
import rfbclient
c = rfbclient.RFB(sys.argv[2])
c.encodings([0, -223])
c.full_update()
print("before %06x" % c.pixel(10, 10), flush=True)
end = time.time() + 20
while time.time() < end and c.pixel(10, 10) != 0x00ff00:
    c.request(1)
    c.read_update()
print("after %06x" % c.pixel(10, 10), flush=True)
EOF
LIVE=$!
wait_for "$TMP/live" before 10
python3 "$RFB" "$A" keys 0x61 >/dev/null 2>&1
wait_for "$TMP/tiny.serial" 'TINY: drawn green' 10
check "a key typed through VNC reached the guest as set 1 make and break codes (1e, 9e)" grep -q 'TINY: key 0000001e' "$TMP/tiny.serial" && grep -q 'TINY: key 0000009e' "$TMP/tiny.serial"
wait $LIVE
check "a connected client got the guest's repaint as an incremental update ($(tr '\n' ' ' <"$TMP/live"))" grep -q 'after 00ff00' "$TMP/live"
t0=$SECONDS
python3 "$RFB" "$A" cycles 300 >/dev/null 2>&1
python3 "$RFB" "$A" hostile >"$TMP/hostile" 2>&1
echo "# 300 cycles and the hostile messages took $((SECONDS - t0)) s"
check "kvmini survives 300 connect/disconnect cycles and hostile RFB messages" kill -0 $TPID
check "the server still answers after them" [ "$(python3 "$RFB" "$A" pixel 10 10 2>&1)" = 00ff00 ]
python3 "$RFB" "$A" qkeys 0x62:0x30 >/dev/null 2>&1
wait_for "$TMP/tiny.serial" 'TINY: key 00000030' 10
check "a QEMU extended key event arrives by its key number (b: 30)" grep -q 'TINY: key 00000030' "$TMP/tiny.serial"
python3 "$RFB" "$A" keys 0xff1b >/dev/null 2>&1
rc=0
for _ in $(seq 100); do kill -0 $TPID 2>/dev/null || break; sleep 0.1; done
wait $TPID || rc=$?
check "Escape through VNC powers the tiny guest off (status $rc)" [ "$rc" -eq 0 ]

# ---- authentication and a Unix socket ----
echo "secret1" >"$TMP/pw"
"$KVMINI" run --kernel "$FBW" --mem 64M --name disp --serial "file:$TMP/auth.serial" \
	--vnc "unix:$TMP/vnc.sock,password-file=$TMP/pw,pointer=ps2" </dev/null >"$TMP/auth.out" 2>&1 &
APID=$!
PIDS+=($APID)
wait_for "$TMP/auth.serial" 'TINY: drawn' 20
U=unix:$TMP/vnc.sock
check "a Unix socket with the right password gets the screen" [ "$(python3 "$RFB" --password secret1 "$U" pixel 10 10 2>&1)" = ff0000 ]
check "no password is refused" refused python3 "$RFB" "$U" size
check "a wrong password is refused" refused python3 "$RFB" --password wrong "$U" size
check "RFB 3.3 with the password works too" [ "$(python3 "$RFB" --version 3.3 --password secret1 "$U" size 2>&1)" = 320x200 ]
python3 "$QC" "$TMP/run/disp.qmp" change-vnc-password '{"password": "other2"}' >"$TMP/qmp" 2>&1
check "QMP change-vnc-password ($(head -c 80 "$TMP/qmp"))" grep -q '{}' "$TMP/qmp"
check "then the new password works" [ "$(python3 "$RFB" --password other2 "$U" size 2>&1)" = 320x200 ]
check "and the old one does not" refused python3 "$RFB" --password secret1 "$U" size
python3 "$QC" "$TMP/run/disp.qmp" set_password '{"protocol": "spice", "password": "x"}' >"$TMP/qmp" 2>&1
check "set_password for another protocol is an error" grep -q 'error\|class' "$TMP/qmp"
python3 "$RFB" --password other2 "$U" keys 0xff1b >/dev/null 2>&1
rc=0
for _ in $(seq 100); do kill -0 $APID 2>/dev/null || break; sleep 0.1; done
wait $APID || rc=$?
check "the password-protected guest powered off (status $rc)" [ "$rc" -eq 0 ]
check "the Unix socket is gone at exit" [ ! -e "$TMP/vnc.sock" ]

# a password file for vncsnapshot, written by libvncserver's own vncpasswd routine
python3 "$RFB" mkpasswd secret1 "$TMP/vncpasswd"
D=$(free_display 51)
"$KVMINI" run --kernel "$FBW" --mem 64M --serial "file:$TMP/auth2.serial" --vnc ":$D,password-file=$TMP/pw,pointer=ps2" </dev/null >/dev/null 2>&1 &
BPID=$!
PIDS+=($BPID)
wait_for "$TMP/auth2.serial" 'TINY: drawn' 20
shot -passwd "$TMP/vncpasswd" "127.0.0.1:$D" "$TMP/auth.jpg"
check "vncsnapshot authenticates with the VNC password ($(px "$TMP/auth.jpg" 10 10 2>&1))" near "$(px "$TMP/auth.jpg" 10 10 2>/dev/null)" "255 0 0"
kill $BPID 2>/dev/null

# ---- one Linux boot ----
VMLINUX=$(guest_file vmlinux) || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
INITRD=$(guest_file initramfs-test.cpio) || { not_ok "test kit: initramfs not built (make kit)"; exit 1; }
D=$(free_display 61)
A=127.0.0.1:$((5900 + D))
t0=$SECONDS
"$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --serial "file:$TMP/linux.serial" --vnc ":$D" \
	--append "console=ttyS0 kvtest=display:900,poweroff" </dev/null >"$TMP/linux.out" 2>&1 &
LPID=$!
PIDS+=($LPID)
wait_for "$TMP/linux.serial" 'KVMINI-INIT: display-drawn\|KVMINI-INIT: end' 600
echo "# Linux: drawn after $((SECONDS - t0)) s"
L=$TMP/linux.serial
# (no sed -i on L: kvmini keeps writing the file, a new inode would hide the rest from the checks)
check "the bochs DRM driver found the device and its EDID" grep -q 'Found EDID data blob' "$L"
check "the PS/2 keyboard was found (translated set 2)" grep -q 'input: AT Translated Set 2 keyboard' "$L"
check "the virtio tablet was found" grep -q 'input: kvmini tablet' "$L"
check "the test init drew through KMS ($(grep -o 'KVMINI-INIT: \(kms\|fb0\).*' "$L" | head -1))" grep -q 'KVMINI-INIT: display-drawn' "$L"
size=$(sed -n 's/.*KVMINI-INIT: kms \([0-9]*x[0-9]*\).*/\1/p' "$L" | head -1)
W=${size%x*} H=${size#*x}
shot "127.0.0.1:$D" "$TMP/linux.jpg"
if [ -n "$W" ] && [ -s "$TMP/linux.jpg" ]; then
	check "screenshot: top left red" near "$(px "$TMP/linux.jpg" $((W / 4)) $((H / 4)))" "255 0 0"
	check "screenshot: top right green" near "$(px "$TMP/linux.jpg" $((3 * W / 4)) $((H / 4)))" "0 255 0"
	check "screenshot: bottom left blue" near "$(px "$TMP/linux.jpg" $((W / 4)) $((3 * H / 4)))" "0 0 255"
	check "screenshot: bottom right white" near "$(px "$TMP/linux.jpg" $((3 * W / 4)) $((3 * H / 4)))" "255 255 255"
	check "screenshot: yellow square in the middle" near "$(px "$TMP/linux.jpg" $((W / 2)) $((H / 2)))" "255 255 0"
else
	not_ok "screenshot of the Linux guest (size '$size', $(ls -la "$TMP/linux.jpg" 2>&1))"
fi
python3 "$RFB" "$A" keys 0x6b 0x76 >/dev/null 2>&1 # k v
python3 "$RFB" "$A" qkeys 0xffe4:0x9d >/dev/null 2>&1 # right Ctrl by its number (E0 1D)
wait_for "$L" 'KVMINI-INIT: key 97 0' 30
check "keys typed through VNC reach the guest (k: 37, v: 47)" grep -q 'KVMINI-INIT: key 37 1' "$L" && grep -q 'KVMINI-INIT: key 47 0' "$L"
check "an extended key event reaches it as right Ctrl (97)" grep -q 'KVMINI-INIT: key 97 1' "$L"
if [ -n "$W" ]; then
	python3 "$RFB" "$A" pointer $((W / 2)) $((H / 4)) 1 >/dev/null 2>&1
	wait_for "$L" 'KVMINI-INIT: key 272 0' 30
	want_x=$((W / 2 * 32767 / (W - 1))) want_y=$((H / 4 * 32767 / (H - 1)))
	check "a pointer move arrives as absolute coordinates ($want_x $want_y)" grep -q "KVMINI-INIT: abs $want_x $want_y" "$L"
	check "a click arrives as BTN_LEFT press and release" grep -q 'KVMINI-INIT: key 272 1' "$L"
fi
python3 "$RFB" "$A" cycles 100 >/dev/null 2>&1
python3 "$RFB" "$A" hostile >/dev/null 2>&1
python3 "$RFB" "$A" keys 0xff1b >/dev/null 2>&1
wait_for "$L" 'KVMINI-INIT: display-end' 60
check "after cycles and hostile clients the guest still takes keys (Escape ends the action)" grep -q 'KVMINI-INIT: display-end' "$L"
rc=0
for _ in $(seq 600); do kill -0 $LPID 2>/dev/null || break; sleep 0.1; done
kill -0 $LPID 2>/dev/null && kill -KILL $LPID
wait $LPID || rc=$?
check "the Linux guest powered off (status $rc)" [ "$rc" -eq 0 ]
echo "# Linux boot total $((SECONDS - t0)) s"
