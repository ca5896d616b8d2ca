#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Named VMs and QMP: the name lock, run files, --daemonize, the control socket (QEMU's protocol:
# negotiation, errors, events to several clients), stop/cont/system_reset/system_powerdown/quit on
# the ticker guest (tests/guest/ticker.S, which boots in milliseconds), set-action shutdown=pause,
# another user locked out, a killed VM's socket cleaned up; and one Linux boot whose init powers off
# on the ACPI power button that system_powerdown presses.
. "$(dirname "$0")/lib.bash"
need_kvm "qmp"
export KVMINI_RUNTIME_DIR=$TMP/run KVMINI_CONFIG_DIR=$TMP/cfg
RUN=$TMP/run
TICKER=$TOP/build/guest/ticker.elf
QC=$TOP/tests/tools/qmpclient.py
[ -f "$TICKER" ] || { not_ok "ticker guest not built (make guests)"; exit 1; }

# every VM this script started goes at exit, whatever happened
cleanup() {
	for p in "$RUN"/*.pid; do
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# start NAME ARGS...: a detached ticker VM; its status in $rc, stderr in $TMP/NAME.err
start() {
	local name=$1
	shift
	rc=0
	timeout 30 "$KVMINI" run --kernel "$TICKER" --mem 64M --name "$name" --daemonize "$@" \
		</dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
}

# wait_gone PID: up to 20 s for a process to end
wait_gone() {
	for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

printf '<domain type="kvm"><name>a</name></domain>\n' >"$TMP/def.xml"
start a --definition "$TMP/def.xml"
check "--daemonize returns 0 once the VM runs (got $rc)" [ "$rc" -eq 0 ]
check "--daemonize: the socket listens when the parent returns" [ -S "$RUN/a.qmp" ]
check "the control socket has mode 0600" [ "$(stat -c %a "$RUN/a.qmp")" = 600 ]
pid=$(cat "$RUN/a.pid" 2>/dev/null)
check "a.pid names the running VMM" [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = kvmini ]
check "--definition is kept as <rundir>/a.xml" cmp -s "$TMP/def.xml" "$RUN/a.xml"
check "the detached VM's messages go to a.log" grep -q '^kvmini: serial console on /dev/pts/' "$RUN/a.log"

start a
check "a live name is refused with status 1 (got $rc)" [ "$rc" -eq 1 ]
check "a live name is refused with one line naming its pid" \
	grep -qx "kvmini: --name a: a VM of that name is running (pid $pid)" "$TMP/a.err"
check "the refused start left the live VM's files alone" cmp -s "$TMP/def.xml" "$RUN/a.xml"

# the QMP session: python prints its own ok/not ok lines
python3 - "$RUN" "$pid" "$TOP/tests/tools" <<'EOF'
import json, os, re, sys, time
run, pid, tools = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, tools)
from qmpclient import QMP

def check(desc, cond):
    print(("ok - " if cond else "not ok - ") + desc, flush=True)

def ticks():
    """The numbers of the TICK lines the guest printed so far (its console copy)."""
    with open(os.path.join(run, "a.console"), "rb") as f:
        return [int(m) for m in re.findall(rb"TICK (\d+)\r?\n", f.read())]

def wait_for(pred, secs=10.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()

def err_class(r):
    return r.get("error", {}).get("class")

q = QMP(os.path.join(run, "a.qmp"))
g = q.greeting.get("QMP", {})
check("greeting: QMP with \"capabilities\": []", g.get("capabilities") == [] and "qemu" in g.get("version", {}))
check("a command before qmp_capabilities: CommandNotFound", err_class(q.cmd("query-status")) == "CommandNotFound")
check("qmp_capabilities returns {}", q.cmd("qmp_capabilities") == {"return": {}})
check("query-status: running", q.cmd("query-status").get("return") ==
      {"running": True, "singlestep": False, "status": "running"})
check("query-name", q.cmd("query-name").get("return") == {"name": "a"})
names = {c["name"] for c in q.cmd("query-commands").get("return", [])}
want = {"qmp_capabilities", "query-commands", "query-version", "query-name", "query-status", "stop", "cont",
        "system_powerdown", "system_reset", "quit", "query-cpus-fast", "query-chardev", "set-action",
        "__org.kvmini_query-exits", "__org.kvmini_query-devices"}
check("query-commands lists every command (missing: %s)" % sorted(want - names), want <= names)
ch = q.cmd("query-chardev").get("return", [{}])[0]
fn = ch.get("filename", "")
check("query-chardev: serial0 on an existing pty (%s)" % fn,
      ch.get("label") == "serial0" and fn.startswith("pty:/dev/pts/") and os.path.exists(fn[4:]))
cpus = q.cmd("query-cpus-fast").get("return", [])
check("query-cpus-fast: one vCPU whose thread-id is a thread of the VMM",
      len(cpus) == 1 and cpus[0].get("cpu-index") == 0 and
      os.path.exists("/proc/%d/task/%d" % (pid, cpus[0].get("thread-id", 0))))
ex = q.cmd("__org.kvmini_query-exits").get("return", [{}])
check("__org.kvmini_query-exits counts the guest's port I/O exits", ex[0].get("exits", {}).get("io", 0) > 0)
devs = q.cmd("__org.kvmini_query-devices").get("return", [])
check("__org.kvmini_query-devices lists COM1 at 0x3f8",
      any(d.get("bus") == "pio" and d.get("base") == 0x3f8 for d in devs))

q2 = QMP(os.path.join(run, "a.qmp"))
q2.cmd("qmp_capabilities")
check("the ticker runs", wait_for(lambda: len(ticks()) >= 3))

check("stop returns {}", q.cmd("stop") == {"return": {}})
ev1, ev2 = q.wait_event("STOP", 5), q2.wait_event("STOP", 5)
check("STOP reaches both clients, with a timestamp", "seconds" in ev1.get("timestamp", {}) and ev2)
check("query-status while stopped: paused", q.cmd("query-status").get("return") ==
      {"running": False, "singlestep": False, "status": "paused"})
time.sleep(0.2)  # what the guest printed before the stop has reached the file
before = ticks()
time.sleep(1.0)
check("paused: the ticker does not advance for 1 s (%d ticks, then %d)" % (len(before), len(ticks())),
      ticks() == before)
check("stop again is accepted quietly", q.cmd("stop") == {"return": {}})
check("cont returns {}", q.cmd("cont") == {"return": {}})
q.wait_event("RESUME", 5)
q2.wait_event("RESUME", 5)
check("RESUME reaches both clients", True)
check("resumed: the ticker advances", wait_for(lambda: len(ticks()) > len(before) + 2, 5))
check("query-status: running again", q.cmd("query-status").get("return", {}).get("status") == "running")

# errors: each answered with QMP's class, and the connection stays usable
q.send_raw(b'{"execute": query-status}\r\n')
check("malformed JSON: GenericError", err_class(q.answer()) == "GenericError")
check("after malformed JSON the connection works", q.cmd("query-name").get("return") == {"name": "a"})
check("unknown command: CommandNotFound", err_class(q.cmd("no-such-command")) == "CommandNotFound")
check("wrong argument type: GenericError", err_class(q.cmd("set-action", {"shutdown": 5})) == "GenericError")
check("bad enum value: GenericError", err_class(q.cmd("set-action", {"shutdown": "explode"})) == "GenericError")
check("unexpected argument: GenericError", err_class(q.cmd("stop", {"now": True})) == "GenericError")
big = json.dumps({"execute": "query-name", "arguments": {"pad": "x" * (200 * 1024)}}).encode() + b"\r\n"
q.send_raw(big)
r = q.answer()
check("oversized message refused (%s)" % r.get("error", {}).get("desc", r), err_class(r) == "GenericError")
check("after an oversized message the connection works", q.cmd("query-name").get("return") == {"name": "a"})

# system_reset: a new VM, the ticker starts over from 0
zeros = ticks().count(0)
check("system_reset returns {}", q.cmd("system_reset") == {"return": {}})
ev = q.wait_event("RESET", 5)
check("RESET {guest: false, reason: host-qmp-system-reset}",
      ev.get("data") == {"guest": False, "reason": "host-qmp-system-reset"})
check("RESET reaches the second client too", q2.wait_event("RESET", 5))
check("after the reset the ticker restarts from TICK 0", wait_for(lambda: ticks().count(0) == zeros + 1))
check("after the reset it keeps running", wait_for(lambda: ticks()[-1] >= 2))

# set-action shutdown=pause: a guest poweroff leaves the VM in "shutdown", the process alive
check("set-action shutdown=pause", q.cmd("set-action", {"shutdown": "pause"}) == {"return": {}})
check("system_powerdown returns {}", q.cmd("system_powerdown") == {"return": {}})
q.wait_event("POWERDOWN", 5)
ev = q.wait_event("SHUTDOWN", 10)
check("SHUTDOWN {guest: true, reason: guest-shutdown}", ev.get("data") == {"guest": True, "reason": "guest-shutdown"})
check("STOP follows the paused shutdown", q.wait_event("STOP", 5))
with open(os.path.join(run, "a.console"), "rb") as f:
    check("the guest saw the power button", b"TINY: power button" in f.read())
check("query-status after the guest's poweroff: shutdown", q.cmd("query-status").get("return") ==
      {"running": False, "singlestep": False, "status": "shutdown"})
check("the VMM stays alive in shutdown", os.path.exists("/proc/%d" % pid))
check("cont in shutdown asks for a reset", err_class(q.cmd("cont")) == "GenericError")
zeros = ticks().count(0)
q.cmd("system_reset")
q.wait_event("RESET", 5)
check("system_reset after shutdown: paused", q.cmd("query-status").get("return", {}).get("status") == "paused")
time.sleep(0.5)
check("the rebuilt VM does not run before cont", ticks().count(0) == zeros)
q.cmd("cont")
q.wait_event("RESUME", 5)
check("cont runs it: the ticker starts over", wait_for(lambda: ticks().count(0) == zeros + 1))
check("set-action shutdown=poweroff", q.cmd("set-action", {"shutdown": "poweroff"}) == {"return": {}})

check("quit returns {}", q.cmd("quit") == {"return": {}})
ev = q.wait_event("SHUTDOWN", 5)
check("SHUTDOWN {guest: false, reason: host-qmp-quit}", ev.get("data") == {"guest": False, "reason": "host-qmp-quit"})
try:
    q2.wait_event("SHUTDOWN", 5)
    ok2 = True
except Exception:
    ok2 = False
check("the second client gets the SHUTDOWN too", ok2)
EOF
check "quit ends the VMM" wait_gone "$pid"
check "at exit a.qmp, a.pid and a.xml are gone" [ ! -e "$RUN/a.qmp" ] && [ ! -e "$RUN/a.pid" ] && [ ! -e "$RUN/a.xml" ]

# a foreground named VM: the guest's own poweroff through the power button, exit status 0
"$KVMINI" run --kernel "$TICKER" --mem 64M --name b --serial "file:$TMP/b.serial" </dev/null >"$TMP/b.out" 2>&1 &
bpid=$!
for _ in $(seq 100); do [ -S "$RUN/b.qmp" ] && break; sleep 0.05; done
out=$(python3 - "$RUN/b.qmp" "$TOP/tests/tools" <<'EOF'
import sys
sys.path.insert(0, sys.argv[2])
from qmpclient import QMP
q = QMP(sys.argv[1])
q.cmd("qmp_capabilities")
q.cmd("system_powerdown")
q.wait_event("POWERDOWN", 5)
print(q.wait_event("SHUTDOWN", 10).get("data"))
EOF
)
rc=0
wait_gone $bpid && { wait $bpid || rc=$?; }
check "system_powerdown: SHUTDOWN {guest: true, reason: guest-shutdown} ($out)" \
	[ "$out" = "{'guest': True, 'reason': 'guest-shutdown'}" ]
check "system_powerdown: the ticker printed its power-button line" grep -q '^TINY: power button' "$TMP/b.serial"
check "system_powerdown: the VM powers off by itself with status 0 (got $rc)" [ "$rc" -eq 0 ]
check "a foreground named VM also copies its console to b.console" grep -q '^TINY: power button' "$RUN/b.console"

# kill -9 leaves a stale socket; the next start cleans it up
start c
cpid=$(cat "$RUN/c.pid")
kill -KILL "$cpid"
wait_gone "$cpid"
check "kill -9 leaves c.qmp behind" [ -S "$RUN/c.qmp" ]
start c
check "the next start of c succeeds (got $rc: $(cat "$TMP/c.err"))" [ "$rc" -eq 0 ]
check "its fresh socket answers" [ "$(python3 "$QC" "$RUN/c.qmp" query-name)" = '{"name": "c"}' ]
cpid=$(cat "$RUN/c.pid")

# another user cannot connect: with the directories open for search, the socket's mode decides
chmod 711 "$TMP" "$RUN"
conn='import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(13)
print(s.recv(4096).decode().strip())'
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "$conn" "$RUN/c.qmp" >/dev/null 2>&1 || rc=$?
check "another user is refused the connection (EACCES, got status $rc)" [ "$rc" -eq 13 ]
check "the owner connects to the same socket" grep -q '"QMP"' <(/usr/bin/python3 -c "$conn" "$RUN/c.qmp")
chmod 700 "$TMP" "$RUN"

# SIGTERM: SHUTDOWN {guest: false, reason: host-signal} first, then the VMM ends and cleans up
out=$(python3 - "$RUN/c.qmp" "$TOP/tests/tools" "$cpid" <<'EOF'
import os, signal, sys
sys.path.insert(0, sys.argv[2])
from qmpclient import QMP
q = QMP(sys.argv[1])
q.cmd("qmp_capabilities")
os.kill(int(sys.argv[3]), signal.SIGTERM)
print(q.wait_event("SHUTDOWN", 10).get("data"))
EOF
)
check "SIGTERM: SHUTDOWN {guest: false, reason: host-signal} ($out)" [ "$out" = "{'guest': False, 'reason': 'host-signal'}" ]
check "SIGTERM ends the VMM" wait_gone "$cpid"
check "after SIGTERM c.qmp and c.pid are gone" [ ! -e "$RUN/c.qmp" ] && [ ! -e "$RUN/c.pid" ]

# one Linux boot: the kit's init handles the ACPI power button as logind/acpid do
VMLINUX=$(guest_file vmlinux 2>/dev/null) && INITRD=$(guest_file initramfs-test.cpio 2>/dev/null) || {
	not_ok "test kit not built (make kit): the Linux power-button boot did not run"
	exit 0
}
"$KVMINI" run --kernel "$VMLINUX" --initrd "$INITRD" --mem 256M --name lx --serial none \
	--append "console=ttyS0 kvtest=powerbutton" </dev/null >"$TMP/lx.out" 2>&1 &
lpid=$!
for _ in $(seq 6000); do # a boot takes 30-90 s here, far more on a loaded host
	grep -aq 'KVMINI-INIT: powerbutton-' "$RUN/lx.console" 2>/dev/null && break
	kill -0 $lpid 2>/dev/null || break
	sleep 0.1
done
check "Linux: the guest's init opened its input devices" grep -aq 'KVMINI-INIT: powerbutton-ready' "$RUN/lx.console"
check "Linux: the ACPI button driver bound the fixed power button" grep -aq 'ACPI: button: Power Button' "$RUN/lx.console"
python3 "$QC" "$RUN/lx.qmp" system_powerdown >/dev/null
rc=0
for _ in $(seq 1200); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
if kill -0 $lpid 2>/dev/null; then
	rc=-1
	kill -KILL $lpid
fi
wait $lpid || rc=$?
check "Linux: system_powerdown makes init print its power-button line" grep -aq 'KVMINI-INIT: power button' "$RUN/lx.console"
check "Linux: the guest powers off by itself, status 0 (got $rc)" [ "$rc" -eq 0 ]
