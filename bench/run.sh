#!/usr/bin/env bash
# Control-plane and media benchmark: ngmediad against Debian's rtpengine, one
# after the other, on the same sequence of measurements. See bench/README.md.
#
#   bench/run.sh BUILD_DIR [all|control|media|secure|dtls|webrtc|ops|ebpf]
#
# ebpf: the kernel-path benchmark (bench/ebpf.sh, its own report and results
# file); `all` runs it last (BENCH_EBPF=0 leaves it out).
#
# Environment knobs: BENCH_CALLS (4000), BENCH_DURATION (10 s),
# BENCH_CHURN_CYCLES (20000), RTPENGINE (/usr/bin/rtpengine),
# BENCH_DAEMON_CPU (0), BENCH_LOAD_CPU (1), BENCH_NICE (-20), BENCH_KEEP_LOGS (0),
# BENCH_LOG_LEVEL (6, both daemons), BENCH_HOLD (1; 0 = control phase: only
# the cycles on a fresh daemon, for quick iterations);
# media: BENCH_MEDIA_LOADS ("250 500 750 1000"), BENCH_MEDIA_DURATION (6 s),
# BENCH_MEDIA_STEP (250), BENCH_MEDIA_MAX_POINTS (12), BENCH_MEDIA_LATE_MS (100),
# BENCH_MEDIA_TICK_US (200), BENCH_MEDIA_LATENCY_CALLS (500),
# BENCH_MEDIA_REPEATS (2), BENCH_MEDIA_QUOTA_PCT (50; 0 skips the capacity
# search under a CPU quota), BENCH_MEDIA_QUOTA_POINTS (10 runs);
# secure (SDES-SRTP on one leg, plain RTP on the other): BENCH_SECURE_LOADS
# (500), BENCH_SECURE_REPEATS (3 runs of each), BENCH_SECURE_SUITES
# ("AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM");
# webrtc (ICE + DTLS-SRTP + rtcp-mux on one leg, plain RTP on the other):
# BENCH_WEBRTC_CALLS (500), BENCH_WEBRTC_DURATION (10 s window),
# BENCH_WEBRTC_REPEATS (3 runs of each daemon), BENCH_WEBRTC_SETUP_CALLS
# (100 calls started together), BENCH_WEBRTC_SETUP_REPEATS (3),
# BENCH_WEBRTC_CALLER (phone: the SIP side offers; browser: the WebRTC side).
# ops (ng over HTTP and WebSocket, /metrics scrapes): BENCH_OPS_DURATION
# (BENCH_DURATION), BENCH_OPS_CALLS (10000 calls held while scraping),
# BENCH_OPS_MEDIA_CALLS (500 with media among them), BENCH_OPS_SCRAPES (20),
# BENCH_OPS_REPEATS (2 media runs without and 2 with scrapes, in turn).
#
# Exit status: 0 unless a daemon crashed or failed to start, or the load
# generator failed; missed targets are informational.

set -u -o pipefail

BUILD_DIR=${1:-build}
MODE=${2:-all}
case $MODE in
    all | control | media | secure | dtls | webrtc | ops) ;;
    ebpf) exec bash "$(dirname "${BASH_SOURCE[0]}")/ebpf.sh" "$BUILD_DIR" ;;
    *) echo "usage: $0 BUILD_DIR [all|control|media|secure|dtls|webrtc|ops|ebpf]" >&2; exit 2 ;;
esac
# The sections this run measures.
DO_CONTROL=0 DO_MEDIA=0 DO_SECURE=0 DO_DTLS=0 DO_WEBRTC=0 DO_OPS=0
[[ $MODE == all || $MODE == control ]] && DO_CONTROL=1
[[ $MODE == all || $MODE == media ]] && DO_MEDIA=1
[[ $MODE == all || $MODE == secure ]] && DO_SECURE=1
[[ $MODE == all || $MODE == dtls ]] && DO_DTLS=1
[[ $MODE == all || $MODE == webrtc ]] && DO_WEBRTC=1
[[ $MODE == all || $MODE == ops ]] && DO_OPS=1
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RESULTS_DIR=$BENCH_DIR/results
NGLOAD=$BUILD_DIR/bench/ngload
MEDIALOAD=$BUILD_DIR/bench/mediaload
DTLSLOAD=$BUILD_DIR/bench/dtlsload
WEBRTCLOAD=$BUILD_DIR/bench/webrtcload
WAKECOST=$BUILD_DIR/bench/wakecost
NGMEDIAD=$BUILD_DIR/src/app/ngmediad
RTPENGINE=${RTPENGINE:-/usr/bin/rtpengine}
CALLS=${BENCH_CALLS:-4000}
DURATION=${BENCH_DURATION:-10}
CHURN_CYCLES=${BENCH_CHURN_CYCLES:-20000}
DAEMON_CPU=${BENCH_DAEMON_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
KEEP_LOGS=${BENCH_KEEP_LOGS:-0}
NICE=${BENCH_NICE:--20}
# Both daemons log at this level (6 = LOG_INFO is the built-in default of
# both and the level of Debian's /etc/rtpengine/rtpengine.conf).
LOG_LEVEL=${BENCH_LOG_LEVEL:-6}
# 0: the control phase stops after the cycles on a fresh daemon (no hold, no
# cycles after it, no churn).
HOLD=${BENCH_HOLD:-1}
# Both daemons cache ng replies for about 30 s (retransmissions); RSS "after
# delete" and "after churn" are read once those caches have expired.
SETTLE=${BENCH_SETTLE:-35}
# The client's own port, below both media ranges and outside the ephemeral range.
CLIENT_PORT=19000
# Sockets a call costs in the worst case: RTP + RTCP on both sides.
FDS_PER_CALL=4
FD_RESERVE=256
# Media phase.
MEDIA_LOADS=${BENCH_MEDIA_LOADS:-250 500 750 1000}
MEDIA_DURATION=${BENCH_MEDIA_DURATION:-6}
MEDIA_WARMUP=1
MEDIA_STEP=${BENCH_MEDIA_STEP:-250}
MEDIA_MAX_POINTS=${BENCH_MEDIA_MAX_POINTS:-12}
MEDIA_LATE_MS=${BENCH_MEDIA_LATE_MS:-100}
MEDIA_TICK_US=${BENCH_MEDIA_TICK_US:-200}
MEDIA_LATENCY_CALLS=${BENCH_MEDIA_LATENCY_CALLS:-500}
# Extra runs of both daemons, taken in turn, at the load where their CPU is
# compared; the comparison uses the median of all runs there.
MEDIA_REPEATS=${BENCH_MEDIA_REPEATS:-2}
MEDIA_MAX_LOSS=0.1          # % : a load is "held" below this
# Capacity: each daemon held to this share of its core by a CFS bandwidth
# quota (period 10 ms), then the most calls it holds is searched: calls per
# core at saturation, where the generator cannot drive a whole core of
# ngmediad.
MEDIA_QUOTA_PCT=${BENCH_MEDIA_QUOTA_PCT:-50}
MEDIA_QUOTA_PERIOD_US=10000
MEDIA_QUOTA_POINTS=${BENCH_MEDIA_QUOTA_POINTS:-10}
# The generator is at its limit when it falls behind its schedule (sends
# under 99 % of the nominal rate), drops packets at its own sockets, or is
# busier than this; its CPU grows with the load, so 90 % only earns a note.
MEDIA_GEN_LIMIT=97
MEDIA_GEN_BUSY=90
# The generator's call sockets, below the client port and both media ranges.
GEN_PORT_MIN=2000
GEN_PORT_MAX=18999
# Secure media: N calls with SDES-SRTP on the A leg and plain RTP on the B
# leg, each suite and plain RTP<->RTP at the same N, on fresh daemons in turn.
SECURE_LOADS=${BENCH_SECURE_LOADS:-500}
SECURE_REPEATS=${BENCH_SECURE_REPEATS:-3}
SECURE_SUITES=${BENCH_SECURE_SUITES:-AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM}
# DTLS-SRTP: handshakes per core (DTLS_CALLS calls at once, DTLS_REPEATS
# runs per daemon and a=setup, fresh daemons in turn), then the burst:
# DTLS_BURST handshakes while DTLS_BURST_PLAIN plain calls relay, the plain
# calls' relay latency before and during it (DTLS_BURST_REPEATS runs each).
DTLS_CALLS=${BENCH_DTLS_CALLS:-1000}
DTLS_REPEATS=${BENCH_DTLS_REPEATS:-3}
DTLS_SETUPS=${BENCH_DTLS_SETUPS:-actpass active}
DTLS_BURST=${BENCH_DTLS_BURST:-200}
DTLS_BURST_PLAIN=${BENCH_DTLS_BURST_PLAIN:-300}
DTLS_BURST_REPEATS=${BENCH_DTLS_BURST_REPEATS:-3}
# The burst starts this long after mediaload (its 300 calls set up and 2 s
# of warm-up behind it); mediaload sends media for DTLS_MEDIA_DURATION s.
DTLS_BURST_AT=${BENCH_DTLS_BURST_AT:-5}
DTLS_MEDIA_DURATION=10
# The burst's dtlsload shares CPU $LOAD_CPU with mediaload and runs at this
# nice (in an autogroup of its own), not at BENCH_NICE: at -20 it starves
# ksoftirqd there, and mediaload's packets then wait in that CPU's backlog
# before they reach the daemon (tens of ms of "relay latency" that a burst
# sent to another daemon causes too; see bench/README.md).
DTLS_BURST_NICE=${BENCH_DTLS_BURST_NICE:-0}
# dtlsload's ng client port and call sockets: apart from mediaload's (which
# uses the first ports of GEN_PORT_MIN..GEN_PORT_MAX).
DTLS_CLIENT_PORT=19001
DTLS_PORT_MIN=10000
# WebRTC: WEBRTC_CALLS calls with a browser-like leg (webrtcload: ICE,
# DTLS-SRTP, rtcp-mux, SRTP) and a plain one, CPU over a WEBRTC_DURATION s
# window after every call is up, WEBRTC_REPEATS runs of each daemon in turn
# on fresh starts; then WEBRTC_SETUP_CALLS calls started together, their
# set-up times (WEBRTC_SETUP_REPEATS runs each).
WEBRTC_CALLS=${BENCH_WEBRTC_CALLS:-500}
WEBRTC_DURATION=${BENCH_WEBRTC_DURATION:-10}
WEBRTC_REPEATS=${BENCH_WEBRTC_REPEATS:-3}
WEBRTC_SETUP_CALLS=${BENCH_WEBRTC_SETUP_CALLS:-100}
WEBRTC_SETUP_REPEATS=${BENCH_WEBRTC_SETUP_REPEATS:-3}
WEBRTC_CALLER=${BENCH_WEBRTC_CALLER:-phone}
# ops: ng over HTTP and WebSocket (--listen-http on these ports) at
# OPS_INFLIGHT connections with one request each; then OPS_CALLS calls held
# (over UDP, from OPS_HOLD_PORT) on ngmediad, OPS_MEDIA_CALLS of them more
# with media, and /metrics scraped OPS_SCRAPES times with the media idle and
# while it flows. 10,000 calls need 40,000 media ports and descriptors:
# ngmediad gets the ports OPS_PORT_MIN..OPS_PORT_MAX for it.
OPS_DURATION=${BENCH_OPS_DURATION:-$DURATION}
OPS_INFLIGHT=16
OPS_CALLS=${BENCH_OPS_CALLS:-10000}
OPS_MEDIA_CALLS=${BENCH_OPS_MEDIA_CALLS:-500}
OPS_SCRAPES=${BENCH_OPS_SCRAPES:-20}
OPS_REPEATS=${BENCH_OPS_REPEATS:-2}
OPS_HOLD_PORT=19002
OPS_PORT_MIN=19500
OPS_PORT_MAX=61999
# Relay p99 "unchanged" by scrapes: at most this much higher (% and us,
# whichever allows more; the noise of two runs on a quiet host).
OPS_P99_SLACK_PCT=20
OPS_P99_SLACK_US=200
OPS_SCRAPE_LIMIT_MS=50
# Extra daemon options of the next start_daemon (--listen-http for ops).
DAEMON_EXTRA=()
SCRAPE_PID=""
# The SDES suite of the generator's A legs in the next measure_media; empty:
# plain RTP on both legs.
MEDIA_SRTP=""

declare -A R=()     # results: R[daemon.key]=value
NOTES=()            # caveats printed under the table
FAILED=0            # something crashed
DAEMON_PID=""
LOAD_PID=""
WORK=$(mktemp -d /tmp/ngbench.XXXXXX)

log() { printf '%s\n' "$*" >&2; }

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
    if [[ -n $LOAD_PID ]] && kill -0 "$LOAD_PID" 2>/dev/null; then
        kill "$LOAD_PID" 2>/dev/null
    fi
    if [[ -n $SCRAPE_PID ]] && kill -0 "$SCRAPE_PID" 2>/dev/null; then
        kill "$SCRAPE_PID" 2>/dev/null
    fi
    exec 7>&- 2>/dev/null
    stop_daemon
    quota_cgroup_remove
    if [[ $FAILED -eq 0 && $KEEP_LOGS -eq 0 ]]; then
        rm -rf "$WORK"
    else
        log "logs kept in $WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- set-up -----------------------------------------------------------------

if [[ ! -x $NGLOAD ]]; then
    log "building ngload in $BUILD_DIR"
    cmake --build "$BUILD_DIR" --target ngload >&2 || { log "cannot build ngload"; exit 1; }
fi
if (( DO_MEDIA || DO_SECURE || DO_DTLS || DO_WEBRTC || DO_OPS )); then
    for tool in mediaload $( (( DO_MEDIA || DO_SECURE || DO_DTLS || DO_WEBRTC )) && echo wakecost) $( (( DO_DTLS )) && echo dtlsload) $( (( DO_WEBRTC )) && echo webrtcload); do
        [[ -x $BUILD_DIR/bench/$tool ]] && continue
        log "building $tool in $BUILD_DIR"
        cmake --build "$BUILD_DIR" --target $tool >&2 || { log "cannot build $tool"; exit 1; }
    done
fi
if [[ ! -x $RTPENGINE ]]; then
    log "rtpengine not found at $RTPENGINE"
    exit 1
fi

cores=$(nproc)
if (( cores < 2 )); then
    LOAD_CPU=$DAEMON_CPU
    NOTES+=("only $cores core: daemon and generator share CPU $DAEMON_CPU, throughput is understated")
fi

# ops holds 10,000 calls (4 descriptors each on the daemon): as root the
# hard limit can be raised.
if (( DO_OPS )); then
    want=$(( OPS_CALLS * FDS_PER_CALL + OPS_MEDIA_CALLS * FDS_PER_CALL + 2 * FD_RESERVE ))
    if [[ $(ulimit -Hn) != unlimited ]] && (( $(ulimit -Hn) < want )); then
        ulimit -Hn "$want" 2>/dev/null || true
    fi
fi
hard=$(ulimit -Hn)
if [[ $hard == unlimited ]]; then hard=1048576; fi
ulimit -Sn "$hard" 2>/dev/null || true
soft=$(ulimit -Sn)
if [[ $soft == unlimited ]]; then soft=1048576; fi
max_calls=$(( (soft - FD_RESERVE) / FDS_PER_CALL / 100 * 100 ))
if (( CALLS > max_calls )); then
    NOTES+=("open-file limit $soft allows $max_calls calls at $FDS_PER_CALL fds each; using $max_calls instead of $CALLS")
    CALLS=$max_calls
fi
# Media calls: 4 descriptors and 4 ports a call on the daemon (both ranges
# hold 21,000 ports), 2 descriptors and 2 ports on the generator.
MEDIA_FD_CAP=$(( (soft - FD_RESERVE) / FDS_PER_CALL / 10 * 10 ))
MEDIA_PORT_CAP=$(( 21000 / 4 ))
gen_port_cap=$(( (GEN_PORT_MAX - GEN_PORT_MIN + 1) / 2 ))
(( gen_port_cap < MEDIA_PORT_CAP )) && MEDIA_PORT_CAP=$gen_port_cap
if (( MEDIA_FD_CAP <= MEDIA_PORT_CAP )); then
    MEDIA_CAP=$MEDIA_FD_CAP MEDIA_CAP_WHY="fd limit ($soft open files)"
else
    MEDIA_CAP=$MEDIA_PORT_CAP MEDIA_CAP_WHY="port ranges"
fi

# A shared box: raise the priority of the daemon and ngload so compilers and
# the like get little of the pinned cores (both daemons get the same
# treatment). With autogroup scheduling, nice only ranks tasks within one
# session, so each runs in a session of its own whose group nice is raised.
PRIO=()
if [[ $NICE != 0 ]] && [[ $(nice -n "$NICE" nice 2>/dev/null) == "$NICE" ]]; then
    PRIO=(nice -n "$NICE")
    if [[ $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null) == 1 ]]; then
        # shellcheck disable=SC2016 # expanded by the inner sh
        PRIO=(setsid sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec "$@"' "$NICE"
              nice -n "$NICE")
    fi
else
    NICE=0
fi

# --- helpers ------------------------------------------------------------------

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
open_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# utime + stime of a process in clock ticks.
cpu_ticks() {
    local stat
    stat=$(<"/proc/$1/stat") || { echo 0; return; }
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<<"$stat"
}

# Busy clock ticks of one CPU: user, nice, system and steal (capacity the
# hypervisor kept). Interrupt and softirq time is left out: on loopback most
# of it is delivering the daemon's and ngload's own packets.
cpu_busy_ticks() {
    awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $9 }' /proc/stat
}

# Steal clock ticks of one CPU: time the hypervisor gave to someone else.
cpu_steal_ticks() {
    awk -v c="cpu$1" '$1 == c { print $9 }' /proc/stat
}
# The same for the daemon's and the generator's CPUs together.
both_steal_ticks() {
    echo $(( $(cpu_steal_ticks "$DAEMON_CPU") + $(cpu_steal_ticks "$LOAD_CPU") ))
}

HZ=$(getconf CLK_TCK)

# Clock ticks over a wall time in seconds, as a percentage of one core.
ticks_pct() {
    awk -v t="$1" -v hz="$HZ" -v w="$2" 'BEGIN { if (w > 0) printf "%.1f", t / hz / w * 100; else print 0 }'
}
# Steal ticks of both CPUs over a wall time, in % of their capacity.
steal_pct() { ticks_pct "$1" "$(awk -v w="$2" 'BEGIN { print w * 2 }')"; }

alive() { [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; }

# Copies key=value lines from file $2 into R as "$1.key".
absorb() {
    local prefix=$1 file=$2 key value
    while IFS='=' read -r key value; do
        [[ $key =~ ^[a-z0-9_]+$ && -n $value ]] && R[$prefix.$key]=$value
    done <"$file"
}

crashed() {
    local name=$1 phase=$2
    FAILED=1
    R[$name.crashed]="during $phase"
    log "!! $name is gone during $phase; last log lines:"
    tail -n 20 "$WORK/$name.log" >&2
    DAEMON_PID=""
}

start_daemon() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5
    if "$NGLOAD" ping --target "127.0.0.1:$port" --wait 0.3 --local-port $CLIENT_PORT >/dev/null 2>&1; then
        log "something already answers ng on 127.0.0.1:$port; not starting $name"
        return 1
    fi
    "${PRIO[@]}" taskset -c "$DAEMON_CPU" "$bin" --config-file=none --table=-1 --foreground --log-stderr \
        --num-threads=1 --interface=127.0.0.1 --listen-ng="127.0.0.1:$port" \
        --port-min="$pmin" --port-max="$pmax" --delete-delay=0 --log-level="$LOG_LEVEL" \
        "${DAEMON_EXTRA[@]}" >"$WORK/$name.log" 2>&1 &
    DAEMON_PID=$!
    if ! "$NGLOAD" ping --target "127.0.0.1:$port" --wait 15 --local-port $CLIENT_PORT >/dev/null; then
        log "$name did not answer a ping within 15 s"
        tail -n 20 "$WORK/$name.log" >&2
        return 1
    fi
    return 0
}

# start_daemon, or on failure: the run failed, daemon $1 is marked with
# $6, and 1 is returned.
start_or_fail() {
    start_daemon "$1" "$2" "$3" "$4" "$5" && return 0
    FAILED=1
    R[$1.crashed]=$6
    stop_daemon
    return 1
}

stop_daemon() {
    [[ -n $DAEMON_PID ]] || return 0
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$DAEMON_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$DAEMON_PID" 2>/dev/null
    fi
    wait "$DAEMON_PID" 2>/dev/null
    DAEMON_PID=""
}

# Runs ngload pinned to the generator core; stdout kept in $WORK/$2.out.
run_load() {
    local name=$1 tag=$2; shift 2
    local rc=0
    # In the background so that a signal reaches our trap at once.
    "${PRIO[@]}" taskset -c "$LOAD_CPU" "$NGLOAD" "$@" --local-port $CLIENT_PORT \
        >"$WORK/$name.$tag.out" 2>"$WORK/$name.$tag.err" &
    LOAD_PID=$!
    wait "$LOAD_PID" || rc=$?
    LOAD_PID=""
    sed 's/^/    /' "$WORK/$name.$tag.err" >&2
    absorb "$name.$tag" "$WORK/$name.$tag.out"
    if (( rc >= 2 )); then
        log "ngload $tag against $name failed (exit $rc)"
        FAILED=1
        return 1
    fi
    return 0
}

# Waits until file $1 has a line starting with $2, for at most $3 seconds.
wait_for_line() {
    local file=$1 word=$2 limit=$3 waited=0
    until grep -q "^$word" "$file" 2>/dev/null; do
        if [[ -n $LOAD_PID ]] && ! kill -0 "$LOAD_PID" 2>/dev/null; then return 1; fi
        sleep 0.1
        waited=$((waited + 1))
        (( waited > limit * 10 )) && return 1
    done
    return 0
}

# RSS at idle, with $CALLS established calls, and after deleting them.
measure_hold() {
    local name=$1 port=$2
    local out=$WORK/$name.hold.out fifo=$WORK/$name.hold.in
    mkfifo "$fifo"
    "${PRIO[@]}" taskset -c "$LOAD_CPU" "$NGLOAD" hold --target "127.0.0.1:$port" --calls "$CALLS" \
        --local-port $CLIENT_PORT <"$fifo" >"$out" 2>"$WORK/$name.hold.err" &
    LOAD_PID=$!
    exec 7>"$fifo"
    if ! wait_for_line "$out" ESTABLISHED 300; then
        log "ngload hold against $name did not establish its calls"
        FAILED=1
    elif sleep 1 && ! alive; then
        crashed "$name" "hold"
    else
        R[$name.rss_with_kb]=$(rss_kb "$DAEMON_PID")
        R[$name.fds_with]=$(open_fds "$DAEMON_PID")
        R[$name.calls]=$(awk '/^ESTABLISHED/ { print $2 }' "$out")
        log "  $name: ${R[$name.calls]} calls established, RSS ${R[$name.rss_with_kb]} KiB"
        echo delete >&7
        if ! wait_for_line "$out" DELETED 300; then
            log "ngload hold against $name did not delete its calls"
            FAILED=1
        elif log "  $name: waiting ${SETTLE}s for the ng reply caches to expire" && sleep "$SETTLE" && ! alive; then
            crashed "$name" "delete"
        else
            R[$name.rss_after_kb]=$(rss_kb "$DAEMON_PID")
            R[$name.fds_after]=$(open_fds "$DAEMON_PID")
        fi
    fi
    # Without a daemon the generator would only wait out its retransmissions.
    alive || kill "$LOAD_PID" 2>/dev/null
    exec 7>&-
    wait "$LOAD_PID"
    local rc=$?
    LOAD_PID=""
    (( rc >= 2 )) && FAILED=1
    sed 's/^/    /' "$WORK/$name.hold.err" >&2
    absorb "$name.hold" "$out"
}

# measure_cycles NAME PORT INFLIGHT [TAG]: figures under R[NAME.TAG<INFLIGHT>.*];
# TAG c (after the hold, the default) or f (on a fresh daemon).
measure_cycles() {
    local name=$1 port=$2 inflight=$3 tag=${4:-c} k=$1.${4:-c}$3
    local t0 t1 d0 d1 l0 l1 s0 s1 hz=$HZ
    s0=$(both_steal_ticks)
    t0=$(cpu_ticks "$DAEMON_PID")
    d0=$(cpu_busy_ticks "$DAEMON_CPU")
    l0=$(cpu_busy_ticks "$LOAD_CPU")
    run_load "$name" "$tag$inflight" cycles --target "127.0.0.1:$port" --inflight "$inflight" \
        --duration "$DURATION" || return 1
    alive || { crashed "$name" "cycles at $inflight in flight"; return 1; }
    t1=$(cpu_ticks "$DAEMON_PID")
    d1=$(cpu_busy_ticks "$DAEMON_CPU")
    l1=$(cpu_busy_ticks "$LOAD_CPU")
    s1=$(both_steal_ticks)
    local wall=${R[$k.wall_s]:-0} gen
    R[$k.steal_pct]=$(steal_pct $((s1 - s0)) "$wall")
    gen=$(awk -v u="${R[$k.cpu_user_s]:-0}" -v s="${R[$k.cpu_sys_s]:-0}" 'BEGIN { print u + s }')
    R[$k.daemon_cpu_pct]=$(ticks_pct $((t1 - t0)) "$wall")
    # What else ran on the two cores: busy time minus ours.
    R[$k.other_daemon_cpu_pct]=$(ticks_pct "$(awk -v b=$((d1 - d0)) -v o=$((t1 - t0)) 'BEGIN { x = b - o; print x < 0 ? 0 : x }')" "$wall")
    R[$k.other_load_cpu_pct]=$(ticks_pct "$(awk -v b=$((l1 - l0)) -v g="$gen" -v hz="$hz" 'BEGIN { x = b - g * hz; print x < 0 ? 0 : x }')" "$wall")
    local when="after the hold"
    [[ $tag == f ]] && when="fresh daemon"
    log "  $name: ${R[$k.cycles_per_s]:-?} cycles/s at $inflight in flight, $when (daemon ${R[$k.daemon_cpu_pct]}% of CPU $DAEMON_CPU, others ${R[$k.other_daemon_cpu_pct]}%)"
}

measure_churn() {
    local name=$1 port=$2
    R[$name.churn_before_kb]=$(rss_kb "$DAEMON_PID")
    run_load "$name" churn churn --target "127.0.0.1:$port" --cycles "$CHURN_CYCLES" --inflight 16 ||
        return 1
    sleep "$SETTLE"
    alive || { crashed "$name" "churn"; return 1; }
    R[$name.churn_after_kb]=$(rss_kb "$DAEMON_PID")
}


# --- media phase ----------------------------------------------------------------

# Compares two numbers with awk: fcmp A OP B.
fcmp() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
    if (op == "<") r = a < b; else if (op == "<=") r = a <= b; else if (op == ">") r = a > b;
    else if (op == ">=") r = a >= b; else r = a == b; exit !r }'; }

# One mediaload run of $3 calls against daemon $1 on ng port $2; its figures go
# to R[$1.m$3$4.*] ($4: a tag for repeated runs, usually empty). Returns 1 when
# the daemon, the generator or a limit stopped it.
measure_media() {
    local name=$1 port=$2 calls=$3 k=$1.m$3${4:-} rc=0
    local d0 d1 l0 l1 t0 t1 w0 w1 s0 s1
    s0=$(both_steal_ticks)
    d0=$(cpu_busy_ticks "$DAEMON_CPU")
    l0=$(cpu_busy_ticks "$LOAD_CPU")
    t0=$(cpu_ticks "$DAEMON_PID")
    w0=$(date +%s.%N)
    "${PRIO[@]}" taskset -c "$LOAD_CPU" "$MEDIALOAD" --target "127.0.0.1:$port" --calls "$calls" \
        --duration "$MEDIA_DURATION" --warmup "$MEDIA_WARMUP" --late-ms "$MEDIA_LATE_MS" \
        --tick-us "$MEDIA_TICK_US" --daemon-pid "$DAEMON_PID" --local-port $CLIENT_PORT \
        --port-min $GEN_PORT_MIN --port-max $GEN_PORT_MAX --timeline 100 \
        ${MEDIA_SRTP:+--srtp "$MEDIA_SRTP"} >"$WORK/$k.out" 2>"$WORK/$k.err" &
    LOAD_PID=$!
    wait "$LOAD_PID" || rc=$?
    LOAD_PID=""
    w1=$(date +%s.%N)
    t1=$(cpu_ticks "$DAEMON_PID")
    d1=$(cpu_busy_ticks "$DAEMON_CPU")
    l1=$(cpu_busy_ticks "$LOAD_CPU")
    s1=$(both_steal_ticks)
    sed 's/^/    /' "$WORK/$k.err" >&2
    absorb "$k" "$WORK/$k.out"
    R[$k.rc]=$rc
    if ! alive || (( rc == 4 )); then
        crashed "$name" "media at $calls calls"
        return 1
    fi
    if (( rc == 3 )); then
        log "  $name: $calls calls exceed the generator's ${R[$k.limit]:-resource} limit"
        return 1
    fi
    if (( rc >= 2 )); then
        log "mediaload against $name at $calls calls failed (exit $rc)"
        FAILED=1
        return 1
    fi
    # What else ran on the two cores over the whole run (set-up and teardown
    # included): busy time minus the daemon's and the generator's.
    local wall gen
    wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
    gen=${R[$k.gen_total_cpu_s]:-0}
    R[$k.steal_pct]=$(steal_pct $((s1 - s0)) "$wall")
    R[$k.other_daemon_cpu_pct]=$(ticks_pct "$(awk -v b=$((d1 - d0)) -v o=$((t1 - t0)) 'BEGIN { x = b - o; print x < 0 ? 0 : x }')" "$wall")
    R[$k.other_load_cpu_pct]=$(ticks_pct "$(awk -v b=$((l1 - l0)) -v g="$gen" -v hz="$HZ" 'BEGIN { x = b - g * hz; print x < 0 ? 0 : x }')" "$wall")
    # Daemon CPU per 1000 calls, on the rate actually offered (a generator
    # behind its schedule offers less than the nominal calls).
    R[$k.cpu_per_kcall]=$(awk -v c="${R[$k.daemon_cpu_pct]:-0}" -v p="${R[$k.pps_sent]:-0}" \
        'BEGIN { if (p > 0) printf "%.1f", c / (p / 100) * 1000; else print 0 }')
    # The part of the daemon's CPU that went on being woken (see wakecost).
    if [[ -n ${R[host.wake_cost_us]:-} && -n ${R[$k.daemon_wakeups_per_s]:-} ]]; then
        R[$k.wake_cpu_pct]=$(awk -v w="${R[$k.daemon_wakeups_per_s]}" -v c="${R[host.wake_cost_us]}" \
            'BEGIN { printf "%.1f", w * c / 10000 }')
    fi
    log "  $name: $calls calls: loss ${R[$k.loss_pct]:-?}%, daemon ${R[$k.daemon_cpu_pct]:-?}% of CPU $DAEMON_CPU (others ${R[$k.other_daemon_cpu_pct]}%), generator ${R[$k.gen_cpu_pct]:-?}%, p50 ${R[$k.latency_p50_us]:-?} us"
    return 0
}

# Generator at its limit in run KEY: behind its schedule, dropping at its
# own sockets, or busier than MEDIA_GEN_LIMIT.
gen_at_limit() {
    local k=$1
    fcmp "${R[$k.gen_cpu_pct]:-0}" ">=" $MEDIA_GEN_LIMIT || fcmp "${R[$k.send_rate_pct]:-100}" "<" 99 ||
        fcmp "${R[$k.gen_rx_drops]:-0}" ">" 0
}

# The verdict on run KEY of N calls: held (loss below MEDIA_MAX_LOSS, every
# call set up) or lost, with "_gen" when the generator was at its limit.
run_verdict() {
    local k=$1 n=$2 verdict=lost
    if [[ ${R[$k.calls]:-0} == "$n" ]] && fcmp "${R[$k.loss_pct]:-100}" "<" $MEDIA_MAX_LOSS; then
        verdict=held
    fi
    gen_at_limit "$k" && verdict+=_gen
    echo "$verdict"
}

# Classifies the run at $2 calls of daemon $1 into POINT: held (loss below
# MEDIA_MAX_LOSS, every call set up) or lost, with "_gen" when the generator
# was at its limit; "failed" when it did not run, "limit" when the generator
# lacked descriptors or ports.
media_point() {
    local name=$1 port=$2 n=$3 k=$1.m$3
    MEDIA_POINTS=$((MEDIA_POINTS + 1))
    if ! measure_media "$name" "$port" "$n"; then
        POINT=failed
        [[ -n ${R[$k.limit]:-} ]] && POINT=limit
        R[$k.verdict]=$POINT
        return
    fi
    POINT=$(run_verdict "$k" "$n")
    R[$k.verdict]=$POINT
}

# The fixed loads, then steps of MEDIA_STEP until a load is not held or a
# limit is reached, then halving the gap between the last held and the first
# lost load; then 80 % of the most held. Sets R[$1.media_max_calls] and
# R[$1.media_limit].
media_search() {
    local name=$1 port=$2 held=0 fail=0 why="" n mid res
    MEDIA_POINTS=0
    local -a ladder
    # shellcheck disable=SC2086 # a list of numbers
    mapfile -t ladder < <(printf '%s\n' $MEDIA_LOADS | sort -n | uniq)
    local i=0
    while :; do
        if (( i < ${#ladder[@]} )); then
            n=${ladder[i]}
            i=$((i + 1))
            (( n <= held )) && continue
        else
            n=$((held + MEDIA_STEP))
        fi
        if (( n > MEDIA_CAP )); then
            if (( held < MEDIA_CAP )); then n=$MEDIA_CAP; else why="cap"; break; fi
        fi
        if (( MEDIA_POINTS >= MEDIA_MAX_POINTS )); then why="budget"; break; fi
        media_point "$name" "$port" "$n"
        case $POINT in
            held) held=$n; (( n >= MEDIA_CAP )) && { why="cap"; break; } ;;
            held_gen) held=$n; why="generator"; break ;;
            lost) fail=$n; why="loss"; break ;;
            lost_gen) fail=$n; why="generator"; break ;;
            limit) why="limit:${R[$name.m$n.limit]}"; break ;;
            *) why="failed"; break ;;
        esac
    done
    # Narrow down between the last load held and the first one lost.
    if (( fail > 0 )); then
        while alive; do
            res=$(( held / 10 < 25 ? 25 : held / 10 ))
            (( fail - held <= res )) && break
            (( MEDIA_POINTS >= MEDIA_MAX_POINTS )) && break
            mid=$(( (held + fail) / 2 / 10 * 10 ))  # rounded down to 10 calls
            (( mid <= held )) && break
            media_point "$name" "$port" "$mid"
            case $POINT in
                held | held_gen) held=$mid ;;
                lost) fail=$mid; why="loss" ;;
                lost_gen) fail=$mid; why="generator" ;;
                *) break ;;
            esac
        done
    fi
    R[$name.media_max_calls]=$held
    case $why in
        loss) R[$name.media_limit]="loss >= $MEDIA_MAX_LOSS% at $fail calls" ;;
        generator)
            n=$(( fail > 0 ? fail : held ))
            R[$name.media_limit]="generator at its limit at $n calls (CPU ${R[$name.m$n.gen_cpu_pct]:-?}%, sending at ${R[$name.m$n.send_rate_pct]:-?}% of the nominal rate)" ;;
        cap) R[$name.media_limit]="$MEDIA_CAP_WHY: $MEDIA_CAP calls" ;;
        budget) R[$name.media_limit]="run budget of $MEDIA_MAX_POINTS loads" ;;
        limit:*) R[$name.media_limit]="generator ${why#limit:} limit" ;;
        *) R[$name.media_limit]="run failed" ;;
    esac
    if [[ $why == generator ]]; then
        R[$name.media_limit]+="; the daemon may hold more"
    fi
    log "  $name: held $held calls; stopped by ${R[$name.media_limit]}"
    # 80 % of the maximum: should be loss-free.
    local n80=$(( held * 8 / 10 / 10 * 10 ))  # rounded down to 10 calls
    if (( n80 >= 10 )) && alive; then
        [[ -n ${R[$name.m$n80.loss_pct]:-} ]] || media_point "$name" "$port" "$n80"
        R[$name.media_n80]=$n80
        R[$name.media_loss80_pct]=${R[$name.m$n80.loss_pct]:-}
    fi
    # Latency at the reference load, measured even above the maximum.
    n=$MEDIA_LATENCY_CALLS
    if [[ -z ${R[$name.m$n.latency_p50_us]:-} ]] && (( n <= MEDIA_CAP )) && alive; then
        media_point "$name" "$port" "$n"
    fi
}

# --- capacity under a CPU quota ------------------------------------------------

QUOTA_CG=""     # the cgroup directory, once made
QUOTA_PROCS=""  # its process list

# Makes a cgroup whose CPU bandwidth is MEDIA_QUOTA_PCT % of one core
# (cgroup v1 "cpu" or v2 with the cpu controller). Returns 1, with the
# reason in QUOTA_WHY, where there is none.
quota_cgroup_make() {
    local quota=$(( MEDIA_QUOTA_PERIOD_US * MEDIA_QUOTA_PCT / 100 ))
    if [[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]]; then
        QUOTA_CG=/sys/fs/cgroup/cpu/ngbench.$$
        mkdir -p "$QUOTA_CG" 2>/dev/null &&
            echo $MEDIA_QUOTA_PERIOD_US >"$QUOTA_CG/cpu.cfs_period_us" &&
            echo $quota >"$QUOTA_CG/cpu.cfs_quota_us" && QUOTA_PROCS=$QUOTA_CG/cgroup.procs && return 0
    elif [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
        QUOTA_CG=/sys/fs/cgroup/ngbench.$$
        { grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control ||
            echo +cpu >/sys/fs/cgroup/cgroup.subtree_control; } 2>/dev/null &&
            mkdir -p "$QUOTA_CG" 2>/dev/null &&
            echo "$quota $MEDIA_QUOTA_PERIOD_US" >"$QUOTA_CG/cpu.max" && QUOTA_PROCS=$QUOTA_CG/cgroup.procs && return 0
    else
        QUOTA_WHY="no cgroup cpu controller"
        QUOTA_CG=""
        return 1
    fi
    QUOTA_WHY="cannot set up a cgroup with a CPU quota in $QUOTA_CG (not root?)"
    quota_cgroup_remove
    return 1
}

quota_cgroup_remove() {
    [[ -n $QUOTA_CG && -d $QUOTA_CG ]] || return 0
    local pid
    while read -r pid; do
        echo "$pid" >"$(dirname "$QUOTA_CG")/cgroup.procs" 2>/dev/null
    done <"$QUOTA_PROCS" 2>/dev/null
    rmdir "$QUOTA_CG" 2>/dev/null
    QUOTA_CG=""
}

# A run of $3 calls against daemon $1 (in the quota cgroup), and a second
# one if the first lost: at the edge of its quota a daemon that falls
# behind once (a hiccup of the host or the generator) may need seconds to
# catch up, so one bad run does not end the search. Sets POINT to held (in
# either run), lost (in both), gen (the generator at its limit) or failed.
# Figures go to R[$1.m$3q.*] and R[$1.m$3q2.*].
quota_point() {
    local name=$1 port=$2 n=$3 tag k
    for tag in q q2; do
        k=$name.m$n$tag
        QUOTA_POINTS=$((QUOTA_POINTS + 1))
        if ! measure_media "$name" "$port" "$n" $tag; then
            POINT=failed
            return
        fi
        POINT=$(run_verdict "$k" "$n")
        [[ $POINT == *_gen ]] && POINT=gen
        R[$k.verdict]=$POINT
        [[ $POINT == lost ]] || return 0
    done
}

# The most calls daemon $1 holds at < MEDIA_MAX_LOSS % loss with
# MEDIA_QUOTA_PCT % of its core: from the estimate its CPU per 1000 calls at
# the comparison load gives, steps of 10 % up (or down) to the first load
# not held (held), then halving the gap down to 2.5 % (at least 10 calls).
media_capacity() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5 held=0 fail=0 why="" n mid
    local per=${R[$name.media_cpu_per_kcall]:-0}
    fcmp "$per" ">" 0 || return 0
    n=$(awk -v q="$MEDIA_QUOTA_PCT" -v c="$per" 'BEGIN { printf "%d", q / c * 1000 / 10 * 0.95 }')
    n=$(( n * 10 ))
    (( n < 10 )) && n=10
    log "== $name capacity with ${MEDIA_QUOTA_PCT}% of CPU $DAEMON_CPU (CFS quota), from $n calls"
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (capacity)" || return 0
    if ! echo "$DAEMON_PID" >"$QUOTA_PROCS"; then
        NOTES+=("could not put $name into $QUOTA_CG: capacity not measured")
        stop_daemon
        return
    fi
    sleep 1
    QUOTA_POINTS=0
    while alive; do
        if (( n > MEDIA_CAP )); then why="cap"; break; fi
        if (( QUOTA_POINTS >= MEDIA_QUOTA_POINTS )); then why="budget"; break; fi
        quota_point "$name" "$port" "$n"
        case $POINT in
            held)
                held=$n
                (( fail > 0 )) && break
                n=$(( (n * 11 / 10 + 9) / 10 * 10 ))
                ;;
            lost)
                fail=$n
                (( held > 0 )) && break
                n=$(( n * 9 / 10 / 10 * 10 ))
                (( n < 10 )) && { why="loss"; break; }
                ;;
            gen) why="generator"; break ;;
            *) why="failed"; break ;;
        esac
    done
    if (( held > 0 && fail > 0 )); then
        while alive; do
            local res=$(( held * 25 / 1000 < 10 ? 10 : held * 25 / 1000 ))
            (( fail - held <= res )) && break
            (( QUOTA_POINTS >= MEDIA_QUOTA_POINTS )) && { why="budget"; break; }
            mid=$(( (held + fail) / 2 / 10 * 10 ))
            (( mid <= held )) && break
            n=$mid
            quota_point "$name" "$port" "$n"
            case $POINT in
                held) held=$n ;;
                lost) fail=$n ;;
                gen) why="generator"; break ;;
                *) why="failed"; break ;;
            esac
        done
    fi
    if [[ -n $DAEMON_PID ]] && ! alive; then crashed "$name" "the capacity run"; fi
    stop_daemon
    R[$name.q.max_calls]=$held
    case $why in
        "") R[$name.q.limit]="loss >= $MEDIA_MAX_LOSS% at $fail calls" ;;
        generator) R[$name.q.limit]="generator at its limit at $n calls; the daemon may hold more" ;;
        cap) R[$name.q.limit]="$MEDIA_CAP_WHY: $MEDIA_CAP calls" ;;
        budget) R[$name.q.limit]="run budget of $MEDIA_QUOTA_POINTS loads (last lost: ${fail})" ;;
        loss) R[$name.q.limit]="loss even at 10 calls" ;;
        *) R[$name.q.limit]="run failed" ;;
    esac
    if (( held > 0 )); then
        R[$name.q.calls_per_core]=$(( held * 100 / MEDIA_QUOTA_PCT ))
        R[$name.q.cpu_per_kcall]=$(awk -v q="$MEDIA_QUOTA_PCT" -v h="$held" 'BEGIN { printf "%.1f", q / h * 1000 }')
    fi
    log "  $name: held $held calls with ${MEDIA_QUOTA_PCT}% of a core; stopped by ${R[$name.q.limit]}"
}

bench_media() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5
    log "== $name media ($bin), media ports $pmin-$pmax, pinned to CPU $DAEMON_CPU, generator on CPU $LOAD_CPU"
    [[ -f $WORK/$name.log ]] && mv "$WORK/$name.log" "$WORK/$name.control.log"
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (media)" || return 0
    R[$name.media_ran]=1
    sleep 1
    R[$name.media_rss_idle_kb]=$(rss_kb "$DAEMON_PID")
    media_search "$name" "$port"
    if [[ -n $DAEMON_PID ]] && ! alive; then crashed "$name" "the media run"; fi
    stop_daemon
}

bench_control() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5 churn=$6
    log "== $name ($bin), media ports $pmin-$pmax, pinned to CPU $DAEMON_CPU, log level $LOG_LEVEL"
    # The cycles on a fresh daemon, before any call was held; then a new one
    # for the hold, so that neither run inherits the other's reply cache.
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (fresh cycles)" || return 0
    R[$name.ran]=1
    sleep 1
    alive && measure_cycles "$name" "$port" 1 f
    alive && measure_cycles "$name" "$port" 16 f
    if [[ -n $DAEMON_PID ]] && ! alive; then crashed "$name" "the fresh cycles"; fi
    stop_daemon
    [[ $HOLD == 0 || -n ${R[$name.crashed]:-} ]] && return 0
    [[ -f $WORK/$name.log ]] && mv "$WORK/$name.log" "$WORK/$name.fresh.log"
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up" || return 0
    R[$name.ran]=1
    sleep 1
    R[$name.rss_idle_kb]=$(rss_kb "$DAEMON_PID")
    R[$name.fds_idle]=$(open_fds "$DAEMON_PID")
    measure_hold "$name" "$port"
    alive && measure_cycles "$name" "$port" 1
    alive && measure_cycles "$name" "$port" 16
    if [[ $churn == yes ]] && alive; then measure_churn "$name" "$port"; fi
    if [[ -n $DAEMON_PID ]] && ! alive; then crashed "$name" "the run"; fi
    stop_daemon
}

# A fresh start of daemon $1 and one media run at $6 calls, tagged $7.
repeat_media() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5 n=$6 tag=$7
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (repeat $tag)" || return 0
    sleep 1
    measure_media "$name" "$port" "$n" "$tag" || true
    if [[ -n $DAEMON_PID ]] && ! alive; then crashed "$name" "the repeat $tag"; fi
    stop_daemon
}

# The control-plane phases, then the media phase on a fresh daemon.
bench_daemon() {
    if (( DO_CONTROL )); then bench_control "$@"; fi
    if (( DO_MEDIA )) && [[ -z ${R[$1.crashed]:-} ]]; then bench_media "$1" "$2" "$3" "$4" "$5"; fi
}

# --- the run --------------------------------------------------------------------

START_TIME=$(date +%s)
if (( DO_CONTROL )); then
    log "calls held: $CALLS, cycle runs: ${DURATION} s, churn: $CHURN_CYCLES cycles, open files: $soft"
fi
if (( DO_MEDIA )); then
    log "media: loads $MEDIA_LOADS, then +$MEDIA_STEP; ${MEDIA_DURATION} s each (first ${MEDIA_WARMUP} s left out), late after ${MEDIA_LATE_MS} ms, tick ${MEDIA_TICK_US} us, at most $MEDIA_CAP calls ($MEDIA_CAP_WHY)"
fi
if (( DO_SECURE )); then
    log "secure media: $SECURE_LOADS calls, SRTP suites $SECURE_SUITES and plain RTP, $SECURE_REPEATS runs of each on each daemon, ${MEDIA_DURATION} s each"
fi
if (( DO_MEDIA || DO_SECURE )); then
    # The price of one wake-up on this host: see bench/wakecost.cpp.
    if "${PRIO[@]}" "$WAKECOST" --sleeper-cpu "$DAEMON_CPU" --waker-cpu "$LOAD_CPU" >"$WORK/wakecost.out"; then
        absorb host "$WORK/wakecost.out"
        log "one wake-up costs the woken thread ${R[host.wake_cost_us]:-?} us of CPU on this host"
    fi
fi
HAVE_NGMEDIAD=0
if [[ -x $NGMEDIAD ]]; then
    HAVE_NGMEDIAD=1
else
    NOTES+=("ngmediad not found at $NGMEDIAD: rtpengine measured alone")
    log "ngmediad not found at $NGMEDIAD; running rtpengine alone"
fi
if (( DO_CONTROL || DO_MEDIA )); then
    (( HAVE_NGMEDIAD )) && bench_daemon ngmediad "$NGMEDIAD" 12222 20000 40999 yes
    bench_daemon rtpengine "$RTPENGINE" 12223 41000 61999 no
fi

# Media: the load at which the daemons are compared: the highest fixed load
# both held with the generator within its limit and neither daemon above 90 %
# CPU (a saturated daemon batches more packets per wake-up and looks
# cheaper); else the highest both held; else the lowest both ran.
common=""
if (( DO_MEDIA )); then
    both_held=""
    lowest=""
    # shellcheck disable=SC2086 # a list of numbers
    for n in $(printf '%s\n' $MEDIA_LOADS | sort -n | uniq); do
        if [[ -n ${R[ngmediad.m$n.cpu_per_kcall]:-} && -n ${R[rtpengine.m$n.cpu_per_kcall]:-} ]]; then
            [[ -z $lowest ]] && lowest=$n
            if [[ ${R[ngmediad.m$n.verdict]:-} == held && ${R[rtpengine.m$n.verdict]:-} == held ]]; then
                both_held=$n
                fcmp "${R[ngmediad.m$n.daemon_cpu_pct]:-100}" "<" 90 &&
                    fcmp "${R[rtpengine.m$n.daemon_cpu_pct]:-100}" "<" 90 && common=$n
            fi
        fi
    done
    [[ -z $common ]] && common=$both_held
    [[ -z $common ]] && common=$lowest
fi

# Both daemons again at that load, in turn (ngmediad, rtpengine, ngmediad,
# ...), each on a fresh start: a single run of each, minutes apart, carries
# whatever else the host did at the time. The comparison takes the median.
if [[ -n $common ]] && (( MEDIA_REPEATS > 0 )) && [[ -z ${R[ngmediad.crashed]:-} && -z ${R[rtpengine.crashed]:-} ]]; then
    R[media.common_load]=$common
    log "== both daemons again at $common calls, in turn, $MEDIA_REPEATS more runs each"
    # ngmediad with one enabled stage that does nothing (NGMEDIA_NOOP_STAGE)
    # in every stream's chain, in the same turns: the cost of a stage.
    NOOP_BIN=$WORK/ngmediad-noop
    printf '#!/bin/sh\nNGMEDIA_NOOP_STAGE=1 exec "%s" "$@"\n' "$NGMEDIAD" >"$NOOP_BIN"
    chmod +x "$NOOP_BIN"
    for r in $(seq 1 "$MEDIA_REPEATS"); do
        repeat_media ngmediad "$NGMEDIAD" 12222 20000 40999 "$common" "r$r"
        repeat_media noop "$NOOP_BIN" 12222 20000 40999 "$common" "r$r"
        repeat_media rtpengine "$RTPENGINE" 12223 41000 61999 "$common" "r$r"
    done
    repeat_media noop "$NOOP_BIN" 12222 20000 40999 "$common" "r$((MEDIA_REPEATS + 1))"
fi
[[ -n $common ]] && R[media.common_load]=$common
# The median of figure $2 over daemon $1's runs at the common load (the
# search's and the repeats), empty without any.
common_median() {
    local d=$1 field=$2 key
    local -a vals=()
    for key in "${!R[@]}"; do
        [[ $key =~ ^$d\.m$common(r[0-9]+)?\.$field$ ]] && vals+=("${R[$key]}")
    done
    (( ${#vals[@]} )) || return 0
    printf '%s\n' "${vals[@]}" | sort -n |
        awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
if [[ -n $common ]]; then
    for d in ngmediad rtpengine noop; do
        R[$d.media_cpu_per_kcall]=$(common_median "$d" cpu_per_kcall)
        [[ -n ${R[$d.media_cpu_per_kcall]} ]] || { unset "R[$d.media_cpu_per_kcall]"; continue; }
        R[$d.media_calls_per_core]=$(awk -v c="${R[$d.media_cpu_per_kcall]}" 'BEGIN { if (c > 0) printf "%.0f", 100 / c * 1000; else print 0 }')
        # The latency target's load is usually the common one: its p50 too
        # is the median of those runs.
        if (( common == MEDIA_LATENCY_CALLS )); then
            R[$d.media_p50_us]=$(common_median "$d" latency_p50_us)
        fi
    done
fi

# Capacity under a CPU quota, both daemons in turn, each freshly started.
if (( DO_MEDIA )) && (( MEDIA_QUOTA_PCT > 0 )) && [[ -z ${R[ngmediad.crashed]:-} && -z ${R[rtpengine.crashed]:-} ]]; then
    if quota_cgroup_make; then
        [[ -n ${R[ngmediad.media_cpu_per_kcall]:-} ]] && media_capacity ngmediad "$NGMEDIAD" 12222 20000 40999
        [[ -n ${R[rtpengine.media_cpu_per_kcall]:-} ]] && media_capacity rtpengine "$RTPENGINE" 12223 41000 61999
        quota_cgroup_remove
    else
        NOTES+=("capacity under a CPU quota not measured: $QUOTA_WHY")
    fi
fi

# --- secure media: SDES-SRTP <-> RTP ---------------------------------------------

# The tag of a secure mode in R's keys: "plain", or the suite's name in
# lower case without underscores (aescm128hmacsha180, aeadaes128gcm).
secure_tag() {
    if [[ -z $1 ]]; then echo plain; else tr -d '_' <<<"${1,,}"; fi
}

# One secure run: daemon $1 started fresh, its idle RSS read, then one
# mediaload run of $6 calls with suite $7 (empty: plain) on the A legs,
# tagged $8. Figures under R[$1.m$6$8.*], with rss_idle_kb and the RSS per
# established call (RSS with the calls relaying - idle, / calls).
secure_run() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5 n=$6 suite=$7 tag=$8 k=$1.m$6$8
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (secure $tag)" || return 0
    sleep 1
    R[$k.rss_idle_kb]=$(rss_kb "$DAEMON_PID")
    MEDIA_SRTP=$suite
    measure_media "$name" "$port" "$n" "$tag" || true
    MEDIA_SRTP=""
    if [[ -n ${R[$k.daemon_rss_kb]:-} && ${R[$k.calls]:-0} -gt 0 ]]; then
        R[$k.rss_per_call_b]=$(awk -v a="${R[$k.daemon_rss_kb]}" -v b="${R[$k.rss_idle_kb]}" -v n="${R[$k.calls]}" \
            'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
    fi
    if [[ -n $DAEMON_PID ]] && ! alive; then crashed "$name" "the secure run $tag"; fi
    stop_daemon
}

# The median of figure $3 over daemon $1's secure runs $2 (a key prefix
# without the run number, e.g. m500saeadaes128gcm), empty without any.
secure_median() {
    local d=$1 prefix=$2 field=$3 key
    local -a vals=()
    for key in "${!R[@]}"; do
        [[ $key =~ ^$d\.${prefix}r[0-9]+\.$field$ ]] && vals+=("${R[$key]}")
    done
    (( ${#vals[@]} )) || return 0
    printf '%s\n' "${vals[@]}" | sort -n |
        awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# For each load: rounds of (plain, then each suite), each daemon in turn on
# a fresh start, so that drift of the host lands on all of them alike.
read -ra secure_suites <<<"$SECURE_SUITES"
SECURE_MODES=("" "${secure_suites[@]}")  # "" = plain RTP <-> RTP
if (( DO_SECURE )); then
    for n in $SECURE_LOADS; do
        if (( n > MEDIA_CAP )); then
            NOTES+=("secure load $n is above the $MEDIA_CAP calls the $MEDIA_CAP_WHY allow: not run")
            continue
        fi
        log "== secure media at $n calls: plain and $SECURE_SUITES, $SECURE_REPEATS rounds, both daemons in turn"
        for r in $(seq 1 "$SECURE_REPEATS"); do
            for suite in "${SECURE_MODES[@]}"; do
                tag=s$(secure_tag "$suite")r$r
                if (( HAVE_NGMEDIAD )) && [[ -z ${R[ngmediad.crashed]:-} ]]; then
                    secure_run ngmediad "$NGMEDIAD" 12222 20000 40999 "$n" "$suite" "$tag"
                fi
                [[ -z ${R[rtpengine.crashed]:-} ]] &&
                    secure_run rtpengine "$RTPENGINE" 12223 41000 61999 "$n" "$suite" "$tag"
            done
        done
        # Medians over the rounds, and each suite's cost over plain relaying.
        for d in ngmediad rtpengine; do
            for suite in "${SECURE_MODES[@]}"; do
                st=s$(secure_tag "$suite")
                base=$d.s$n.$st
                for f in cpu_per_kcall daemon_cpu_pct rss_per_call_b gen_cpu_pct latency_p50_us latency_p99_us; do
                    v=$(secure_median "$d" "m$n$st" "$f")
                    [[ -n $v ]] && R[$base.$f]=$v
                done
                # Worst loss and every packet wrongly relayed, over the rounds.
                for key in "${!R[@]}"; do
                    [[ $key =~ ^$d\.m$n${st}r[0-9]+\.loss_pct$ ]] || continue
                    fcmp "${R[$key]}" ">" "${R[$base.loss_pct]:-0}" && R[$base.loss_pct]=${R[$key]}
                    [[ -n ${R[$base.loss_pct]:-} ]] || R[$base.loss_pct]=${R[$key]}
                    rk=${key%.loss_pct}
                    R[$base.bad]=$(( ${R[$base.bad]:-0} + ${R[$rk.misrouted]:-0} + ${R[$rk.corrupt]:-0} + ${R[$rk.duplicates]:-0} + ${R[$rk.wrong_source]:-0} + ${R[$rk.srtp_errors]:-0} ))
                done
                if [[ -n $suite && -n ${R[$base.cpu_per_kcall]:-} && -n ${R[$d.s$n.splain.cpu_per_kcall]:-} ]]; then
                    R[$base.overhead_pct]=$(awk -v a="${R[$base.cpu_per_kcall]}" -v b="${R[$d.s$n.splain.cpu_per_kcall]}" \
                        'BEGIN { if (b > 0) printf "%+.1f", (a / b - 1) * 100 }')
                fi
            done
        done
    done
fi

# --- DTLS-SRTP: handshakes per core, and a burst under relaying ----------------

# One dtlsload run against daemon $1 (fresh) with a=setup $6: R[$1.$7.*].
dtls_run() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5 setup=$6 k=$1.$7 rc=0
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (dtls $7)" || return 0
    sleep 1
    "${PRIO[@]}" taskset -c "$LOAD_CPU" "$DTLSLOAD" --target "127.0.0.1:$port" --calls "$DTLS_CALLS" \
        --setup "$setup" --daemon-pid "$DAEMON_PID" --local-port $DTLS_CLIENT_PORT \
        --port-min $GEN_PORT_MIN --port-max $GEN_PORT_MAX >"$WORK/$k.out" 2>"$WORK/$k.err" &
    LOAD_PID=$!
    wait "$LOAD_PID" || rc=$?
    LOAD_PID=""
    sed 's/^/    /' "$WORK/$k.err" >&2
    absorb "$k" "$WORK/$k.out"
    R[$k.rc]=$rc
    if ! alive; then crashed "$name" "dtls $7"; return 0; fi
    (( rc >= 2 )) && { log "dtlsload against $name failed (exit $rc)"; FAILED=1; }
    stop_daemon
}

# One burst run against daemon $1 (fresh): mediaload with DTLS_BURST_PLAIN
# plain calls, and DTLS_BURST_AT s after its start dtlsload's burst, which
# signals mediaload when it begins and ends. R[$1.$6.*] (mediaload) and
# R[$1.$6.dtls.*] (dtlsload).
dtls_burst_run() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5 k=$1.$6 rc=0 mpid
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (dtls burst $6)" || return 0
    sleep 1
    "${PRIO[@]}" taskset -c "$LOAD_CPU" "$MEDIALOAD" --target "127.0.0.1:$port" --calls "$DTLS_BURST_PLAIN" \
        --duration "$DTLS_MEDIA_DURATION" --warmup 2 --late-ms "$MEDIA_LATE_MS" \
        --tick-us "$MEDIA_TICK_US" --daemon-pid "$DAEMON_PID" --local-port $CLIENT_PORT \
        --port-min $GEN_PORT_MIN --port-max $((DTLS_PORT_MIN - 1)) >"$WORK/$k.out" 2>"$WORK/$k.err" &
    # exec'd by taskset (and nice): the pid is mediaload's.
    mpid=$!
    LOAD_PID=$mpid
    sleep "$DTLS_BURST_AT"
    "${BURST_PRIO[@]}" taskset -c "$LOAD_CPU" "$DTLSLOAD" --target "127.0.0.1:$port" --calls "$DTLS_BURST" \
        --setup actpass --notify-pid "$mpid" --daemon-pid "$DAEMON_PID" --local-port $DTLS_CLIENT_PORT \
        --port-min $DTLS_PORT_MIN --port-max $GEN_PORT_MAX >"$WORK/$k.dtls.out" 2>"$WORK/$k.dtls.err" || true
    wait "$mpid" || rc=$?
    LOAD_PID=""
    sed 's/^/    /' "$WORK/$k.err" "$WORK/$k.dtls.err" >&2
    absorb "$k" "$WORK/$k.out"
    absorb "$k.dtls" "$WORK/$k.dtls.out"
    R[$k.rc]=$rc
    if ! alive; then crashed "$name" "dtls burst $6"; return 0; fi
    (( rc >= 2 )) && { log "mediaload against $name (dtls burst) failed (exit $rc)"; FAILED=1; }
    log "  $name burst $6: plain p99 before ${R[$k.before_latency_p99_us]:-?} us, during ${R[$k.burst_latency_p99_us]:-?} us (${R[$k.burst_latency_samples]:-?} packets, burst ${R[$k.burst_len_s]:-?} s)"
    stop_daemon
}

# The median of figure $3 over runs ^$1\.$2r[0-9]+\.$3$.
runs_median() {
    local d=$1 prefix=$2 field=$3 key
    local -a vals=()
    for key in "${!R[@]}"; do
        [[ $key =~ ^$d\.${prefix}r[0-9]+\.$field$ ]] && vals+=("${R[$key]}")
    done
    (( ${#vals[@]} )) || return 0
    printf '%s\n' "${vals[@]}" | sort -n |
        awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

BURST_PRIO=(nice -n "$DTLS_BURST_NICE")
if [[ $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null) == 1 ]]; then
    # shellcheck disable=SC2016 # expanded by the inner sh
    BURST_PRIO=(setsid sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec "$@"' "$DTLS_BURST_NICE"
                nice -n "$DTLS_BURST_NICE")
fi
if (( DO_DTLS )); then
    log "== dtls: $DTLS_CALLS handshakes at once ($DTLS_SETUPS), $DTLS_REPEATS rounds, both daemons in turn"
    for r in $(seq 1 "$DTLS_REPEATS"); do
        for setup in $DTLS_SETUPS; do
            if (( HAVE_NGMEDIAD )) && [[ -z ${R[ngmediad.crashed]:-} ]]; then
                dtls_run ngmediad "$NGMEDIAD" 12222 20000 40999 "$setup" "d${setup}r$r"
            fi
            [[ -z ${R[rtpengine.crashed]:-} ]] && dtls_run rtpengine "$RTPENGINE" 12223 41000 61999 "$setup" "d${setup}r$r"
        done
    done
    log "== dtls burst: $DTLS_BURST handshakes while $DTLS_BURST_PLAIN plain calls relay, $DTLS_BURST_REPEATS rounds"
    for r in $(seq 1 "$DTLS_BURST_REPEATS"); do
        if (( HAVE_NGMEDIAD )) && [[ -z ${R[ngmediad.crashed]:-} ]]; then
            dtls_burst_run ngmediad "$NGMEDIAD" 12222 20000 40999 "burstr$r"
        fi
        [[ -z ${R[rtpengine.crashed]:-} ]] && dtls_burst_run rtpengine "$RTPENGINE" 12223 41000 61999 "burstr$r"
    done
    for d in ngmediad rtpengine; do
        for setup in $DTLS_SETUPS; do
            for f in hs_per_core hs_per_core_with_answer hs_per_s hs_p50_ms hs_p99_ms daemon_hs_cpu_pct gen_hs_cpu_pct; do
                v=$(runs_median "$d" "d$setup" "$f")
                [[ -n $v ]] && R[$d.d$setup.$f]=$v
            done
            for key in "${!R[@]}"; do
                [[ $key =~ ^$d\.d${setup}r[0-9]+\.handshakes_ok$ ]] || continue
                rk=${key%.handshakes_ok}
                R[$d.d$setup.ok]=$(( ${R[$d.d$setup.ok]:-0} + ${R[$rk.handshakes_ok]:-0} ))
                R[$d.d$setup.tried]=$(( ${R[$d.d$setup.tried]:-0} + ${R[$rk.calls]:-0} ))
            done
        done
        for f in before_latency_p50_us before_latency_p99_us burst_latency_p50_us burst_latency_p99_us \
            burst_latency_max_us burst_len_s burst_latency_samples loss_pct; do
            v=$(runs_median "$d" burst "$f")
            [[ -n $v ]] && R[$d.burst.$f]=$v
        done
        # The worst run's p99 during the burst (the target is on every burst).
        for key in "${!R[@]}"; do
            [[ $key =~ ^$d\.burstr[0-9]+\.burst_latency_p99_us$ ]] || continue
            fcmp "${R[$key]}" ">" "${R[$d.burst.worst_p99_us]:-0}" && R[$d.burst.worst_p99_us]=${R[$key]}
            R[$d.burst.hs_ok]=$(( ${R[$d.burst.hs_ok]:-0} + ${R[${key%.burst_latency_p99_us}.dtls.handshakes_ok]:-0} ))
        done
    done
fi

# --- WebRTC-shaped calls: ICE + DTLS-SRTP + rtcp-mux <-> plain RTP ----------------

# One webrtcload run of $6 calls (window $7 s) against daemon $1, freshly
# started: R[$1.$8.*], with what else ran on the daemon's CPU meanwhile.
webrtc_run() {
    local name=$1 bin=$2 port=$3 pmin=$4 pmax=$5 n=$6 dur=$7 k=$1.$8 rc=0
    local t0 t1 d0 d1 w0 w1
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (webrtc $8)" || return 0
    sleep 1
    t0=$(cpu_ticks "$DAEMON_PID")
    d0=$(cpu_busy_ticks "$DAEMON_CPU")
    w0=$(date +%s.%N)
    "${PRIO[@]}" taskset -c "$LOAD_CPU" "$WEBRTCLOAD" --target "127.0.0.1:$port" --calls "$n" \
        --duration "$dur" --warmup 1 --caller "$WEBRTC_CALLER" --daemon-pid "$DAEMON_PID" --local-port $CLIENT_PORT \
        --port-min $GEN_PORT_MIN --port-max $GEN_PORT_MAX >"$WORK/$k.out" 2>"$WORK/$k.err" &
    LOAD_PID=$!
    wait "$LOAD_PID" || rc=$?
    LOAD_PID=""
    w1=$(date +%s.%N)
    t1=$(cpu_ticks "$DAEMON_PID")
    d1=$(cpu_busy_ticks "$DAEMON_CPU")
    sed 's/^/    /' "$WORK/$k.err" >&2
    absorb "$k" "$WORK/$k.out"
    R[$k.rc]=$rc
    local wall
    wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
    R[$k.other_daemon_cpu_pct]=$(ticks_pct "$(awk -v b=$((d1 - d0)) -v o=$((t1 - t0)) 'BEGIN { x = b - o; print x < 0 ? 0 : x }')" "$wall")
    if ! alive || (( rc == 4 )); then crashed "$name" "webrtc $8"; return 0; fi
    (( rc >= 2 )) && { log "webrtcload against $name failed (exit $rc)"; FAILED=1; }
    stop_daemon
}

if (( DO_WEBRTC )); then
    log "== webrtc: $WEBRTC_CALLS calls (ICE + DTLS-SRTP + rtcp-mux <-> RTP), ${WEBRTC_DURATION} s window, $WEBRTC_REPEATS rounds; then $WEBRTC_SETUP_CALLS calls started together, $WEBRTC_SETUP_REPEATS rounds; both daemons in turn"
    for r in $(seq 1 "$WEBRTC_REPEATS"); do
        if (( HAVE_NGMEDIAD )) && [[ -z ${R[ngmediad.crashed]:-} ]]; then
            webrtc_run ngmediad "$NGMEDIAD" 12222 20000 40999 "$WEBRTC_CALLS" "$WEBRTC_DURATION" "wloadr$r"
        fi
        [[ -z ${R[rtpengine.crashed]:-} ]] &&
            webrtc_run rtpengine "$RTPENGINE" 12223 41000 61999 "$WEBRTC_CALLS" "$WEBRTC_DURATION" "wloadr$r"
    done
    for r in $(seq 1 "$WEBRTC_SETUP_REPEATS"); do
        if (( HAVE_NGMEDIAD )) && [[ -z ${R[ngmediad.crashed]:-} ]]; then
            webrtc_run ngmediad "$NGMEDIAD" 12222 20000 40999 "$WEBRTC_SETUP_CALLS" 2 "wsetupr$r"
        fi
        [[ -z ${R[rtpengine.crashed]:-} ]] &&
            webrtc_run rtpengine "$RTPENGINE" 12223 41000 61999 "$WEBRTC_SETUP_CALLS" 2 "wsetupr$r"
    done
    for d in ngmediad rtpengine; do
        for f in cpu_per_kcall daemon_cpu_pct gen_cpu_pct other_daemon_cpu_pct daemon_rss_kb gen_max_lag_ms; do
            v=$(runs_median "$d" wload "$f")
            [[ -n $v ]] && R[$d.wload.$f]=$v
        done
        for f in ice_p50_ms ice_p99_ms dtls_p50_ms dtls_p99_ms media_b_p50_ms media_b_p99_ms setup_all_s; do
            v=$(runs_median "$d" wsetup "$f")
            [[ -n $v ]] && R[$d.wsetup.$f]=$v
        done
        # Over every run of both kinds: the worst loss, and sums of what
        # must be zero.
        for key in "${!R[@]}"; do
            [[ $key =~ ^$d\.w(load|setup)r[0-9]+\.calls$ ]] || continue
            rk=${key%.calls}
            fcmp "${R[$rk.loss_pct]:-0}" ">" "${R[$d.webrtc.loss_pct]:-0}" && R[$d.webrtc.loss_pct]=${R[$rk.loss_pct]}
            [[ -n ${R[$d.webrtc.loss_pct]:-} ]] || R[$d.webrtc.loss_pct]=${R[$rk.loss_pct]:-0}
            for f in calls calls_up calls_failed srtp_auth_failed srtp_replayed garbage duplicates consent_lost \
                lost_ab lost_ba consent_checks_sent ice_checks_received dtls_a_server; do
                R[$d.webrtc.$f]=$(( ${R[$d.webrtc.$f]:-0} + ${R[$rk.$f]:-0} ))
            done
        done
    done
fi

# --- ops phase: ng over HTTP and WebSocket, /metrics scrapes ----------------------

# ops_cycles NAME HTTP_PORT TRANSPORT: cycles at OPS_INFLIGHT connections,
# figures under R[NAME.ops_TRANSPORT.*].
ops_cycles() {
    local name=$1 hport=$2 tr=$3 k=$1.ops_$3 t0 t1
    t0=$(cpu_ticks "$DAEMON_PID")
    run_load "$name" "ops_$tr" cycles --transport "$tr" --target "127.0.0.1:$hport" \
        --inflight "$OPS_INFLIGHT" --duration "$OPS_DURATION" || return 1
    alive || { crashed "$name" "ng over $tr"; return 1; }
    t1=$(cpu_ticks "$DAEMON_PID")
    R[$k.daemon_cpu_pct]=$(ticks_pct $((t1 - t0)) "${R[$k.wall_s]:-0}")
    log "  $name: ${R[$k.cycles_per_s]:-?} cycles/s over $tr at $OPS_INFLIGHT in flight (daemon ${R[$k.daemon_cpu_pct]}% of CPU $DAEMON_CPU)"
}

ops_transports() {
    local name=$1 bin=$2 port=$3 hport=$4 pmin=$5 pmax=$6
    log "== $name ops: ng over WebSocket and HTTP POST /ng (--listen-http=127.0.0.1:$hport), $OPS_INFLIGHT in flight, ${OPS_DURATION} s each"
    DAEMON_EXTRA=(--listen-http="127.0.0.1:$hport")
    start_or_fail "$name" "$bin" "$port" "$pmin" "$pmax" "at start-up (ops)"
    local started=$?
    DAEMON_EXTRA=()
    (( started == 0 )) || return 0
    R[$name.ops_ran]=1
    sleep 1
    alive && ops_cycles "$name" "$hport" ws
    alive && ops_cycles "$name" "$hport" http
    if [[ -n $DAEMON_PID ]] && ! alive; then crashed "$name" "the ops cycles"; fi
    stop_daemon
    [[ -f $WORK/$name.log ]] && mv "$WORK/$name.log" "$WORK/$name.ops.log"
}

# ops_scrapes NAME TAG [ARGS]: OPS_SCRAPES scrapes of /metrics; R[NAME.TAG.*].
ops_scrapes() {
    local name=$1 tag=$2 hport=$3
    "${PRIO[@]}" taskset -c "$LOAD_CPU" "$NGLOAD" scrape --target "127.0.0.1:$hport" \
        --count "$OPS_SCRAPES" --interval 0.1 >"$WORK/$name.$tag.out" 2>"$WORK/$name.$tag.err"
    sed 's/^/    /' "$WORK/$name.$tag.err" >&2
    absorb "$name.$tag" "$WORK/$name.$tag.out"
}

# A value of a metric family from a /metrics text: its samples summed.
metric_sum() {
    awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.6f", s }' "$2"
}

# /metrics scrapes with OPS_CALLS calls up on ngmediad: their cost, and the
# relay latency of OPS_MEDIA_CALLS media calls without and with scrapes.
ops_scrape_phase() {
    local name=$1 bin=$2 port=$3 hport=$4
    local out=$WORK/$name.opshold.out fifo=$WORK/$name.opshold.in r
    local calls=$OPS_CALLS
    # Without the right to raise the open-file limit (no CAP_SYS_RESOURCE,
    # e.g. in a container) fewer calls, said so under the table.
    local fit=$(( (soft - 2 * FD_RESERVE) / FDS_PER_CALL - OPS_MEDIA_CALLS ))
    fit=$(( fit / 100 * 100 ))
    if (( calls > fit )); then
        NOTES+=("ops: the open-file limit $soft allows $fit calls held beside the $OPS_MEDIA_CALLS media calls at $FDS_PER_CALL descriptors each: /metrics was measured with $fit calls up, not $OPS_CALLS (the target's figure); raise the limit (as root with CAP_SYS_RESOURCE run.sh does) for the real one")
        calls=$fit
    fi
    if (( calls <= 0 )); then
        NOTES+=("ops: no room for calls under the open-file limit $soft: scrape phase skipped")
        return 0
    fi
    if (( (calls + OPS_MEDIA_CALLS) * 4 > OPS_PORT_MAX - OPS_PORT_MIN + 1 )); then
        NOTES+=("ops: $calls + $OPS_MEDIA_CALLS calls need more than ports $OPS_PORT_MIN-$OPS_PORT_MAX: scrape phase skipped")
        return 0
    fi
    log "== $name ops: /metrics with $calls calls up, $OPS_MEDIA_CALLS more with media, $OPS_SCRAPES scrapes"
    DAEMON_EXTRA=(--listen-http="127.0.0.1:$hport")
    start_or_fail "$name" "$bin" "$port" "$OPS_PORT_MIN" "$OPS_PORT_MAX" "at start-up (ops scrapes)"
    local started=$?
    DAEMON_EXTRA=()
    (( started == 0 )) || return 0
    sleep 1
    ops_scrapes "$name" ops_scrape_idle "$hport"
    rm -f "$fifo"
    mkfifo "$fifo"
    "${PRIO[@]}" taskset -c "$LOAD_CPU" "$NGLOAD" hold --target "127.0.0.1:$port" --calls "$calls" \
        --local-port $OPS_HOLD_PORT <"$fifo" >"$out" 2>"$WORK/$name.opshold.err" &
    local hold_pid=$!
    exec 8>"$fifo"
    if ! wait_for_line "$out" ESTABLISHED 600; then
        log "ngload hold against $name did not establish its $calls calls"
        FAILED=1
    else
        R[$name.ops_calls]=$(awk '/^ESTABLISHED/ { print $2 }' "$out")
        R[$name.ops_rss_with_kb]=$(rss_kb "$DAEMON_PID")
        log "  $name: ${R[$name.ops_calls]} calls up, RSS ${R[$name.ops_rss_with_kb]} KiB"
        ops_scrapes "$name" ops_scrape_calls "$hport"
        local w0m w1m
        w0m=$(date +%s.%N)
        curl -s "http://127.0.0.1:$hport/metrics" >"$WORK/$name.metrics0.txt" 2>/dev/null
        for r in $(seq 1 "$OPS_REPEATS"); do
            alive || break
            measure_media "$name" "$port" "$OPS_MEDIA_CALLS" "ops0r$r" || true
            alive || break
            # Scrapes every 100 ms for the whole media run (set-up included):
            # Prometheus scrapes every 15 s or so, this is the worst case.
            "${PRIO[@]}" taskset -c "$LOAD_CPU" "$NGLOAD" scrape --target "127.0.0.1:$hport" \
                --count 0 --duration 3600 --interval 0.1 >"$WORK/$name.ops_scrape_mr$r.out" \
                2>"$WORK/$name.ops_scrape_mr$r.err" &
            SCRAPE_PID=$!
            measure_media "$name" "$port" "$OPS_MEDIA_CALLS" "ops1r$r" || true
            kill -TERM "$SCRAPE_PID" 2>/dev/null
            wait "$SCRAPE_PID"
            SCRAPE_PID=""
            absorb "$name.ops_scrape_mr$r" "$WORK/$name.ops_scrape_mr$r.out"
            sed 's/^/    /' "$WORK/$name.ops_scrape_mr$r.err" >&2
        done
        curl -s "http://127.0.0.1:$hport/metrics" >"$WORK/$name.metrics1.txt" 2>/dev/null
        w1m=$(date +%s.%N)
        # The media worker's busy share of its core over the media runs, set-up
        # and teardown included (ngmedia_worker_busy_seconds_total, one worker).
        local b0 b1
        b0=$(metric_sum ngmedia_worker_busy_seconds_total "$WORK/$name.metrics0.txt")
        b1=$(metric_sum ngmedia_worker_busy_seconds_total "$WORK/$name.metrics1.txt")
        R[$name.ops_worker_busy_pct]=$(awk -v b="$b1" -v a="$b0" -v s="$w0m" -v e="$w1m" \
            'BEGIN { if (e > s) printf "%.1f", (b - a) * 100 / (e - s); else print "" }')
        echo delete >&8
        wait_for_line "$out" DELETED 600 || log "ngload hold against $name did not delete its calls"
    fi
    alive || kill "$hold_pid" 2>/dev/null
    exec 8>&-
    wait "$hold_pid"
    if [[ -n $DAEMON_PID ]] && ! alive; then crashed "$name" "the ops scrapes"; fi
    stop_daemon
    [[ -f $WORK/$name.log ]] && mv "$WORK/$name.log" "$WORK/$name.opsscrape.log"
    # Medians over the repeats; the scrapes during media: the worst run.
    local f v
    for f in latency_p50_us latency_p99_us latency_max_us loss_pct daemon_cpu_pct; do
        v=$(runs_median "$name" "m${OPS_MEDIA_CALLS}ops0" "$f")
        [[ -n $v ]] && R[$name.ops_media0.$f]=$v
        v=$(runs_median "$name" "m${OPS_MEDIA_CALLS}ops1" "$f")
        [[ -n $v ]] && R[$name.ops_media1.$f]=$v
    done
    for key in "${!R[@]}"; do
        [[ $key =~ ^$name\.ops_scrape_mr[0-9]+\.scrape_(p50|max)_ms$ ]] || continue
        f=${key##*.}
        fcmp "${R[$key]}" ">" "${R[$name.ops_scrape_media.$f]:-0}" && R[$name.ops_scrape_media.$f]=${R[$key]}
        R[$name.ops_scrape_media.scrapes]=$(( ${R[$name.ops_scrape_media.scrapes]:-0} + ${R[${key%.*}.scrapes]:-0} ))
    done
}

if (( DO_OPS )); then
    if (( HAVE_NGMEDIAD )); then
        ops_transports ngmediad "$NGMEDIAD" 12222 12232 20000 40999
    fi
    ops_transports rtpengine "$RTPENGINE" 12223 12233 41000 61999
    if (( HAVE_NGMEDIAD )) && [[ -z ${R[ngmediad.crashed]:-} ]]; then
        ops_scrape_phase ngmediad "$NGMEDIAD" 12222 12232
    fi
fi

# --- report ---------------------------------------------------------------------

# Derived figures.
for d in ngmediad rtpengine; do
    [[ -n ${R[$d.ran]:-} ]] || continue
    idle=${R[$d.rss_idle_kb]:-}
    with=${R[$d.rss_with_kb]:-}
    after=${R[$d.rss_after_kb]:-}
    calls=${R[$d.calls]:-0}
    if [[ -n $idle && -n $with && $calls -gt 0 ]]; then
        R[$d.rss_per_call_b]=$(awk -v a="$with" -v b="$idle" -v n="$calls" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
    fi
    if [[ -n $idle && -n $after ]]; then
        R[$d.after_vs_idle_pct]=$(awk -v a="$after" -v b="$idle" 'BEGIN { printf "%.1f", (a - b) * 100 / b }')
    fi
    if [[ -n ${R[$d.churn_before_kb]:-} && -n ${R[$d.churn_after_kb]:-} ]]; then
        R[$d.churn_growth_pct]=$(awk -v a="${R[$d.churn_after_kb]}" -v b="${R[$d.churn_before_kb]}" 'BEGIN { printf "%.1f", (a - b) * 100 / b }')
    fi
    errs=0
    for k in f1.errors f16.errors c1.errors c16.errors hold.establish_errors hold.teardown_errors churn.errors; do
        errs=$((errs + ${R[$d.$k]:-0}))
    done
    R[$d.errors_total]=$errs
    tos=0
    for k in f1.timeouts f16.timeouts c1.timeouts c16.timeouts hold.establish_timeouts hold.teardown_timeouts churn.timeouts; do
        tos=$((tos + ${R[$d.$k]:-0}))
    done
    R[$d.timeouts_total]=$tos
done

ratio() {
    local a=${R[ngmediad.$1]:-} b=${R[rtpengine.$1]:-}
    if [[ -z $a || -z $b ]]; then echo "-"; return; fi
    awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "-"; else printf "%.2fx", a / b }'
}

# verdict KEY OP LIMIT: compares the ngmediad/rtpengine ratio of KEY with LIMIT.
ratio_verdict() {
    local a=${R[ngmediad.$1]:-} b=${R[rtpengine.$1]:-} op=$2 limit=$3
    if [[ -n ${R[ngmediad.crashed]:-} ]]; then echo "FAIL (crashed)"; return; fi
    if [[ -z $a || -z $b ]]; then echo "n/a"; return; fi
    awk -v a="$a" -v b="$b" -v l="$limit" -v op="$op" 'BEGIN {
        if (b == 0) { print "n/a"; exit }
        r = a / b; ok = (op == ">=") ? (r >= l) : (r <= l); print ok ? "PASS" : "FAIL" }'
}

row() {  # label key target verdict
    local label=$1 key=$2 target=${3:-} verdict=${4:-}
    printf '%-34s %12s %12s %9s  %-22s %s\n' "$label" "${R[ngmediad.$key]:--}" \
        "${R[rtpengine.$key]:--}" "$(ratio "$key")" "$target" "$verdict"
}

table_header() {
    printf '%-34s %12s %12s %9s  %-22s %s\n' metric ngmediad rtpengine ngm/rtp target verdict
    printf '%s\n' "$(printf -- '-%.0s' $(seq 105))"
}

report() {
    local what="control-plane, media, secure media, DTLS-SRTP, WebRTC-shaped and operations"
    [[ $MODE == control ]] && what="control-plane"
    [[ $MODE == media ]] && what="media"
    [[ $MODE == secure ]] && what="secure media"
    [[ $MODE == dtls ]] && what="DTLS-SRTP"
    [[ $MODE == webrtc ]] && what="WebRTC-shaped"
    [[ $MODE == ops ]] && what="operations (ng over HTTP/WebSocket, /metrics)"
    echo "ngmedia $what benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)); daemon on CPU $DAEMON_CPU, ngload/mediaload on CPU $LOAD_CPU"
    echo "rtpengine: $("$RTPENGINE" --version 2>&1 | head -n1)"
    echo "both: --table=-1 --num-threads=1 --delete-delay=0 --log-level=$LOG_LEVEL, stderr to a file, nice $NICE"
    echo
    if (( DO_CONTROL )); then report_control; fi
    if (( DO_MEDIA )); then
        (( DO_CONTROL )) && echo
        report_media
    fi
    if (( DO_SECURE )); then
        (( DO_CONTROL || DO_MEDIA )) && echo
        report_secure
    fi
    if (( DO_DTLS )); then
        (( DO_CONTROL || DO_MEDIA || DO_SECURE )) && echo
        report_dtls
    fi
    if (( DO_WEBRTC )); then
        (( DO_CONTROL || DO_MEDIA || DO_SECURE || DO_DTLS )) && echo
        report_webrtc
    fi
    if (( DO_OPS )); then
        (( DO_CONTROL || DO_MEDIA || DO_SECURE || DO_DTLS || DO_WEBRTC )) && echo
        report_ops
    fi
    for d in ngmediad rtpengine; do
        [[ -n ${R[$d.crashed]:-} ]] && echo "CRASH: $d failed ${R[$d.crashed]}"
    done
    for n in "${NOTES[@]}"; do echo "note: $n"; done
    echo "ratios are ngmediad / rtpengine; whole run took $(( $(date +%s) - START_TIME )) s."
}

report_control() {
    echo "== control plane"
    table_header
    # f: on a fresh daemon; c: after the hold of $CALLS calls.
    row "cycles/s, 1 in flight, fresh" f1.cycles_per_s
    row "cycles/s, 16 in flight, fresh" f16.cycles_per_s ">= 4x rtpengine" "$(ratio_verdict f16.cycles_per_s '>=' 4)"
    if [[ $HOLD != 0 ]]; then
        row "cycles/s, 1 in flight, after hold" c1.cycles_per_s
        row "cycles/s, 16 in flight, after hold" c16.cycles_per_s ">= 4x rtpengine" "$(ratio_verdict c16.cycles_per_s '>=' 4)"
    fi
    local t w
    for t in f c; do
        [[ $t == c && $HOLD == 0 ]] && continue
        w=fresh
        [[ $t == c ]] && w="after hold"
        for inf in 1 16; do
            for cmd in offer answer delete; do
                row "$cmd p50 us, $inf in flight, $w" "$t$inf.${cmd}_p50_us"
                row "$cmd p99 us, $inf in flight, $w" "$t$inf.${cmd}_p99_us"
            done
        done
        row "daemon CPU %, 1 in flight, $w" $t"1.daemon_cpu_pct"
        row "daemon CPU %, 16 in flight, $w" $t"16.daemon_cpu_pct"
        row "ngload CPU %, 1 in flight, $w" $t"1.cpu_pct"
        row "ngload CPU %, 16 in flight, $w" $t"16.cpu_pct"
        row "others on daemon CPU %, 16, $w" $t"16.other_daemon_cpu_pct"
        row "others on ngload CPU %, 16, $w" $t"16.other_load_cpu_pct"
        row "  of both: hypervisor steal %" $t"16.steal_pct"
    done
    row "timeouts (all runs)" timeouts_total
    row "errors (all runs)" errors_total
    row "RSS idle KiB" rss_idle_kb
    row "calls held" calls
    row "calls deleted" hold.calls_deleted
    row "RSS with calls KiB" rss_with_kb
    row "RSS per call bytes" rss_per_call_b "<= 25% of rtpengine" "$(ratio_verdict rss_per_call_b '<=' 0.25)"
    row "RSS after delete KiB" rss_after_kb
    local v="n/a"
    if [[ -n ${R[ngmediad.crashed]:-} ]]; then
        v="FAIL (crashed)"
    elif [[ -n ${R[ngmediad.after_vs_idle_pct]:-} ]]; then
        v=$(awk -v p="${R[ngmediad.after_vs_idle_pct]}" 'BEGIN { print (p <= 5 && p >= -5) ? "PASS" : "FAIL" }')
    fi
    row "RSS after delete vs idle %" after_vs_idle_pct "ngmediad within 5%" "$v"
    row "open fds idle" fds_idle
    row "open fds with calls" fds_with
    row "open fds after delete" fds_after
    row "RSS before churn KiB" churn_before_kb
    row "RSS after $CHURN_CYCLES churn cycles KiB" churn_after_kb
    row "RSS churn growth %" churn_growth_pct
    echo
    for d in ngmediad rtpengine; do
        for t in f c; do
            w=fresh
            [[ $t == c ]] && w="after the hold"
            for inf in 1 16; do
                local o=${R[$d.$t$inf.other_daemon_cpu_pct]:-0}
                if awk -v o="$o" 'BEGIN { exit !(o > 5) }'; then
                    echo "note: other processes took $o% of CPU $DAEMON_CPU during $d's run at $inf in flight ($w); its figures may be understated"
                fi
            done
            local g=${R[$d.${t}16.cpu_pct]:-0}
            if awk -v g="$g" 'BEGIN { exit !(g > 85) }'; then
                echo "note: ngload used $g% of CPU $LOAD_CPU against $d at 16 in flight ($w): near its limit, the figure is a lower bound"
            fi
        done
    done
    echo "fresh = a newly started daemon; after hold = the same cycles after $CALLS calls were set up, deleted and their replies expired (a new daemon for each part)."
    echo "RSS per call = (RSS with calls - RSS idle) / calls held."
}

# A row for the media run at $2 calls: row_at LABEL CALLS KEY.
row_at() { row "$1" "m$2.$3" "${4:-}" "${5:-}"; }

report_media() {
    echo "== media: G.711 calls, one 172-byte RTP packet per 20 ms each way, ${MEDIA_DURATION} s per load (CPU and latency over the last $((MEDIA_DURATION - MEDIA_WARMUP)) s)"
    table_header
    local v n c
    row "calls held at < $MEDIA_MAX_LOSS% loss" media_max_calls
    row "calls at 80% of that" media_n80
    v="n/a"
    if [[ -n ${R[ngmediad.crashed]:-} ]]; then
        v="FAIL (crashed)"
    elif [[ -n ${R[ngmediad.media_loss80_pct]:-} ]]; then
        v=$(fcmp "${R[ngmediad.media_loss80_pct]}" "==" 0 && echo PASS || echo FAIL)
    fi
    row "loss % at 80% of max" media_loss80_pct "0 on ngmediad" "$v"
    c=${R[media.common_load]:-}
    if [[ -n $c ]]; then
        if [[ -n ${R[ngmediad.crashed]:-} ]]; then v="FAIL (crashed)"; else v=$(ratio_verdict media_cpu_per_kcall '<=' 0.60); fi
        row "CPU % per 1000 calls, at $c" media_cpu_per_kcall "<= 60% of rtpengine" "$v"
        row "calls per core, at $c" media_calls_per_core
        if [[ -n ${R[noop.media_cpu_per_kcall]:-} && -n ${R[ngmediad.media_cpu_per_kcall]:-} ]]; then
            local cost
            cost=$(awk -v a="${R[noop.media_cpu_per_kcall]}" -v b="${R[ngmediad.media_cpu_per_kcall]}" \
                'BEGIN { if (b > 0) printf "%+.1f", (a / b - 1) * 100; else print "n/a" }')
            v=$(awk -v c="$cost" 'BEGIN { print (c != "n/a" && c + 0 <= 2) ? "PASS" : "FAIL" }')
            printf '%-34s %12s %12s %9s  %-22s %s\n' "  with a no-op stage (median)" "${R[noop.media_cpu_per_kcall]}" "-" "${cost}%" "<= +2% of without" "$v"
        fi
    fi
    if [[ -n ${R[ngmediad.q.max_calls]:-} || -n ${R[rtpengine.q.max_calls]:-} ]]; then
        row "capacity: calls held, ${MEDIA_QUOTA_PCT}% of a core" q.max_calls
        if [[ -n ${R[ngmediad.crashed]:-} ]]; then v="FAIL (crashed)"; else v=$(ratio_verdict q.calls_per_core '>=' 1.65); fi
        row "  calls per core at capacity" q.calls_per_core ">= 1.65x rtpengine" "$v"
        if [[ -n ${R[ngmediad.crashed]:-} ]]; then v="FAIL (crashed)"; else v=$(ratio_verdict q.cpu_per_kcall '<=' 0.60); fi
        row "  CPU % per 1000 calls at capacity" q.cpu_per_kcall "<= 60% of rtpengine" "$v"
    fi
    n=$MEDIA_LATENCY_CALLS
    v="n/a"
    local p50key=m$n.latency_p50_us p50label="relay p50 us at $n calls"
    if [[ -n ${R[ngmediad.media_p50_us]:-} ]]; then
        p50key=media_p50_us p50label="relay p50 us at $n calls (median)"
    fi
    if [[ -n ${R[ngmediad.crashed]:-} ]]; then
        v="FAIL (crashed)"
    elif [[ -n ${R[ngmediad.$p50key]:-} ]]; then
        v=$(fcmp "${R[ngmediad.$p50key]}" "<=" 100 && echo PASS || echo FAIL)
    fi
    row "$p50label" "$p50key" "<= 100 us (ngmediad)" "$v"
    row_at "relay p99 us at $n calls" "$n" latency_p99_us
    row "RSS idle KiB" media_rss_idle_kb
    local -a loads
    mapfile -t loads < <(printf '%s\n' "${!R[@]}" | sed -n 's/^[a-z]*\.m\([0-9]*\)\.loss_pct$/\1/p' | sort -n | uniq)
    for n in "${loads[@]}"; do
        echo "-- $n calls"
        row_at "  daemon CPU %" "$n" daemon_cpu_pct
        row_at "  CPU % per 1000 calls" "$n" cpu_per_kcall
        row_at "  loss %" "$n" loss_pct
        row_at "  packets/s relayed" "$n" pps_relayed
        row_at "  relay p50 us" "$n" latency_p50_us
        row_at "  relay p99 us" "$n" latency_p99_us
        row_at "  relay max us" "$n" latency_max_us
        row_at "  RSS KiB" "$n" daemon_rss_kb
        row_at "  daemon wake-ups/s" "$n" daemon_wakeups_per_s
        row_at "  CPU % on wake-ups (est.)" "$n" wake_cpu_pct
        row_at "  generator CPU %" "$n" gen_cpu_pct
        row_at "  others on daemon CPU %" "$n" other_daemon_cpu_pct
        row_at "  hypervisor steal %" "$n" steal_pct
    done
    echo
    for d in ngmediad rtpengine; do
        [[ -n ${R[$d.media_ran]:-} ]] || continue
        echo "$d: most calls held ${R[$d.media_max_calls]:-0}; stopped by ${R[$d.media_limit]:-?}"
    done
    for d in ngmediad rtpengine; do
        [[ -n ${R[$d.q.max_calls]:-} ]] || continue
        local runs="" qn qk
        for qn in $(printf '%s\n' "${!R[@]}" | sed -n "s/^$d\.m\([0-9]*\)q\.loss_pct$/\1/p" | sort -n); do
            qk=$d.m${qn}q
            runs+=" $qn: ${R[$qk.loss_pct]}% loss (${R[$qk.verdict]:-?}, p50 ${R[$qk.latency_p50_us]:-?} us, steal ${R[$qk.steal_pct]:-?}%)"
            [[ -n ${R[${qk}2.loss_pct]:-} ]] &&
                runs+=", again ${R[${qk}2.loss_pct]}% (${R[${qk}2.verdict]:-?}, p50 ${R[${qk}2.latency_p50_us]:-?} us, steal ${R[${qk}2.steal_pct]:-?}%)"
            runs+=";"
        done
        echo "$d with ${MEDIA_QUOTA_PCT}% of CPU $DAEMON_CPU: most calls held ${R[$d.q.max_calls]}; stopped by ${R[$d.q.limit]:-?}. Loads:${runs%;}"
    done
    for d in ngmediad rtpengine; do
        for n in "${loads[@]}"; do
            local k=$d.m$n
            [[ -n ${R[$k.loss_pct]:-} ]] || continue
            if gen_at_limit "$k"; then
                echo "note: $d at $n calls is generator-bound: mediaload used ${R[$k.gen_cpu_pct]}% of CPU $LOAD_CPU, sent at ${R[$k.send_rate_pct]}% of the nominal rate, dropped ${R[$k.gen_rx_drops]:-0} at its sockets"
            elif fcmp "${R[$k.gen_cpu_pct]:-0}" ">=" $MEDIA_GEN_BUSY; then
                echo "note: $d at $n calls: mediaload used ${R[$k.gen_cpu_pct]}% of CPU $LOAD_CPU, close to its limit (it kept its schedule)"
            fi
            if fcmp "${R[$k.steal_pct]:-0}" ">" 2; then
                echo "note: the hypervisor took ${R[$k.steal_pct]}% of both CPUs during $d's run at $n calls; its figures may be off"
            fi
            if fcmp "${R[$k.other_daemon_cpu_pct]:-0}" ">" 5; then
                echo "note: other processes took ${R[$k.other_daemon_cpu_pct]}% of CPU $DAEMON_CPU during $d's run at $n calls; its figures may be off"
            fi
            if fcmp "${R[$k.loss_pct]:-0}" ">" 0 && [[ ${R[$k.never_arrived]:-1} == 0 ]]; then
                echo "note: $d at $n calls: all ${R[$k.late]} lost packets did arrive, more than $MEDIA_LATE_MS ms late (slowest $(awk -v u="${R[$k.latency_max_us]:-0}" 'BEGIN { printf "%.0f", u / 1000 }') ms): a stall or a backlog, not drops"
            fi
            local bad=$(( ${R[$k.misrouted]:-0} + ${R[$k.corrupt]:-0} + ${R[$k.duplicates]:-0} + ${R[$k.wrong_source]:-0} ))
            if (( bad > 0 )); then
                echo "WRONG FORWARDING: $d at $n calls: misrouted ${R[$k.misrouted]:-0}, corrupt ${R[$k.corrupt]:-0}, duplicates ${R[$k.duplicates]:-0}, from a wrong source ${R[$k.wrong_source]:-0}"
            fi
        done
    done
    if [[ -n ${c:-} ]]; then
        echo "CPU per 1000 calls compared at $c calls: the highest fixed load both held, generator within its limit, both daemons under 90% CPU (if any); the median of $((MEDIA_REPEATS + 1)) runs of each, taken in turn after the search (and so is the p50 when $c is the latency target's load)."
        for d in ngmediad rtpengine; do
            local runs="" key
            for key in $(printf '%s\n' "${!R[@]}" | grep -E "^$d\.m$c(r[0-9]+)?\.cpu_per_kcall$" | sort); do
                local rk=${key%.cpu_per_kcall}
                runs+=" ${R[$key]} (p50 ${R[$rk.latency_p50_us]:-?} us, steal ${R[$rk.steal_pct]:-?}%, others ${R[$rk.other_daemon_cpu_pct]:-?}%);"
            done
            [[ -n $runs ]] && echo "  $d CPU % per 1000 calls at $c, run by run:${runs%;}"
        done
    fi
    if [[ -n ${R[host.wake_cost_us]:-} ]]; then
        echo "one wake-up from sleep costs the woken thread ${R[host.wake_cost_us]} us of CPU on this host (bench/wakecost, woken from CPU $LOAD_CPU); \"CPU % on wake-ups\" = the daemon's wake-ups/s x that. A daemon that keeps up easily sleeps between the generator's bursts and pays it more often."
    fi
    echo "loss = packets never relayed or relayed more than $MEDIA_LATE_MS ms late; relay latency = kernel arrival time - send time in the packet."
}

# verdict on ngmediad's figure KEY alone: secure_own KEY OP LIMIT.
own_verdict() {
    local a=${R[ngmediad.$1]:-}
    if [[ -n ${R[ngmediad.crashed]:-} ]]; then echo "FAIL (crashed)"; return; fi
    [[ -n $a ]] || { echo "n/a"; return; }
    fcmp "$a" "$2" "$3" && echo PASS || echo FAIL
}

report_secure() {
    local n suite st k v d
    for n in $SECURE_LOADS; do
        echo "== secure media at $n calls: SDES-SRTP on one leg <-> plain RTP on the other (G.711, one packet per 20 ms each way), ${MEDIA_DURATION} s per run, medians of $SECURE_REPEATS runs on fresh daemons"
        table_header
        row "CPU % per 1000 calls, plain RTP" "s$n.splain.cpu_per_kcall"
        for suite in $SECURE_SUITES; do
            st=s$(secure_tag "$suite")
            k=s$n.$st
            echo "-- $suite <-> RTP"
            row "  CPU % per 1000 calls" "$k.cpu_per_kcall" "<= 60% of rtpengine" "$(ratio_verdict "$k.cpu_per_kcall" '<=' 0.60)"
            printf '%-34s %12s %12s %9s  %-22s %s\n' "  SRTP overhead over own plain %" \
                "${R[ngmediad.$k.overhead_pct]:--}" "${R[rtpengine.$k.overhead_pct]:--}" "-" \
                "<= +15% (ngmediad)" "$(own_verdict "$k.overhead_pct" '<=' 15)"
            row "  RSS per established call bytes" "$k.rss_per_call_b" "<= 25% of rtpengine" "$(ratio_verdict "$k.rss_per_call_b" '<=' 0.25)"
            row "  daemon CPU %" "$k.daemon_cpu_pct"
            row "  relay p50 us" "$k.latency_p50_us"
            row "  relay p99 us" "$k.latency_p99_us"
            row "  worst loss % of the runs" "$k.loss_pct"
            row "  wrongly relayed (all runs)" "$k.bad"
            row "  generator CPU %" "$k.gen_cpu_pct"
        done
        echo "-- plain RTP <-> RTP (the same N, the same rounds)"
        row "  RSS per established call bytes" "s$n.splain.rss_per_call_b"
        row "  daemon CPU %" "s$n.splain.daemon_cpu_pct"
        row "  worst loss % of the runs" "s$n.splain.loss_pct"
        row "  generator CPU %" "s$n.splain.gen_cpu_pct"
        echo
        for d in ngmediad rtpengine; do
            for suite in "${SECURE_MODES[@]}"; do
                st=s$(secure_tag "$suite")
                local runs="" key rk
                for key in $(printf '%s\n' "${!R[@]}" | grep -E "^$d\.m$n${st}r[0-9]+\.cpu_per_kcall$" | sort); do
                    rk=${key%.cpu_per_kcall}
                    runs+=" ${R[$key]} (RSS/call ${R[$rk.rss_per_call_b]:-?} B, loss ${R[$rk.loss_pct]:-?}%, gen ${R[$rk.gen_cpu_pct]:-?}%, steal ${R[$rk.steal_pct]:-?}%, others ${R[$rk.other_daemon_cpu_pct]:-?}%);"
                    if gen_at_limit "$rk"; then
                        echo "note: $d ${suite:-plain} at $n calls, ${rk##*r}: generator at its limit (CPU ${R[$rk.gen_cpu_pct]}%, sending at ${R[$rk.send_rate_pct]}% of the nominal rate)"
                    fi
                    local bad=$(( ${R[$rk.misrouted]:-0} + ${R[$rk.corrupt]:-0} + ${R[$rk.duplicates]:-0} + ${R[$rk.wrong_source]:-0} + ${R[$rk.srtp_errors]:-0} ))
                    if (( bad > 0 )); then
                        echo "WRONG FORWARDING: $d ${suite:-plain} at $n calls (${rk#*.}): misrouted ${R[$rk.misrouted]:-0}, corrupt ${R[$rk.corrupt]:-0}, duplicates ${R[$rk.duplicates]:-0}, wrong source ${R[$rk.wrong_source]:-0}, failed to unprotect ${R[$rk.srtp_errors]:-0}"
                    fi
                    if [[ ${R[$rk.calls]:-0} != "$n" ]]; then
                        echo "note: $d ${suite:-plain} at $n calls (${rk#*.}): only ${R[$rk.calls]:-0} calls set up"
                    fi
                done
                [[ -n $runs ]] && echo "  $d ${suite:-plain RTP}, CPU % per 1000 calls run by run:${runs%;}"
            done
        done
    done
    echo "SRTP overhead = median CPU per 1000 calls with the suite on one leg / median with plain RTP on both legs, same daemon, same N, same rounds. RSS per call = (RSS with the calls relaying - RSS of the fresh daemon before them) / calls. The generator protects and checks the SRTP leg with its own SRTP on OpenSSL, checked against libsrtp2 at the start of every run; a packet that fails to unprotect counts as wrongly relayed."
}

report_dtls() {
    local setup
    echo "== DTLS-SRTP: $DTLS_CALLS calls whose A leg is DTLS-SRTP (B plain RTP), their handshakes all at once; medians of $DTLS_REPEATS runs on fresh daemons"
    table_header
    for setup in $DTLS_SETUPS; do
        if [[ $setup == actpass ]]; then echo "-- we offer a=setup:actpass (the daemon is the DTLS client)"
        else echo "-- we offer a=setup:active (the daemon is the DTLS server)"; fi
        row "  handshakes per core-second" "d$setup.hs_per_core" ">= rtpengine" "$(ratio_verdict "d$setup.hs_per_core" '>=' 1)"
        row "  the same, answers' CPU included" "d$setup.hs_per_core_with_answer"
        row "  handshakes/s (wall)" "d$setup.hs_per_s"
        row "  daemon CPU % in the handshakes" "d$setup.daemon_hs_cpu_pct"
        row "  handshake p50 ms" "d$setup.hs_p50_ms"
        row "  handshake p99 ms" "d$setup.hs_p99_ms"
        row "  handshakes completed (all runs)" "d$setup.ok"
        row "  handshakes tried (all runs)" "d$setup.tried"
        row "  generator CPU %" "d$setup.gen_hs_cpu_pct"
    done
    echo "-- burst: $DTLS_BURST handshakes (actpass) while $DTLS_BURST_PLAIN plain G.711 calls relay on the same worker; medians of $DTLS_BURST_REPEATS runs"
    row "  plain relay p99 us before" burst.before_latency_p99_us
    row "  plain relay p99 us during" burst.burst_latency_p99_us "<= 5000 us (ngmediad)" "$(own_verdict burst.worst_p99_us '<=' 5000)"
    row "  worst run's p99 us during" burst.worst_p99_us
    row "  plain relay p50 us before" burst.before_latency_p50_us
    row "  plain relay p50 us during" burst.burst_latency_p50_us
    row "  plain relay max us during" burst.burst_latency_max_us
    row "  burst length s" burst.burst_len_s
    row "  packets sent during the burst" burst.burst_latency_samples
    row "  handshakes completed (all runs)" burst.hs_ok
    row "  plain loss % (whole run)" burst.loss_pct
    echo
    local d key rk
    for d in ngmediad rtpengine; do
        for key in $(printf '%s\n' "${!R[@]}" | grep -E "^$d\.d[a-z]+r[0-9]+\.hs_per_core$" | sort); do
            rk=${key%.hs_per_core}
            echo "  $d ${rk#*.}: ${R[$rk.handshakes_ok]:-?}/${R[$rk.calls]:-?} in ${R[$rk.hs_s]:-?} s, daemon CPU ${R[$rk.daemon_hs_cpu_s]:-?} s -> ${R[$key]}/core-s, generator ${R[$rk.gen_hs_cpu_pct]:-?}%, DTLS retransmits ${R[$rk.dtls_retransmits]:-?}"
        done
        for key in $(printf '%s\n' "${!R[@]}" | grep -E "^$d\.burstr[0-9]+\.burst_latency_p99_us$" | sort); do
            rk=${key%.burst_latency_p99_us}
            echo "  $d ${rk#*.}: p99 before ${R[$rk.before_latency_p99_us]:-?} us (${R[$rk.before_latency_samples]:-?} pkts), during ${R[$key]} us (${R[$rk.burst_latency_samples]:-?} pkts, ${R[$rk.burst_len_s]:-?} s), after ${R[$rk.after_latency_p99_us]:-?} us; ${R[$rk.dtls.handshakes_ok]:-?}/$DTLS_BURST handshakes; loss ${R[$rk.loss_pct]:-?}%, generator ${R[$rk.gen_cpu_pct]:-?}%"
        done
    done
    echo "handshakes per core-second = handshakes completed / the daemon's CPU time (utime + stime from /proc/PID/stat, 10 ms ticks) from the first handshake datagram to the last completion; the offer/answer/delete commands are outside it (the second row adds the answers' CPU). The generator runs the other end of every handshake with crypto::DtlsConnection on CPU $LOAD_CPU; when its CPU % is near 100 the wall-clock handshakes/s is its limit, not the daemon's."
    echo "burst: the plain calls' packets by send time, before dtlsload's first offer, during its offers, answers and handshakes (the burst), after its last handshake; 100000.5 us is the latency histogram's last bin (>= 100 ms). The burst's dtlsload runs on CPU $LOAD_CPU beside mediaload at nice $DTLS_BURST_NICE (BENCH_DTLS_BURST_NICE)."
}

report_webrtc() {
    if [[ $WEBRTC_CALLER == browser ]]; then
        echo "== WebRTC-shaped calls, the browser calls: leg A offers ICE (full agent, controlling, consent every ~5 s) + DTLS-SRTP (actpass) + rtcp-mux + SRTP AES_CM_128_HMAC_SHA1_80, leg B plain RTP answers; G.711 20 ms both ways"
    else
        echo "== WebRTC-shaped calls, the phone calls: leg A ICE (full agent, controlled, consent every ~5 s each way) + DTLS-SRTP (A active) + rtcp-mux + SRTP AES_CM_128_HMAC_SHA1_80, leg B plain RTP; G.711 20 ms both ways"
    fi
    table_header
    echo "-- $WEBRTC_CALLS calls, ${WEBRTC_DURATION} s window after all are up, medians of $WEBRTC_REPEATS runs on fresh daemons"
    local v=n/a
    if [[ -n ${R[ngmediad.crashed]:-} ]]; then v="FAIL (crashed)"; else v=$(ratio_verdict wload.cpu_per_kcall '<=' 0.60); fi
    row "  CPU % per 1000 calls" wload.cpu_per_kcall "<= 60% of rtpengine" "$v"
    row "  daemon CPU %" wload.daemon_cpu_pct
    row "  RSS KiB with the calls" wload.daemon_rss_kb
    row "  generator CPU %" wload.gen_cpu_pct
    row "  generator max send lag ms" wload.gen_max_lag_ms
    row "  others on daemon CPU %" wload.other_daemon_cpu_pct
    echo "-- set-up of $WEBRTC_SETUP_CALLS calls started together, from the offer, medians of $WEBRTC_SETUP_REPEATS runs (ms)"
    local f
    for f in ice dtls media_b; do
        local what="ICE completed" t50="" t99="" v50="" v99=""
        [[ $f == dtls ]] && what="DTLS done"
        if [[ $f == media_b ]]; then
            what="first media at B" t50="<= rtpengine" t99="<= rtpengine"
            if [[ -n ${R[ngmediad.crashed]:-} ]]; then v50="FAIL (crashed)" v99="FAIL (crashed)"
            else v50=$(ratio_verdict wsetup.media_b_p50_ms '<=' 1) v99=$(ratio_verdict wsetup.media_b_p99_ms '<=' 1); fi
        fi
        row "  $what p50 ms" "wsetup.${f}_p50_ms" "$t50" "$v50"
        row "  $what p99 ms" "wsetup.${f}_p99_ms" "$t99" "$v99"
    done
    row "  all calls up s" wsetup.setup_all_s
    echo "-- media correctness, all runs"
    row "  calls tried" webrtc.calls
    row "  calls up (ICE, DTLS, media)" webrtc.calls_up
    row "  of them A the DTLS server" webrtc.dtls_a_server
    row "  worst loss % of the runs" webrtc.loss_pct
    row "  lost A->B (sum)" webrtc.lost_ab
    row "  lost B->A (sum)" webrtc.lost_ba
    row "  SRTP auth failures at A" webrtc.srtp_auth_failed
    row "  SRTP replays at A" webrtc.srtp_replayed
    row "  garbage (wrong payload)" webrtc.garbage
    row "  duplicates" webrtc.duplicates
    row "  consent checks sent by A" webrtc.consent_checks_sent
    row "  checks the daemon sent A" webrtc.ice_checks_received
    row "  consent lost" webrtc.consent_lost
    echo
    local d key rk
    for d in ngmediad rtpengine; do
        for key in $(printf '%s\n' "${!R[@]}" | grep -E "^$d\.w(load|setup)r[0-9]+\.calls$" | sort); do
            rk=${key%.calls}
            echo "  $d ${rk#*.}: ${R[$rk.calls_up]:-?}/${R[$key]} up, CPU ${R[$rk.daemon_cpu_pct]:-?}% (${R[$rk.cpu_per_kcall]:-?} per 1000 calls, others ${R[$rk.other_daemon_cpu_pct]:-?}%), ICE p50/p99 ${R[$rk.ice_p50_ms]:-?}/${R[$rk.ice_p99_ms]:-?} ms, DTLS ${R[$rk.dtls_p50_ms]:-?}/${R[$rk.dtls_p99_ms]:-?} ms, media at B ${R[$rk.media_b_p50_ms]:-?}/${R[$rk.media_b_p99_ms]:-?} ms, loss ${R[$rk.loss_pct]:-?}%, auth failures ${R[$rk.srtp_auth_failed]:-?}, garbage ${R[$rk.garbage]:-?}, generator ${R[$rk.gen_cpu_pct]:-?}% (max send lag ${R[$rk.gen_max_lag_ms]:-?} ms)"
            if [[ ${R[$rk.calls_up]:-0} != "${R[$key]}" ]]; then
                echo "note: $d ${rk#*.}: only ${R[$rk.calls_up]:-0} of ${R[$key]} calls came up; first error: see the run's stderr above (webrtcload: ... first error)"
            fi
        done
    done
    echo "CPU per 1000 calls = the daemon's CPU (utime + stime, /proc/PID/stat) over the window / calls up x 1000; the window starts 1 s after every call has media both ways. Set-up times are per call from the offer being sent: A's ICE agent Completed (the controlling side's nomination done), A's DTLS handshake done (an active A starts it once ICE selected a pair), A's first packet received at B. Loss = packets sent in the window and never received (either way); garbage = SRTP that failed to authenticate at A or a payload that is not the one sent. Consent checks: in the windows only (A's agents' own; and the daemon's to A, i.e. its consent checks once ICE completed)."
}

report_ops() {
    echo "== ops: ng over WebSocket (ng.rtpengine.com) and HTTP POST /ng, offer+answer+delete cycles at $OPS_INFLIGHT connections with one request in flight each, ${OPS_DURATION} s each"
    table_header
    local tr
    for tr in ws http; do
        row "cycles/s over $tr, $OPS_INFLIGHT in flight" "ops_$tr.cycles_per_s" ">= 4x rtpengine" "$(ratio_verdict "ops_$tr.cycles_per_s" '>=' 4)"
        row "  offer p50 us over $tr" "ops_$tr.offer_p50_us"
        row "  offer p99 us over $tr" "ops_$tr.offer_p99_us"
        row "  daemon CPU % over $tr" "ops_$tr.daemon_cpu_pct"
        row "  ngload CPU % over $tr" "ops_$tr.cpu_pct"
        row "  errors + lost over $tr" "ops_$tr.errors"
    done
    echo
    echo "== ops: /metrics with ${R[ngmediad.ops_calls]:-?} calls up (offers answered) on ngmediad, $OPS_MEDIA_CALLS more relaying media ($OPS_REPEATS runs without and $OPS_REPEATS with scrapes every 100 ms, in turn)"
    table_header
    row "calls up" ops_calls
    row "RSS with calls KiB" ops_rss_with_kb
    row "/metrics bytes" ops_scrape_calls.scrape_bytes
    row "scrape p50 ms, no calls" ops_scrape_idle.scrape_p50_ms
    row "scrape p50 ms, calls up" ops_scrape_calls.scrape_p50_ms
    row "scrape max ms, calls up" ops_scrape_calls.scrape_max_ms "< $OPS_SCRAPE_LIMIT_MS ms (ngmediad)" "$(own_verdict ops_scrape_calls.scrape_max_ms '<' "$OPS_SCRAPE_LIMIT_MS")"
    row "scrapes during media" ops_scrape_media.scrapes
    row "scrape p50 ms during media (worst)" ops_scrape_media.scrape_p50_ms
    row "scrape max ms during media" ops_scrape_media.scrape_max_ms "< $OPS_SCRAPE_LIMIT_MS ms (ngmediad)" "$(own_verdict ops_scrape_media.scrape_max_ms '<' "$OPS_SCRAPE_LIMIT_MS")"
    local p0=${R[ngmediad.ops_media0.latency_p99_us]:-} p1=${R[ngmediad.ops_media1.latency_p99_us]:-} v="n/a"
    if [[ -n ${R[ngmediad.crashed]:-} ]]; then
        v="FAIL (crashed)"
    elif [[ -n $p0 && -n $p1 ]]; then
        v=$(awk -v a="$p0" -v b="$p1" -v pct=$OPS_P99_SLACK_PCT -v us=$OPS_P99_SLACK_US 'BEGIN {
            l1 = a * (1 + pct / 100); l2 = a + us; print (b <= (l1 > l2 ? l1 : l2)) ? "PASS" : "FAIL" }')
    fi
    row "relay p50 us, no scrapes" ops_media0.latency_p50_us
    row "relay p50 us, scrapes" ops_media1.latency_p50_us
    row "relay p99 us, no scrapes" ops_media0.latency_p99_us
    row "relay p99 us, scrapes" ops_media1.latency_p99_us "unchanged (+${OPS_P99_SLACK_PCT}%/${OPS_P99_SLACK_US} us)" "$v"
    row "relay max us, scrapes" ops_media1.latency_max_us
    row "loss %, no scrapes" ops_media0.loss_pct
    row "loss %, scrapes" ops_media1.loss_pct
    row "daemon CPU %, no scrapes" ops_media0.daemon_cpu_pct
    row "daemon CPU %, scrapes" ops_media1.daemon_cpu_pct
    row "media worker busy % (metric)" ops_worker_busy_pct
    echo "relay figures: medians of the runs; scrape figures during media: the worst run. The scrape phase runs on ngmediad only (the targets are its own); rtpengine's /metrics at this size is not compared."
}

# latest.txt is overwritten by each run; the dated copy, named after the
# commit measured, is the one to commit when a README cites its figures.
mkdir -p "$RESULTS_DIR"
rev=$(git -C "$BENCH_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$BENCH_DIR" diff --quiet HEAD 2>/dev/null || rev="$rev-dirty"
dated=$RESULTS_DIR/$(date -u +%Y%m%d-%H%M)-$rev.txt
{
    echo "# make bench at $rev, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
    report
    echo
    echo "# raw figures"
    for k in $(printf '%s\n' "${!R[@]}" | sort); do echo "$k=${R[$k]}"; done
} >"$RESULTS_DIR/latest.txt"
cp "$RESULTS_DIR/latest.txt" "$dated"
echo
report
echo
echo "written to $RESULTS_DIR/latest.txt and $dated"
if [[ $MODE == all && ${BENCH_EBPF:-1} != 0 ]]; then
    echo
    bash "$BENCH_DIR/ebpf.sh" "$BUILD_DIR" || FAILED=1
fi
exit $FAILED
