#!/usr/bin/env bash
# netns_vs_sim.sh: does the simulator predict a real bandwidth-limited run?
# Runs the real cluster (netns_cluster.sh: N namespaces, each host link
# limited to RATE by tc tbf), then `stale sim` of the same platform and the
# same run, and prints both times to target and their ratio.
#
# usage: sudo experiments/netns_vs_sim.sh [-n NODES] [-r RATE] [-b STALE]
#             [-t TARGET] [-d DIR] [-- run options...]
#   -n NODES  hosts (default 8)
#   -r RATE   tbf rate per host link: NNNkbit, NNNmbit or NNNgbit (default 100mbit)
#   -b STALE  the stale binary (default build/stale next to this script)
#   -t TARGET objective to reach (default: 1.05 x the best the sim reaches)
#   -d DIR    where the CSVs go (default: a new directory under /tmp)
# Run options (default: --app mf --clocks 20 --staleness 0 --seed 1) go to
# both runs. The model of the platform:
#   --bandwidth  RATE (tc's mbit is SimGrid's Mbps: 10^6 bit/s)
#   --latency    measured: half the median TCP round trip between two hosts
#   --host-speed this machine's per-core flop/s (stale calibrate) x cores / N:
#                N processes share the cores; what each gets while computing
#                is between that and one core; this run is network-bound,
#                so the choice moves the prediction by <1%.
# Override with STALE_SIM_HOST_SPEED or STALE_SIM_LATENCY in the environment.
set -euo pipefail
NODES=8
RATE=100mbit
HERE=$(cd "$(dirname "$0")" && pwd)
STALE="$HERE/../build/stale"
TARGET=
DIR=
while getopts "n:r:b:t:d:h" opt; do
  case $opt in
    n) NODES=$OPTARG ;;
    r) RATE=$OPTARG ;;
    b) STALE=$OPTARG ;;
    t) TARGET=$OPTARG ;;
    d) DIR=$OPTARG ;;
    h) sed -n '2,22p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
RUNARGS=("$@")
[ ${#RUNARGS[@]} -eq 0 ] && RUNARGS=(--app mf --clocks 20 --staleness 0 --seed 1)
[ -x "$STALE" ] || { echo "netns_vs_sim.sh: $STALE: not an executable (use -b)" >&2; exit 2; }
STALE=$(readlink -f "$STALE")
case $RATE in
  *kbit) BW="${RATE%kbit}kbps" ;;
  *mbit) BW="${RATE%mbit}Mbps" ;;
  *gbit) BW="${RATE%gbit}Gbps" ;;
  *) echo "netns_vs_sim.sh: -r: use NNNkbit, NNNmbit or NNNgbit, got '$RATE'" >&2; exit 2 ;;
esac
[ -n "$DIR" ] || DIR=$(mktemp -d /tmp/stale-netns-vs-sim.XXXXXX)
mkdir -p "$DIR"
REAL="$DIR/real.csv"
SIM="$DIR/sim.csv"

"$HERE/netns_cluster.sh" -n "$NODES" -r "$RATE" -b "$STALE" -o "$REAL" -- "${RUNARGS[@]}" \
  2> >(tee "$DIR/netns.log" >&2)
sleep 0.2 # let tee finish

LAT_US=$(sed -n 's/.*path latency: \([0-9.]*\) us.*/\1/p' "$DIR/netns.log")
LAT=${STALE_SIM_LATENCY:-${LAT_US:-50}us}
FLOPS=$("$STALE" calibrate 2>/dev/null | awk '$1 == "flop/s" { print $2 }')
[ -n "$FLOPS" ] || { echo "netns_vs_sim.sh: stale calibrate printed no flop/s" >&2; exit 1; }
CORES=$(nproc)
SPEED=${STALE_SIM_HOST_SPEED:-$(awk -v f="$FLOPS" -v c="$CORES" -v n="$NODES" \
  'BEGIN { s = f * (c < n ? c / n : 1); printf "%.4gf", s }')}
echo "netns_vs_sim.sh: sim platform: --nodes $NODES --bandwidth $BW --latency $LAT" \
     "--host-speed $SPEED (calibrate $FLOPS flop/s per core, $CORES cores, $NODES processes)" >&2
"$STALE" sim --nodes "$NODES" --bandwidth "$BW" --latency "$LAT" --host-speed "$SPEED" \
  --out "$SIM" "${RUNARGS[@]}"

AWK="$HERE/time_to_target.awk"
if [ -z "$TARGET" ]; then
  TARGET=$(awk -F, -f "$AWK" "$SIM" | awk -F, 'NR == 2 { print $3 }')
fi
S=$(awk -F, -v target="$TARGET" -f "$AWK" "$SIM" | awk -F, 'NR == 2 { print $4 "," $6 }')
R=$(awk -F, -v target="$TARGET" -f "$AWK" "$REAL" | awk -F, 'NR == 2 { print $4 "," $6 }')
echo "CSVs in $DIR"
printf "%-6s %-22s %-10s %-16s %-12s\n" what platform target time_to_target_s final_time_s
printf "%-6s %-22s %-10s %-16s %-12s\n" real "$NODES x $RATE netns" "$TARGET" "${R%,*}" "${R#*,}"
printf "%-6s %-22s %-10s %-16s %-12s\n" sim "$NODES x $BW $LAT" "$TARGET" "${S%,*}" "${S#*,}"
awk -v s="${S%,*}" -v r="${R%,*}" -v sf="${S#*,}" -v rf="${R#*,}" 'BEGIN {
  if (r + 0 > 0 && s != "nan" && r != "nan")
    printf "sim/real time to target %.3f, final time %.3f (within 25%%: %s)\n", s / r, sf / rf,
           (s / r <= 1.25 && s / r >= 0.75) ? "yes" : "no"
  else print "a run never reached the target" }'
