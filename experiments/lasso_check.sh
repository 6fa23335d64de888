#!/usr/bin/env bash
# The Lasso against scikit-learn: runs stale on the diabetes set at lambda 0.1
# (simulator with 8 nodes at s = 0 and s = 3, `launch --local 4` at s = 0) and
# prints experiments/lasso_reference.py's comparison for each. With `big`, also
# the generated n = 5000, p = 20000, rho = 0.5 design with 50 true non-zeros:
# written once by `stale gen-lasso` (1.2 GB of text in out/), run on 64
# simulated nodes and on one real node, each compared with scikit-learn.
#
#   experiments/lasso_check.sh [big]
# Environment: STALE [build/stale], PY [/usr/bin/python3, with python3-sklearn],
#   OUT [out/lasso_check]
# Needs scikit-learn (Debian's python3-sklearn); nothing in the build does.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

STALE=${STALE:-build/stale}
PY=${PY:-/usr/bin/python3}
OUT=${OUT:-out/lasso_check}
DIABETES=apps/lasso/data/diabetes.svm
[[ -x $STALE ]] || { echo "lasso_check.sh: $STALE not built" >&2; exit 1; }
"$PY" -c 'import sklearn' 2>/dev/null || { echo "lasso_check.sh: $PY has no sklearn (apt-get install python3-sklearn)" >&2; exit 1; }
mkdir -p -- "$OUT"

# Runs "$@" (a stale command line), recording its wall time in $wall.
timed() {
    echo "lasso_check.sh: $*" >&2
    local t0 t1
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
}

compare() { # name data lambda csv coef [reference flags]
    echo "== $1"
    "$PY" experiments/lasso_reference.py --data "$2" --lambda "$3" --stale-csv "$4" \
        --stale-coef "$5" --stale-wall "$wall" "${@:6}"
}

for s in 0 3; do
    clocks=$(( s == 0 ? 300 : 800 ))
    timed "$STALE" sim --app lasso --data "$DIABETES" --nodes 8 --staleness "$s" --clocks "$clocks" \
        --app-options "lambda=0.1,coef=$OUT/diabetes_sim_s$s.coef" --out "$OUT/diabetes_sim_s$s.csv"
    compare "diabetes, stale sim --nodes 8 --staleness $s ($clocks clocks)" "$DIABETES" 0.1 \
        "$OUT/diabetes_sim_s$s.csv" "$OUT/diabetes_sim_s$s.coef"
done
timed "$STALE" launch --local 4 --app lasso --data "$DIABETES" --staleness 0 --clocks 300 \
    --app-options "lambda=0.1,coef=$OUT/diabetes_real.coef" > "$OUT/diabetes_real.csv"
compare "diabetes, stale launch --local 4 --staleness 0 (300 clocks)" "$DIABETES" 0.1 \
    "$OUT/diabetes_real.csv" "$OUT/diabetes_real.coef"

[[ ${1:-} == big ]] || exit 0

BIG=$OUT/big.txt
if [[ ! -s $BIG ]]; then
    timed "$STALE" gen-lasso --n 5000 --p 20000 --group 10 --rho 0.5 --k 50 --noise 1 --seed 1 \
        --format table --out "$BIG" --truth "$OUT/big_truth.txt"
fi
timed "$STALE" sim --app lasso --data "$BIG" --nodes 64 --staleness 0 --clocks 200 \
    --app-options "lambda=0.1,coef=$OUT/big_sim64.coef" --out "$OUT/big_sim64.csv"
compare "n=5000 p=20000 rho=0.5 k=50, stale sim --nodes 64 --staleness 0 (200 clocks)" "$BIG" 0.1 \
    "$OUT/big_sim64.csv" "$OUT/big_sim64.coef" --tol 1e-6
timed "$STALE" launch --local 1 --app lasso --data "$BIG" --staleness 0 --clocks 200 \
    --app-options "lambda=0.1,coef=$OUT/big_real1.coef" > "$OUT/big_real1.csv"
compare "n=5000 p=20000 rho=0.5 k=50, stale launch --local 1 (one real node, 200 clocks)" "$BIG" 0.1 \
    "$OUT/big_real1.csv" "$OUT/big_real1.coef" --tol 1e-6
echo "== one real node, time per clock (a pass over X plus the step) from $OUT/big_real1.csv"
awk -F, 'NR==1{for(i=1;i<=NF;i++)c[$i]=i;next} {t[NR]=$c["time_s"]} END{n=NR-1; printf "%d clocks in %.3f s: %.4f s per clock (clocks 2..%d)\n", n, t[NR], (t[NR]-t[3])/(n-2), n}' "$OUT/big_real1.csv"
