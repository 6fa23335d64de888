#!/usr/bin/env bash
# Regenerates every figure of the README, one experiment script each, and
# copies each PNG into plots/ (where the README shows it from). Says what it
# ran and how long each took, and the total. Runs in order; stops at the
# first failure.
#
#   experiments/all.sh [--list]     (--list: only print what it would run)
# Each line below is one figure: "PNG-in-plots  command".
# How long (measured on the 2-core development machine, under the load of
# other jobs, see README): the staleness sweep a few minutes, the scale
# experiment (to 4096 nodes) most of an hour.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

figures=(
    "staleness.png  experiments/staleness_sweep.sh"
    "scale.png      experiments/scale.sh"
)
# Other apps' sweeps, once their app is registered: the same script with
# APP as its parameter, or the app's own script if it has one.
for app in lasso lda dnn; do
    build/stale sim --app "$app" --nodes 2 --clocks 1 --out /dev/null >/dev/null 2>&1 || continue
    if [[ -x experiments/${app}_sweep.sh ]]; then
        figures+=("${app}_staleness.png  experiments/${app}_sweep.sh")
    else
        figures+=("${app}_staleness.png  env APP=$app experiments/staleness_sweep.sh")
    fi
done

if [[ ${1:-} == --list ]]; then
    printf '%s\n' "${figures[@]}"
    exit 0
fi
[[ -x build/stale ]] || { echo "all.sh: build/stale not built (run scripts/main.sh)" >&2; exit 1; }
total=$(date +%s)
for f in "${figures[@]}"; do
    png=${f%% *}
    read -ra cmd <<< "${f#* }"
    echo "all.sh: ${cmd[*]}" >&2
    t0=$(date +%s)
    out=$("${cmd[@]}" | tail -1)
    [[ -f $out ]] || { echo "all.sh: ${cmd[*]} did not end with a PNG (got '$out')" >&2; exit 1; }
    cp -- "$out" "plots/$png"
    echo "all.sh: plots/$png from ${cmd[*]} in $(( $(date +%s) - t0 )) s" >&2
done
echo "all.sh: every figure in $(( $(date +%s) - total )) s" >&2
