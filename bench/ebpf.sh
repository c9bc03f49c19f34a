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
# Measured:
#  - relay-core and system-wide CPU per 1000 calls, three relays, one load;
#    ratios to rtpengine; target: the kernel path <= 0.20 of rtpengine's;
#  - relay latency p50 (target <= 30 us for the kernel path);
#  - the most calls the kernel path holds on the relay's core (loads
#    stepped up until loss, the core saturates, or the generator is the
#    limit, which is then said), and the loss at 80 % of it (target 0);
#  - the offload's effect on the control plane: ngload's offer/answer p99
#    while mediaload sets up BENCH_EBPF_BURST_CALLS calls whose media starts
#    (so as many streams are offloaded), kernel path against userspace
#    (target: < 10 % added).
#
# Environment: BENCH_EBPF_CALLS (1000), BENCH_EBPF_DURATION (12 s, of which
# BENCH_EBPF_WARMUP 4 s are left out), BENCH_EBPF_LOADS (the capacity steps,
# "2000 3000 4000 6000 8000"; "" skips the search), BENCH_EBPF_BURST_CALLS
# (1000; 0 skips), BENCH_RELAY_CPU (0), BENCH_GEN_CPU (1), RTPENGINE
# (/usr/bin/rtpengine), BENCH_NICE (-20). Needs root, iproute2, and a kernel that lets
# ngmediad load BPF programs (the kernel rows say so when it could not).
# Results: printed, and written to bench/results/<date>-<rev>-ebpf.txt.
set -u -o pipefail

BUILD=${1:-build}
CALLS=${BENCH_EBPF_CALLS:-1000}
DURATION=${BENCH_EBPF_DURATION:-12}
WARMUP=${BENCH_EBPF_WARMUP:-4}
LOADS=${BENCH_EBPF_LOADS-2000 3000 4000 6000 8000}
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

# point MODE CALLS TAG: one mediaload run against a fresh relay.
point() {
    local mode=$1 calls=$2 tag=$1.$3
    start_daemon "$mode" || { FAILED=1; return 1; }
    in_gen nice -n "$NICE" taskset -c "$GEN_CPU" "$MEDIALOAD" --target $RELAY:$NG_PORT --media-address $GEN \
        --calls "$calls" --warmup "$WARMUP" --duration "$DURATION" --daemon-pid "$DPID" \
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

# --- 1. the same load on the three relays ------------------------------------
log "== $CALLS calls, ${DURATION} s (${WARMUP} s warm-up), relay on CPU $RELAY_CPU, generator on CPU $GEN_CPU"
MODES="kernel user"
(( HAVE_RTPENGINE )) && MODES="$MODES rtpengine"
for m in $MODES; do point "$m" "$CALLS" main; done
for m in kernel user rtpengine; do
    # Per call that was set up (all of them, unless ng replies were lost).
    R[$m.main.relay_per_kcall]=$(per_kcall "${R[$m.main.relay_busy_pct]:-}" "${R[$m.main.calls]:-$CALLS}")
    R[$m.main.all_per_kcall]=$(per_kcall "${R[$m.main.busy_pct_all]:-}" "${R[$m.main.calls]:-$CALLS}")
done
R[ratio.kernel_rtpengine_relay]=$(fdiv "${R[kernel.main.relay_per_kcall]:-}" "${R[rtpengine.main.relay_per_kcall]:-}")
R[ratio.user_rtpengine_relay]=$(fdiv "${R[user.main.relay_per_kcall]:-}" "${R[rtpengine.main.relay_per_kcall]:-}")
R[ratio.kernel_user_relay]=$(fdiv "${R[kernel.main.relay_per_kcall]:-}" "${R[user.main.relay_per_kcall]:-}")
R[ratio.kernel_rtpengine_all]=$(fdiv "${R[kernel.main.all_per_kcall]:-}" "${R[rtpengine.main.all_per_kcall]:-}")
R[ratio.user_rtpengine_all]=$(fdiv "${R[user.main.all_per_kcall]:-}" "${R[rtpengine.main.all_per_kcall]:-}")

# --- 2. the most calls the kernel path holds on one core ---------------------
MAX=""
MAX_WHY=""
if [[ -n $LOADS && -n ${R[kernel.main.loss_pct]:-} ]]; then
    log "== capacity of the kernel path on CPU $RELAY_CPU"
    prev=$CALLS
    awk -v l="${R[kernel.main.loss_pct]}" 'BEGIN { exit !(l == 0) }' && MAX=$CALLS
    for n in $LOADS; do
        (( n <= prev )) && continue
        point kernel "$n" "s$n" || { MAX_WHY="run failed at $n"; break; }
        loss=${R[kernel.s$n.loss_pct]:-1}
        busy=${R[kernel.s$n.relay_busy_pct]:-100}
        rate=${R[kernel.s$n.send_rate_pct]:-0}
        late=${R[kernel.s$n.late_sends_pct]:-100}
        if awk -v r="$rate" -v l="$late" 'BEGIN { exit !(r < 98 || l > 5) }'; then
            MAX_WHY="generator-limited at $n calls (sent ${rate} % of the nominal rate, ${late} % late): the relay's maximum is higher"
            awk -v l="$loss" 'BEGIN { exit !(l == 0) }' && MAX=$n
            break
        fi
        if ! awk -v l="$loss" 'BEGIN { exit !(l == 0) }'; then
            MAX_WHY="loss at $n calls (${loss} %)"
            break
        fi
        MAX=$n
        if awk -v b="$busy" 'BEGIN { exit !(b >= 95) }'; then
            MAX_WHY="relay core ${busy} % busy at $n calls"
            break
        fi
        prev=$n
    done
    [[ -z $MAX_WHY ]] && MAX_WHY="no limit reached up to the last step (${LOADS##* } calls)"
    R[capacity.max_calls]=${MAX:-none}
    R[capacity.why]=$MAX_WHY
    if [[ -n $MAX ]]; then
        n80=$((MAX * 8 / 10))
        if point kernel "$n80" p80; then
            R[capacity.at80_calls]=$n80
            R[capacity.at80_loss_pct]=${R[kernel.p80.loss_pct]:-}
        fi
    fi
fi

# --- 3. the offload burst against the control plane --------------------------
if (( BURST_CALLS > 0 )) && [[ -z ${R[kernel.unavailable]:-} ]]; then
    log "== control p99 during a $BURST_CALLS-call setup burst with media"
    for m in kernel user; do
        start_daemon "$m" || { FAILED=1; continue; }
        in_gen nice -n "$NICE" taskset -c "$GEN_CPU" "$NGLOAD" cycles --target $RELAY:$NG_PORT --inflight 1 \
            --duration 8 --local-port 19000 >"$WORK/$m.burst.ng.out" 2>"$WORK/$m.burst.ng.err" &
        ngpid=$!
        sleep 2
        in_gen nice -n "$NICE" taskset -c "$GEN_CPU" "$MEDIALOAD" --target $RELAY:$NG_PORT --media-address $GEN \
            --calls "$BURST_CALLS" --warmup 1 --duration 4 --local-port 19100 \
            --port-min 20000 --port-max 65000 >"$WORK/$m.burst.media.out" 2>"$WORK/$m.burst.media.err"
        wait "$ngpid"
        absorb "$m.burst.ng" "$WORK/$m.burst.ng.out"
        absorb "$m.burst.media" "$WORK/$m.burst.media.out"
        R[$m.burst.daemon_alive]=$(kill -0 "$DPID" 2>/dev/null && echo 1 || echo 0)
        stop_daemon
        log "  $m: offer p99 ${R[$m.burst.ng.offer_p99_us]:-?} us, answer p99 ${R[$m.burst.ng.answer_p99_us]:-?} us"
    done
    for c in offer answer delete; do
        k=${R[kernel.burst.ng.${c}_p99_us]:-}
        u=${R[user.burst.ng.${c}_p99_us]:-}
        [[ -n $k && -n $u ]] && R[burst.${c}_p99_added_pct]=$(awk -v k="$k" -v u="$u" 'BEGIN { printf "%.1f", (u > 0 ? (k / u - 1) * 100 : 0) }')
    done
fi

# --- report ------------------------------------------------------------------
report() {
    echo "ngmedia kernel-path (eBPF) benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "relay on CPU $RELAY_CPU, mediaload on CPU $GEN_CPU, RPS: ${R[rps]}; one veth pair between two namespaces; G.711 20 ms both ways"
    [[ -n ${R[kernel.unavailable]:-} ]] && echo "KERNEL PATH UNAVAILABLE: ${R[kernel.unavailable]}"
    echo
    echo "== $CALLS calls, ${DURATION} s (${WARMUP} s warm-up left out)"
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
    echo "relay core per call, kernel path / rtpengine userspace: ${r:-n/a} (target <= 0.20: $(verdict "$r" '<=' 0.20))"
    echo "relay core per call, ngmediad userspace / rtpengine userspace: ${R[ratio.user_rtpengine_relay]:-n/a}"
    echo "relay core per call, kernel path / ngmediad userspace: ${R[ratio.kernel_user_relay]:-n/a}"
    echo "all cores per call (generator included), kernel / rtpengine: ${R[ratio.kernel_rtpengine_all]:-n/a}, ngmediad user / rtpengine: ${R[ratio.user_rtpengine_all]:-n/a}"
    local p50=${R[kernel.main.latency_p50_us]:-}
    echo "kernel path relay latency p50: ${p50:-n/a} us (target <= 30: $(verdict "$p50" '<=' 30))"
    if [[ -n ${R[capacity.max_calls]:-} ]]; then
        echo "most calls held by the kernel path on CPU $RELAY_CPU: ${R[capacity.max_calls]} (${R[capacity.why]})"
        local l80=${R[capacity.at80_loss_pct]:-}
        echo "loss at 80 % of it (${R[capacity.at80_calls]:-?} calls): ${l80:-n/a} % (target 0: $(verdict "$l80" '==' 0))"
    else
        echo "capacity search: not run"
    fi
    if [[ -n ${R[burst.offer_p99_added_pct]:-} ]]; then
        echo "control during a $BURST_CALLS-call setup burst with media (ngload cycles, 1 in flight):"
        for c in offer answer delete; do
            echo "  $c p99: ${R[kernel.burst.ng.${c}_p99_us]:-?} us with the kernel path, ${R[user.burst.ng.${c}_p99_us]:-?} us without: ${R[burst.${c}_p99_added_pct]:-?} % added (target < 10: $(verdict "${R[burst.${c}_p99_added_pct]:-}" '<' 10))"
        done
    else
        echo "setup burst: not run"
    fi
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
    echo "# raw figures"
    for k in $(printf '%s\n' "${!R[@]}" | sort); do echo "$k=${R[$k]}"; done
} >"$out"
report
echo
echo "written to $out"
exit $FAILED
