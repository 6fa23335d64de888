#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz/ for a while, one after another
# (niced, one process: the machine is shared). Builds build-fuzz/ with clang
# and -DSTALE_FUZZ=ON. Each target starts from its seed corpus in the repo
# and grows a working corpus in build-fuzz/corpus/NAME (the repo's stays
# small); a crash is written to build-fuzz/crashes/NAME/ (copy it to
# tests/fuzz/crashes/NAME/ once fixed: ctest replays that directory).
#   scripts/fuzz.sh [SECONDS]     seconds per target (default 60)
# Environment: FUZZ_TARGETS="wire ratings" runs only those; FUZZ_RUNS=N
# stops a target after N executions if that comes first.
# Prints one line per target: executions, coverage (libFuzzer's cov: edges,
# ft: features), corpus size, and whether it crashed. Exits 1 on a crash.
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -ge 1 ]] || die "SECONDS must be a positive integer, got '$seconds'"
command -v clang >/dev/null || die "needs clang (apt-get install clang; scripts/setup.sh lists it)"

trap 'give_back_dirs build-fuzz' EXIT
say "configure and build build-fuzz/ (clang, libFuzzer, ASan, UBSan)"
CC=clang cmake -S . -B build-fuzz -DSTALE_FUZZ=ON >/dev/null
targets=${FUZZ_TARGETS:-$(cd tests/fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | grep -v '^util$' | tr '\n' ' ')}
build_targets=()
for t in $targets; do build_targets+=("fuzz_$t"); done
nice cmake --build build-fuzz -j"$(jobs_count)" --target "${build_targets[@]}" >/dev/null

failed=0
for t in $targets; do
    work=build-fuzz/corpus/$t crashes=build-fuzz/crashes/$t log=build-fuzz/fuzz-$t.log
    mkdir -p "$work" "$crashes"
    args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/")
    [[ -n ${FUZZ_RUNS:-} ]] && args+=(-runs="$FUZZ_RUNS")
    dict=tests/fuzz/$t.dict
    [[ -f $dict ]] && args+=(-dict="$dict")
    status=0
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        nice build-fuzz/tests/fuzz_"$t" "${args[@]}" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    corp=$(find "$work" -type f | wc -l)
    if [[ $status -eq 0 ]]; then
        result="no crash"
    else
        result="CRASH (exit $status; input in $crashes/, log $log)"
        failed=1
    fi
    say "$t: ${execs:-?} executions in ${seconds} s max, cov ${cov:-?} edges, ft ${ft:-?}, corpus $corp files: $result"
done
exit "$failed"
