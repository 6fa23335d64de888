#!/usr/bin/env bash
# stale's LDA on one node against gensim's LdaModel on the same corpus and
# K: both on one core, both scored by the same UMass coherence of their top
# 10 words (experiments/lda_gensim.py). stale runs as one real node
# (`stale launch --local 1`, s = 0) for each clock count of CLOCKS and its
# wall time is the whole command's (process start, corpus load, top words
# included); gensim's is its training alone (corpus already in memory).
# cpu_s: user + system seconds of the same spans (the machine may be shared).
#
#   experiments/lda_vs_gensim.sh     # writes OUT.csv, prints it
# Environment: DATA [out/lda/manpages/docword.manpages.txt, from
#   experiments/lda_manpages.sh]  K [100]  PASSES [10]  CLOCKS [5,10,20,40,80]
#   SEED [1]  OUT [out/lda/vs_gensim]
# Needs Debian's python3-gensim (/usr/bin/python3); never part of the tests.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

DATA=${DATA:-out/lda/manpages/docword.manpages.txt}
K=${K:-100}
PASSES=${PASSES:-10}
CLOCKS=${CLOCKS:-5,10,20,40,80}
SEED=${SEED:-1}
OUT=${OUT:-out/lda/vs_gensim}
STALE=${STALE:-build/stale}
PY=/usr/bin/python3

[[ -f $DATA ]] || { echo "lda_vs_gensim.sh: $DATA missing (run experiments/lda_manpages.sh)" >&2; exit 1; }
[[ -x $STALE ]] || { echo "lda_vs_gensim.sh: $STALE not built" >&2; exit 1; }
$PY -c 'import gensim' 2>/dev/null || { echo "lda_vs_gensim.sh: needs python3-gensim" >&2; exit 1; }
mkdir -p -- "$(dirname -- "$OUT")"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 # one core each

now() { date +%s.%N; }
echo "system,iterations,wall_s,cpu_s,umass,loglik_per_token" > "$OUT.csv"

g=$(OMP_NUM_THREADS=1 $PY experiments/lda_gensim.py train "$DATA" "$K" "$PASSES" "$SEED" "$OUT.gensim.top")
gwall=$(awk '/train_wall_s/{print $2}' <<< "$g")
gcpu=$(awk '/train_cpu_s/{print $2}' <<< "$g")
gu=$($PY experiments/lda_gensim.py umass "$DATA" "$OUT.gensim.top" | awk '{print $3}')
echo "gensim,$PASSES,$gwall,$gcpu,$gu," >> "$OUT.csv"

IFS=, read -ra counts <<< "$CLOCKS"
for c in "${counts[@]}"; do
  t0=$(now)
  /usr/bin/time -f "%U %S" -o "$OUT.time" "$STALE" launch --local 1 --app lda --clocks "$c" --staleness 0 --seed "$SEED" --data "$DATA" \
    --app-options "topics=$K,topwords=$OUT.stale$c.top" --out "$OUT.stale$c.csv" 2>/dev/null
  t1=$(now)
  su=$($PY experiments/lda_gensim.py umass "$DATA" "$OUT.stale$c.top" | awk '{print $3}')
  ll=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="objective") o=i; next} {v=$o} END{print v}' "$OUT.stale$c.csv")
  cpu=$(awk '{printf "%.3f", $1 + $2}' "$OUT.time")
  echo "stale,$c,$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}'),$cpu,$su,$ll" >> "$OUT.csv"
done
column -s, -t < "$OUT.csv"
