#!/usr/bin/env bash
# The default experiment: how the staleness bound changes convergence of
# matrix factorization on a simulated 1024-node cluster with stragglers.
# Runs one simulation per bound (0 = BSP ... inf = asynchronous), then
# computes time-to-target and draws the figure; prints the PNG path last.
#
#   experiments/staleness_sweep.sh [extra `stale sim` flags]
# Environment overrides (defaults in brackets):
#   NODES [1024]  SERVERS [16]  CLOCKS [15]  STALENESS [0,1,2,4,8,16,inf]
#   STRAGGLERS [0.1x5: each clock, each node is 5x slower with p = 0.1]
#   BANDWIDTH [10Gbps]  SEED [1]  TARGET [1.05 x the best RMSE of the first
#   bound in STALENESS, by default s=0]
#   MF [the generated ratings set and SGD settings, see below]
#   OUT [out/staleness]  (writes OUT.csv, OUT_ttt.csv, OUT.png)
#   APP [mf]: APP=lda sweeps LDA instead, on the man-page corpus of
#   experiments/lda_manpages.sh (LDA_DATA), with its own defaults: NODES 64,
#   SERVERS 4, CLOCKS 60, STALENESS 0,1,2,4,8,inf, no stragglers,
#   LDA [topics=100], OUT [out/staleness_lda]; the target is within 5% of
#   the best log-likelihood of the first bound.
#   APP=lasso sweeps the Lasso on a generated design (LASSO [n=6400,p=2000,
#   group=10,rho=0.5,k=40,noise=1,lambda=0.1]: 100 samples per node, 2000
#   columns correlated 0.5 inside groups of 10, 40 true non-zeros), with
#   NODES 64, SERVERS 16, CLOCKS 300, STALENESS 0,1,2,4,8,inf, the stragglers
#   above, OUT [out/lasso_staleness]; the target is 1.001 x the best
#   objective of the first bound (the Lasso's objective does not go to 0,
#   so 5% above the optimum is still far from it). Its step is 1/(L (1 + s))
#   (apps/lasso/lasso.c): larger bounds trade progress per clock for waiting.
# The data: no ratings set ships with Debian, so MF generates a seeded
# MovieLens-like set: 20000 users, 500 items, 1M ratings (about 1000 per
# node); rank 8, 16 local SGD passes per clock (batch=16) so that a node's
# compute is comparable to its share of the servers' pushes, step 0.01 with
# per-item averaging of the workers' deltas.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

APP=${APP:-mf}
if [[ $APP == lda ]]; then
  NODES=${NODES:-64}
  SERVERS=${SERVERS:-4}
  CLOCKS=${CLOCKS:-60}
  STALENESS=${STALENESS:-0,1,2,4,8,inf}
  STRAGGLERS=${STRAGGLERS:-0x1}
  OUT=${OUT:-out/staleness_lda}
  LDA_DATA=${LDA_DATA:-out/lda/manpages/docword.manpages.txt}
  [[ -f $LDA_DATA ]] || { echo "staleness_sweep.sh: $LDA_DATA missing (run experiments/lda_manpages.sh)" >&2; exit 1; }
elif [[ $APP == lasso ]]; then
  NODES=${NODES:-64}
  CLOCKS=${CLOCKS:-300}
  STALENESS=${STALENESS:-0,1,2,4,8,inf}
  OUT=${OUT:-out/lasso_staleness}
  LASSO=${LASSO:-n=6400,p=2000,group=10,rho=0.5,k=40,noise=1,lambda=0.1}
elif [[ $APP != mf ]]; then
  echo "staleness_sweep.sh: APP is mf, lda or lasso" >&2
  exit 1
fi
NODES=${NODES:-1024}
SERVERS=${SERVERS:-16}
CLOCKS=${CLOCKS:-15}
STALENESS=${STALENESS:-0,1,2,4,8,16,inf}
STRAGGLERS=${STRAGGLERS:-0.1x5}
BANDWIDTH=${BANDWIDTH:-10Gbps}
SEED=${SEED:-1}
TARGET=${TARGET:-}
MF=${MF:-users=20000,items=500,ratings=1000000,rank=8,batch=16,lr=0.01}
OUT=${OUT:-out/staleness}
STALE=${STALE:-build/stale}

[[ -x $STALE ]] || { echo "staleness_sweep.sh: $STALE not built (run scripts/main.sh)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "staleness_sweep.sh: gnuplot not installed" >&2; exit 1; }
mkdir -p -- "$(dirname -- "$OUT")"

if [[ $APP == lda ]]; then
  app=(--app lda --app-options "${LDA:-topics=100}" --data "$LDA_DATA")
  strag=()
  [[ $STRAGGLERS == 0x1 ]] || strag=(--stragglers "$STRAGGLERS")
elif [[ $APP == lasso ]]; then
  app=(--app lasso --app-options "$LASSO")
  strag=(--stragglers "$STRAGGLERS")
else
  app=(--app mf --app-options "$MF")
  strag=(--stragglers "$STRAGGLERS")
fi
cmd=("$STALE" sim "${app[0]}" "${app[1]}" --nodes "$NODES" --servers "$SERVERS" --clocks "$CLOCKS"
     --staleness "$STALENESS" "${strag[@]}" --bandwidth "$BANDWIDTH" --seed "$SEED"
     "${app[@]:2}" --out "$OUT.csv" "$@")
echo "staleness_sweep.sh: ${cmd[*]}" >&2
start=$(date +%s)
"${cmd[@]}"
echo "staleness_sweep.sh: simulated in $(( $(date +%s) - start )) s wall" >&2

maximize=0
[[ $APP == lda ]] && maximize=1
if [[ $APP == lasso && -z $TARGET ]]; then
  TARGET=$(awk -F, 'NR==1{for(i=1;i<=NF;i++)c[$i]=i;next}
      r=="" {r=$c["run"]} $c["run"]==r && (b=="" || $c["objective"]+0<b) {b=$c["objective"]+0}
      END{printf "%.9g", 1.001*b}' "$OUT.csv")
fi
awk -F, -v target="$TARGET" -v maximize=$maximize -f experiments/time_to_target.awk "$OUT.csv" > "${OUT}_ttt.csv"
column -s, -t < "${OUT}_ttt.csv" >&2 || cat "${OUT}_ttt.csv" >&2

if [[ $APP == lda ]]; then
  title="LDA (${LDA:-topics=100}) on the man-page corpus, $NODES simulated nodes ($SERVERS shards), $BANDWIDTH links"
  [[ $STRAGGLERS == 0x1 ]] || title="$title, stragglers $STRAGGLERS"
  gnuplot -e "data='$OUT.csv'; ttt='${OUT}_ttt.csv'; out='$OUT.png'; title='$title'; ylab='log-likelihood per token'; cmp='>='; keypos='bottom right'" plots/staleness.gp
elif [[ $APP == lasso ]]; then
  title="Lasso ($LASSO) on $NODES simulated nodes ($SERVERS server shards), $BANDWIDTH links, transient stragglers $STRAGGLERS"
  gnuplot -e "data='$OUT.csv'; ttt='${OUT}_ttt.csv'; out='$OUT.png'; title='$title'; ylab='Lasso objective'" plots/staleness.gp
else
  title="MF on $NODES simulated nodes ($SERVERS server shards), $BANDWIDTH links, transient stragglers $STRAGGLERS"
  gnuplot -e "data='$OUT.csv'; ttt='${OUT}_ttt.csv'; out='$OUT.png'; title='$title'" plots/staleness.gp
fi
echo "$OUT.png"
