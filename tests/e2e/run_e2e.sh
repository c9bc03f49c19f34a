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

# shellcheck source=e2e_lib.sh
. "$HERE/e2e_lib.sh"
e2e_require kamailio sipp python3 tcpdump
case "${E2E_BLOCK:-}" in
    "" | caller | callee) ;;
    *) echo "E2E_BLOCK must be caller or callee (got '$E2E_BLOCK')" >&2; exit 2 ;;
esac

e2e_init e2e 55
ng() { python3 "$WORK/ng.py" "$NG_PORT" "$1"; }

# Ports: one block of 256 free UDP ports (e2e_port_block):
#   +0 ng  +1 kamailio  +2 UAS SIP  +3 UAC SIP  +4/+6 UAS media
#   +8/+10 UAC media  +12/+13 sipp control ports  +16..+255 ngmediad media
BASE=$(e2e_port_block)
[[ -n "$BASE" ]] || { echo "FAIL: no free block of 256 UDP ports"; echo "0 passed, 1 failed"; FAILED=1; exit 1; }
NG_PORT=$BASE; SIP_PORT=$((BASE + 1)); UAS_PORT=$((BASE + 2)); UAC_PORT=$((BASE + 3))
UAS_MP=$((BASE + 4)); UAC_MP=$((BASE + 8)); PORT_MIN=$((BASE + 16)); PORT_MAX=$((BASE + 255))

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
