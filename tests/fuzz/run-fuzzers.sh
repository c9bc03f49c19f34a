#!/usr/bin/env bash
# Runs every fuzz_* executable under a build directory for a fixed time each.
#
#   tests/fuzz/run-fuzzers.sh BUILD_DIR SECONDS
#
# fuzz_<name> starts from a temporary copy of tests/fuzz/corpus/<name>/ (the
# repository is never written). Crash inputs and the fuzzer log are kept under
# BUILD_DIR/fuzz-artifacts/<name>/. Prints one line per target; exits non-zero
# if any target crashed, leaked, timed out or ran out of memory.
set -u

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build=$1
duration=$2
here=$(cd "$(dirname "$0")" && pwd)

mapfile -t targets < <(find "$build" -type f -executable -name 'fuzz_*' ! -name '*.*' | sort)
if [ ${#targets[@]} -eq 0 ]; then
    echo "no fuzz_* executables under $build (configure with -DNGM_FUZZ=ON and build them)" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=0
for exe in "${targets[@]}"; do
    name=$(basename "$exe")
    name=${name#fuzz_}
    corpus=$work/corpus-$name
    artifacts=$build/fuzz-artifacts/$name
    log=$work/$name.log
    mkdir -p "$corpus" "$artifacts"
    if [ -d "$here/corpus/$name" ]; then
        cp -R "$here/corpus/$name/." "$corpus/"
    fi
    seeds=$(find "$corpus" -type f | wc -l)

    "$exe" "$corpus" -max_total_time="$duration" -max_len=65536 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    rc=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
    grown=$(find "$corpus" -type f | wc -l)
    if [ $rc -eq 0 ]; then
        printf '%-24s ok     %10s runs  %7s exec/s  %4ss  cov %-6s corpus %s -> %s\n' \
            "fuzz_$name" "${runs:-?}" "${rate:-?}" "$duration" "${cov:-?}" "$seeds" "$grown"
    else
        failed=1
        cp "$log" "$artifacts/last.log"
        input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
        printf '%-24s FAILED rc=%d  input %s  log %s\n' \
            "fuzz_$name" "$rc" "${input:-?}" "$artifacts/last.log"
    fi
done
exit $failed
