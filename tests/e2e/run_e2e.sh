#!/usr/bin/env bash
# End-to-end test: sipp (caller) -> Kamailio (rtpengine module) -> sipp
# (callee), all on 127.0.0.1, with ngmediad anchoring the media.  The caller
# places CALLS calls and plays an RTP capture, the callee echoes it, the
# caller hangs up.  See README.md in this directory.
#
#   run_e2e.sh /path/to/ngmediad
#
# Environment: E2E_KEEP=1 keeps the work directory (logs) even on success.
# E2E_BLOCK=caller|callee blocks that party's media in the proxy (ng `block
# media`) as soon as its tag is known: a self-check, the run must then FAIL
# the endpoint check of the direction blocked (see README.md).
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped (a tool is
# missing or not root; the reason is printed), 2 usage.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGMEDIAD=${1:-}
CALLS=5
PCAP=/usr/share/sip-tester/g711a.pcap   # 236 PCMA packets over 7.05 s

if [[ -z "$NGMEDIAD" || ! -x "$NGMEDIAD" ]]; then
    echo "usage: $0 /path/to/ngmediad (got '${NGMEDIAD}')" >&2
    exit 2
fi

skip() {  # ctest: SKIP_RETURN_CODE 77
    echo "SKIP: $*"
    exit 77
}
missing=()
for tool in kamailio sipp python3 tcpdump; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    skip "${missing[*]} not installed (Debian packages kamailio, sip-tester, python3, tcpdump; scripts/install-deps.sh installs them)"
fi
[[ -r "$PCAP" ]] || skip "$PCAP not found (it ships with Debian's sip-tester package)"
# sipp plays captures through a raw socket; tcpdump captures on loopback.
[[ $(id -u) -eq 0 ]] || skip "sipp's play_pcap_audio and tcpdump need raw sockets: run as root"
case "${E2E_BLOCK:-}" in
    "" | caller | callee) ;;
    *) echo "E2E_BLOCK must be caller or callee (got '$E2E_BLOCK')" >&2; exit 2 ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ngmedia-e2e.XXXXXX")
PIDS=()
FAILED=0

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 20); do
        local alive=0
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [[ "${E2E_KEEP:-0}" == 1 || $FAILED -ne 0 ]]; then
        echo "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
PASS=0 FAIL=0
trap 'echo "FAIL: interrupted (signal or the 55 s limit)"; echo "$PASS passed, $((FAIL + 1)) failed"; FAILED=1; exit 130' INT TERM
# Whole run is bounded: a hung step cannot outlive this.
(
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    sleep 55 & nap=$!
    wait "$nap" && { echo "TIMEOUT: run exceeded 55 s" >&2; kill -TERM $$; }
) 2>/dev/null &
PIDS+=($!)

# --- helpers ---------------------------------------------------------------
cat >"$WORK/ng.py" <<'PY'
# Tiny ng client (bencode over UDP): ng.py PORT COMMAND [KEY=VALUE...] -> reply as JSON.
import json, os, socket, sys

def enc(v):
    if isinstance(v, int): return b"i%de" % v
    if isinstance(v, str): v = v.encode()
    if isinstance(v, bytes): return b"%d:%s" % (len(v), v)
    if isinstance(v, list): return b"l" + b"".join(enc(x) for x in v) + b"e"
    return b"d" + b"".join(enc(k) + enc(x) for k, x in sorted(v.items())) + b"e"

def dec(b, i=0):
    c = b[i:i+1]
    if c == b"i":
        j = b.index(b"e", i); return int(b[i+1:j]), j + 1
    if c == b"l":
        out, i = [], i + 1
        while b[i:i+1] != b"e":
            x, i = dec(b, i); out.append(x)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while b[i:i+1] != b"e":
            k, i = dec(b, i); x, i = dec(b, i); out[k] = x
        return out, i + 1
    j = b.index(b":", i); n = int(b[i:j])
    return b[j+1:j+1+n].decode("utf-8", "replace"), j + 1 + n

def request(port, msg, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    cookie = os.urandom(6).hex().encode()
    for _ in range(3):
        s.sendto(cookie + b" " + enc(msg), ("127.0.0.1", port))
        try:
            data = s.recv(65535)
        except (socket.timeout, ConnectionRefusedError):
            continue
        if data.startswith(cookie + b" "):
            return dec(data, len(cookie) + 1)[0]
    return None

if __name__ == "__main__":
    msg = {"command": sys.argv[2]}
    msg.update(a.split("=", 1) for a in sys.argv[3:])
    r = request(int(sys.argv[1]), msg)
    if r is None:
        sys.exit(1)
    print(json.dumps(r))
PY
ng() { python3 "$WORK/ng.py" "$NG_PORT" "$1"; }

# Ports: one block of 256 free UDP ports in 10000-19999, an area that the
# ephemeral range (32768-), the integration tests (50000-), the diff suite
# (41000-) and bench/run.sh (20000-) leave alone.
#   +0 ng  +1 kamailio  +2 UAS SIP  +3 UAC SIP  +4/+6 UAS media
#   +8/+10 UAC media  +12/+13 sipp control ports  +16..+255 ngmediad media
BASE=$(python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(10000, 20000 - 256, 16)
    socks = []
    try:
        for p in range(base, base + 256):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base)
    break
PY
)
[[ -n "$BASE" ]] || { echo "FAIL: no free block of 256 UDP ports"; echo "0 passed, 1 failed"; FAILED=1; exit 1; }
NG_PORT=$BASE; SIP_PORT=$((BASE + 1)); UAS_PORT=$((BASE + 2)); UAC_PORT=$((BASE + 3))
UAS_MP=$((BASE + 4)); UAC_MP=$((BASE + 8)); PORT_MIN=$((BASE + 16)); PORT_MAX=$((BASE + 255))

# wait_for SECONDS CMD...: retry CMD every 0.1 s.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}
udp_port_taken() {
    python3 -c "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
try: s.bind(('127.0.0.1',$1))
except OSError: sys.exit(0)
sys.exit(1)"
}
sip_options() {  # any SIP reply from 127.0.0.1:$1
    python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); s.settimeout(0.5)
lp = s.getsockname()[1]
msg = (f"OPTIONS sip:ping@127.0.0.1:{port} SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP 127.0.0.1:{lp};branch=z9hG4bK-e2e-{lp}\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=e2e\r\n"
       f"To: <sip:ping@127.0.0.1>\r\nCall-ID: e2e-probe-{lp}\r\nCSeq: 1 OPTIONS\r\n"
       "Content-Length: 0\r\n\r\n")
s.sendto(msg.encode(), ("127.0.0.1", port))
try:
    sys.exit(0 if s.recv(65535).startswith(b"SIP/2.0 ") else 1)
except OSError:
    sys.exit(1)
PY
}
show_log() {
    echo "---- $1 (last 30 lines) ----"
    tail -n 30 "$2" 2>/dev/null | sed 's/^/  /'
}
fatal() {
    echo "FAIL: $1"
    shift
    while (($#)); do show_log "$1" "$2"; shift 2; done
    echo "0 passed, 1 failed"
    FAILED=1
    exit 1
}

START=$SECONDS
echo "ports: ng $NG_PORT, kamailio $SIP_PORT, uas $UAS_PORT/$UAS_MP, uac $UAC_PORT/$UAC_MP, media $PORT_MIN-$PORT_MAX; logs in $WORK"

# --- ngmediad ----------------------------------------------------------------
"$NGMEDIAD" --config-file=none --table=-1 --foreground --log-stderr \
    --interface=127.0.0.1 --listen-ng="127.0.0.1:$NG_PORT" \
    --port-min="$PORT_MIN" --port-max="$PORT_MAX" --delete-delay=0 \
    >"$WORK/ngmediad.log" 2>&1 &
PIDS+=($!)
wait_for 5 ng ping || fatal "ngmediad does not answer ng ping" ngmediad "$WORK/ngmediad.log"

# --- kamailio ----------------------------------------------------------------
kamailio -DD -E -f "$HERE/kamailio.cfg" -w "$WORK" -Y "$WORK" -m 32 -M 4 \
    -A "SIP_PORT=$SIP_PORT" -A "NG_SOCK=\"udp:127.0.0.1:$NG_PORT\"" \
    -A "UAS_URI=\"sip:127.0.0.1:$UAS_PORT\"" \
    >"$WORK/kamailio.log" 2>&1 &
PIDS+=($!)
wait_for 10 sip_options "$SIP_PORT" || fatal "kamailio does not answer on 127.0.0.1:$SIP_PORT" kamailio "$WORK/kamailio.log"

# --- what the endpoints receive --------------------------------------------
# The RTP that reaches the caller's and the callee's media port from the
# proxy (a source port in its media range), captured on loopback.  This is
# what proves media in both directions: the proxy's own counters count a
# packet when it comes in, before it is sent on.
tcpdump -i lo -nn -l -q -B 4096 \
    "udp and dst host 127.0.0.1 and (dst port $UAC_MP or dst port $UAS_MP) and src portrange $PORT_MIN-$PORT_MAX" \
    >"$WORK/received.txt" 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
PIDS+=($TCPDUMP_PID)
wait_for 5 grep -q "listening on" "$WORK/tcpdump.log" || fatal "tcpdump does not capture on lo" tcpdump "$WORK/tcpdump.log"

# --- sipp callee: answers with SDP, echoes RTP -----------------------------
sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "$UAS_PORT" -cp $((BASE + 12)) \
    -mi 127.0.0.1 -mp "$UAS_MP" \
    -rtp_echo -m "$CALLS" -nostdin -timeout 40s -timeout_error \
    -trace_err -error_file "$WORK/uas_errors.log" \
    >"$WORK/uas.out" 2>&1 &
UAS_PID=$!
PIDS+=($UAS_PID)
wait_for 5 udp_port_taken "$UAS_PORT" || fatal "sipp UAS did not bind 127.0.0.1:$UAS_PORT" sipp-uas "$WORK/uas.out"

# --- sipp caller: CALLS calls with RTP, then BYE ---------------------------
sipp "127.0.0.1:$SIP_PORT" -sf "$HERE/uac.xml" -s e2e -i 127.0.0.1 -p "$UAC_PORT" -cp $((BASE + 13)) \
    -mi 127.0.0.1 -mp "$UAC_MP" -m "$CALLS" -l "$CALLS" -r 10 \
    -nostdin -timeout 30s -timeout_error \
    -trace_err -error_file "$WORK/uac_errors.log" \
    >"$WORK/uac.out" 2>&1 &
UAC_PID=$!
PIDS+=($UAC_PID)
# Mid-call, while the capture plays (calls start within 0.5 s, play 7 s,
# BYE after 8 s): every call must have RTP coming in from both parties.
python3 - "$WORK" "$NG_PORT" "$CALLS" >"$WORK/midcall.txt" 2>&1 <<'PY'
import os, sys, time
sys.path.insert(0, sys.argv[1])
from ng import request
port, n = int(sys.argv[2]), int(sys.argv[3])
deadline, ids = time.time() + 10, []
while time.time() < deadline:
    r = request(port, {"command": "list"}) or {}
    ids = r.get("calls", [])
    if len(ids) >= n:
        break
    time.sleep(0.2)
if len(ids) < n:
    print(f"bad only {len(ids)} of {n} calls were up at once"); sys.exit()
# Self-check (E2E_BLOCK): the proxy drops one party's media from now on.
side = os.environ.get("E2E_BLOCK", "")
for cid in ids if side else []:
    mark, end, tag = ("SIPpTag00" if side == "caller" else "SIPpTag01"), time.time() + 5, None
    while tag is None and time.time() < end:
        q = request(port, {"command": "query", "call-id": cid}) or {}
        tag = next((t for t in q.get("tags", {}) if mark in t), None)
        time.sleep(0 if tag else 0.05)
    r = request(port, {"command": "block media", "call-id": cid, "from-tag": tag or "?"}) or {}
    print(f"E2E_BLOCK: {side} media blocked in {cid.split('@')[0]}: {r.get('result', 'no reply')}")
time.sleep(3)
out, ok = [], True
for cid in sorted(ids):
    q = request(port, {"command": "query", "call-id": cid}) or {}
    counts = []
    # caller first: its tag is the From tag of uac.xml ([pid]SIPpTag00N)
    tags = sorted(q.get("tags", {}).items(), key=lambda kv: "SIPpTag00" not in kv[0])
    for tag, t in tags:
        try:
            counts.append(int(t["medias"][0]["streams"][0]["stats"]["packets"]))
        except (KeyError, IndexError, TypeError):
            counts.append(0)
    ok &= len(counts) == 2 and min(counts) > 0
    out.append(f"{cid.split('@')[0]}:{'/'.join(map(str, counts)) or 'no tags'}")
print(("ok " if ok else "bad ") + "RTP packets in from caller/callee: " + " ".join(out))
PY
wait "$UAC_PID"; UAC_RC=$?
UAS_RC=124
if wait_for 5 bash -c "! kill -0 $UAS_PID"; then wait "$UAS_PID"; UAS_RC=$?; fi
# The last echo left before the BYE; tcpdump writes its counts on SIGINT.
kill -INT "$TCPDUMP_PID" 2>/dev/null
wait_for 5 bash -c "! kill -0 $TCPDUMP_PID" && wait "$TCPDUMP_PID" 2>/dev/null

# --- checks ------------------------------------------------------------------
check() {  # check NAME OK-STATUS DETAIL
    if [[ "$2" == 0 ]]; then
        echo "PASS $1${3:+ ($3)}"; PASS=$((PASS + 1))
    else
        echo "FAIL $1${3:+: $3}"; FAIL=$((FAIL + 1))
    fi
}
# successful-call count from sipp's closing statistics table
successful() { grep -E '^ *Successful call' "$1" | tail -n1 | awk -F'|' '{gsub(/ /,"",$3); print $3}'; }

UAC_OK=$(successful "$WORK/uac.out"); UAS_OK=$(successful "$WORK/uas.out")
[[ $UAC_RC -eq 0 && "$UAC_OK" == "$CALLS" ]]
check "sipp caller: $CALLS calls through kamailio succeeded" $? "exit $UAC_RC, successful ${UAC_OK:-?}"
((UAC_RC == 0)) || { show_log sipp-uac "$WORK/uac.out"; show_log sipp-uac-errors "$WORK/uac_errors.log"; }
[[ $UAS_RC -eq 0 && "$UAS_OK" == "$CALLS" ]]
check "sipp callee: $CALLS calls answered and hung up" $? "exit $UAS_RC, successful ${UAS_OK:-?}"
((UAS_RC == 0)) || { show_log sipp-uas "$WORK/uas.out"; show_log sipp-uas-errors "$WORK/uas_errors.log"; }

# ngmediad's view, in one python run (interpreter start-up is slow on a
# loaded machine): one "ok|bad NAME|DETAIL" line per check.
python3 - "$WORK" "$NG_PORT" "$CALLS" "$PCAP" "$UAC_MP" "$UAS_MP" >"$WORK/ngchecks.txt" 2>&1 <<'PY'
import collections, json, re, struct, sys, time
sys.path.insert(0, sys.argv[1])
from ng import request
work, port, n, pcap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
uac_mp, uas_mp = int(sys.argv[5]), int(sys.argv[6])

def report(name, ok, detail):
    print(f"{'ok' if ok else 'bad'}|{name}|{detail}")

d, off, pkts = open(pcap, "rb").read(), 24, 0
while off + 16 <= len(d):
    off += 16 + struct.unpack("<IIII", d[off:off + 16])[2]
    pkts += 1

# What each endpoint received from the proxy (the tcpdump capture).  Every
# call has a port of its own on each side of the proxy, so the packets of a
# call are those from one source port.  The callee gets the caller's
# capture, the caller the callee's echo of it: each of the n calls must
# bring nearly all of its packets to both, so a direction the proxy drops
# (in one call or in all) fails here, whatever the proxy counted.
flows = collections.Counter()
for line in open(f"{work}/received.txt", errors="replace"):
    m = re.search(r" IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): UDP, length (\d+)", line)
    if m and int(m[3]) >= 12:
        flows[(int(m[2]), int(m[1]))] += 1
cap = open(f"{work}/tcpdump.log", errors="replace").read()
lost = re.search(r"(\d+) packets? dropped by kernel", cap)
lost = f"; tcpdump: {lost[1]} dropped by kernel" if lost else "; tcpdump: no summary"
need_call = int(pkts * 0.9)
for who, mp, what in (("callee", uas_mp, "the caller's RTP"), ("caller", uac_mp, "the callee's echo")):
    per_call = sorted((c for (dst, _), c in flows.items() if dst == mp), reverse=True)
    report(f"{who} received {what} from the proxy in each of the {n} calls",
           len(per_call) >= n and per_call[n - 1] >= need_call,
           f"packets per call: {'/'.join(map(str, per_call)) or 'none'} "
           f"(need {n} calls with >= {need_call} of {pkts}){lost}")

# Calls are deleted on BYE (delete delay 0): give the list 3 s to drain.
deadline = time.time() + 3
while True:
    lst = request(port, {"command": "list"})
    if time.time() > deadline or (lst and not lst.get("calls")):
        break
    time.sleep(0.1)
r = request(port, {"command": "statistics"}) or {}
json.dump(r, open(f"{work}/statistics.json", "w"), indent=1)
st = r.get("statistics", {})
tot, ctl = st.get("totalstatistics", {}), st.get("controlstatistics", {})

# Signalling reached ngmediad: every call offered, answered (183 and 200),
# deleted, and ended as a regular termination.
got = {"managedsessions": int(tot.get("managedsessions", -1)),
       "regularterminatedsessions": int(tot.get("regularterminatedsessions", -1)),
       "totaloffercount": int(ctl.get("totaloffercount", -1)),
       "totalanswercount": int(ctl.get("totalanswercount", -1)),
       "totaldeletecount": int(ctl.get("totaldeletecount", -1)),
       "errorcount": sum(int(p.get("errorcount", 0)) for p in ctl.get("proxies", []))}
report(f"ngmediad: {n} sessions offered, answered, deleted",
       got["managedsessions"] == n and got["regularterminatedsessions"] == n
       and got["totaloffercount"] == n and got["totalanswercount"] >= n
       and got["totaldeletecount"] >= n and got["errorcount"] == 0,
       " ".join(f"{k}={v}" for k, v in got.items()))

# Per call and direction, sampled mid-call by the probe above.
try:
    mid = open(f"{work}/midcall.txt").read().strip().splitlines()[-1]
except (OSError, IndexError):
    mid = "bad no mid-call result"
report("ngmediad: RTP flowing both ways in every call mid-call (query)",
       mid.startswith("ok "), mid.partition(" ")[2] or mid)

# Totals as the proxy counts them (packets it accepted, before sending):
# the capture's packets caller->callee plus their echo, and no call whose
# media came in one way only.
media = {k: int(tot.get(k, -1)) for k in
         ("relayedpackets", "relayedpacketerrors", "onewaystreams", "zerowaystreams")}
need = int(2 * n * pkts * 0.9)
report("ngmediad: relayed packet totals cover both directions",
       media["relayedpackets"] >= need and media["relayedpacketerrors"] == 0
       and media["onewaystreams"] == 0 and media["zerowaystreams"] == 0,
       " ".join(f"{k}={v}" for k, v in media.items())
       + f" (need relayedpackets >= {need} of {2 * n * pkts})")

left = len(lst["calls"]) if lst and lst.get("result") == "ok" else "no list reply"
report("ngmediad: no call left after the BYEs", left == 0, f"list: {left}")
PY
NG_CHECKS=0
while IFS='|' read -r verdict name detail; do
    [[ -n "$name" ]] || continue
    [[ $verdict == ok ]]
    check "$name" $? "$detail"
    NG_CHECKS=$((NG_CHECKS + 1))
done <"$WORK/ngchecks.txt"
[[ $NG_CHECKS -eq 6 ]] || { check "ngmediad checks ran" 1 "$(tail -n5 "$WORK/ngchecks.txt" | tr '\n' ' ')"; }
(($(wc -l <"$WORK/midcall.txt") > 1)) && sed 's/^/  midcall: /' "$WORK/midcall.txt"

# Logs: no error from ngmediad; no error from kamailio, and no warning from
# its rtpengine module (the error-reason of a failed ng reply is a WARNING).
NG_ERRS=$(grep -E '^\[[0-9.]+\] (EMERG|ALERT|CRIT|ERR):' "$WORK/ngmediad.log")
[[ -z "$NG_ERRS" ]]
check "ngmediad log: no errors" $? "$(grep -c . "$WORK/ngmediad.log") lines${NG_ERRS:+; $(head -n3 <<<"$NG_ERRS" | tr '\n' ' ')}"
grep -E '^\[[0-9.]+\] WARNING:' "$WORK/ngmediad.log" | sed -E 's/^\[[0-9.]+\] WARNING: //' | sort | uniq -c |
    head -n5 | sed 's/^/  ngmediad warning: /'
KAM_ERRS=$(grep -E '(ERROR|CRITICAL|ALERT|BUG):|WARNING: .*rtpengine' "$WORK/kamailio.log")
[[ -z "$KAM_ERRS" ]]
check "kamailio log: no errors, no rtpengine warnings" $? "${KAM_ERRS:+$(head -n3 <<<"$KAM_ERRS" | tr '\n' ' ')}"

echo "run took $((SECONDS - START)) s"
echo "$PASS passed, $FAIL failed"
((FAIL == 0)) || FAILED=1
exit $((FAIL == 0 ? 0 : 1))
