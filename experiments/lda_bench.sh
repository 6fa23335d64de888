#!/usr/bin/env bash
# The LDA sampler's one-core benchmark (a benchmark, not a test): tokens
# sampled per second at K = 100 and K = 1000 on the man-page corpus, the
# whole corpus swept as one worker (build/tests/lda_tool bench), and the
# per-token cost of K = 1000 relative to K = 100.
#   experiments/lda_bench.sh        # env: DATA, SWEEPS [10], KS [100 1000], MH [2]
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."
DATA=${DATA:-out/lda/manpages/docword.manpages.txt}
SWEEPS=${SWEEPS:-10}
KS=${KS:-100 1000}
MH=${MH:-2}
TOOL=${TOOL:-build/tests/lda_tool}
[[ -f $DATA ]] || { echo "lda_bench.sh: $DATA missing (run experiments/lda_manpages.sh)" >&2; exit 1; }
[[ -x $TOOL ]] || { echo "lda_bench.sh: $TOOL not built" >&2; exit 1; }
first=
for k in $KS; do
  line=$("$TOOL" bench "$DATA" "$k" "$SWEEPS" "$MH" | tail -1)
  ns=$(awk '{for(i=1;i<=NF;i++) if($i=="ns/token") print $(i-1)}' <<< "$line")
  echo "K=$k: $line"
  if [[ -z $first ]]; then first=$ns; else awk -v a="$first" -v b="$ns" -v k="$k" 'BEGIN{printf "K=%s costs %.2fx the first K per token\n", k, b/a}'; fi
done
