#!/usr/bin/env bash
# Installs what is missing, then builds and runs every ctest test twice:
# in build/ (default build type) and in build-asan/ (-DSTALE_SANITIZE=ON,
# AddressSanitizer + UndefinedBehaviorSanitizer). Both stages always run;
# exits non-zero if any configure, build or test failed, and ends with a
# one-line summary.
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

scripts/setup.sh
trap 'give_back_dirs build build-asan' EXIT

results=()
failed=0

# ctest_counts LOG: prints "passed/total" from ctest's closing line.
ctest_counts() {
    sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' -- "$1" |
        tail -n 1 | { read -r bad total && echo "$((total - bad))/$total"; } || echo "?/?"
}

# run_stage NAME DIR ENV CMAKE_ARG...: configure, build and test DIR.
# ENV is a space-separated list of VAR=value set for ctest only.
run_stage() {
    local name=$1 dir=$2 env_words=$3
    shift 3
    local -a test_env
    read -r -a test_env <<<"$env_words"

    say "[$name] configure $dir"
    if ! cmake -S . -B "$dir" "$@"; then
        results+=("$name: configure FAILED"); failed=1; return 0
    fi
    say "[$name] build $dir"
    if ! cmake --build "$dir" -j"$(jobs_count)"; then
        results+=("$name: build FAILED"); failed=1; return 0
    fi
    say "[$name] ctest in $dir"
    if env "${test_env[@]}" ctest --test-dir "$dir" --output-on-failure --no-tests=error -j2 \
        2>&1 | tee "$dir/ctest.log"; then
        results+=("$name: $(ctest_counts "$dir/ctest.log") tests passed")
    else
        results+=("$name: tests FAILED ($(ctest_counts "$dir/ctest.log") passed)"); failed=1
    fi
}

run_stage default build ""
run_stage sanitize build-asan \
    "ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" \
    -DSTALE_SANITIZE=ON

summary=$(IFS=';'; echo "${results[*]}")
summary=${summary//;/; }
if [[ $failed -eq 0 ]]; then
    say "PASSED: $summary"
else
    say "FAILED: $summary"
fi
exit "$failed"
