#!/usr/bin/env bash
# The kernel-path benchmark (issue 14 §4, docs/ebpf.md; `bench/run.sh BUILD
# ebpf`, and the last phase of `make bench`): ngmediad with its eBPF path
# (--table=0), ngmediad in userspace (--table=-1) and rtpengine in userspace
# (--table=-1), the same G.711 load in the same run.
#
#   bench/ebpf.sh BUILD_DIR
#
# The relay runs in a network namespace of its own, mediaload in another,
# one veth pair between them, so every packet crosses a device and the TC
# program's redirect runs (both legs of every call come from the generator's
# namespace and go back to it). The relay is pinned to BENCH_RELAY_CPU and
# the generator to BENCH_GEN_CPU; RPS steers each veth end's receive
# processing to its side's core, so that the kernel path's work (softirq on
# the relay's device) is charged to the relay's core, not to the generator.
# All three learn endpoints at once (--endpoint-learning=immediate), so that
# the kernel path has the streams from the first packets on. CPU is
# /proc/stat's wall - idle - iowait - steal over mediaload's window
# (its tick-sampled user/system/softirq columns alias with a generator that
# sends on a 1 ms grid): the relay's core, and all cores.
#
# Three parts, each printing its figure, target and verdict:
#  1. The same load on the three relays, at a load rtpengine carries: from
#     BENCH_EBPF_CALLS down, short rtpengine runs bisect for the most calls
#     it relays with less than BENCH_EBPF_FAIR_LOSS % loss (late > 100 ms
#     counts as lost); the full-length rtpengine run at that load must
#     confirm it (else 10 % fewer, at most twice). Relay-core and system-wide
#     CPU per 1000 calls for the three, kernel / rtpengine (target <= 0.20),
#     relay latency p50 (target <= 30 us for the kernel path).
#  2. The most calls the kernel path holds on the relay's core with zero
#     loss: short runs, the load doubled until a run loses packets or the
#     generator cannot send at the nominal rate, then bisection between the
#     last clean run and the first that was not; then a full-length run at
#     80 % of that maximum (target: zero loss). When the generator was the
#     limit the maximum is a lower bound and the report says so.
#  3. The offload against the control plane: ngload's offer/answer p99
#     while mediaload sets up BENCH_EBPF_BURST_CALLS calls whose media
#     starts (so as many streams are offloaded), kernel path against
#     userspace (target: < 10 % added), and the kernel path's control p99
#     with no burst (what the burst itself costs).
#
# Environment: BENCH_EBPF_CALLS (1000: where the search of part 1 starts),
# BENCH_EBPF_FAIR_CALLS (set: part 1's load, no search), BENCH_EBPF_FAIR_LOSS
# (0.1), BENCH_EBPF_DURATION (12 s, of which BENCH_EBPF_WARMUP 4 s are left
# out: the full-length runs), BENCH_EBPF_STEP_DURATION (6) and
# BENCH_EBPF_STEP_WARMUP (2): the search steps, BENCH_EBPF_RESOLUTION (10:
# a bisection stops when its bounds are this % of the upper one apart),
# BENCH_EBPF_CAPACITY (1; 0 skips part 2), BENCH_EBPF_CAPACITY_MAX (8000
# calls, the relay's port range holds 10000), BENCH_EBPF_GEN_LATE_PCT (25:
# more of the generator's packets sent > 1 ms late than this, under 98 % of
# the nominal rate, or drops at its sockets, and the generator is the limit),
# BENCH_EBPF_BURST_CALLS (1000; 0 skips part 3), BENCH_EBPF_NG_RT (10: part
# 3's ngload runs at this SCHED_FIFO priority; 0: at BENCH_NICE), BENCH_RELAY_CPU (0),
# BENCH_GEN_CPU (1), RTPENGINE (/usr/bin/rtpengine), BENCH_NICE (-20).
# Defaults take 4-7 minutes. Shorter (about 2.5): BENCH_EBPF_DURATION=6
# BENCH_EBPF_WARMUP=2 BENCH_EBPF_STEP_DURATION=4 BENCH_EBPF_STEP_WARMUP=1
# BENCH_EBPF_RESOLUTION=20 BENCH_EBPF_BURST_CALLS=500. Needs root, iproute2,
# and a kernel that lets ngmediad load BPF programs (the kernel rows say so
# when it could not).
# Other sessions' benchmarks skew the CPU figures: run it under
# `flock /tmp/ngm-bench.lock` on a shared machine.
# Results: printed, and written to bench/results/<date>-<rev>-ebpf.txt.
set -u -o pipefail

BUILD=${1:-build}
CALLS=${BENCH_EBPF_CALLS:-1000}
DURATION=${BENCH_EBPF_DURATION:-12}
WARMUP=${BENCH_EBPF_WARMUP:-4}
FAIR_CALLS=${BENCH_EBPF_FAIR_CALLS:-}
FAIR_LOSS=${BENCH_EBPF_FAIR_LOSS:-0.1}
STEP_DURATION=${BENCH_EBPF_STEP_DURATION:-6}
STEP_WARMUP=${BENCH_EBPF_STEP_WARMUP:-2}
RESOLUTION=${BENCH_EBPF_RESOLUTION:-10}
CAPACITY=${BENCH_EBPF_CAPACITY:-1}
CAPACITY_MAX=${BENCH_EBPF_CAPACITY_MAX:-8000}
GEN_LATE_PCT=${BENCH_EBPF_GEN_LATE_PCT:-25}
NG_RT=${BENCH_EBPF_NG_RT:-10}
BURST_CALLS=${BENCH_EBPF_BURST_CALLS:-1000}
RELAY_CPU=${BENCH_RELAY_CPU:-0}
GEN_CPU=${BENCH_GEN_CPU:-1}
RTPENGINE=${RTPENGINE:-/usr/bin/rtpengine}
# Relay and generator run at this nice level (as bench/run.sh), so that
# other work on a shared machine gets little of their cores.
NICE=${BENCH_NICE:--20}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RESULTS_DIR=$BENCH_DIR/results
NGMEDIAD=$BUILD/src/app/ngmediad
MEDIALOAD=$BUILD/bench/mediaload
NGLOAD=$BUILD/bench/ngload
NS_MEDIA=ngmb-media-$$
NS_GEN=ngmb-gen-$$
RELAY=10.204.0.1
GEN=10.204.0.2
NG_PORT=2223
WORK=$(mktemp -d /tmp/ngm-ebpf-bench.XXXXXX)
START=$(date +%s)
declare -A R
NOTES=()
FAILED=0
DPID=""

log() { printf '%s\n' "$*" >&2; }

for f in "$NGMEDIAD" "$MEDIALOAD" "$NGLOAD"; do
    [[ -x $f ]] || { log "missing $f (build it first)"; exit 2; }
done
(( EUID == 0 )) || { log "needs root (network namespaces, BPF)"; exit 2; }
command -v ip >/dev/null || { log "needs ip (iproute2)"; exit 2; }
HAVE_RTPENGINE=1
[[ -x $RTPENGINE ]] || { HAVE_RTPENGINE=0; NOTES+=("no rtpengine at $RTPENGINE: its rows are empty"); }

cleanup() {
    stop_daemon
    ip netns del "$NS_MEDIA" 2>/dev/null
    ip netns del "$NS_GEN" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || true
ip netns add "$NS_MEDIA" && ip netns add "$NS_GEN" || exit 2
ip link add med0 netns "$NS_MEDIA" type veth peer name gen0 netns "$NS_GEN" || exit 2
ip -n "$NS_MEDIA" addr add $RELAY/24 dev med0
ip -n "$NS_GEN" addr add $GEN/24 dev gen0
for ns in "$NS_MEDIA" "$NS_GEN"; do ip -n "$ns" link set lo up; done
ip -n "$NS_MEDIA" link set med0 up
ip -n "$NS_GEN" link set gen0 up
# RPS: the relay device's receive work on the relay's core, the
# generator's on the generator's.
mask() { printf '%x' $((1 << $1)); }
rps() {
    ip netns exec "$1" sh -c "echo $2 > /sys/class/net/$3/queues/rx-0/rps_cpus" 2>/dev/null
}
if rps "$NS_MEDIA" "$(mask "$RELAY_CPU")" med0 && rps "$NS_GEN" "$(mask "$GEN_CPU")" gen0; then
    R[rps]="med0 -> CPU $RELAY_CPU, gen0 -> CPU $GEN_CPU"
else
    R[rps]=unavailable
    NOTES+=("RPS could not be set: receive work runs on the sending core")
fi

in_media() { ip netns exec "$NS_MEDIA" "$@"; }
in_gen() { ip netns exec "$NS_GEN" "$@"; }

# start_daemon MODE: kernel | user (ngmediad) | rtpengine
start_daemon() {
    local mode=$1 bin=$NGMEDIAD table=-1
    [[ $mode == kernel ]] && table=0
    [[ $mode == rtpengine ]] && bin=$RTPENGINE
    # Not through a shell function: $! must be the daemon itself (ip netns
    # exec and taskset exec it).
    ip netns exec "$NS_MEDIA" nice -n "$NICE" taskset -c "$RELAY_CPU" "$bin" --config-file=none --table=$table --foreground \
        --log-stderr --num-threads=1 --delete-delay=0 --interface=$RELAY \
        --listen-ng=$RELAY:$NG_PORT --port-min=20000 --port-max=60000 --log-level=5 \
        --endpoint-learning=immediate \
        >"$WORK/$mode.log" 2>&1 &
    DPID=$!
    if ! in_gen "$NGLOAD" ping --target $RELAY:$NG_PORT --wait 15 --local-port 19000 >/dev/null; then
        log "$mode did not answer a ping within 15 s:"
        tail -n 20 "$WORK/$mode.log" >&2
        stop_daemon
        return 1
    fi
    for _ in $(seq 100); do
        [[ $mode != kernel ]] || grep -q "In-kernel forwarding" "$WORK/$mode.log" && break
        sleep 0.1
    done
    if [[ $mode == kernel ]] && ! grep -q "In-kernel forwarding (eBPF" "$WORK/$mode.log"; then
        log "the kernel path did not come up: $(grep -h 'In-kernel' "$WORK/$mode.log")"
        R[kernel.unavailable]=$(grep -h 'In-kernel' "$WORK/$mode.log" | head -n1)
        stop_daemon
        return 1
    fi
    return 0
}

stop_daemon() {
    [[ -n $DPID ]] || return 0
    kill -TERM "$DPID" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
    DPID=""
}

# absorb TAG FILE: key=value lines into R[TAG.key]
absorb() {
    local k v
    while IFS='=' read -r k v; do
        [[ -n $k && -n $v ]] && R[$1.$k]=$v
    done <"$2"
}

# point MODE CALLS TAG [DURATION WARMUP]: one mediaload run against a fresh
# relay (the full-length run unless given).
point() {
    local mode=$1 calls=$2 tag=$1.$3 dur=${4:-$DURATION} warm=${5:-$WARMUP}
    R[$tag.calls_nominal]=$calls
    start_daemon "$mode" || { FAILED=1; return 1; }
    in_gen nice -n "$NICE" taskset -c "$GEN_CPU" "$MEDIALOAD" --target $RELAY:$NG_PORT --media-address $GEN \
        --calls "$calls" --warmup "$warm" --duration "$dur" --daemon-pid "$DPID" \
        --local-port 19100 --port-min 20000 --port-max 65000 \
        >"$WORK/$tag.out" 2>"$WORK/$tag.err"
    local rc=$?
    absorb "$tag" "$WORK/$tag.out"
    R[$tag.relay_busy_pct]=${R[$tag.busy_pct_cpu$RELAY_CPU]:-}
    if ! kill -0 "$DPID" 2>/dev/null; then
        log "$mode died during the $calls-call run"
        R[$tag.crashed]=1
        FAILED=1
    fi
    stop_daemon
    if (( rc == 1 )); then
        # Some calls were not set up or not deleted (ng replies lost on a
        # loaded machine): the figures stand for the calls that were.
        NOTES+=("$tag: ${R[$tag.calls]:-?} of $calls calls set up, ${R[$tag.calls_deleted]:-?} deleted")
    elif (( rc != 0 )); then
        log "mediaload against $mode ($calls calls) failed (exit $rc):"
        tail -n 5 "$WORK/$tag.err" >&2
        FAILED=1
        return 1
    fi
    log "  $tag: $calls calls, relay core ${R[$tag.relay_busy_pct]:-?} %, all ${R[$tag.busy_pct_all]:-?} %, loss ${R[$tag.loss_pct]:-?} %, p50 ${R[$tag.latency_p50_us]:-?} us"
    return 0
}

fdiv() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print ""; else printf "%.3f", a / b }'; }
per_kcall() { awk -v p="$1" -v c="$2" 'BEGIN { if (p == "" || c + 0 == 0) print ""; else printf "%.2f", p * 1000 / c }'; }
verdict() {  # value op target
    [[ -z $1 ]] && { echo "n/a"; return; }
    awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
        ok = (op == "<=") ? (a <= b) : (op == "<") ? (a < b) : (op == ">=") ? (a >= b) : (a == b)
        print ok ? "MET" : "MISSED" }'
}

# lt A B / eq0 A: numeric tests on figures that may be fractions.
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 < b + 0) }'; }
eq0() { awk -v a="$1" 'BEGIN { exit !(a != "" && a + 0 == 0) }'; }
# round10 N: to a multiple of 10 (at least 10), so steps read easily.
round10() { local n=$(( ($1 + 5) / 10 * 10 )); (( n < 10 )) && n=10; echo $n; }
# all_set_up TAG: every call of the run was set up.
all_set_up() { [[ ${R[$1.calls]:-0} -ge ${R[$1.calls_nominal]:-1} ]]; }
# gen_limited TAG: the generator was at its own limit (under 98 % of the
# nominal rate sent, more than GEN_LATE_PCT % of its packets over 1 ms
# late, or datagrams dropped at its own sockets), so the run says nothing
# about the relay's. (Late sends alone do not make loss: latency counts
# from the real send time.)
gen_limited() {
    awk -v r="${R[$1.send_rate_pct]:-0}" -v l="${R[$1.late_sends_pct]:-100}" -v m="$GEN_LATE_PCT" \
        -v d="${R[$1.gen_rx_drops]:-0}" 'BEGIN { exit !(r < 98 || l > m || d > 0) }'
}
# The relay core's busy share with no relay running, over 3 s (other work
# on a shared machine shows here).
idle_busy() {
    local a b t0 t1
    t0=$(date +%s.%N)
    a=$(awk -v c="cpu$RELAY_CPU" '$1 == c { print $5 + $6 + $9 }' /proc/stat)
    sleep 3
    t1=$(date +%s.%N)
    b=$(awk -v c="cpu$RELAY_CPU" '$1 == c { print $5 + $6 + $9 }' /proc/stat)
    awk -v a="$a" -v b="$b" -v t="$(awk -v x="$t0" -v y="$t1" 'BEGIN { print y - x }')" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { p = (t - (b - a) / hz) / t * 100; if (p < 0) p = 0; printf "%.2f", p }'
}
R[idle.relay_busy_pct]=$(idle_busy)
log "== relay core $RELAY_CPU busy with no relay running: ${R[idle.relay_busy_pct]} %"
lt "${R[idle.relay_busy_pct]}" 20 ||
    NOTES+=("the relay core was ${R[idle.relay_busy_pct]} % busy before any relay ran: other work shares it, so the CPU figures and ratios measure that work too (busy machine)")

# --- 1. the same load on the three relays, one rtpengine carries ------------
FAIR_STEPS=()
fair_step() {  # CALLS: a short rtpengine run; true when it held
    local n=$1 tag
    tag=f$n
    point rtpengine "$n" "$tag" "$STEP_DURATION" "$STEP_WARMUP" || { FAIR_STEPS+=("$n: run failed"); return 2; }
    FAIR_STEPS+=("$n: loss ${R[rtpengine.$tag.loss_pct]:-?} %, relay core ${R[rtpengine.$tag.relay_busy_pct]:-?} %")
    all_set_up "rtpengine.$tag" && lt "${R[rtpengine.$tag.loss_pct]:-}" "$FAIR_LOSS"
}
FAIR_HOW=""
if [[ -n $FAIR_CALLS ]]; then
    FAIR=$FAIR_CALLS
    FAIR_HOW="set by BENCH_EBPF_FAIR_CALLS"
elif (( ! HAVE_RTPENGINE )); then
    FAIR=$CALLS
    FAIR_HOW="BENCH_EBPF_CALLS (no rtpengine to search with)"
else
    log "== the most calls rtpengine relays with under $FAIR_LOSS % loss, from $CALLS down (${STEP_DURATION} s steps)"
    lo=0 hi=""
    if fair_step "$CALLS"; then
        lo=$CALLS
    else
        (( $? == 2 )) && FAILED=1
        hi=$CALLS
        while :; do
            n=$(round10 $(( (lo + hi) / 2 )))
            (( n <= lo || n >= hi )) && break
            if fair_step "$n"; then lo=$n; else hi=$n; fi
            (( (hi - lo) * 100 <= hi * RESOLUTION )) && (( lo > 0 )) && break
            (( hi <= 10 )) && break
        done
    fi
    if (( lo > 0 )); then
        FAIR=$lo
        FAIR_HOW="searched: rtpengine held ${lo}${hi:+, not $hi}, in ${STEP_DURATION}-s steps"
    else
        FAIR=$CALLS
        FAIR_HOW="search found no load rtpengine carries: BENCH_EBPF_CALLS"
        NOTES+=("rtpengine lost packets at every load tried: the comparison is at $CALLS calls, an overloaded rtpengine")
    fi
fi
# The full-length rtpengine run must confirm the load; 10 % fewer calls, at
# most twice, when it does not.
main_modes="kernel user"
if (( HAVE_RTPENGINE )); then
    for attempt in 1 2 3; do
        point rtpengine "$FAIR" main || break
        if [[ -n $FAIR_CALLS ]] || lt "${R[rtpengine.main.loss_pct]:-}" "$FAIR_LOSS" || (( attempt == 3 )); then
            break
        fi
        FAIR_STEPS+=("$FAIR (full length): loss ${R[rtpengine.main.loss_pct]:-?} %: 10 % fewer")
        FAIR=$(round10 $(( FAIR * 9 / 10 )))
        FAIR_HOW="$FAIR_HOW; the full-length run lowered it"
    done
fi
R[fair.calls]=$FAIR
R[fair.how]=$FAIR_HOW
log "== $FAIR calls (${FAIR_HOW}), ${DURATION} s (${WARMUP} s warm-up), relay on CPU $RELAY_CPU, generator on CPU $GEN_CPU"
for m in $main_modes; do point "$m" "$FAIR" main; done
for m in kernel user rtpengine; do
    # Per call that was set up (all of them, unless ng replies were lost).
    R[$m.main.relay_per_kcall]=$(per_kcall "${R[$m.main.relay_busy_pct]:-}" "${R[$m.main.calls]:-$FAIR}")
    R[$m.main.all_per_kcall]=$(per_kcall "${R[$m.main.busy_pct_all]:-}" "${R[$m.main.calls]:-$FAIR}")
done
R[ratio.kernel_rtpengine_relay]=$(fdiv "${R[kernel.main.relay_per_kcall]:-}" "${R[rtpengine.main.relay_per_kcall]:-}")
R[ratio.user_rtpengine_relay]=$(fdiv "${R[user.main.relay_per_kcall]:-}" "${R[rtpengine.main.relay_per_kcall]:-}")
R[ratio.kernel_user_relay]=$(fdiv "${R[kernel.main.relay_per_kcall]:-}" "${R[user.main.relay_per_kcall]:-}")
# The same with the relay core's share before any relay ran taken off both
# (what the kernel's and the machine's own work cost without a relay).
R[ratio.kernel_rtpengine_relay_net]=$(awk -v k="${R[kernel.main.relay_busy_pct]:-}" -v r="${R[rtpengine.main.relay_busy_pct]:-}" \
    -v i="${R[idle.relay_busy_pct]:-}" 'BEGIN { if (k == "" || r == "" || i == "" || r - i <= 0) print ""; else printf "%.3f", (k - i < 0 ? 0 : k - i) / (r - i) }')
R[ratio.kernel_rtpengine_all]=$(fdiv "${R[kernel.main.all_per_kcall]:-}" "${R[rtpengine.main.all_per_kcall]:-}")
R[ratio.user_rtpengine_all]=$(fdiv "${R[user.main.all_per_kcall]:-}" "${R[rtpengine.main.all_per_kcall]:-}")
# The ratio stands only when rtpengine kept up.
if [[ -n ${R[rtpengine.main.loss_pct]:-} ]] && ! lt "${R[rtpengine.main.loss_pct]}" "$FAIR_LOSS"; then
    NOTES+=("rtpengine lost ${R[rtpengine.main.loss_pct]} % at $FAIR calls: the ratios to it compare an overloaded rtpengine")
fi

# --- 2. the most calls the kernel path holds on one core ---------------------
CAP_STEPS=()
# cap_step CALLS: a short kernel-path run. 0: held (zero loss, every call
# set up, the generator at its rate); 1: lost packets; 3: the generator was
# the limit; 2: the run failed.
cap_step() {
    local n=$1 tag=c$1 t
    t=kernel.c$1
    point kernel "$n" "$tag" "$STEP_DURATION" "$STEP_WARMUP" || { CAP_STEPS+=("$n: run failed"); return 2; }
    CAP_STEPS+=("$n: loss ${R[$t.loss_pct]:-?} %, relay core ${R[$t.relay_busy_pct]:-?} %, generator core ${R[$t.busy_pct_cpu$GEN_CPU]:-?} %, sent ${R[$t.send_rate_pct]:-?} % of nominal, ${R[$t.late_sends_pct]:-?} % late, ${R[$t.gen_rx_drops]:-?} dropped at its sockets")
    if gen_limited "$t"; then return 3; fi
    if all_set_up "$t" && eq0 "${R[$t.loss_pct]:-}"; then return 0; fi
    return 1
}
MAX=""
MAX_WHY=""
if (( CAPACITY )) && [[ -z ${R[kernel.unavailable]:-} ]]; then
    log "== the most calls the kernel path holds on CPU $RELAY_CPU (${STEP_DURATION} s steps)"
    lo=0 hi="" hi_rc=0
    # The full-length run of part 1 counts as a step when it was clean.
    if [[ -n ${R[kernel.main.loss_pct]:-} ]] && all_set_up kernel.main && eq0 "${R[kernel.main.loss_pct]}" && ! gen_limited kernel.main; then
        lo=$FAIR
    fi
    n=$(( lo > 0 ? lo * 2 : CALLS ))
    # Up by doubling until a step fails or the ceiling is reached ...
    while [[ -z $hi ]]; do
        (( n > CAPACITY_MAX )) && n=$CAPACITY_MAX
        (( n <= lo )) && break
        cap_step "$n"; rc=$?
        (( rc == 2 )) && { FAILED=1; hi=$n; hi_rc=2; break; }
        if (( rc == 0 )); then lo=$n; n=$(( n * 2 )); else hi=$n; hi_rc=$rc; fi
    done
    # ... then bisection between the last step held and the first that was not.
    while [[ -n $hi ]] && (( hi_rc != 2 )) && (( (hi - lo) * 100 > hi * RESOLUTION )); do
        n=$(round10 $(( (lo + hi) / 2 )))
        (( n <= lo || n >= hi )) && break
        cap_step "$n"; rc=$?
        (( rc == 2 )) && { FAILED=1; break; }
        if (( rc == 0 )); then lo=$n; else hi=$n; hi_rc=$rc; fi
    done
    if [[ -z $hi ]]; then
        MAX_WHY="no limit up to BENCH_EBPF_CAPACITY_MAX ($CAPACITY_MAX calls): the maximum is higher"
    elif (( hi_rc == 1 )); then
        MAX_WHY="packets lost at $hi calls (${R[kernel.c$hi.loss_pct]:-?} %)"
    elif (( hi_rc == 3 )); then
        MAX_WHY="the generator is the limit: at $hi calls it sent ${R[kernel.c$hi.send_rate_pct]:-?} % of the nominal rate, ${R[kernel.c$hi.late_sends_pct]:-?} % over 1 ms late, dropped ${R[kernel.c$hi.gen_rx_drops]:-?}; the relay's maximum is higher"
    else
        MAX_WHY="a run failed at $hi calls"
    fi
    if (( lo > 0 )); then
        MAX=$lo
        # The relay core's share at the maximum, and what it would hold at
        # 100 % if its cost grows linearly (an estimate, not a measurement).
        busy=${R[kernel.c$lo.relay_busy_pct]:-${R[kernel.main.relay_busy_pct]:-}}
        R[capacity.relay_busy_pct]=$busy
        R[capacity.linear_estimate]=$(awk -v b="$busy" -v n="$lo" 'BEGIN { if (b + 0 > 0) printf "%d", n * 100 / b }')
        n80=$(round10 $(( MAX * 8 / 10 )))
        if point kernel "$n80" p80; then
            R[capacity.at80_calls]=$n80
            R[capacity.at80_loss_pct]=${R[kernel.p80.loss_pct]:-}
            all_set_up kernel.p80 || NOTES+=("at 80 %: ${R[kernel.p80.calls]:-?} of $n80 calls set up")
        else
            FAILED=1
        fi
    fi
    R[capacity.max_calls]=${MAX:-none}
    R[capacity.why]=$MAX_WHY
fi

# --- 3. the offload burst against the control plane --------------------------
# burst_run MODE TAG CALLS: ngload cycles (1 in flight, 8 s) against a fresh
# relay; from its third second mediaload sets up CALLS calls with media
# (none when CALLS is 0).
burst_run() {
    local m=$1 tag=$1.$2 calls=$3 ngpid
    start_daemon "$m" || { FAILED=1; return 1; }
    # ngload shares the generator's core with mediaload: at a real-time
    # priority it runs as soon as a reply comes, so its p99 is the relay's
    # and not the wait for mediaload's time slice (it sleeps in poll between
    # replies, so it takes little from mediaload).
    local prio=(nice -n "$NICE")
    (( NG_RT > 0 )) && prio=(chrt -f "$NG_RT")
    in_gen "${prio[@]}" taskset -c "$GEN_CPU" "$NGLOAD" cycles --target $RELAY:$NG_PORT --inflight 1 \
        --duration 8 --local-port 19000 >"$WORK/$tag.ng.out" 2>"$WORK/$tag.ng.err" &
    ngpid=$!
    if (( calls > 0 )); then
        sleep 2
        in_gen nice -n "$NICE" taskset -c "$GEN_CPU" "$MEDIALOAD" --target $RELAY:$NG_PORT --media-address $GEN \
            --calls "$calls" --warmup 1 --duration 4 --local-port 19100 \
            --port-min 20000 --port-max 65000 >"$WORK/$tag.media.out" 2>"$WORK/$tag.media.err"
        absorb "$tag.media" "$WORK/$tag.media.out"
    fi
    wait "$ngpid"
    absorb "$tag.ng" "$WORK/$tag.ng.out"
    R[$tag.daemon_alive]=$(kill -0 "$DPID" 2>/dev/null && echo 1 || echo 0)
    [[ ${R[$tag.daemon_alive]} == 1 ]] || FAILED=1
    stop_daemon
    log "  $tag: offer p99 ${R[$tag.ng.offer_p99_us]:-?} us, answer p99 ${R[$tag.ng.answer_p99_us]:-?} us"
}
if (( BURST_CALLS > 0 )) && [[ -z ${R[kernel.unavailable]:-} ]]; then
    log "== control p99 during a $BURST_CALLS-call setup burst with media"
    burst_run kernel burst "$BURST_CALLS"
    burst_run user burst "$BURST_CALLS"
    burst_run kernel quiet 0
    for c in offer answer delete; do
        k=${R[kernel.burst.ng.${c}_p99_us]:-}
        u=${R[user.burst.ng.${c}_p99_us]:-}
        q=${R[kernel.quiet.ng.${c}_p99_us]:-}
        [[ -n $k && -n $u ]] && R[burst.${c}_p99_added_pct]=$(awk -v k="$k" -v u="$u" 'BEGIN { printf "%.1f", (u > 0 ? (k / u - 1) * 100 : 0) }')
        [[ -n $k && -n $q ]] && R[burst.${c}_p99_vs_quiet_pct]=$(awk -v k="$k" -v q="$q" 'BEGIN { printf "%.1f", (q > 0 ? (k / q - 1) * 100 : 0) }')
    done
fi

# --- report ------------------------------------------------------------------
report() {
    echo "ngmedia kernel-path (eBPF) benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "relay on CPU $RELAY_CPU, mediaload on CPU $GEN_CPU, RPS: ${R[rps]}; one veth pair between two namespaces; G.711 20 ms both ways"
    echo "relay core busy with no relay running (3 s before the runs): ${R[idle.relay_busy_pct]:-?} %"
    [[ -n ${R[kernel.unavailable]:-} ]] && echo "KERNEL PATH UNAVAILABLE: ${R[kernel.unavailable]}"
    echo
    echo "== 1. the same load on the three relays: ${R[fair.calls]} calls (${R[fair.how]})"
    local s
    (( ${#FAIR_STEPS[@]} )) && for s in "${FAIR_STEPS[@]}"; do echo "   rtpengine $s"; done
    echo "   ${DURATION} s per relay (${WARMUP} s warm-up left out)"
    printf '%-44s %14s %14s %14s\n' "" "ngmediad eBPF" "ngmediad user" "rtpengine user"
    local key label
    for key in relay_busy_pct relay_per_kcall busy_pct_all all_per_kcall daemon_cpu_pct latency_p50_us latency_p99_us loss_pct never_arrived duplicates misrouted send_rate_pct; do
        case $key in
            relay_busy_pct) label="relay core busy %" ;;
            relay_per_kcall) label="  per 1000 calls (% of a core)" ;;
            busy_pct_all) label="all cores busy (% of one core)" ;;
            all_per_kcall) label="  per 1000 calls (% of a core)" ;;
            daemon_cpu_pct) label="daemon process CPU %" ;;
            latency_p50_us) label="relay latency p50 us" ;;
            latency_p99_us) label="relay latency p99 us" ;;
            loss_pct) label="loss %" ;;
            never_arrived) label="never arrived" ;;
            duplicates) label="duplicates" ;;
            misrouted) label="misrouted" ;;
            send_rate_pct) label="generator sent % of nominal" ;;
        esac
        printf '%-44s %14s %14s %14s\n' "$label" "${R[kernel.main.$key]:--}" "${R[user.main.$key]:--}" "${R[rtpengine.main.$key]:--}"
    done
    echo
    local r=${R[ratio.kernel_rtpengine_relay]:-}
    echo "relay core per 1000 calls, kernel path / rtpengine userspace: ${r:-n/a} (target <= 0.20: $(verdict "$r" '<=' 0.20))"
    echo "  the same with the relay core's share before any relay ran (${R[idle.relay_busy_pct]:-?} %) taken off both: ${R[ratio.kernel_rtpengine_relay_net]:-n/a} (information)"
    echo "relay core per 1000 calls, ngmediad userspace / rtpengine userspace: ${R[ratio.user_rtpengine_relay]:-n/a}"
    echo "relay core per 1000 calls, kernel path / ngmediad userspace: ${R[ratio.kernel_user_relay]:-n/a}"
    echo "all cores per 1000 calls (generator included), kernel / rtpengine: ${R[ratio.kernel_rtpengine_all]:-n/a}, ngmediad user / rtpengine: ${R[ratio.user_rtpengine_all]:-n/a}"
    local p50=${R[kernel.main.latency_p50_us]:-}
    echo "kernel path relay latency p50: ${p50:-n/a} us (target <= 30: $(verdict "$p50" '<=' 30))"
    echo
    if [[ -n ${R[capacity.max_calls]:-} ]]; then
        echo "== 2. most calls held on one core (kernel path, CPU $RELAY_CPU, zero loss; ${STEP_DURATION}-s steps, resolution $RESOLUTION %)"
        (( ${#CAP_STEPS[@]} )) && for s in "${CAP_STEPS[@]}"; do echo "   $s"; done
        local lower=""
        [[ ${R[capacity.why]} == *"is higher"* && ${R[capacity.max_calls]} != none ]] && lower=">= "
        echo "most calls held on one core: ${lower}${R[capacity.max_calls]} (${R[capacity.why]})"
        [[ -n $lower && -n ${R[capacity.linear_estimate]:-} ]] && echo "  relay core ${R[capacity.relay_busy_pct]} % busy there; about ${R[capacity.linear_estimate]} calls at 100 % if its cost grows linearly (an estimate)"
        local l80=${R[capacity.at80_loss_pct]:-}
        echo "loss at 80 % of it (${R[capacity.at80_calls]:-?} calls, ${DURATION} s): ${l80:-n/a} % (target 0: $(verdict "$l80" '==' 0))"
    else
        echo "== 2. capacity search: not run"
    fi
    echo
    if [[ -n ${R[burst.offer_p99_added_pct]:-} ]]; then
        echo "== 3. control during a $BURST_CALLS-call setup burst with media (ngload cycles, 1 in flight, 8 s; mediaload from its 3rd s):"
        for c in offer answer delete; do
            local t=""
            [[ $c != delete ]] && t=" (target < 10: $(verdict "${R[burst.${c}_p99_added_pct]:-}" '<' 10))"
            echo "  $c p99: ${R[kernel.burst.ng.${c}_p99_us]:-?} us with the kernel path, ${R[user.burst.ng.${c}_p99_us]:-?} us without: ${R[burst.${c}_p99_added_pct]:-?} % added${t}"
        done
        echo "  the kernel path with no burst: offer p99 ${R[kernel.quiet.ng.offer_p99_us]:-?} us, answer ${R[kernel.quiet.ng.answer_p99_us]:-?} us (the burst adds ${R[burst.offer_p99_vs_quiet_pct]:-?} % / ${R[burst.answer_p99_vs_quiet_pct]:-?} %)"
        echo "  ng cycles completed: ${R[kernel.burst.ng.cycles]:-?} with the kernel path, ${R[user.burst.ng.cycles]:-?} without, ${R[kernel.quiet.ng.cycles]:-?} with no burst"
        echo "  burst media: loss ${R[kernel.burst.media.loss_pct]:-?} % with the kernel path, ${R[user.burst.media.loss_pct]:-?} % without; generator sent ${R[kernel.burst.media.send_rate_pct]:-?} % / ${R[user.burst.media.send_rate_pct]:-?} % of nominal"
    else
        echo "== 3. setup burst: not run"
    fi
    local n
    for n in "${NOTES[@]}"; do echo "note: $n"; done
    echo "whole run took $(( $(date +%s) - START )) s; CPU is wall - idle - iowait - steal from /proc/stat over mediaload's window."
}

mkdir -p "$RESULTS_DIR"
rev=$(git -C "$BENCH_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$BENCH_DIR" diff --quiet HEAD 2>/dev/null || rev="$rev-dirty"
out=$RESULTS_DIR/$(date -u +%Y%m%d-%H%M)-$rev-ebpf.txt
{
    report
    echo
    echo "# raw figures (the search steps' are in their lines above)"
    for k in $(printf '%s\n' "${!R[@]}" | grep -Ev '^[a-z]+\.[fc][0-9]+\.' | sort); do echo "$k=${R[$k]}"; done
} >"$out"
report
echo
echo "written to $out"
exit $FAILED
