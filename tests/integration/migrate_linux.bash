# SPDX-License-Identifier: GPL-2.0-or-later
# The Linux part of tests/integration/migrate.sh (sourced from it): one guest, two network
# namespaces joined by a veth, the guest's disk an NBD export served by nbdkit in the first.
BZ=$(guest_file vmlinux) && INITRD=$(guest_file initramfs-test.cpio) || {
	skip "migrate (Linux): the test kit is not built (make kit)"
	return 0
}
command -v nbdkit >/dev/null || {
	skip "migrate (Linux): nbdkit is not installed (tools/install-deps)"
	return 0
}
NA=kvmini-miga-$$ NB=kvmini-migb-$$ IPA=10.78.$(($$ % 200)).1 IPB=10.78.$(($$ % 200)).2
ns_down() {
	local n p
	for n in $NA $NB; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
}
trap 'ns_down; named_vms_cleanup' EXIT
ip netns add "$NA" && ip netns add "$NB" &&
	ip link add mva$$ netns "$NA" type veth peer name mvb$$ netns "$NB" &&
	ip -n "$NA" addr add "$IPA/24" dev mva$$ && ip -n "$NB" addr add "$IPB/24" dev mvb$$ &&
	ip -n "$NA" link set mva$$ up && ip -n "$NB" link set mvb$$ up &&
	ip -n "$NA" link set lo up && ip -n "$NB" link set lo up || {
	not_ok "migrate (Linux): cannot make the namespaces"
	return 0
}
truncate -s 16M "$TMP/export.raw"
ip netns exec "$NA" nbdkit -f -i "$IPA" -p 10809 file "$TMP/export.raw" 2>"$TMP/nbdkit.err" &
disown # killed with the namespace, quietly
for _ in $(seq 50); do ip netns exec "$NA" ss -Hltn "sport = :10809" | grep -q . && break; sleep 0.1; done
COUNTS=40
linux() { # NS NAME [ARGS...]
	local ns=$1 n=$2
	shift 2
	ip netns exec "$ns" "$KVMINI" run --kernel "$BZ" --initrd "$INITRD" --mem 256M --name "$n" --daemonize \
		--serial none --disk "nbd://$IPA:10809" \
		--append "console=ttyS0 quiet kvtest=bootid,diskcount:@16M:$COUNTS,bootid,poweroff" "$@" </dev/null \
		>"$TMP/$n.out" 2>&1
}
counts() { grep -a 'KVMINI-INIT: diskcount [0-9]' "$RUN/$1.console" 2>/dev/null | tr -d '\r' | awk '{print $3, $5}'; }
wait_counts() { # NAME N SECONDS
	for _ in $(seq $(($3 * 5))); do [ "$(counts "$1" | wc -l)" -ge "$2" ] && return 0; sleep 0.2; done
	return 1
}
linux "$NA" la
check "Linux source boots and counts (NBD disk over the veth)" wait_counts la 3 400

# cancel mid-way: the source runs on, the target goes
linux "$NB" lb --incoming "tcp:$IPB:4444"
"$KVMINI" migrate la "tcp:$IPB:4444" --bandwidth 1 >"$TMP/cancel.out" 2>"$TMP/cancel.err" &
mig=$!
sleep 3
"$KVMINI" migrate la --cancel
rc=0
wait $mig || rc=$?
check "cancel mid-way: migrate says cancelled ($(cat "$TMP/cancel.err"))" grep -q cancelled "$TMP/cancel.err"
check "... the target goes" gone lb
n=$(counts la | wc -l)
check "... the source counts on" wait_counts la $((n + 2)) 30

# live over the veth
rm -f "$RUN/lb.console"
linux "$NB" lb --incoming "tcp:$IPB:4444"
rc=0
"$KVMINI" migrate la "tcp:$IPB:4444" --bandwidth 0 >"$TMP/live.out" 2>"$TMP/live.err" || rc=$?
echo "# $(tail -1 "$TMP/live.out")"
check "live migration of the Linux guest: exit 0 ($(cat "$TMP/live.err"))" [ "$rc" -eq 0 ]
check "... the source exits" gone la
n=$(counts lb | wc -l)
check "... the guest counts on at the target" wait_counts lb $((n + 2)) 30

# cold, back over the veth
linux "$NA" lc --incoming "tcp:$IPA:4445"
rc=0
"$KVMINI" migrate lb "tcp:$IPA:4445" --offline >"$TMP/cold.out" 2>"$TMP/cold.err" || rc=$?
echo "# $(tail -1 "$TMP/cold.out")"
check "cold migration back: exit 0 ($(cat "$TMP/cold.err"))" [ "$rc" -eq 0 ]
check "... the guest counts on there" wait_counts lc 1 30
for _ in $(seq $((COUNTS * 10 + 600))); do alive lc || break; sleep 0.2; done
check "... finishes its count and powers off" grep -aq 'KVMINI-INIT: poweroff' "$RUN/lc.console"
cat "$RUN/la.console" "$RUN/lb.console" "$RUN/lc.console" | tr -d '\r' >"$TMP/all.console"
nums=$(counts la; counts lb; counts lc)
check "the count goes 0..$((COUNTS - 1)) once each across three hosts' consoles (no restart, no loss)" \
	[ "$(echo "$nums" | awk '{print $1}' | tr '\n' ' ')" = "$(seq 0 $((COUNTS - 1)) | tr '\n' ' ')" ]
check "the guest's uptime never goes back" python3 -c '
import sys; u=[float(l.split()[1]) for l in sys.stdin if l.strip()]
sys.exit(0 if all(b >= a for a, b in zip(u, u[1:])) and len(u) > 1 else 1)' <<<"$nums"
ids=$(grep -a 'KVMINI-INIT: boot-id' "$TMP/all.console" | awk '{print $3}' | sort -u)
check "the same boot id before and after ($(echo $ids))" [ "$(grep -ac 'KVMINI-INIT: boot-id' "$TMP/all.console")" -eq 2 -a "$(echo "$ids" | wc -l)" -eq 1 ]
check "every block the guest wrote, before and after the migrations, is intact in the export" python3 - "$TMP/export.raw" "$COUNTS" <<'PY'
import struct, sys
M = (1 << 64) - 1
data = open(sys.argv[1], 'rb').read()
for i in range(int(sys.argv[2])):
    x, want = i + 1, []
    for _ in range(512):
        x ^= (x << 13) & M; x ^= x >> 7; x ^= (x << 17) & M
        want.append(x)
    if struct.unpack_from('<512Q', data, i * 4096) != tuple(want):
        sys.exit(1)
PY
