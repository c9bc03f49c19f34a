#!/usr/bin/env bash
# End-to-end secure calls: two real baresip phones call each other through
# Kamailio (rtpengine module) with ngmediad anchoring the media, one case per
# pairing of SDES-SRTP, DTLS-SRTP and plain RTP.  Each phone plays its own tone and
# records what it hears; the other phone's tone must be found in each
# recording.  See README.md in this directory.
#
#   run_baresip.sh /path/to/ngmediad
#
# Environment: E2E_KEEP=1 keeps the work directory (logs, recordings) even on
# success; BARESIP_CASES="srtp-rtp ..." runs only the cases named; E2E_DTLS_MUX=no
# runs a DTLS phone without rtcp-mux (its query check then fails).
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped (a tool is
# missing; the reason is printed), 2 usage.
set -u
export PYTHONDONTWRITEBYTECODE=1  # baresip_drive.py is imported from the source tree

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGMEDIAD=${1:-}
DRIVE="$HERE/baresip_drive.py"
MODDIR=/usr/lib/baresip/modules
CALLER_HZ=440 CALLEE_HZ=1000
# Where the phones and ngmediad take media (SIP and ng stay on 127.0.0.1).
MEDIA_ADDR=${E2E_MEDIA_ADDR:-127.0.0.1}

# Cases: name (the user part the caller dials; kamailio-baresip.cfg maps it
# to the ng flags of each leg), the media encryption of the caller's and the
# callee's account (baresip `mediaenc`, "-" for plain RTP), the suite each
# phone must end up with ("-": plain), 1 if the caller sends a re-INVITE
# mid-call.
#
# baresip answers with the first suite of an offer that it supports.
# ngmediad offers AEAD_AES_256_GCM first (rtpengine's order), but baresip 1.0
# with libre 1.1.0 cannot decrypt GCM from ngmediad nor from rtpengine 10.5
# (it encrypts GCM that both accept), so rtp-srtp strikes the GCM suites
# out; srtp-resuite strikes out the caller's suite too, so the callee leg
# runs AES_CM_128_HMAC_SHA1_32 and ngmediad decrypts and re-encrypts
# (srtp-srtp passes the caller's key and packets through).
#
# The DTLS cases (suite "DTLS": whatever profile the handshake picks) run the
# phone with mediaenc dtls_srtp and rtcp-mux (phone_conf), Kamailio asks
# ngmediad for mux on that leg; baresip 1.0 offers UDP/TLS/RTP/SAVPF.
#
# The ICE cases (encryption "ice": plain RTP, but the phone's account has
# medianat=ice, baresip's ice module) bridge ICE and non-ICE: Kamailio asks
# for ICE=force towards the ICE phone and ICE=remove towards the other; the
# ICE phone's checks must complete with ngmediad (its log and ngmediad's).
# baresip's ice module gathers no candidate on a loopback address (it skips
# 127.0.0.0/8 and link-local addresses and offers the machine's other
# addresses, or nothing), so these cases want a media address that is not
# loopback: they run only when named in BARESIP_CASES, with
# E2E_MEDIA_ADDR set (run_baresip_ice.sh runs them in a network namespace of
# their own, with a non-loopback address on its lo).  SIP, ng and ctrl_tcp stay on 127.0.0.1.
CASES=(
    "srtp-rtp     srtp-mand -         AES_CM_128_HMAC_SHA1_80 -                       0"
    "rtp-srtp     -         srtp-mand -                       AES_CM_128_HMAC_SHA1_80 0"
    "srtp-srtp    srtp-mand srtp-mand AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_80 1"
    "srtp-resuite srtp-mand srtp-mand AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 1"
    "dtls-rtp     dtls_srtp -         DTLS                    -                       1"
    "rtp-dtls     -         dtls_srtp -                       DTLS                    0"
    "dtls-srtp    dtls_srtp srtp-mand DTLS                    AES_CM_128_HMAC_SHA1_80 0"
    "ice-rtp      ice       -         -                       -                       0"
    "rtp-ice      -         ice       -                       -                       0"
)

if [[ -z "$NGMEDIAD" || ! -x "$NGMEDIAD" ]]; then
    echo "usage: $0 /path/to/ngmediad (got '${NGMEDIAD}')" >&2
    exit 2
fi

# shellcheck source=e2e_lib.sh
. "$HERE/e2e_lib.sh"
missing=()
for tool in kamailio baresip python3; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    skip "${missing[*]} not installed (Debian packages kamailio, baresip-core, python3; scripts/install-deps.sh installs them)"
fi
for mod in account menu ctrl_tcp g711 srtp dtls_srtp ice aufile aubridge sndfile; do
    [[ -r "$MODDIR/$mod.so" ]] || skip "baresip module $MODDIR/$mod.so not found (Debian package baresip-core)"
done

# Fixed ports, 64100-64399: above the ephemeral range (32768-60999) and every
# range the other tests use (integration 50000-, diff 41000-, run_e2e.sh
# 10000-19999, bench 20000-, unit tests 62000-63539).  baresip takes its SIP
# port for UDP and TCP and the next one for TLS.
NG_PORT=64100 SIP_PORT=64101
CALLER_SIP=64110 CALLER_CTRL=64115 CALLER_RTP=64140-64159
CALLEE_SIP=64120 CALLEE_CTRL=64125 CALLEE_RTP=64160-64179
PORT_MIN=64200 PORT_MAX=64399

e2e_init baresip 150

# --- helpers -------------------------------------------------------------------
# Lines "ok|bad NAME|DETAIL" (baresip_drive.py) -> checks; other lines skipped.
checks_from() {
    local verdict name detail
    while IFS='|' read -r verdict name detail; do
        [[ $verdict == ok || $verdict == bad ]] || continue
        [[ $verdict == ok ]]
        check "$1$name" $? "$detail"
    done <"$2"
}
port_free() {  # port_free udp|tcp PORT
    python3 -c "import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM if sys.argv[1]=='udp' else socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
try: s.bind(('127.0.0.1',int(sys.argv[2])))
except OSError: sys.exit(1)" "$1" "$2"
}
tcp_listening() {
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',int(sys.argv[1])),timeout=0.5)" "$1"
}
ng() { python3 -c "import sys; sys.path.insert(0, sys.argv[1]); import baresip_drive as d, json
r = d.ng(int(sys.argv[2]), {'command': sys.argv[3]})
sys.exit(1) if r is None else print(json.dumps(r))" "$HERE" "$NG_PORT" "$1"; }
media_label() {
    case $1 in
        -) echo "plain RTP" ;;
        DTLS) echo "DTLS-SRTP" ;;
        *) echo "SDES-SRTP $1" ;;
    esac
}

# One phone's config directory: headless (no audio device), media from a WAV
# file (aufile), what it sends and receives dumped to WAV files (sndfile: the
# "-dec" file is what it heard), controlled over ctrl_tcp (commands of the
# menu module), one account that registers nowhere and answers at once.
phone_conf() {  # DIR USER SIP CTRL RTP MEDIAENC TONE
    local dir=$1 enc="" menc=srtp.so mux=no
    mkdir -p "$dir/rec"
    if [[ $6 == ice ]]; then
        enc=";medianat=ice" menc=ice.so
    elif [[ $6 != - ]]; then
        enc=";mediaenc=$6"
    fi
    # ngmediad answers DTLS on the RTP component only: a DTLS phone muxes
    # RTCP (E2E_DTLS_MUX=no shows what happens without; README.md)
    [[ $6 == dtls_srtp* ]] && menc=dtls_srtp.so mux=${E2E_DTLS_MUX:-yes}
    cat >"$dir/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$3
net_interface		$MEDIA_ADDR
audio_source		aufile,$7
audio_player		aubridge,$2-speaker
audio_alert		aubridge,$2-speaker
rtp_ports		$5
rtcp_mux		$mux
module_path		$MODDIR
module			g711.so
module			aufile.so
module			aubridge.so
module			$menc
module			sndfile.so
snd_path		$dir/rec
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$4
EOF
    echo "<sip:$2@127.0.0.1:$3>;regint=0;answermode=auto;audio_codecs=PCMU$enc" >"$dir/accounts"
}

START=$SECONDS
echo "ports: ng $NG_PORT, kamailio $SIP_PORT, caller $CALLER_SIP (ctrl $CALLER_CTRL, rtp $CALLER_RTP)," \
     "callee $CALLEE_SIP (ctrl $CALLEE_CTRL, rtp $CALLEE_RTP), media $PORT_MIN-$PORT_MAX; logs in $WORK"
busy=()
for p in $NG_PORT $SIP_PORT $CALLER_SIP $((CALLER_SIP + 1)) $CALLEE_SIP $((CALLEE_SIP + 1)); do
    port_free udp "$p" || busy+=("udp/$p")
done
for p in $CALLER_SIP $((CALLER_SIP + 1)) $CALLER_CTRL $CALLEE_SIP $((CALLEE_SIP + 1)) $CALLEE_CTRL; do
    port_free tcp "$p" || busy+=("tcp/$p")
done
((${#busy[@]} == 0)) || fatal "fixed ports in use: ${busy[*]} (another run? ss -lntup)"

python3 "$DRIVE" mktone "$WORK/caller-$CALLER_HZ.wav" "$CALLER_HZ" 30
python3 "$DRIVE" mktone "$WORK/callee-$CALLEE_HZ.wav" "$CALLEE_HZ" 30

# --- ngmediad ------------------------------------------------------------------
"$NGMEDIAD" --config-file=none --table=-1 --foreground --log-stderr \
    --interface="$MEDIA_ADDR" --listen-ng="127.0.0.1:$NG_PORT" \
    --port-min="$PORT_MIN" --port-max="$PORT_MAX" --delete-delay=0 \
    >"$WORK/ngmediad.log" 2>&1 &
PIDS+=($!)
wait_for 5 ng ping || fatal "ngmediad does not answer ng ping" ngmediad "$WORK/ngmediad.log"

# --- kamailio ------------------------------------------------------------------
kamailio -DD -E -f "$HERE/kamailio-baresip.cfg" -w "$WORK" -Y "$WORK" -m 32 -M 4 \
    -A "SIP_PORT=$SIP_PORT" -A "NG_SOCK=\"udp:127.0.0.1:$NG_PORT\"" \
    -A "CALLEE_URI=\"sip:callee@127.0.0.1:$CALLEE_SIP\"" \
    >"$WORK/kamailio.log" 2>&1 &
PIDS+=($!)
wait_for 10 sip_options "$SIP_PORT" || fatal "kamailio does not answer on 127.0.0.1:$SIP_PORT" kamailio "$WORK/kamailio.log"

# --- the cases -------------------------------------------------------------------
ran=0
for spec in "${CASES[@]}"; do
    read -r name caller_enc callee_enc caller_suite callee_suite reinvite <<<"$spec"
    [[ -z "${BARESIP_CASES:-}" || " $BARESIP_CASES " == *" $name "* ]] || continue
    # ICE cases: only when asked for (see CASES above).
    [[ $name == *ice* && " ${BARESIP_CASES:-} " != *" $name "* ]] && continue
    ran=$((ran + 1))
    cdir="$WORK/$name"
    echo "== case $name: caller $(media_label "$caller_suite") ($CALLER_HZ Hz)" \
         "<-> callee $(media_label "$callee_suite") ($CALLEE_HZ Hz)$( ((reinvite)) && echo ', re-INVITE mid-call')"
    phone_conf "$cdir/caller" caller $CALLER_SIP $CALLER_CTRL $CALLER_RTP "$caller_enc" "$WORK/caller-$CALLER_HZ.wav"
    phone_conf "$cdir/callee" callee $CALLEE_SIP $CALLEE_CTRL $CALLEE_RTP "$callee_enc" "$WORK/callee-$CALLEE_HZ.wav"
    baresip -f "$cdir/callee" -v -s </dev/null >"$cdir/callee.log" 2>&1 &
    callee_pid=$!
    baresip -f "$cdir/caller" -v -s </dev/null >"$cdir/caller.log" 2>&1 &
    caller_pid=$!
    PIDS+=($callee_pid $caller_pid)
    if ! wait_for 8 tcp_listening $CALLER_CTRL || ! wait_for 5 tcp_listening $CALLEE_CTRL; then
        check "$name: both phones start" 1 "ctrl_tcp not listening"
        show_log caller "$cdir/caller.log"; show_log callee "$cdir/callee.log"
        stop_pids $caller_pid $callee_pid
        continue
    fi
    ng_selected_before=$(grep -c "ICE: component 1 selected" "$WORK/ngmediad.log")
    python3 "$DRIVE" call "$WORK" "$name" $CALLER_CTRL $CALLEE_CTRL \
        "sip:$name@127.0.0.1:$SIP_PORT" $NG_PORT "$reinvite" 2>"$cdir/drive.err"
    drive_rc=$?
    # `quit` was sent: the phones close their recordings and exit.
    wait_for 5 bash -c "! kill -0 $caller_pid && ! kill -0 $callee_pid" || echo "  (a phone did not quit: stopped)"
    stop_pids $caller_pid $callee_pid
    wait $caller_pid $callee_pid 2>/dev/null
    [[ -s "$cdir/drive.err" ]] && show_log "driver errors" "$cdir/drive.err"
    # ICE cases: the ICE phone's checks completed, and ngmediad's agent
    # selected a pair towards it (no "ICE failed").
    if [[ $caller_enc == ice || $callee_enc == ice ]]; then
        icephone=caller
        [[ $callee_enc == ice ]] && icephone=callee
        grep -q "connectivity check is complete" "$cdir/$icephone.log"
        check "$name: $icephone phone: ICE connectivity checks complete (baresip ice module)" $? \
            "$(grep -m2 -E "ice: .*(complete|failed|candidates)" "$cdir/$icephone.log" | tr '\n' ' ')"
        ng_selected=$(( $(grep -c "ICE: component 1 selected" "$WORK/ngmediad.log") - ng_selected_before ))
        ! grep -q "ICE failed" "$WORK/ngmediad.log" && ((ng_selected > 0))
        check "$name: ngmediad's agent selected a pair towards the ICE phone, no ICE failure" $? \
            "$(grep "ICE: component 1 selected" "$WORK/ngmediad.log" | tail -n1 | sed -E 's/^\[[0-9.]+\] //')"
    fi
    checks_from "$name: " "$cdir/call.txt"
    ((drive_rc == 0)) || check "$name: the call driver ran to its end" 1 "exit $drive_rc (see $cdir/drive.err)"

    # Media encryption as each phone negotiated it (its log) and as ngmediad
    # shows each leg mid-call (query: protocol, crypto suite, errors).
    icephone=-
    [[ $caller_enc == ice ]] && icephone=caller
    [[ $callee_enc == ice ]] && icephone=callee
    python3 - "$cdir" "$caller_suite" "$callee_suite" "$reinvite" "$icephone" >"$cdir/srtp.txt" 2>&1 <<'PY'
import json, re, sys
cdir, want, reinvite = sys.argv[1], {"caller": sys.argv[2], "callee": sys.argv[3]}, sys.argv[4] == "1"
icephone = sys.argv[5]
def report(name, ok, detail):
    print(f"{'ok' if ok else 'bad'}|{name}|{detail}")
snaps = {}
for line in open(f"{cdir}/call.txt"):
    kind, _, rest = line.strip().partition("|")
    if kind == "legs":
        k, _, v = rest.partition("|")
        snaps[k] = json.loads(v)
for who in ("caller", "callee"):
    log = open(f"{cdir}/{who}.log", errors="replace").read()
    suites = re.findall(r"SRTP is Enabled \(cryptosuite=([A-Z0-9_]+)\)", log)
    dtls = re.findall(r"DTLS-SRTP complete \(([^)]*)\) Profile=([A-Za-z0-9_]+)", log)
    # srtp.so: "failed to decrypt RTP packet"; dtls_srtp.so: "failed to decrypt RTP-packet"
    bad = len(re.findall(r"srtp: (?:recv: )?failed to decrypt RTP[ -]packet", log))
    if want[who] == "DTLS":
        # One handshake per call: a re-INVITE that keeps the roles and the
        # fingerprints keeps the association (docs/compatibility.md).
        report(f"{who} phone: DTLS-SRTP complete once, every SRTP packet decrypted",
               len(dtls) == 1 and not suites and bad == 0,
               f"DTLS-SRTP in its log: {dtls or 'none'}; SDES suites: {sorted(set(suites)) or 'none'}; "
               f"SRTP decrypt failures in its log: {bad}")
    elif want[who] == "-":
        report(f"{who} phone: plain RTP (no SRTP)", not suites and "mediaenc=" not in open(f"{cdir}/{who}/accounts").read(),
               f"suites in its log: {sorted(set(suites)) or 'none'}")
    else:
        report(f"{who} phone: SDES-SRTP {want[who]}, every SRTP packet decrypted",
               bool(suites) and set(suites) == {want[who]} and bad == 0,
               f"suites in its log: {sorted(set(suites)) or 'none'}; SRTP decrypt failures in its log: {bad}")
# RTP: at least 50 packets in from each phone and not one dropped.  RTCP:
# libre sends its first RTCP packet in the clear and its first SRTCP packet
# right after, about when the answer reaches ngmediad, so one error at the
# start is allowed; after that none (checked after the re-INVITE, which
# makes each phone send RTCP), except from a phone on
# AES_CM_128_HMAC_SHA1_32: libre writes a 32-bit SRTCP tag there, not the
# 80 bits of RFC 4568 §6.2, which ngmediad rightly drops (README.md).
for when in ("before", "after") if reinvite else ("before",):
    legs = snaps.get(when, {})
    ok, parts = len(legs) == 2, []
    for who in ("caller", "callee"):
        l = legs.get(who)
        if not l:
            parts.append(f"{who}: no leg"); ok = False; continue
        flags = l.get("flags", [])
        roles = [f for f in flags if f.startswith("DTLS role ")]
        if want[who] == "DTLS":
            # A DTLS leg shows the suite the handshake chose (as rtpengine 10.5
            # does), the flag and the role; the handshake runs on the RTP
            # component only, so the leg muxes RTCP. baresip 1.0 offers
            # UDP/TLS/RTP/SAVPF
            proto = l["protocol"] if l["protocol"] in ("UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF") else "UDP/TLS/RTP/SAVP(F)"
            dtls_suites = ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM")
            suite = l["suite"] if l["suite"] in dtls_suites else "a DTLS-SRTP profile's suite"
            sec_ok = "DTLS-SRTP" in flags and len(roles) == 1 and "rtcp-mux" in flags
        else:
            proto = "RTP/AVP" if want[who] == "-" else "RTP/SAVP"
            suite, sec_ok = want[who], "DTLS-SRTP" not in flags
        rtcp_ok = want[who] == "AES_CM_128_HMAC_SHA1_32" or l["rtcp_errors"] <= 1
        # A DTLS phone that answers setup:active sends its ClientHello as it
        # sends its 200, before Kamailio has given ngmediad the answer; the
        # passive association made with the offer takes it (one error is
        # still allowed there, from before that association existed).
        rtp_errors_ok = l["errors"] <= (1 if "DTLS role passive" in flags else 0)
        # An ICE phone sends RTP from its answer (or from ngmediad's) on,
        # before the checks have selected a pair: ngmediad drops (and
        # counts) that until the pair is selected (about 0.1 s here; up
        # to half a second of packets allowed). The ICE leg shows the
        # media flag ICE, the other one not.
        if icephone != "-":
            sec_ok &= ("ICE" in flags) == (who == icephone)
            if who == icephone:
                rtp_errors_ok = l["errors"] <= 25
        ok &= (l["protocol"] == proto and l["suite"] == suite and sec_ok and l["packets"] >= 50
               and rtp_errors_ok and rtcp_ok)
        sec = ", ".join(f for f in flags if f.startswith("DTLS") or f in ("SDES", "rtcp-mux", "ICE"))
        parts.append(f"{who} {l['protocol']} {l['suite']}{' [' + sec + ']' if sec else ''}: {l['packets']} RTP packets in,"
                     f" {l['errors']} RTP errors, {l['rtcp_errors']} RTCP errors")
    label = "mid-call" if when == "before" else "after the re-INVITE"
    report(f"ngmediad query {label}: legs as negotiated, RTP in from both, no RTP errors "
           "(but an early ClientHello), at most the first RTCP dropped", ok, "; ".join(parts))
PY
    srtp_rc=$?
    checks_from "$name: " "$cdir/srtp.txt"
    ((srtp_rc == 0)) || check "$name: the SRTP checks ran" 1 "exit $srtp_rc: $(tail -n3 "$cdir/srtp.txt" | tr '\n' ' ')"

    # What each phone heard: the other one's tone.
    for who in caller callee; do
        if [[ $who == caller ]]; then hz=$CALLEE_HZ own=$CALLER_HZ; else hz=$CALLER_HZ own=$CALLEE_HZ; fi
        wav=$(ls "$cdir/$who/rec/"*-dec.wav 2>/dev/null | head -n1)
        if [[ -z "$wav" ]]; then
            check "$name: $who recorded what it heard" 1 "no *-dec.wav in $cdir/$who/rec"
            continue
        fi
        python3 "$DRIVE" tone "$wav" "$who heard the $( [[ $who == caller ]] && echo callee || echo caller)" \
            "$hz" "$own" "$cdir/call.txt" >"$cdir/$who-tone.txt" 2>&1
        tone_rc=$?
        checks_from "$name: " "$cdir/$who-tone.txt"
        ((tone_rc == 0)) || check "$name: $who recording analysed" 1 "exit $tone_rc: $(tail -n3 "$cdir/$who-tone.txt" | tr '\n' ' ')"
    done
    if ((FAIL)); then
        show_log "$name caller" "$cdir/caller.log" 15; show_log "$name callee" "$cdir/callee.log" 15
    fi
done
((ran > 0)) || fatal "no case matches BARESIP_CASES='${BARESIP_CASES:-}'"

# --- after all calls ---------------------------------------------------------------
python3 - "$HERE" "$NG_PORT" "$ran" "$WORK" >"$WORK/final.txt" 2>&1 <<'PY'
import json, sys, time
sys.path.insert(0, sys.argv[1])
import baresip_drive as d
port, n, work = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
deadline = time.time() + 3
while True:
    lst = d.ng(port, {"command": "list"})
    if time.time() > deadline or (lst and not lst.get("calls")):
        break
    time.sleep(0.1)
left = len(lst["calls"]) if lst and lst.get("result") == "ok" else "no list reply"
print(f"{'ok' if left == 0 else 'bad'}|ngmediad: no call left after the BYEs|list: {left}")
r = d.ng(port, {"command": "statistics"}) or {}
json.dump(r, open(f"{work}/statistics.json", "w"), indent=1)
st = r.get("statistics", {})
tot, ctl = st.get("totalstatistics", {}), st.get("controlstatistics", {})
got = {k: int(tot.get(k, -1)) for k in ("managedsessions", "regularterminatedsessions", "relayedpacketerrors")}
got["errorcount"] = sum(int(p.get("errorcount", 0)) for p in ctl.get("proxies", []))
print(f"{'ok' if got['managedsessions'] == n and got['regularterminatedsessions'] == n and got['errorcount'] == 0 else 'bad'}"
      f"|ngmediad: {n} sessions, all ended by BYE, no ng errors|" + " ".join(f"{k}={v}" for k, v in got.items()))
PY
final_rc=$?
checks_from "" "$WORK/final.txt"
((final_rc == 0)) || check "ngmediad checks after the calls ran" 1 "exit $final_rc: $(tail -n3 "$WORK/final.txt" | tr '\n' ' ')"

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
