#!/usr/bin/env bash
# AdaRevision (issue 16, deliverable 3): MF's item step as plain SGD, as
# AdaGrad (the adaptive step without the revision) and as AdaRevision, at
# staleness bounds where SGD suffers, each without and with managed
# communication; the objective against simulated time per bound, a table of
# final/best RMSE and time to target, and the figure.
#
#   experiments/adarevision.sh [extra `stale sim` flags]
# Environment (defaults in brackets):
#   NODES [64]  SERVERS [4]  BANDWIDTH [1Gbps]  STALENESS [0,3,8]  SEED [1]
#   CLOCKS [40]  TARGET [0.80: held-out RMSE for the time to target]
#   DATA [users=8000,items=400,ratings=200000,rank=8,chunks=4: a generated
#        set, each clock's SGD in 4 parts so updates can go early]
#   STEPS [space-separated name:options, default "sgd:lr=0.1 sgd:lr=0.05
#        sgd:lr=0.02 adagrad:eta0=0.3,lr=0.05 adagrad:eta0=0.1,lr=0.05
#        adarevision:eta0=0.3,lr=0.05"]  (lr is the user factors' step under
#        adagrad and adarevision; adagrad is AdaRevision without the revision)
#   COMMS ["none magnitude:0.1link"]: a policy and its budget per entry
#   OUT [out/adarevision]: OUT.csv (every run, a last column naming its
#        variant), OUT.md (the table), OUT_plot.csv (what the figure draws), OUT.png
# Runs are niced and each `stale sim` is bounded by CLOCKS.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

NODES=${NODES:-64}; SERVERS=${SERVERS:-4}; BANDWIDTH=${BANDWIDTH:-1Gbps}
STALENESS=${STALENESS:-0,3,8}; SEED=${SEED:-1}; CLOCKS=${CLOCKS:-40}; TARGET=${TARGET:-0.80}
DATA=${DATA:-users=8000,items=400,ratings=200000,rank=8,chunks=4}
STEPS=${STEPS:-sgd:lr=0.1 sgd:lr=0.05 sgd:lr=0.02 adagrad:eta0=0.3,lr=0.05 adagrad:eta0=0.1,lr=0.05 adarevision:eta0=0.3,lr=0.05}
COMMS=${COMMS:-none magnitude:0.1link}
OUT=${OUT:-out/adarevision}
STALE=${STALE:-build/stale}
[[ -x $STALE ]] || { echo "adarevision.sh: $STALE not built" >&2; exit 1; }
mkdir -p -- "$(dirname -- "$OUT")"

: > "$OUT.csv"
i=0
for st in $STEPS; do
  name=${st%%:*} opts=${st#*:}
  for cm in $COMMS; do
    p=${cm%%:*}
    comm=(--comm-policy "$p")
    [[ $p == none ]] || comm+=(--comm-budget "${cm#*:}")
    cmd=(nice "$STALE" sim --app mf --app-options "$DATA,step=$name,$opts" --nodes "$NODES"
         --servers "$SERVERS" --bandwidth "$BANDWIDTH" --clocks "$CLOCKS" --staleness "$STALENESS"
         --seed "$SEED" "${comm[@]}" --out "$OUT.part.csv" "$@")
    echo "adarevision.sh: ${cmd[*]}" >&2
    start=$(date +%s)
    "${cmd[@]}"
    echo "adarevision.sh: $name $opts, comm $cm in $(( $(date +%s) - start )) s wall" >&2
    # One CSV: the header once, a variant label, run numbers made unique.
    lab="$name(${opts//,/;})"; [[ $p == none ]] || lab+="+$p@${cm#*:}"
    awk -F, -v OFS=, -v base=$((i * 100)) -v head=$((i == 0)) -v lab="$lab" '
      NR==1{for(k=1;k<=NF;k++)if($k=="run")c=k; if(head)print $0,"variant"; next}
      {$c=base+$c; print $0,lab}' "$OUT.part.csv" >> "$OUT.csv"
    i=$((i + 1))
  done
done
rm -f -- "$OUT.part.csv"

# Per (variant, bound): final and best RMSE, simulated time to TARGET.
awk -F, -v target="$TARGET" '
  function field(name) { return $(col[name]) }
  NR==1 { for (k = 1; k <= NF; k++) col[$k] = k; next }
  {
    # the variant label is the last field (it has no comma; app_options,
    # quoted with commas, comes after every column read here)
    lab = $NF; key = lab SUBSEP field("staleness")
    if (!(key in seen)) { seen[key] = 1; order[++n] = key; best[key] = 1e30; ttt[key] = "" }
    o = field("objective") + 0; last[key] = field("objective")
    if (field("objective") != "nan" && o < best[key]) best[key] = o
    if (ttt[key] == "" && field("objective") != "nan" && o <= target) ttt[key] = field("sim_time_s")
    clocks[key] = field("clock") + 1
  }
  END {
    printf "| step / comm | s | clocks | final RMSE | best RMSE | time to %s (s) |\n", target
    print "|---|---|---|---|---|---|"
    for (j = 1; j <= n; j++) {
      split(order[j], kk, SUBSEP)
      printf "| %s | %s | %d | %s | %.4f | %s |\n", kk[1], kk[2], clocks[order[j]], last[order[j]],
             best[order[j]], ttt[order[j]] == "" ? "not reached" : sprintf("%.4f", ttt[order[j]])
    }
  }' "$OUT.csv" > "$OUT.md"
cat "$OUT.md" >&2
# What the figure draws, free of quoted fields: variant, bound, time, RMSE.
awk -F, -v OFS=, 'NR==1{for(k=1;k<=NF;k++)col[$k]=k; print "variant,staleness,sim_time_s,objective"; next}
  {print $NF, $(col["staleness"]), $(col["sim_time_s"]), $(col["objective"])}' "$OUT.csv" > "${OUT}_plot.csv"
variants=$(awk -F, 'NR>1&&!s[$1]++{printf "%s ", $1}' "${OUT}_plot.csv")
steps=$(awk -F, 'NR>1{sub(/[+].*/, "", $1)} NR>1&&!s[$1]++{printf "%s ", $1}' "${OUT}_plot.csv")
if command -v gnuplot >/dev/null; then
  title="MF on $NODES simulated nodes ($SERVERS shards, $BANDWIDTH links): SGD, AdaGrad and AdaRevision per staleness bound"
  gnuplot -e "data='${OUT}_plot.csv'; out='$OUT.png'; title='$title'; bounds='${STALENESS//,/ }'; variants='$variants'; steps='$steps'" plots/adarevision.gp
  echo "$OUT.png"
fi
