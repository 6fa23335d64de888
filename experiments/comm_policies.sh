#!/usr/bin/env bash
# Managed communication (issue 16): the comm policies compared at one
# budget, and a sweep of budgets for one policy, on a bandwidth-limited
# simulated cluster; time-to-target per run and the figure.
#
#   experiments/comm_policies.sh [extra `stale sim` flags]
# Environment (defaults in brackets):
#   APP [mf] or lda (a generated corpus, LDA [topics=50])
#   NODES [256]  SERVERS [16]  BANDWIDTH [1Gbps]  STALENESS [1]  SEED [1]
#   CLOCKS [20 mf, 15 lda]  HOST_SPEED [1Gf mf, 5.5Gf lda]
#   INTERVAL [1ms mf, 2ms lda]: --comm-interval
#   POLICIES [none fifo random magnitude relative age combined]
#   BUDGET [0.25link]: the budget of the policy comparison
#   SWEEP_POLICY [magnitude]  BUDGETS [0.05link 0.1link 0.5link 1link]
#   OUT [out/comm_<app>]: OUT.csv (every run), OUT_ttt.csv, OUT.png
# The target is the objective `none` reaches at its last clock; a run's time
# to target is the simulated time of its first clock at least that good.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

APP=${APP:-mf}
if [[ $APP == mf ]]; then
  app=(--app mf --app-options "${MF:-users=20000,items=500,ratings=1000000,rank=8,batch=16,lr=0.01}")
  CLOCKS=${CLOCKS:-20}; HOST_SPEED=${HOST_SPEED:-1Gf}; INTERVAL=${INTERVAL:-1ms}; maximize=0
elif [[ $APP == lda ]]; then
  app=(--app lda --app-options "${LDA:-topics=50}")
  CLOCKS=${CLOCKS:-15}; HOST_SPEED=${HOST_SPEED:-5.5Gf}; INTERVAL=${INTERVAL:-2ms}; maximize=1
else
  echo "comm_policies.sh: APP is mf or lda" >&2; exit 1
fi
NODES=${NODES:-256}; SERVERS=${SERVERS:-16}; BANDWIDTH=${BANDWIDTH:-1Gbps}
STALENESS=${STALENESS:-1}; SEED=${SEED:-1}
POLICIES=${POLICIES:-none fifo random magnitude relative age combined}
BUDGET=${BUDGET:-0.25link}
SWEEP_POLICY=${SWEEP_POLICY:-magnitude}
BUDGETS=${BUDGETS:-0.05link 0.1link 0.5link 1link}
OUT=${OUT:-out/comm_$APP}
STALE=${STALE:-build/stale}
[[ -x $STALE ]] || { echo "comm_policies.sh: $STALE not built" >&2; exit 1; }
mkdir -p -- "$(dirname -- "$OUT")"

runs=()
for p in $POLICIES; do runs+=("$p:$BUDGET"); done
for b in $BUDGETS; do [[ $b == "$BUDGET" ]] || runs+=("$SWEEP_POLICY:$b"); done
: > "$OUT.csv"
i=0
for r in "${runs[@]}"; do
  p=${r%%:*} b=${r#*:}
  comm=(--comm-policy "$p")
  [[ $p == none ]] || comm+=(--comm-budget "$b" --comm-interval "$INTERVAL")
  cmd=("$STALE" sim "${app[@]}" --nodes "$NODES" --servers "$SERVERS" --clocks "$CLOCKS"
       --staleness "$STALENESS" --bandwidth "$BANDWIDTH" --host-speed "$HOST_SPEED" --seed "$SEED"
       "${comm[@]}" --out "$OUT.part.csv" "$@")
  echo "comm_policies.sh: ${cmd[*]}" >&2
  start=$(date +%s)
  "${cmd[@]}"
  echo "comm_policies.sh: $p at $b in $(( $(date +%s) - start )) s wall" >&2
  # One CSV: the header once, each invocation's run renumbered.
  awk -F, -v OFS=, -v run=$i -v head=$((i == 0)) 'NR==1{for(k=1;k<=NF;k++)if($k=="run")c=k; if(head)print; next}{$c=run; print}' \
    "$OUT.part.csv" >> "$OUT.csv"
  i=$((i + 1))
done
rm -f -- "$OUT.part.csv"

awk -F, -v maximize=$maximize -f experiments/comm_ttt.awk "$OUT.csv" > "${OUT}_ttt.csv"
column -s, -t < "${OUT}_ttt.csv" >&2 || cat "${OUT}_ttt.csv" >&2
if command -v gnuplot >/dev/null; then
  title="$APP on $NODES simulated nodes ($SERVERS shards), $BANDWIDTH links, s=$STALENESS: policies at $BUDGET, budget sweep of $SWEEP_POLICY"
  gnuplot -e "data='$OUT.csv'; ttt='${OUT}_ttt.csv'; out='$OUT.png'; title='$title'; budget='$BUDGET'; sweep='$SWEEP_POLICY'; maximize=$maximize" plots/comm.gp
  echo "$OUT.png"
fi
