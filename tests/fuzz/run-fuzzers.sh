#!/usr/bin/env bash
# Runs every fuzz_* executable under a build directory.
#
#   tests/fuzz/run-fuzzers.sh BUILD_DIR --runs N      reproducible pass (make test)
#   tests/fuzz/run-fuzzers.sh BUILD_DIR --seconds S   exploration (make fuzz)
#
# fuzz_<name> first runs every committed input once, each on its own:
# tests/fuzz/corpus/<name>/ (seeds) and tests/fuzz/regressions/<name>/
# (inputs that once failed; they must keep passing). Then it mutates from a
# temporary copy of both (the repository is never written):
#   --runs N     N inputs from the fixed seed 1 (FUZZ_SEED overrides): the
#                same commit explores the same inputs on every machine;
#   --seconds S  S seconds from a fresh random seed (printed, so a run can
#                be repeated with FUZZ_SEED).
# fuzz_ng's replies carry wall-clock times, so its path can still differ a
# little from run to run; any failure it finds is saved and reproduces alone.
# Undefined behaviour stops a target like a crash does. Crash inputs and the
# log are kept under BUILD_DIR/fuzz-artifacts/<name>/. Prints one line per
# target and a closing "N passed, N failed" line; exits non-zero if any
# target crashed, leaked, hit undefined behaviour, timed out or ran out of
# memory.
set -u

usage() {
    echo "usage: $0 BUILD_DIR --runs N | --seconds S" >&2
    exit 2
}
[ $# -eq 3 ] || usage
build=$1
mode=$2
amount=$3
[[ $amount =~ ^[0-9]+$ ]] || usage
# A reproducible pass also turns address-space randomisation off: libFuzzer
# takes operands of the target's comparisons, pointers among them, as
# mutation material, so a different address layout explores other inputs.
norandom=()
case "$mode" in
--runs)
    limit=(-runs="$amount")
    seed=${FUZZ_SEED:-1}
    setarch "$(uname -m)" -R true 2>/dev/null && norandom=(setarch "$(uname -m)" -R)
    ;;
--seconds) limit=(-max_total_time="$amount") seed=${FUZZ_SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))} ;;
*) usage ;;
esac
here=$(cd "$(dirname "$0")" && pwd)

mapfile -t targets < <(find "$build" -type f -executable -name 'fuzz_*' ! -name '*.*' | sort)
if [ ${#targets[@]} -eq 0 ]; then
    echo "no fuzz_* executables under $build (configure with -DNGM_FUZZ=ON and build them)" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

passed=0
failed=0
report_failure() {  # name rc log
    local input
    failed=$((failed + 1))
    cp "$3" "$artifacts/last.log"
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$3" | tail -n1)
    [ -n "$input" ] || input=$(sed -n 's/^Running: \(.*\)$/\1/p' "$3" | tail -n1)
    printf '%-24s FAILED rc=%d  input %s  log %s\n' "fuzz_$1" "$2" "${input:-?}" "$artifacts/last.log"
}
for exe in "${targets[@]}"; do
    name=$(basename "$exe")
    name=${name#fuzz_}
    corpus=$work/corpus-$name
    artifacts=$build/fuzz-artifacts/$name
    log=$work/$name.log
    mkdir -p "$corpus" "$artifacts"
    committed=()
    for dir in "$here/corpus/$name" "$here/regressions/$name"; do
        [ -d "$dir" ] || continue
        cp -R "$dir/." "$corpus/"
        while IFS= read -r f; do committed+=("$f"); done < <(find "$dir" -type f | sort)
    done
    seeds=${#committed[@]}

    # 1. Every committed input once, on its own.
    if [ "$seeds" -gt 0 ]; then
        "$exe" -timeout=10 -rss_limit_mb=2048 "${committed[@]}" >"$log" 2>&1
        rc=$?
        if [ $rc -ne 0 ]; then
            report_failure "$name" $rc "$log"
            continue
        fi
    fi
    # 2. Mutation.
    "${norandom[@]}" "$exe" "$corpus" "${limit[@]}" -seed="$seed" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -reload=0 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    rc=$?
    # UBSan prints and goes on where a target was built to recover: never
    # count such a run as clean.
    if [ $rc -eq 0 ] && grep -q 'runtime error:' "$log"; then rc=98; fi
    if [ $rc -ne 0 ]; then
        report_failure "$name" $rc "$log"
        continue
    fi
    passed=$((passed + 1))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
    grown=$(find "$corpus" -type f | wc -l)
    printf '%-24s ok     %10s runs  %7s exec/s  seed %-10s cov %-6s committed %s, corpus -> %s\n' \
        "fuzz_$name" "${runs:-?}" "${rate:-?}" "$seed" "${cov:-?}" "$seeds" "$grown"
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
