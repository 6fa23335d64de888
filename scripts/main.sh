#!/usr/bin/env bash
# Installs what is missing, builds build/, and runs the default experiment
# (experiments/staleness_sweep.sh, which ends by printing its PNG's path).
# Arguments, if any, are passed on to that experiment.
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

scripts/setup.sh
trap 'give_back_dirs build out' EXIT

say "configure and build build/"
cmake -S . -B build
cmake --build build -j"$(jobs_count)"

sweep=experiments/staleness_sweep.sh
if [[ ! -f $sweep ]]; then
    say "$sweep has not landed yet, so there is no default experiment to run;"
    say "showing build/stale --help instead"
    build/stale --help
    exit
fi

say "running $sweep${*:+ $*}"
if [[ -x $sweep ]]; then
    "$sweep" "$@"
else
    bash "$sweep" "$@"
fi
