#!/usr/bin/env bash
# Regenerates every figure of the README, one experiment script each, and
# copies each PNG into plots/ (where the README shows it from). Says what it
# ran and how long each took, and the total. Runs in order; stops at the
# first failure.
#
#   experiments/all.sh [--list]     (--list: only print what it would run)
# Each line below is one figure: "PNG-in-plots  command" (the command is
# split as the shell would, so a quoted word keeps its spaces).
# How long, measured on the 2-core development VM (see README): the MF
# staleness sweep 3 to 4 min on the idle VM (17 min, 435 s of CPU, under other
# jobs' load), the LDA sweep 285 s and the Lasso sweep 225 s of CPU (25 and
# 18 min of wall time at a load average of 8 to 10), the scale experiment
# 22 min (585 s of CPU), the managed-communication figures 14 min (MF) and
# 25 min (LDA, on the man pages), with heavier stragglers 9 and 17 min; the
# others' sections give theirs. At the end it
# prints the total it took.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

figures=(
    "staleness.png      experiments/staleness_sweep.sh"
    "dnn_staleness.png  env HOST_SPEED=46Gf CLOCKS=150 experiments/dnn_sweep.sh"
    "staleness_lda.png  env APP=lda experiments/staleness_sweep.sh"
    "lasso_staleness.png  env APP=lasso experiments/staleness_sweep.sh"
    "scale.png          env STALENESS_4096=0 experiments/scale.sh"
    "schedules.png      experiments/schedule_sweep.sh"
    "shotgun_stability.png  experiments/shotgun_stability.sh"
    "adarevision.png    experiments/adarevision.sh"
    "comm_mf.png  experiments/comm_policies.sh"
    "comm_lda.png  env APP=lda experiments/comm_policies.sh"
    "comm_mf_x8.png  env STRAGGLERS=0.1x8 BUDGETS= OUT=out/comm_mf_x8 experiments/comm_policies.sh"
    "comm_lda_x8.png  env APP=lda STRAGGLERS=0.1x8 BUDGETS= OUT=out/comm_lda_x8 experiments/comm_policies.sh"
)
# What a figure needs first (its data), by PNG.
declare -A before=([staleness_lda.png]=experiments/lda_manpages.sh [comm_lda.png]=experiments/lda_manpages.sh
                   [comm_lda_x8.png]=experiments/lda_manpages.sh)

if [[ ${1:-} == --list ]]; then
    for f in "${figures[@]}"; do
        png=${f%% *}
        echo "plots/$png: ${before[$png]:+${before[$png]} && }$(echo ${f#* })"
    done
    exit 0
fi
[[ -x build/stale ]] || { echo "all.sh: build/stale not built (run scripts/main.sh)" >&2; exit 1; }
total=$(date +%s)
for f in "${figures[@]}"; do
    png=${f%% *}
    eval "cmd=(${f#* })"
    if [[ -n ${before[$png]:-} ]]; then
        echo "all.sh: ${before[$png]} (data for $png)" >&2
        "${before[$png]}" >&2
    fi
    echo "all.sh: ${cmd[*]}" >&2
    t0=$(date +%s)
    out=$("${cmd[@]}" | tail -1)
    [[ -f $out ]] || { echo "all.sh: ${cmd[*]} did not end with a PNG (got '$out')" >&2; exit 1; }
    cp -- "$out" "plots/$png"
    echo "all.sh: plots/$png from ${cmd[*]} in $(( $(date +%s) - t0 )) s" >&2
done
echo "all.sh: every figure in $(( $(date +%s) - total )) s" >&2
