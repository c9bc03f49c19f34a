#!/usr/bin/env bash
# A kernel-path media point (docs/ebpf.md): ngmediad in a network namespace
# of its own, the mediaload generator in another, one veth pair between
# them, so every packet crosses a device and the TC program's redirect runs
# (both legs of every call come from the generator's namespace and go back
# to it). The same load with --table=0 (eBPF) and --table=-1 (userspace).
#
#   bench/ebpf.sh BUILD_DIR [CALLS] [SECONDS]
#
# Prints, per mode, mediaload's key=value figures (loss, latency, the
# daemon's own CPU) and the system-wide busy CPU from /proc/stat over the
# run (wall - idle - iowait - steal, all cores: the kernel path's work is
# softirq time, charged to no process). Needs root. On a machine shared
# with other work the system-wide figure includes theirs.
set -euo pipefail
BUILD=${1:-build}
CALLS=${2:-500}
SECONDS_=${3:-10}
DAEMON=$BUILD/src/app/ngmediad
LOAD=$BUILD/bench/mediaload
NS_MEDIA=ngmb-media-$$
NS_GEN=ngmb-gen-$$
cleanup() {
    [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
    ip netns del "$NS_MEDIA" 2>/dev/null || true
    ip netns del "$NS_GEN" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$NS_MEDIA"
ip netns add "$NS_GEN"
ip link add med0 netns "$NS_MEDIA" type veth peer name gen0 netns "$NS_GEN"
ip -n "$NS_MEDIA" addr add 10.204.0.1/24 dev med0
ip -n "$NS_GEN" addr add 10.204.0.2/24 dev gen0
for ns in "$NS_MEDIA" "$NS_GEN"; do
    ip -n "$ns" link set lo up
done
ip -n "$NS_MEDIA" link set med0 up
ip -n "$NS_GEN" link set gen0 up

busy() {  # jiffies busy and total, all cores
    awk '/^cpu /{t=0; for(i=2;i<=NF;i++) t+=$i; print t-$5-$6-$9, t}' /proc/stat
}

for table in 0 -1; do
    ip netns exec "$NS_MEDIA" "$DAEMON" --config-file=none --foreground --log-stderr \
        --table=$table --num-threads=1 --delete-delay=0 --interface=10.204.0.1 \
        --listen-ng=10.204.0.1:2223 --port-min=20000 --port-max=60000 \
        2>"/tmp/ngmb-daemon-$table.log" &
    DPID=$!
    sleep 1
    grep -h "forwarding" "/tmp/ngmb-daemon-$table.log" >&2 || true
    read -r b0 t0 < <(busy)
    ip netns exec "$NS_GEN" "$LOAD" --target 10.204.0.1:2223 --media-address 10.204.0.2 \
        --calls "$CALLS" --warmup 6 --duration "$SECONDS_" --daemon-pid "$DPID" \
        >"/tmp/ngmb-load-$table.txt" 2>"/tmp/ngmb-load-$table.err" || true
    read -r b1 t1 < <(busy)
    kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=
    echo "== table=$table calls=$CALLS"
    cat "/tmp/ngmb-load-$table.txt"
    echo "system_busy_pct_all_cores=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN{printf "%.1f", 100*b/t*'"$(nproc)"'}')"
done
