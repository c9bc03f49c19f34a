#!/bin/bash
# The dtls burst's control (not part of make bench): is what the burst does
# to the plain calls' relay latency the daemon's, or the generator's? Two
# ngmediad: A on CPU 0 relays BENCH_DTLS_BURST_PLAIN (300) plain calls for
# mediaload; the burst of 200 DTLS handshakes goes to B, which runs on CPU 1
# beside the generators (at nice NICE_B, default 0, like the burst's
# dtlsload). A's p99 during the burst then measures the generator side only.
#   bench/dtls-burst-control.sh BUILD_DIR   (take flock /tmp/ngm-test.lock)
set -u
B=${1:?usage: $0 BUILD_DIR}
NICE_B=${NICE_B:-0}
PLAIN=${BENCH_DTLS_BURST_PLAIN:-300}
ag() { local n=$1; shift; setsid sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec "$@"' "$n" nice -n "$n" "$@"; }
ag -20 taskset -c 0 "$B/src/app/ngmediad" --config-file=none --table=-1 --foreground --log-stderr --num-threads=1 \
    --interface=127.0.0.1 --listen-ng=127.0.0.1:12222 --port-min=20000 --port-max=40999 --delete-delay=0 >/dev/null 2>&1 &
A=$!
ag "$NICE_B" taskset -c 1 "$B/src/app/ngmediad" --config-file=none --table=-1 --foreground --log-stderr --num-threads=1 \
    --interface=127.0.0.1 --listen-ng=127.0.0.1:12223 --port-min=41000 --port-max=61999 --delete-delay=0 >/dev/null 2>&1 &
BD=$!
sleep 1.5
out=$(mktemp)
ag -20 taskset -c 1 "$B/bench/mediaload" --target 127.0.0.1:12222 --calls "$PLAIN" --duration 10 --warmup 2 \
    --daemon-pid $A --local-port 19000 --port-min 2000 --port-max 9999 >"$out" 2>/dev/null &
M=$!
sleep 5
ag "$NICE_B" taskset -c 1 "$B/bench/dtlsload" --target 127.0.0.1:12223 --calls 200 --notify-pid $M \
    --local-port 19001 --port-min 10000 --port-max 18999 >/dev/null
wait $M
grep -E '^(before|burst|after)_latency_(p99_us|samples)=|^burst_len_s=' "$out"
rm -f "$out"
kill $A $BD
wait
