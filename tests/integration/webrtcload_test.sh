#!/usr/bin/env bash
# The webrtc benchmark's generator end to end (bench/webrtcload.cpp), a few
# calls against ngmediad and against Debian's rtpengine 10.5: every call
# comes up (ICE completed, DTLS-SRTP done, media both ways), no packet is
# lost or garbled, no SRTP packet fails to authenticate, and A's agents send
# consent checks; once with the SIP phone calling the browser (A answers,
# ICE-controlled, DTLS client), once with the browser calling (A offers
# actpass, ICE-controlling). Fixed ports 61500-61599 (ng 61500/61501, the ng client
# 61502, the generator's sockets 61503-61519, ngmediad's media 61520-61559,
# rtpengine's 61560-61599).
#
#   tests/integration/webrtcload_test.sh NGMEDIAD WEBRTCLOAD
set -u -o pipefail

NGMEDIAD=$1
WEBRTCLOAD=$2
RTPENGINE=${RTPENGINE:-/usr/bin/rtpengine}
CALLS=5
WORK=$(mktemp -d /tmp/ngm-webrtcload.XXXXXX)
DAEMON_PID=""
FAILED=0

stop_daemon() {
    [[ -n $DAEMON_PID ]] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null
    DAEMON_PID=""
}
trap 'stop_daemon; rm -rf "$WORK"' EXIT

# Waits (up to 20 s) until something listens on UDP 127.0.0.1:$1.
wait_listening() {
    for _ in $(seq 200); do
        ss -Hlun "sport = :$1" 2>/dev/null | grep -q . && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# value KEY FILE: the value of key=value line KEY.
value() { sed -n "s/^$1=//p" "$2" | head -n1; }

run_against() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5 caller=$6 out=$WORK/$1.$6.out rc=0
    "$bin" --config-file=none --table=-1 --foreground --log-stderr --num-threads=1 \
        --interface=127.0.0.1 --listen-ng="127.0.0.1:$port" --port-min="$pmin" --port-max="$pmax" \
        --delete-delay=0 >"$WORK/$name.log" 2>&1 &
    DAEMON_PID=$!
    if ! wait_listening "$port"; then
        echo "FAIL: $name did not listen on 127.0.0.1:$port"; tail -n 20 "$WORK/$name.log"
        FAILED=1; stop_daemon; return
    fi
    # A window of 8 s: every agent's first consent check is due 4-6 s after
    # its pair was selected, before the window's end.
    timeout 120 "$WEBRTCLOAD" --target "127.0.0.1:$port" --calls $CALLS --duration 8 --warmup 1 \
        --caller "$caller" --daemon-pid "$DAEMON_PID" --local-port 61502 --port-min 61503 --port-max 61519 \
        >"$out" 2>"$WORK/$name.err" || rc=$?
    cat "$WORK/$name.err"
    local bad=""
    [[ $rc == 0 ]] || bad+=" exit status $rc;"
    [[ $(value calls_up "$out") == "$CALLS" ]] || bad+=" calls up $(value calls_up "$out") of $CALLS;"
    for k in lost_ab lost_ba srtp_auth_failed srtp_replayed garbage duplicates consent_lost; do
        [[ $(value $k "$out") == 0 ]] || bad+=" $k=$(value $k "$out");"
    done
    (( $(value consent_checks_sent "$out") >= CALLS )) || bad+=" consent checks sent $(value consent_checks_sent "$out") (< $CALLS);"
    (( $(value sent_ab "$out") > 0 && $(value sent_ba "$out") > 0 )) || bad+=" no media counted;"
    kill -0 "$DAEMON_PID" 2>/dev/null || bad+=" $name died;"
    if [[ -n $bad ]]; then
        echo "FAIL: webrtcload --caller $caller against $name:$bad"
        cat "$out"; tail -n 30 "$WORK/$name.log"
        FAILED=1
    else
        echo "ok: webrtcload --caller $caller against $name: $CALLS calls up, media both ways without loss or garbage"
    fi
    stop_daemon
}

for caller in phone browser; do
    run_against ngmediad "$NGMEDIAD" 61500 61520 61559 $caller
done
if [[ -x $RTPENGINE ]]; then
    for caller in phone browser; do
        run_against rtpengine "$RTPENGINE" 61501 61560 61599 $caller
    done
else
    echo "rtpengine part skipped: $RTPENGINE (Debian's rtpengine-daemon) is not installed"
fi
exit $FAILED
