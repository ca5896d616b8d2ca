#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The exit profiler on tiny guests (milliseconds each): tests/guest/exits.S makes exactly N exits of
# each kind, so --stats (table, JSON, CSV, .hgrm), KVM's counters, the trace (summary, CSV, Chrome
# JSON, markers) and the plot are checked against known numbers in one run; a corrupt trace is one
# line; and a named ticker VM (HLT between LAPIC timer ticks) gives the live `kvmini stats` and
# --stats-interval, with its halted time.
. "$(dirname "$0")/lib.bash"
need_kvm "prof"
named_vms
G=$TOP/build/guest

rc=0
run_vm 30 "$TMP/out" --kernel "$G/exits.elf" --serial none --mem 64M --stats -o "$TMP/s.json" -o "$TMP/s.csv" \
	-o "$TMP/hgrm/" --trace "$TMP/t.trace" --boot-trace || rc=$?
check "the exits guest powers off with status 0 (got $rc)" [ "$rc" -eq 0 ]
total=$(sed -n '/^total:/,$p' "$TMP/out")
check "table: 152 unclaimed port exits" grep -Eq '^  pio +\(unclaimed\) +0 +152 ' <<<"$total"
check "table: 50 unclaimed MMIO exits" grep -Eq '^  mmio +\(unclaimed\) +0 +50 ' <<<"$total"
check "table: the mmio self-check against KVM's mmio_exits holds" grep -q 'mmio 50 (kvmini 50: self-check ok)' <<<"$total"
check "boot timeline: first KVM_RUN and poweroff stamped" \
	sh -c "grep -q 'first KVM_RUN\$' '$TMP/out' && grep -q 'poweroff (the VM stopped)\$' '$TMP/out'"

rc=0
run_vm 30 "$TMP/out2" --kernel "$G/dispatch.elf" --serial "file:$TMP/serial" --mem 64M --boot-trace || rc=$?
check "--boot-trace: the console output still arrives (got $rc)" grep -q '^TINY: powering off' "$TMP/serial"
check "--boot-trace: the first console byte is stamped" grep -q 'first console byte$' "$TMP/out2"

python3 - "$TMP" <<'PY'
import csv, json, os, sys
tmp = sys.argv[1]
def check(desc, cond):
    print(("ok - " if cond else "not ok - ") + desc, flush=True)
d = json.load(open(os.path.join(tmp, "s.json")))
rows = {(r["kind"], r["name"]): r for r in d["total"]["rows"]}
want = {("exit", "io"): 153, ("exit", "mmio"): 50, ("pio", "(unclaimed)"): 152, ("pio", "acpi pm"): 1,
        ("mmio", "(unclaimed)"): 50}
check("json: exactly the exits the guest made %s" % want,
      {k: rows[k]["count"] for k in want if k in rows} == want and len(rows) == len(want))
ok = all(r["min_ns"] <= r["p50_ns"] <= r["p90_ns"] <= r["p99_ns"] <= r["p999_ns"] <= r["max_ns"] and
         r["min_ns"] <= r["mean_ns"] <= r["max_ns"] and r["count"] * r["min_ns"] <= r["total_ns"] * 1.0001
         for r in rows.values())
check("json: percentiles ordered, mean within [min, max]", ok)
k = d["total"]["kvm"]
check("json: KVM's mmio_exits equals kvmini's (%s)" % k["mmio_exits"], k["mmio_exits"] == 50 and k["mmio_self_check"])
t = d["total"]["time"]
check("json: guest + halted + VMM add up to the wall time",
      abs(t["guest_ns"] + t["halted_ns"] + t["vmm_ns"] - t["wall_ns"]) <= 0.01 * t["wall_ns"] + 1000)
c = list(csv.DictReader(open(os.path.join(tmp, "s.csv"))))
check("csv: the same counts", {(r["kind"], r["name"]): int(r["count"]) for r in c if r["vcpu"] == "total"} == want)
h = open(os.path.join(tmp, "hgrm", "total.mmio._unclaimed_.hgrm")).read().splitlines()
last = [l for l in h if l.strip() and not l.startswith("#")][-1].split()
check(".hgrm: HdrHistogram's header and a last line at percentile 1 with count 50",
      h[0].split() == ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"] and last[1:] == ["1.000000000000", "50"])
PY

"$KVMINI" trace "$TMP/t.trace" >"$TMP/sum" 2>&1
check "trace summary: 203 records on one vCPU" grep -q '^trace: 1 vCPUs, 203 records' "$TMP/sum"
check "trace summary: both phase markers" sh -c "grep -Eq 'vcpu0  0x1\$' '$TMP/sum' && grep -Eq 'vcpu0  0x2\$' '$TMP/sum'"
"$KVMINI" trace --csv "$TMP/t.trace" >"$TMP/t.csv"
check "trace csv: a header and 203 rows, 50 of them MMIO" \
	[ "$(wc -l <"$TMP/t.csv"),$(grep -c ',mmio,' "$TMP/t.csv")" = 204,50 ]
"$KVMINI" trace --chrome "$TMP/t.json" "$TMP/t.trace"
check "trace chrome: valid JSON, one vCPU track, 201 exits and 2 markers" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["traceEvents"]
x = [v for v in e if v["ph"] == "X"]; i = [v for v in e if v["ph"] == "i"]
t = [v for v in e if v["name"] == "thread_name"]
sys.exit(not (len(x) == 201 and len(i) == 2 and len(t) == 1 and all(v["tid"] == 0 for v in x)))' "$TMP/t.json"
head -c 1000 "$TMP/t.trace" >"$TMP/cut.trace"
rc=0
"$KVMINI" trace "$TMP/cut.trace" >"$TMP/cut.out" 2>&1 || rc=$?
check "a truncated trace: status 1 and one line (got $rc: $(head -c 200 "$TMP/cut.out"))" \
	sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/cut.out') -eq 1 ] && grep -q '^kvmini: trace: .*truncated' '$TMP/cut.out'"

if command -v gnuplot >/dev/null; then
	"$KVMINI" trace plot "$TMP/t.trace" -o "$TMP/p.png" >"$TMP/plot.out" 2>&1
	check "trace plot: a 1200x900 PNG with a drawing on it" python3 - "$TMP/p.png" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n"
w, h, depth, ctype = struct.unpack(">IIBB", b[16:26])
data, i = b"", 8
while i < len(b):
    n, = struct.unpack(">I", b[i:i + 4]); kind = b[i + 4:i + 8]
    if kind == b"IDAT": data += b[i + 8:i + 8 + n]
    i += 12 + n
raw = zlib.decompress(data)
bpp = {2: 3, 6: 4}[ctype]
# filter bytes aside, count bytes that are not white in each row (lines and text are not white)
stride = 1 + w * bpp
dark = sum(1 for r in range(h) for c in raw[r * stride + 1:(r + 1) * stride:bpp] if c < 128)
sys.exit(not (w == 1200 and h == 900 and depth == 8 and dark > 2000))
PY
	"$KVMINI" trace plot "$TMP/t.trace" -o "$TMP/p.svg" >/dev/null 2>&1
	check "trace plot: an SVG too" grep -q '<svg' "$TMP/p.svg"
else
	skip "trace plot: gnuplot is not installed (tools/install-deps installs gnuplot-nox)"
fi

# live: a named ticker VM, --stats-interval lines and kvmini stats over QMP
timeout 30 "$KVMINI" run --kernel "$TICKER" --mem 64M --name p --daemonize --stats --stats-interval 0.2 \
	</dev/null >"$TMP/p.out" 2>"$TMP/p.err"
sleep 1.5
"$KVMINI" stats p >"$TMP/st1" 2>&1
check "kvmini stats: the table of the live VM" grep -Eq '^  pio +serial +0x3f8 ' "$TMP/st1"
check "kvmini stats: the ticker guest spends time halted" \
	sh -c "grep -Eq '^vcpu0: of .*halted ([1-9][0-9]*\.[0-9]|0\.[1-9])' '$TMP/st1'"
"$KVMINI" stats p --reset --json >/dev/null
"$KVMINI" stats p --json >"$TMP/st2" 2>&1
check "kvmini stats --reset: the counters start afresh (under 2 s of them)" python3 -c '
import json, sys; d = json.loads(open(sys.argv[1]).read()); sys.exit(not d["seconds"] < 2)' "$TMP/st2"
check "--stats-interval: JSON lines in the VM's log" python3 -c '
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
sys.exit(not (len(ls) >= 3 and all("vcpus" in l and "timestamp" in l for l in ls)))' "$RUN/p.log"
python3 "$QC" "$RUN/p.qmp" quit >/dev/null 2>&1
rc=0
"$KVMINI" stats nosuchvm >"$TMP/nv" 2>&1 || rc=$?
check "kvmini stats of no such VM: status 1, one line" sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/nv') -eq 1 ]"

# peer cross-check: KVM's own tracepoints count the same exits (perf, Debian linux-perf)
if command -v perf >/dev/null && perf list 2>/dev/null | grep -q 'kvm:kvm_userspace_exit'; then
	perf stat -x, -e kvm:kvm_userspace_exit,kvm:kvm_pio -o "$TMP/perf" -- "$KVMINI" run --kernel "$G/exits.elf" \
		--serial none --mem 64M >/dev/null 2>&1
	ue=$(awk -F, '$3 == "kvm:kvm_userspace_exit" { print $1 }' "$TMP/perf")
	pio=$(awk -F, '$3 == "kvm:kvm_pio" { print $1 }' "$TMP/perf")
	check "perf: kvm:kvm_userspace_exit counts the 203 exits kvmini counted (got $ue)" [ "$ue" = 203 ]
	check "perf: kvm:kvm_pio counts 153 port exits to kvmini + 25 in KVM (got $pio)" [ "$pio" = 178 ]
else
	skip "perf cross-check: perf or KVM's tracepoints are not available here"
fi

# kvmini bench exits: every test but VMCALL (PVM) prints cycles beside the floor
"$KVMINI" bench exits >"$TMP/be" 2>&1
check "kvmini bench exits: PIO to the VMM and the floor are measured" \
	sh -c "grep -Eq '^  port write to the VMM \(0x550\) +[0-9]+ +[0-9.]+ +[0-9.]+\$' '$TMP/be' && grep -Eq '^  bare KVM_RUN floor' '$TMP/be'"
