#!/usr/bin/env bash
# Line coverage of core/ by the ctest suite: builds build-cov/ with
# -DSTALE_COVERAGE=ON (Debug), runs every test, prints gcovr's per-file
# table and the total line percentage.
#   scripts/coverage.sh [--min N]   fail if core/ line coverage is below N %
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: scripts/coverage.sh [--min PERCENT]"; }

min=
while [[ $# -gt 0 ]]; do
    case $1 in
        --min)
            [[ $# -ge 2 ]] || { usage >&2; die "--min needs a percentage"; }
            min=$2; shift 2 ;;
        --min=*) min=${1#--min=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
if [[ -n $min ]] && ! [[ $min =~ ^[0-9]+([.][0-9]+)?$ && $(awk -v m="$min" 'BEGIN{print (m <= 100)}') == 1 ]]; then
    die "--min wants a percentage from 0 to 100, got '$min'"
fi

trap 'give_back_dirs build-cov' EXIT

say "configure and build build-cov/"
cmake -S . -B build-cov -DSTALE_COVERAGE=ON -DCMAKE_BUILD_TYPE=Debug
cmake --build build-cov -j"$(jobs_count)"

# Counts from earlier runs (or from objects since rebuilt) would skew the
# report or make gcov fail on stamp mismatches.
find build-cov -name '*.gcda' -delete

say "ctest in build-cov/"
tests_ok=1
ctest --test-dir build-cov --output-on-failure --no-tests=error -j2 || tests_ok=0

say "line coverage of core/"
report=$(gcovr -r . --filter core/ --object-directory build-cov --txt --print-summary)
printf '%s\n' "$report"
total=$(printf '%s\n' "$report" | sed -n 's/^lines: *\([0-9.]*\)%.*/\1/p' | tail -n 1)
[[ -n $total ]] || die "could not read the total line coverage from gcovr's summary"
say "core/ line coverage: $total%"

[[ $tests_ok -eq 1 ]] || die "some tests failed (see ctest output above)"
if [[ -n $min ]] && awk -v t="$total" -v m="$min" 'BEGIN{exit !(t < m)}'; then
    die "core/ line coverage $total% is below the minimum $min%"
fi
