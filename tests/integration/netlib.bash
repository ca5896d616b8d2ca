# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by tests/integration/net.sh and bench/net.sh: a throwaway network namespace with a bridge,
# a busybox initramfs whose /init configures eth0 from kernel parameters and runs a role, and
# host-side TCP endpoints. Never touches the host's own interfaces: everything lives in $NETNS.
NETNS=kvmini-test-$$
HOST_IP=10.77.0.1
NS() { ip netns exec "$NETNS" "$@"; }

netns_up() {
	ip netns add "$NETNS" || return 1
	NS ip link set lo up &&
		NS ip link add br0 type bridge &&
		NS ip addr add $HOST_IP/24 dev br0 &&
		NS ip link set br0 up
}

netns_down() {
	# processes still in the namespace would keep its taps alive
	local p
	for p in $(ip netns pids "$NETNS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NETNS" 2>/dev/null
	return 0
}

# build_net_initrd OUT: an uncompressed cpio with static busybox and the /init below
build_net_initrd() {
	local out=$1 root
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp}
	cp "$(command -v busybox)" "$root/bin/busybox" || return 1
	cat >"$root/init" <<'INIT'
#!/bin/busybox sh
# kvmini network test guest. Kernel parameters (handed to init as variables):
#   kvip=A.B.C.D/N  kvhost=A.B.C.D  kvpeer=A.B.C.D  kvrole=xfer|peer|idle|bench
echo "KVNET: init"
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o size=80m tmpfs /tmp
say() { echo "KVNET: $*"; }
ip link set lo up
ip addr add "$kvip" dev eth0 && ip link set eth0 up || say "eth0 setup failed"
say "mac $(cat /sys/class/net/eth0/address) ip $kvip"
waitping() { # waitping IP TRIES
	i=0
	while [ $i -lt $2 ]; do
		ping -c 1 -W 1 "$1" >/dev/null 2>&1 && return 0
		i=$((i + 1))
	done
	return 1
}
if waitping "$kvhost" 20; then say "ping-host ok"; else say "ping-host FAILED"; fi
case "$kvrole" in
xfer)
	t0=$(date +%s)
	nc "$kvhost" 5002 </dev/null >/tmp/f
	t1=$(date +%s)
	say "recv $(wc -c </tmp/f) bytes md5 $(md5sum </tmp/f | cut -d' ' -f1) in $((t1 - t0)) s"
	nc "$kvhost" 5001 </tmp/f
	say "sent in $(($(date +%s) - t1)) s"
	if [ -n "$kvpeer" ]; then
		if waitping "$kvpeer" 120; then say "ping-peer ok"; else say "ping-peer FAILED"; fi
	fi
	;;
bench)
	ping -c 20 -i 0.2 "$kvhost" | tail -n 1 | sed 's/^/KVNET: ping /'
	t0=$(date +%s)
	nc "$kvhost" 5002 </dev/null >/dev/null
	say "bench-rx done in $(($(date +%s) - t0)) s"
	dd if=/dev/zero bs=1M count="${kvmb:-16}" 2>/dev/null | nc "$kvhost" 5001
	say "bench-tx done"
	;;
peer | idle)
	say "ready"
	sleep 3600
	;;
esac
say "done"
poweroff -f
INIT
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet >"$out")
	local rc=$?
	rm -rf "$root"
	return $rc
}

# host_xfer FILE OUT SECONDS: in the namespace, serves FILE on port 5002 and stores what arrives on
# port 5001 in OUT; prints the time each direction took. Runs in the background; wait for it.
host_xfer() {
	NS python3 - "$1" "$2" "$3" "$HOST_IP" <<'PY'
import socket, sys, threading, time
src, dst, limit, ip = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(1)
    s.settimeout(limit)
    return s
def serve():
    c, _ = ls.accept()
    t = time.time()
    with open(src, 'rb') as f:
        c.sendall(f.read())
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass
    c.close()
    print("# host->guest: %.1f s" % (time.time() - t), flush=True)
def store():
    c, _ = lr.accept()
    c.settimeout(limit)
    t = time.time()
    with open(dst, 'wb') as f:
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            f.write(b)
    c.close()
    print("# guest->host: %.1f s" % (time.time() - t), flush=True)
ls, lr = listener(5002), listener(5001)
ts = [threading.Thread(target=serve, daemon=True), threading.Thread(target=store, daemon=True)]
for t in ts:
    t.start()
for t in ts:
    t.join(limit)
PY
}
