#!/usr/bin/env bash
# Shotgun's stability against parallelism and correlation, beside the
# dependency-aware schedule: Lasso coordinate descent on generated designs
# whose groups of columns are correlated rho_x, with `size` coordinates a
# round, for a fixed number of rounds; the figure shows how far each run
# ended from the sequential solver's objective on the same design.
#
#   experiments/shotgun_stability.sh
# Environment overrides (defaults in brackets):
#   CORRS [0 0.3 0.6 0.9]  SIZES [1 4 16 64 128]  ROUNDS [1500]
#   DESIGN [n=300,p=200,group=20,k=20,noise=1]  LAMBDA [0.1]  RHO [0.1]
#   NODES [8]  SEED [1]  OUT [out/shotgun_stability] (OUT.csv, OUT.png)
# A design with groups of g columns at correlation r has a Gram matrix whose
# top eigenvalue is about 1 + (g - 1) r, and Shotgun (Bradley et al. 2011)
# is safe up to about p / (1 + (g - 1) r) coordinates a round: 200 at r = 0,
# 30 at r = 0.3, 16 at r = 0.6, 11 at r = 0.9.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."
CORRS=${CORRS:-0 0.3 0.6 0.9}
SIZES=${SIZES:-1 4 16 64 128}
ROUNDS=${ROUNDS:-1500}
DESIGN=${DESIGN:-n=300,p=200,group=20,k=20,noise=1}
LAMBDA=${LAMBDA:-0.1}
RHO=${RHO:-0.1}
NODES=${NODES:-8}
SEED=${SEED:-1}
OUT=${OUT:-out/shotgun_stability}
STALE=${STALE:-build/stale}
mkdir -p "$(dirname -- "$OUT")"
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# last_objective SCHEDULE SIZE ROUNDS CORR: the run's final objective.
last_objective() {
  local cmd=("$STALE" sim --app lasso --app-options "$DESIGN,rho=$4,lambda=$LAMBDA" --nodes "$NODES"
    --staleness 0 --seed "$SEED" --clocks 10 --rounds-per-clock $(($3 / 10)) --schedule "$1"
    --schedule-size "$2" --rho "$RHO" --out "$tmp/run.csv")
  echo "shotgun_stability: ${cmd[*]}" >&2
  "${cmd[@]}"
  awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i=="objective")c=i;next}{o=$c}END{print o}' "$tmp/run.csv"
}

echo "schedule,design_rho,schedule_size,rounds,objective,sequential_objective,relative_gap" >"$OUT.csv"
for r in $CORRS; do
  echo "shotgun_stability: rho $r: sequential reference" >&2
  ref=$(last_objective sequential 1 30000 "$r")
  for s in shotgun priority+dependency; do
    for z in $SIZES; do
      echo "shotgun_stability: rho $r, $s, size $z" >&2
      o=$(last_objective "$s" "$z" "$ROUNDS" "$r")
      awk -v s="$s" -v r="$r" -v z="$z" -v n="$ROUNDS" -v o="$o" -v f="$ref" 'BEGIN{
        fin = o ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/
        g = fin ? (o - f) / f : "nan"; printf "%s,%s,%s,%s,%s,%s,%s\n", s, r, z, n, o, f, g}' >>"$OUT.csv"
    done
  done
done
cat "$OUT.csv"
gnuplot -e "data='$OUT.csv'; out='$OUT.png'" plots/shotgun_stability.gp
echo "$OUT.png"
