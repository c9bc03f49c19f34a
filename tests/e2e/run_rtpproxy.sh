#!/usr/bin/env bash
# End-to-end test of the rtpproxy control protocol: sipp (caller) ->
# Kamailio with its `rtpproxy` module (kamailio-rtpproxy.cfg) -> sipp
# (callee), all on 127.0.0.1, with ngmediad anchoring the media through
# --listen-udp (V/VF at start-up, U on the INVITE, L on the 200, D on the
# BYE).  The caller plays an RTP capture, the callee echoes it.
#
#   run_rtpproxy.sh /path/to/ngmediad
#
# Checks: calls set up; RTP reached both endpoints from the proxy in every
# call (tcpdump); ngmediad saw RTP both ways mid-call (ng `query`); every
# call deleted after the BYE (ng `list` empty); no errors in the logs.
# Environment: E2E_KEEP=1 keeps the work directory.  Exit status: 0 all
# checks passed, 1 a check failed, 77 skipped (reason printed), 2 usage.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGMEDIAD=${1:-}
CALLS=3
PCAP=/usr/share/sip-tester/g711a.pcap   # 236 PCMA packets over 7.05 s

if [[ -z "$NGMEDIAD" || ! -x "$NGMEDIAD" ]]; then
    echo "usage: $0 /path/to/ngmediad (got '${NGMEDIAD}')" >&2
    exit 2
fi
# shellcheck source=e2e_lib.sh
. "$HERE/e2e_lib.sh"
e2e_require kamailio sipp python3 tcpdump
[[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/rtpproxy.so || -n "$(find /usr/lib -name rtpproxy.so -path '*kamailio*' 2>/dev/null | head -n1)" ]] ||
    skip "Kamailio's rtpproxy module is not installed (Debian package kamailio)"
e2e_init e2e-rtpproxy 55
ng() { python3 "$WORK/ng.py" "$NG_PORT" "$1"; }

#   +0 ng  +1 kamailio  +2 UAS SIP  +3 UAC SIP  +4 UAS media  +8 UAC media
#   +12/+13 sipp control  +14 rtpproxy control  +16..+255 ngmediad media
BASE=$(e2e_port_block)
[[ -n "$BASE" ]] || fatal "no free block of 256 UDP ports"
NG_PORT=$BASE; SIP_PORT=$((BASE + 1)); UAS_PORT=$((BASE + 2)); UAC_PORT=$((BASE + 3))
UAS_MP=$((BASE + 4)); UAC_MP=$((BASE + 8)); RTPP_PORT=$((BASE + 14))
PORT_MIN=$((BASE + 16)); PORT_MAX=$((BASE + 255))
START=$SECONDS
echo "ports: rtpproxy $RTPP_PORT, ng $NG_PORT, kamailio $SIP_PORT, uas $UAS_PORT/$UAS_MP, uac $UAC_PORT/$UAC_MP, media $PORT_MIN-$PORT_MAX; logs in $WORK"

"$NGMEDIAD" --config-file=none --table=-1 --foreground --log-stderr \
    --interface=127.0.0.1 --listen-udp="127.0.0.1:$RTPP_PORT" --listen-ng="127.0.0.1:$NG_PORT" \
    --port-min="$PORT_MIN" --port-max="$PORT_MAX" --delete-delay=0 \
    >"$WORK/ngmediad.log" 2>&1 &
PIDS+=($!)
wait_for 5 ng ping || fatal "ngmediad does not answer ng ping" ngmediad "$WORK/ngmediad.log"

kamailio -DD -E -f "$HERE/kamailio-rtpproxy.cfg" -w "$WORK" -Y "$WORK" -m 32 -M 4 \
    -A "SIP_PORT=$SIP_PORT" -A "RTPP_SOCK=\"udp:127.0.0.1:$RTPP_PORT\"" \
    -A "UAS_URI=\"sip:127.0.0.1:$UAS_PORT\"" \
    >"$WORK/kamailio.log" 2>&1 &
PIDS+=($!)
wait_for 10 sip_options "$SIP_PORT" || fatal "kamailio does not answer on 127.0.0.1:$SIP_PORT" kamailio "$WORK/kamailio.log"

# What the endpoints receive from the proxy's media ports.
tcpdump -i lo -nn -l -q -B 4096 \
    "udp and dst host 127.0.0.1 and (dst port $UAC_MP or dst port $UAS_MP) and src portrange $PORT_MIN-$PORT_MAX" \
    >"$WORK/received.txt" 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
PIDS+=($TCPDUMP_PID)
wait_for 5 grep -q "listening on" "$WORK/tcpdump.log" || fatal "tcpdump does not capture on lo" tcpdump "$WORK/tcpdump.log"

sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "$UAS_PORT" -cp $((BASE + 12)) \
    -mi 127.0.0.1 -mp "$UAS_MP" -rtp_echo -m "$CALLS" -nostdin -timeout 40s -timeout_error \
    -trace_err -error_file "$WORK/uas_errors.log" >"$WORK/uas.out" 2>&1 &
UAS_PID=$!
PIDS+=($UAS_PID)
wait_for 5 udp_port_taken "$UAS_PORT" || fatal "sipp UAS did not bind 127.0.0.1:$UAS_PORT" sipp-uas "$WORK/uas.out"

sipp "127.0.0.1:$SIP_PORT" -sf "$HERE/uac.xml" -s e2e -i 127.0.0.1 -p "$UAC_PORT" -cp $((BASE + 13)) \
    -mi 127.0.0.1 -mp "$UAC_MP" -m "$CALLS" -l "$CALLS" -r 10 -nostdin -timeout 30s -timeout_error \
    -trace_err -error_file "$WORK/uac_errors.log" >"$WORK/uac.out" 2>&1 &
UAC_PID=$!
PIDS+=($UAC_PID)
# Mid-call (the capture plays for 7 s): every call has RTP in from both tags.
python3 - "$WORK" "$NG_PORT" "$CALLS" >"$WORK/midcall.txt" 2>&1 <<'PY'
import sys, time
sys.path.insert(0, sys.argv[1])
from ng import request
port, n = int(sys.argv[2]), int(sys.argv[3])
deadline, ids = time.time() + 10, []
while time.time() < deadline:
    ids = (request(port, {"command": "list"}) or {}).get("calls", [])
    if len(ids) >= n:
        break
    time.sleep(0.2)
if len(ids) < n:
    print(f"bad only {len(ids)} of {n} calls were up at once"); sys.exit()
time.sleep(3)
out, ok = [], True
for cid in sorted(ids):
    q = request(port, {"command": "query", "call-id": cid}) or {}
    tags = sorted(q.get("tags", {}).items(), key=lambda kv: "SIPpTag00" not in kv[0])
    counts = []
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
kill -INT "$TCPDUMP_PID" 2>/dev/null
wait_for 5 bash -c "! kill -0 $TCPDUMP_PID" && wait "$TCPDUMP_PID" 2>/dev/null

# --- checks ------------------------------------------------------------------
UAC_OK=$(successful "$WORK/uac.out"); UAS_OK=$(successful "$WORK/uas.out")
[[ $UAC_RC -eq 0 && "$UAC_OK" == "$CALLS" ]]
check "sipp caller: $CALLS calls through kamailio (rtpproxy module) succeeded" $? "exit $UAC_RC, successful ${UAC_OK:-?}"
((UAC_RC == 0)) || { show_log sipp-uac "$WORK/uac.out"; show_log sipp-uac-errors "$WORK/uac_errors.log"; }
[[ $UAS_RC -eq 0 && "$UAS_OK" == "$CALLS" ]]
check "sipp callee: $CALLS calls answered and hung up" $? "exit $UAS_RC, successful ${UAS_OK:-?}"
((UAS_RC == 0)) || { show_log sipp-uas "$WORK/uas.out"; show_log sipp-uas-errors "$WORK/uas_errors.log"; }

python3 - "$WORK" "$NG_PORT" "$CALLS" "$PCAP" "$UAC_MP" "$UAS_MP" >"$WORK/ngchecks.txt" 2>&1 <<'PY'
import collections, re, struct, sys, time
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
flows = collections.Counter()
for line in open(f"{work}/received.txt", errors="replace"):
    m = re.search(r" IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): UDP, length (\d+)", line)
    if m and int(m[3]) >= 12:
        flows[(int(m[2]), int(m[1]))] += 1
need = int(pkts * 0.9)
for who, mp, what in (("callee", uas_mp, "the caller's RTP"), ("caller", uac_mp, "the callee's echo")):
    per_call = sorted((c for (dst, _), c in flows.items() if dst == mp), reverse=True)
    report(f"{who} received {what} from the proxy in each of the {n} calls",
           len(per_call) >= n and per_call[n - 1] >= need,
           f"packets per call: {'/'.join(map(str, per_call)) or 'none'} (need {n} calls with >= {need} of {pkts})")
try:
    mid = open(f"{work}/midcall.txt").read().strip().splitlines()[-1]
except (OSError, IndexError):
    mid = "bad no mid-call result"
report("ngmediad: RTP flowing both ways in every call mid-call (query)", mid.startswith("ok "),
       mid.partition(" ")[2] or mid)
# D on the BYE, no delete delay: the list drains.
deadline = time.time() + 3
while True:
    lst = request(port, {"command": "list"})
    if time.time() > deadline or (lst and not lst.get("calls")):
        break
    time.sleep(0.1)
left = len(lst["calls"]) if lst and lst.get("result") == "ok" else "no list reply"
tot = ((request(port, {"command": "statistics"}) or {}).get("statistics", {})
       .get("totalstatistics", {}))
managed = int(tot.get("managedsessions", -1))
report("ngmediad: every call deleted after the BYE (call count back to 0)",
       left == 0 and managed == n, f"list: {left}, managedsessions={managed}")
log = open(f"{work}/ngmediad.log", errors="replace").read()
cmds = collections.Counter(m[1].upper() for m in re.finditer(r"rtpproxy: got command from \S+: \S+ (\w)", log))
report("ngmediad: the rtpproxy commands Kamailio sent (V at start-up, U, L, D per call)",
       cmds["V"] >= 1 and cmds["U"] >= n and cmds["L"] >= n and cmds["D"] >= n,
       " ".join(f"{k}={v}" for k, v in sorted(cmds.items())))
PY
NG_CHECKS=0
while IFS='|' read -r verdict name detail; do
    [[ -n "$name" ]] || continue
    [[ $verdict == ok ]]
    check "$name" $? "$detail"
    NG_CHECKS=$((NG_CHECKS + 1))
done <"$WORK/ngchecks.txt"
[[ $NG_CHECKS -eq 5 ]] || check "ngmediad checks ran" 1 "$(tail -n5 "$WORK/ngchecks.txt" | tr '\n' ' ')"

NG_ERRS=$(grep -E '^\[[0-9.]+\] (EMERG|ALERT|CRIT|ERR):|WARNING: .*rtpproxy' "$WORK/ngmediad.log")
[[ -z "$NG_ERRS" ]]
check "ngmediad log: no errors, no rtpproxy warnings" $? "${NG_ERRS:+$(head -n3 <<<"$NG_ERRS" | tr '\n' ' ')}"
grep -q "rtp proxy <udp:127.0.0.1:$RTPP_PORT> found" "$WORK/kamailio.log"
check "kamailio's rtpproxy module found ngmediad (V/VF)" $?
KAM_ERRS=$(grep -E '(ERROR|CRITICAL|ALERT|BUG):|WARNING: .*rtpproxy' "$WORK/kamailio.log")
[[ -z "$KAM_ERRS" ]]
check "kamailio log: no errors, no rtpproxy warnings" $? "${KAM_ERRS:+$(head -n3 <<<"$KAM_ERRS" | tr '\n' ' ')}"

echo "run took $((SECONDS - START)) s"
echo "$PASS passed, $FAIL failed"
((FAIL == 0)) || FAILED=1
exit $((FAIL == 0 ? 0 : 1))
