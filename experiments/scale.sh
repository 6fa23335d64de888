#!/usr/bin/env bash
# Scale: time to target and simulated seconds per clock against the number
# of simulated nodes, per staleness bound, at a fixed total data size
# (strong scaling) and at a fixed data size per node (weak scaling). Every
# run has the same time budget and target (`--until-time`, `--target`);
# prints what it ran, the table (OUT.md) and the PNG path last.
#
#   experiments/scale.sh [extra `stale sim` flags]
# Environment overrides (defaults in brackets):
#   APP [mf]  NODES_LIST [64,256,1024,4096]  STALENESS [0,4]  SEED [1]
#   STALENESS_<n> [STALENESS]: the bounds at n nodes (e.g. STALENESS_4096=0
#             to spare the hour the larger bounds' 4096-node runs take)
#   SERVERS_PER [64: nodes per server shard, at least one shard]
#   STRONG [MF: users=20000,items=500,ratings=1000000 whatever the nodes]
#   WEAK_PER_NODE [MF: 1000 ratings and 20 users per node, 500 items]
#   SGD [rank=8,batch=16,lr=0.01]  STRAGGLERS [0.1x5]  BANDWIDTH [10Gbps]
#   UNTIL [0.03]  TARGET [0.85]  CLOCKS [60: a ceiling]  KINDS [strong,weak]
#   OUT [out/scale]  STALE [build/stale]
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

APP=${APP:-mf}
NODES_LIST=${NODES_LIST:-64,256,1024,4096}
STALENESS=${STALENESS:-0,4}
SEED=${SEED:-1}
SERVERS_PER=${SERVERS_PER:-64}
STRONG=${STRONG:-users=20000,items=500,ratings=1000000}
SGD=${SGD:-rank=8,batch=16,lr=0.01}
STRAGGLERS=${STRAGGLERS:-0.1x5}
BANDWIDTH=${BANDWIDTH:-10Gbps}
UNTIL=${UNTIL:-0.03}
TARGET=${TARGET:-0.85}
CLOCKS=${CLOCKS:-60}
KINDS=${KINDS:-strong,weak}
OUT=${OUT:-out/scale}
STALE=${STALE:-build/stale}
[[ $APP == mf ]] || [[ -n ${APP_OPTIONS_STRONG:-} ]] || { echo "scale.sh: for APP=$APP give APP_OPTIONS_STRONG and APP_OPTIONS_WEAK_<nodes>" >&2; exit 2; }

[[ -x $STALE ]] || { echo "scale.sh: $STALE not built (run scripts/main.sh)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "scale.sh: gnuplot not installed" >&2; exit 1; }
mkdir -p -- "$(dirname -- "$OUT")"

weak_opts() { # the data of n nodes at a fixed size per node
    if [[ $APP == mf ]]; then echo "users=$(( 20 * $1 )),items=500,ratings=$(( 1000 * $1 )),$SGD"
    else v=APP_OPTIONS_WEAK_$1; echo "${!v}"; fi
}
strong_opts() { if [[ $APP == mf ]]; then echo "$STRONG,$SGD"; else echo "$APP_OPTIONS_STRONG"; fi; }

start=$(date +%s)
: > "$OUT.csv"
IFS=, read -ra kinds <<< "$KINDS"
IFS=, read -ra sizes <<< "$NODES_LIST"
for kind in "${kinds[@]}"; do
    for n in "${sizes[@]}"; do
        servers=$(( n / SERVERS_PER )); (( servers >= 1 )) || servers=1
        opts=$(strong_opts); [[ $kind == weak ]] && opts=$(weak_opts "$n")
        v=STALENESS_$n; bounds=${!v:-$STALENESS}
        cmd=("$STALE" sim --app "$APP" --nodes "$n" --servers "$servers" --clocks "$CLOCKS"
             --until-time "$UNTIL" --target "$TARGET" --staleness "$bounds" --seed "$SEED"
             --stragglers "$STRAGGLERS" --bandwidth "$BANDWIDTH" --app-options "$opts"
             --out "${OUT}_${kind}_$n.csv" "$@")
        echo "scale.sh: ${cmd[*]}" >&2
        t0=$(date +%s)
        "${cmd[@]}"
        echo "scale.sh: $kind $n nodes: $(( $(date +%s) - t0 )) s wall" >&2
        # One CSV of all: the kind in front of each row.
        awk -v kind="$kind" -v first="$( [[ -s $OUT.csv ]] && echo 0 || echo 1 )" \
            'NR == 1 { if (first) print "kind," $0; next } { print kind "," $0 }' \
            "${OUT}_${kind}_$n.csv" >> "$OUT.csv"
    done
done
echo "scale.sh: all runs in $(( $(date +%s) - start )) s wall" >&2

# Per (kind, bound, nodes): time to target within the budget, and simulated
# seconds per clock (the run's last time over its clocks).
awk -F, -v target="$TARGET" -v until="$UNTIL" '
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
{ k = $c["kind"] SUBSEP $c["staleness"] SUBSEP $c["nodes"]
  if (!(k in n)) order[++m] = k
  n[k]++; last[k] = $c["sim_time_s"] + 0
  o = $c["objective"]
  if (!(k in ttt) && o ~ /^[0-9.eE+-]+$/ && o + 0 <= target + 0 && $c["sim_time_s"] + 0 <= until + 0) ttt[k] = $c["sim_time_s"] + 0
  fin[k] = o }
END { print "kind,staleness,nodes,time_to_target_s,s_per_clock,clocks,final_objective"
      for (i = 1; i <= m; i++) { k = order[i]; split(k, p, SUBSEP)
        printf "%s,%s,%s,%s,%.6g,%d,%s\n", p[1], p[2], p[3], (k in ttt) ? sprintf("%.6g", ttt[k]) : "nan", last[k] / n[k], n[k], fin[k] } }
' "$OUT.csv" | { read -r head; echo "$head"; sort -t, -k1,1 -k2,2 -k3,3n; } > "${OUT}_summary.csv"
{
    echo "Target: rmse <= $TARGET within $UNTIL simulated s; seed $SEED."
    echo
    echo "| scaling | s | nodes | time to target (s) | simulated s per clock | clocks run | final objective |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    awk -F, 'NR > 1 { printf "| %s | %s | %s | %s | %.5f | %s | %.3f |\n", $1, $2, $3, ($4 == "nan" ? "not reached" : sprintf("%.4f", $4)), $5, $6, $7 }' "${OUT}_summary.csv"
} > "$OUT.md"
cat "$OUT.md" >&2
gnuplot -e "data='${OUT}_summary.csv'; out='$OUT.png'; title='MF scaling: $STRAGGLERS stragglers, $BANDWIDTH links, one shard per $SERVERS_PER nodes'" plots/scale.gp
echo "$OUT.png"
