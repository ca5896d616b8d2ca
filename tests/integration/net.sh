# SPDX-License-Identifier: GPL-2.0-or-later
# virtio-net over taps, end to end, inside a network namespace this test creates and removes:
# kvmini net up/down/status; a busy tap gets one clear line; guest A gets an address, pings the
# host, moves a few MiB over TCP each way (busybox nc) with matching checksums and reaches guest B
# on the same bridge; B killed with SIGKILL starts again with the same options. The transfers are
# an integrity check (3 MiB each way, NET_TEST_MB=N for more); throughput is bench/net.sh's job.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/netlib.bash"
need_kvm "virtio-net"
[ "$(id -u)" -eq 0 ] || { skip "virtio-net: needs root for network namespaces and taps"; exit 0; }
[ -c /dev/net/tun ] || { skip "virtio-net: /dev/net/tun is missing"; exit 0; }
for t in ip nft python3 busybox cpio md5sum; do
	command -v "$t" >/dev/null || { not_ok "virtio-net: $t is missing (tools/install-deps)"; exit 1; }
done
# NET_TEST_KERNEL / NET_TEST_APPEND: another kernel, extra guest parameters (debugging aids)
KERNEL=${NET_TEST_KERNEL:-$(guest_file vmlinux)} || { not_ok "test kit: vmlinux not built (make kit)"; exit 1; }
XAPPEND=${NET_TEST_APPEND:-}
MB=${NET_TEST_MB:-3}
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	netns_down
	rm -rf "$TMP"
}
trap cleanup EXIT
netns_up || { not_ok "virtio-net: cannot create network namespace $NETNS"; exit 1; }
build_net_initrd "$TMP/net.cpio" || { not_ok "virtio-net: cannot build the busybox initramfs"; exit 1; }

# --- host helper, on its own bridge and a veth "uplink" inside the namespace
NS ip link add up0 type veth peer name up1
st=$TMP/net.state
check "net up: creates bridge, address, forwarding and NAT" \
	NS "$KVMINI" net up --bridge brt --address 10.78.0.1/24 --nat-out up0 --state "$st"
check "net up: bridge has its address" bash -c "ip netns exec $NETNS ip -br addr show dev brt | grep -q 10.78.0.1/24"
check "net up: forwarding on" [ "$(NS cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
check "net up: masquerade rule in its own table" bash -c "ip netns exec $NETNS nft list table ip kvmini_brt | grep -q masquerade"
check "net status: reports the bridge" bash -c "ip netns exec $NETNS $KVMINI net status --bridge brt --state $st | grep -q 'bridge brt'"
NS ip link add br-existing type bridge
check "net down: removes what up made" NS "$KVMINI" net down --state "$st"
check "net down: bridge, table and forwarding gone" bash -c \
	"! ip netns exec $NETNS ip link show brt 2>/dev/null && ! ip netns exec $NETNS nft list table ip kvmini_brt 2>/dev/null && [ \$(ip netns exec $NETNS cat /proc/sys/net/ipv4/ip_forward) = 0 ]"
check "net down: leaves other interfaces alone" bash -c "ip netns exec $NETNS ip link show br-existing >/dev/null"

# --- guests: B waits on the bridge, A does the work
ARGS_COMMON=(--kernel "$KERNEL" --initrd "$TMP/net.cpio" --mem 256M --serial stdio)
# started without a wrapper function or subshell, so $! is kvmini itself (ip netns exec execs it)
start_b() {
	ip netns exec "$NETNS" "$KVMINI" run "${ARGS_COMMON[@]}" --name b --net tap,bridge=br0 \
		--append "console=ttyS0 quiet $XAPPEND kvip=10.77.0.3/24 kvhost=$HOST_IP kvrole=peer" </dev/null >"$TMP/$1.out" 2>&1 &
	BPID=$!
	PIDS+=("$BPID")
}
# wait_for FILE PATTERN SECONDS
wait_for() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		grep -q "$2" "$1" && return 0
		sleep 1
	done
	return 1
}
t0=$SECONDS
start_b b1
sleep 1
check "tap: kvmini created kvmini-b-0 in the bridge" bash -c "ip netns exec $NETNS ip link show kvmini-b-0 | grep -q 'master br0'"
NS "$KVMINI" run "${ARGS_COMMON[@]}" --name b2 --net tap,ifname=kvmini-b-0,bridge=br0 </dev/null >"$TMP/busy.out" 2>&1
rc=$?
check "tap: a busy tap fails at once with one clear line (exit $rc)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'busy' $TMP/busy.out && [ \$(grep -c kvmini: $TMP/busy.out) -eq 1 ]"
NS "$KVMINI" run "${ARGS_COMMON[@]}" --name c --net tap,bridge=nosuchbr </dev/null >"$TMP/nobr.out" 2>&1
rc=$?
check "tap: a missing bridge is one clear line (exit $rc)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'bridge nosuchbr: no such bridge' $TMP/nobr.out && [ \$(grep -c kvmini: $TMP/nobr.out) -eq 1 ]"
check "tap: ... and its tap is gone again" bash -c "! ip netns exec $NETNS ip link show kvmini-c-0 2>/dev/null"

head -c ${MB}M /dev/urandom >"$TMP/src"
SRC_MD5=$(md5sum <"$TMP/src" | cut -d' ' -f1)
host_xfer "$TMP/src" "$TMP/dst" 1500 >"$TMP/host.log" 2>&1 &
HPID=$!
PIDS+=("$HPID")
sleep 0.5
ta=$SECONDS
ip netns exec "$NETNS" "$KVMINI" run "${ARGS_COMMON[@]}" --name a --net tap,bridge=br0 \
	--append "console=ttyS0 quiet $XAPPEND kvip=10.77.0.2/24 kvhost=$HOST_IP kvpeer=10.77.0.3 kvrole=xfer" \
	</dev/null >"$TMP/a.out" 2>&1 &
APID=$!
PIDS+=("$APID")
# the guest is slow (emulated kernel mode): wait for it to finish its script, then to power off
wait_for "$TMP/a.out" 'KVNET: done' 1500
echo "# guest A: script finished after $((SECONDS - ta)) s"
for _ in $(seq 60); do kill -0 "$APID" 2>/dev/null || break; sleep 1; done
kill -9 "$APID" 2>/dev/null && echo "# guest A: did not power off, killed"
rc=0
wait "$APID" || rc=$?
wait "$HPID" 2>/dev/null
cat "$TMP/host.log"
grep 'KVNET' "$TMP/a.out" | sed 's/^/#   /'
check "guest A: powered off cleanly (exit $rc)" [ "$rc" -eq 0 ]
check "guest A: has its address and MAC" grep -q 'KVNET: mac 52:56:.* ip 10.77.0.2/24' "$TMP/a.out"
check "guest A: pings the host" grep -q 'KVNET: ping-host ok' "$TMP/a.out"
check "host -> guest: $MB MiB arrived with the right checksum" grep -q "KVNET: recv $((MB << 20)) bytes md5 $SRC_MD5" "$TMP/a.out"
check "guest -> host: $MB MiB arrived with the right checksum" \
	bash -c "[ -f $TMP/dst ] && [ \$(stat -c %s $TMP/dst) = $((MB << 20)) ] && [ \$(md5sum <$TMP/dst | cut -d' ' -f1) = $SRC_MD5 ]"
check "two guests on one bridge reach each other" grep -q 'KVNET: ping-peer ok' "$TMP/a.out"

# --- SIGKILL B, then the same options again
kill -9 "$BPID"
wait "$BPID" 2>/dev/null
check "after SIGKILL the tap kvmini created is gone" bash -c "! ip netns exec $NETNS ip link show kvmini-b-0 2>/dev/null"
tb=$SECONDS
start_b b2
if wait_for "$TMP/b2.out" 'KVNET: ping-host' 900; then :; fi
echo "# guest B again: $((SECONDS - tb)) s to ping"
check "after SIGKILL, the same --net options work again" grep -q 'KVNET: ping-host ok' "$TMP/b2.out"
kill "$BPID" 2>/dev/null
wait "$BPID" 2>/dev/null
echo "# total $((SECONDS - t0)) s"
for f in b1 a b2; do
	echo "# --- $f: last lines"
	tail -n 6 "$TMP/$f.out" | sed 's/^/#   /'
done
