#!/usr/bin/env bash
# Managed communication (issue 16): the comm policies compared at one
# budget, and a sweep of budgets for one policy, on a bandwidth-limited
# simulated cluster, over several seeds; time to target per run, speed-ups
# against `none` at stated targets, and the figure.
#
#   experiments/comm_policies.sh [extra `stale sim` flags]
# Environment (defaults in brackets):
#   APP [mf] or lda (the man-page corpus: LDA_DATA
#     [out/lda/manpages/docword.manpages.txt], from experiments/lda_manpages.sh)
#   NODES [256]  SERVERS [16]  BANDWIDTH [1Gbps]  STALENESS [8]  SEEDS [1,2,3]
#   STRAGGLERS [0.1x4]: --stragglers (0x1: none)
#   CLOCKS [20]  HOST_SPEED [0.1Gf mf, 0.05Gf lda]  INTERVAL [5ms]: --comm-interval
#   MF, LDA: the app's options (see below; chunks so that there is
#     something to send while a clock computes, MF's reread=1 and LDA's
#     chunks so that a worker uses what is pushed to it meanwhile)
#   POLICIES [none fifo random magnitude relative age combined]
#   BUDGET [0.3link mf, 0.5link lda]: the budget of the policy comparison
#   SWEEP_POLICY [magnitude]  BUDGETS [0.02link 0.1link 1link]: the others
#     of the sweep (BUDGETS= for none)
#   The measure is the servers' model objective (MF: held-out RMSE; LDA:
#     log-likelihood per token), sampled as EVERY says.
#   EVERY [5ms mf, 25ms lda]: the model is sampled every EVERY simulated
#     seconds (stale sim --model-trace): times to target come from these
#     samples, not from the clocks, which at s > 0 complete in bursts (when
#     the slowest worker finishes one; LDA's first takes about 1 s)
#   FRACTIONS [0.5 0.75 0.9 0.99]: targets, per seed, at these fractions of
#     the improvement `none` makes from its first sample to its best; the
#     table reports each policy's speed-up at every one, the figure at HEADLINE
#   HEADLINE [0.9]  JOBS [2]: runs at once
#   OUT [out/comm_<app>]: OUT.csv (every run, per clock), OUT_trace.csv (the
#     samples), OUT_ttt.csv, OUT_speedup.csv, OUT.png
# Why this regime (the defaults): hosts slow enough that a clock's compute
# is several times its communication, so a budget spent between clocks uses
# link time that is otherwise idle (Bösen's setting), and a bound (s = 8)
# at which the workers read values several clocks old. The budgets are
# where the sweep stops gaining (README): no clock is slower with any of
# them; early pushes are most of the early bytes (16 shards push to 256
# readers), so the shards' buckets bind below them.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

APP=${APP:-mf}
if [[ $APP == mf ]]; then
  app=(--app mf --app-options "${MF:-users=20000,items=500,ratings=1000000,rank=8,batch=16,lr=0.02,chunks=8,reread=1}")
  HOST_SPEED=${HOST_SPEED:-0.1Gf}; maximize=0; EVERY=${EVERY:-5ms}
  BUDGET=${BUDGET:-0.3link}; BUDGETS=${BUDGETS-0.02link 0.1link 1link}
elif [[ $APP == lda ]]; then
  LDA_DATA=${LDA_DATA:-out/lda/manpages/docword.manpages.txt}
  [[ -f $LDA_DATA ]] || { echo "comm_policies.sh: $LDA_DATA missing (run experiments/lda_manpages.sh)" >&2; exit 1; }
  app=(--app lda --data "$LDA_DATA" --app-options "${LDA:-topics=50,chunks=8}")
  HOST_SPEED=${HOST_SPEED:-0.05Gf}; maximize=1; EVERY=${EVERY:-25ms}
  BUDGET=${BUDGET:-0.5link}; BUDGETS=${BUDGETS-0.02link 0.1link 1link}
else
  echo "comm_policies.sh: APP is mf or lda" >&2; exit 1
fi
NODES=${NODES:-256}; SERVERS=${SERVERS:-16}; BANDWIDTH=${BANDWIDTH:-1Gbps}
STALENESS=${STALENESS:-8}; SEEDS=${SEEDS:-1,2,3}; CLOCKS=${CLOCKS:-20}; INTERVAL=${INTERVAL:-5ms}
STRAGGLERS=${STRAGGLERS:-0.1x4}
POLICIES=${POLICIES:-none fifo random magnitude relative age combined}
SWEEP_POLICY=${SWEEP_POLICY:-magnitude}
FRACTIONS=${FRACTIONS:-0.5 0.75 0.9 0.99}
HEADLINE=${HEADLINE:-0.9}
JOBS=${JOBS:-2}
OUT=${OUT:-out/comm_$APP}
STALE=${STALE:-build/stale}
[[ -x $STALE ]] || { echo "comm_policies.sh: $STALE not built" >&2; exit 1; }
[[ " $POLICIES " == *" none "* ]] || { echo "comm_policies.sh: POLICIES must include none (the baseline)" >&2; exit 1; }
mkdir -p -- "$(dirname -- "$OUT")"

# none first: the targets come from it.
runs=("none:0")
for p in $POLICIES; do [[ $p == none ]] || runs+=("$p:$BUDGET"); done
for b in $BUDGETS; do [[ $b == "$BUDGET" ]] || runs+=("$SWEEP_POLICY:$b"); done
: > "$OUT.csv"
: > "${OUT}_trace.csv"
i=0 start_all=$(date +%s)
for r in "${runs[@]}"; do
  p=${r%%:*} b=${r#*:}
  comm=(--comm-policy "$p")
  [[ $p == none ]] || comm+=(--comm-budget "$b" --comm-interval "$INTERVAL")
  strag=()
  [[ $STRAGGLERS == 0x1 ]] || strag=(--stragglers "$STRAGGLERS")
  cmd=("$STALE" sim "${app[@]}" --nodes "$NODES" --servers "$SERVERS" --clocks "$CLOCKS"
       --staleness "$STALENESS" --bandwidth "$BANDWIDTH" --host-speed "$HOST_SPEED"
       --seed "$SEEDS" --jobs "$JOBS" "${strag[@]}" "${comm[@]}" --out "$OUT.part.csv"
       --model-trace "$OUT.part.trace.csv" --model-every "$EVERY" "$@")
  echo "comm_policies.sh: ${cmd[*]}" >&2
  start=$(date +%s)
  "${cmd[@]}"
  echo "comm_policies.sh: $p at $b in $(( $(date +%s) - start )) s wall" >&2
  # One CSV: the header once; each invocation's runs (one per seed) renumbered.
  awk -F, -v OFS=, -v base=$i -v head=$((i == 0)) \
    'NR==1{for(k=1;k<=NF;k++)if($k=="run")c=k; if(head)print; next}{if(!($c in m))m[$c]=n++; $c=base+m[$c]; print}END{print n > "/dev/stderr"}' \
    "$OUT.part.csv" >> "$OUT.csv" 2> "$OUT.part.n"
  # The samples: the same runs, numbered the same way (in run order).
  awk -F, -v OFS=, -v base=$i -v head=$((i == 0)) 'NR==1{if(head)print; next}{$1=base+$1; print}' \
    "$OUT.part.trace.csv" >> "${OUT}_trace.csv"
  i=$((i + $(cat "$OUT.part.n")))
done
rm -f -- "$OUT.part.csv" "$OUT.part.n" "$OUT.part.trace.csv"
echo "comm_policies.sh: $i runs in $(( $(date +%s) - start_all )) s wall" >&2

awk -F, -v maximize=$maximize -v metric=model_objective -v fractions="$FRACTIONS" \
  -v speedups="${OUT}_speedup.csv" -f experiments/comm_ttt.awk "$OUT.csv" "${OUT}_trace.csv" > "${OUT}_ttt.csv"
column -s, -t < "${OUT}_speedup.csv" >&2 || cat "${OUT}_speedup.csv" >&2
if command -v gnuplot >/dev/null; then
  title="$APP on $NODES simulated nodes ($SERVERS shards), $BANDWIDTH links, $HOST_SPEED hosts, s=$STALENESS, stragglers $STRAGGLERS, seeds $SEEDS"
  gnuplot -e "data='$OUT.csv'; curves='${OUT}_trace.csv'; ttt='${OUT}_ttt.csv'; out='$OUT.png'; title='$title'; budget='$BUDGET'; sweep='$SWEEP_POLICY'; maximize=$maximize; metric='model_objective'; headline='$HEADLINE'; speed='${OUT}_speedup.csv'" plots/comm.gp
  echo "$OUT.png"
fi
