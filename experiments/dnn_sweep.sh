#!/usr/bin/env bash
# The DNN in the staleness sweep: held-out accuracy of the 784-256-128-10
# MLP on Fashion-MNIST against simulated time, one curve per staleness
# bound, on a simulated cluster whose hosts run at this machine's sgemm
# rate (stale calibrate --app dnn, unless HOST_SPEED is given). Prints, per
# bound, the wall time of its simulation, the first simulated time at
# which the accuracy reached TARGET and the final accuracy; draws the
# figure; prints the PNG path last.
#
#   experiments/dnn_sweep.sh [extra `stale sim` flags]
# Environment overrides (defaults in brackets):
#   NODES [8]  SERVERS [nodes/16, at least 1]  CLOCKS [100]  STALENESS [0,1,3,8]
#   BANDWIDTH [1Gbps]  SEED [1]  TARGET [0.85]  HOST_SPEED [calibrated]
#   PUSH [--pull: see README, DNN section]  DNN [the app options, default
#   the app's own: batch 64, 16 minibatches per clock, lr 0.2, averaged]
#   OUT [out/dnn_staleness]  (writes OUT.csv, OUT.png)
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

NODES=${NODES:-8}
CLOCKS=${CLOCKS:-100}
STALENESS=${STALENESS:-0,1,3,8}
BANDWIDTH=${BANDWIDTH:-1Gbps}
SEED=${SEED:-1}
TARGET=${TARGET:-0.85}
PUSH=${PUSH---pull}
DNN=${DNN:-}
OUT=${OUT:-out/dnn_staleness}
STALE=${STALE:-build/stale}

[[ -x $STALE ]] || { echo "dnn_sweep.sh: $STALE not built (run scripts/main.sh)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "dnn_sweep.sh: gnuplot not installed" >&2; exit 1; }
mkdir -p -- "$(dirname -- "$OUT")"
if [[ -z ${HOST_SPEED:-} ]]; then
  HOST_SPEED=$("$STALE" calibrate --app dnn ${DNN:+--app-options "$DNN"} | awk '$1 == "--host-speed" { print $2 }')
  [[ -n $HOST_SPEED ]] || { echo "dnn_sweep.sh: stale calibrate printed no --host-speed" >&2; exit 1; }
fi
servers=()
[[ -n ${SERVERS:-} ]] && servers=(--servers "$SERVERS")

# One sim per bound, one after another, so each one's wall time is its own.
: > "$OUT.csv"
IFS=, read -r -a bounds <<< "$STALENESS"
run=0
for s in "${bounds[@]}"; do
  cmd=("$STALE" sim --app dnn --nodes "$NODES" "${servers[@]}" --clocks "$CLOCKS" --staleness "$s"
       --bandwidth "$BANDWIDTH" --host-speed "$HOST_SPEED" --seed "$SEED" $PUSH
       ${DNN:+--app-options "$DNN"} --out "$OUT.run.csv" "$@")
  echo "dnn_sweep.sh: ${cmd[*]}" >&2
  start=$(date +%s.%N)
  "${cmd[@]}"
  wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  # renumber the run column and append (one header)
  awk -F, -v OFS=, -v r="$run" 'NR == 1 { if (r == 0) print; next } { $1 = r; print }' "$OUT.run.csv" >> "$OUT.csv"
  awk -F, -v s="$s" -v wall="$wall" -v target="$TARGET" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { a = $col["test_accuracy"] + 0; t = $col["sim_time_s"] + 0
      if (reach == "" && a >= target) { reach = t; rc = $col["clock"] } last = a; lt = t }
    END { printf "staleness %s: wall %s s; accuracy >= %s at simulated %s s (clock %s); final %.4f at %.2f s\n",
                 s, wall, target, reach == "" ? "never" : reach, rc == "" ? "-" : rc, last, lt }' "$OUT.run.csv" >&2
  run=$((run + 1))
done
rm -f -- "$OUT.run.csv"

title="DNN 784-256-128-10 on Fashion-MNIST, $NODES simulated nodes, $BANDWIDTH links, hosts at $HOST_SPEED (sgemm), ${PUSH:-push}"
gnuplot -e "data='$OUT.csv'; out='$OUT.png'; title='$title'; target=$TARGET" plots/dnn_staleness.gp
echo "$OUT.png"
