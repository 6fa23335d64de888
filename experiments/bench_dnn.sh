#!/usr/bin/env bash
# bench_dnn.sh: the DNN app's compute on this machine, one thread.
#  1. build/tests/bench_dnn: OpenBLAS sgemm peak (large squares), the SGD
#     step's GF/s at batch 64 and 256 and its ratio to the peak, and a
#     profile of the step (each sgemm of the step alone at its shape).
#  2. `stale launch --local 1 --app dnn` against experiments/dnn_torch.py
#     (PyTorch on CPU, one thread): same MLP, init, batch, learning rate and
#     epochs, each evaluating the held-out set before every epoch;
#     training images per second and held-out accuracy after the epochs,
#     REPS alternating repetitions per batch size, then the medians.
#
# usage: experiments/bench_dnn.sh [-s STALE] [-r REPS] [-e EPOCHS] [-d DATA]
#   -s STALE   the stale program (default build/stale; bench_dnn beside it)
#   -r REPS    repetitions of each side per batch size (default 3)
#   -e EPOCHS  epochs per run (default 3)
#   -d DATA    IDX directory (default the dataset-fashion-mnist package's)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
STALE="$HERE/../build/stale"
REPS=3
EPOCHS=3
DATA=/usr/share/datasets/fashion-mnist
LR=0.2
while getopts "s:r:e:d:h" opt; do
  case $opt in
    s) STALE=$OPTARG ;;
    r) REPS=$OPTARG ;;
    e) EPOCHS=$OPTARG ;;
    d) DATA=$OPTARG ;;
    h) sed -n '2,17p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
BENCH="$(dirname "$STALE")/tests/bench_dnn"
[ -x "$STALE" ] || { echo "bench_dnn.sh: $STALE: not an executable (use -s)" >&2; exit 2; }
[ -x "$BENCH" ] || { echo "bench_dnn.sh: $BENCH: not built (cmake --build build --target bench_dnn)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null ||
  { echo "bench_dnn.sh: /usr/bin/python3 lacks torch (apt-get install python3-torch)" >&2; exit 2; }
echo "# $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BENCH"

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
ntrain=60000
# stale: clock c evaluates the model it read, then trains an epoch; the
# accuracy after EPOCHS epochs is row EPOCHS's, and the time of EPOCHS
# clocks is time_s of clock EPOCHS-1 (from the start of the first clock).
stale_run() { # batch -> "images_per_s accuracy seconds"
  local b=$1 nb=$(( (ntrain + $1 - 1) / $1 ))
  "$STALE" launch --local 1 --app dnn --staleness 0 --clocks $((EPOCHS + 1)) --data "$DATA" \
    --app-options "batch=$b,batches=$nb,lr=$LR" --out "$tmp/s.csv" 2>"$tmp/s.err" ||
    { cat "$tmp/s.err" >&2; exit 1; }
  awk -F, -v e="$EPOCHS" -v img=$((nb * b * EPOCHS)) '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["clock"] == e - 1 { t = $col["time_s"] }
    $col["clock"] == e { a = $col["test_accuracy"] }
    END { printf "%.0f %.4f %.3f\n", img / t, a, t }' "$tmp/s.csv"
}
torch_run() {
  /usr/bin/python3 "$HERE/dnn_torch.py" --data "$DATA" --batch "$1" --lr "$LR" --epochs "$EPOCHS" |
    awk '{ printf "%s %s %s\n", $3, $5, $7 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# one node, one thread: $EPOCHS epochs of $DATA, lr $LR, $REPS alternating repetitions"
printf "%-6s %-5s %-4s %14s %10s %9s\n" side batch rep images_per_s accuracy seconds
for b in 64 256; do
  : >"$tmp/stale.$b"
  : >"$tmp/torch.$b"
  for r in $(seq 1 "$REPS"); do
    s=$(stale_run "$b")
    t=$(torch_run "$b")
    echo "$s" >>"$tmp/stale.$b"
    echo "$t" >>"$tmp/torch.$b"
    printf "%-6s %-5s %-4s %14s %10s %9s\n" stale "$b" "$r" $s
    printf "%-6s %-5s %-4s %14s %10s %9s\n" torch "$b" "$r" $t
  done
  si=$(cut -d' ' -f1 "$tmp/stale.$b" | median)
  ti=$(cut -d' ' -f1 "$tmp/torch.$b" | median)
  sa=$(cut -d' ' -f2 "$tmp/stale.$b" | median)
  ta=$(cut -d' ' -f2 "$tmp/torch.$b" | median)
  echo "batch $b medians: stale $si images/s accuracy $sa; torch $ti images/s accuracy $ta; ratio $(awk -v a="$si" -v b="$ti" 'BEGIN { printf "%.2f", a / b }')"
done
