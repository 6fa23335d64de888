#!/usr/bin/env bash
# Benchmark of the simulator (not a test): wall seconds and peak memory of a
# short `stale sim --app mf` run at several node counts, against a raw
# SimGrid mailbox ping-pong (sim/bench/raw_pingpong.c) that moves the same
# frames (count and sizes, from `stale sim --trace-frames`) on the same
# generated flat platform. Prints the machine, then a Markdown table.
# Also checks the acceptance bound: peak memory at 4096 nodes under 8 GB.
#
#   experiments/bench_sim.sh [extra `stale sim` flags]
#   cmake --build build --target bench      (the same, with that build's binaries)
# Environment overrides (defaults in brackets):
#   NODES ["16 256 1024 4096"]  CLOCKS [3]  STALENESS [1]  SEED [1]
#   STALE [build/stale]  RAW [build/sim/bench/raw_pingpong]
#   RAW_MODES ["pairs replay"]: raw modes timed, each with its overhead
#       ratio (stale wall / raw wall). pairs: hosts paired (0,1), (2,3)...
#       exchange the frames alternately (a ping-pong); replay: every frame
#       between its own sender and receiver, as stale sent it.
#   LIMIT_MB [8192]: the peak-memory bound checked at the largest node count.
# Memory is the peak resident set (/usr/bin/time %M, which includes the
# forked simulation child). stale's wall time includes loading the data set
# and writing the frame trace.
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

NODES=${NODES:-16 256 1024 4096}
CLOCKS=${CLOCKS:-3}
STALENESS=${STALENESS:-1}
SEED=${SEED:-1}
STALE=${STALE:-build/stale}
RAW=${RAW:-build/sim/bench/raw_pingpong}
RAW_MODES=${RAW_MODES:-pairs replay}
LIMIT_MB=${LIMIT_MB:-8192}
TIME=/usr/bin/time

die() { echo "bench_sim.sh: $*" >&2; exit 1; }
[[ -x $STALE ]] || die "$STALE not built (cmake --build build)"
[[ -x $RAW ]] || die "$RAW not built (cmake --build build --target raw_pingpong)"
[[ -x $TIME ]] || die "$TIME missing (Debian package 'time', see scripts/setup.sh)"
[[ $STALENESS =~ ^([0-9]+|inf)$ ]] || die "STALENESS must be one value, got '$STALENESS'"
read -r -a raw_modes <<<"$RAW_MODES"
((${#raw_modes[@]} > 0)) || die "RAW_MODES is empty"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_sim.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# Runs a command under /usr/bin/time; sets wall (s) and peak (MB).
measure() {
  if ! "$TIME" -f '%e %M' -o "$tmp/time" "$@" >"$tmp/stdout" 2>"$tmp/stderr"; then
    cat -- "$tmp/stderr" >&2
    die "failed: $*"
  fi
  local kb
  read -r wall kb <"$tmp/time"
  peak=$(awk -v k="$kb" 'BEGIN { printf "%.0f", k / 1024 }')
}

machine() {
  local cpu mem
  cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  echo "Machine: $(nproc) CPUs ($cpu), $mem RAM, $(uname -sr)," \
    "SimGrid $(pkg-config --modversion simgrid 2>/dev/null || echo '?')"
  echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(other jobs on the machine slow every column alike)"
}

echo "bench_sim.sh: $STALE sim --app mf --nodes N --clocks $CLOCKS --staleness $STALENESS" \
  "--seed $SEED $*; raw: $RAW --mode {$RAW_MODES}" >&2
machine
echo
header="| nodes | clocks | frames | MB sent | stale wall s | stale peak MB"
rule="|---:|---:|---:|---:|---:|---:"
for m in "${raw_modes[@]}"; do
  header+=" | raw $m wall s | raw $m peak MB"
  rule+="|---:|---:"
done
for m in "${raw_modes[@]}"; do
  header+=" | overhead vs $m"
  rule+="|---:"
done
echo "$header |"
echo "$rule|"

last_nodes=0 last_peak=0
for n in $NODES; do
  if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 2)); then die "NODES: bad node count '$n' (at least 2)"; fi
  measure "$STALE" sim --app mf --nodes "$n" --clocks "$CLOCKS" --staleness "$STALENESS" \
    --seed "$SEED" --trace-frames "$tmp/frames" --out "$tmp/sim.csv" "$@"
  stale_wall=$wall stale_peak=$peak
  read -r frames bytes < <(awk '{ b += $3 } END { print NR, b + 0 }' "$tmp/frames")
  row="| $n | $CLOCKS | $frames | $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')"
  row+=" | $stale_wall | $stale_peak"
  ratios=""
  for m in "${raw_modes[@]}"; do
    measure "$RAW" --nodes "$n" --frames "$tmp/frames" --mode "$m"
    grep -q "^frames=$frames bytes=$bytes " "$tmp/stdout" ||
      die "raw_pingpong --mode $m moved other frames than stale: $(cat -- "$tmp/stdout")"
    row+=" | $wall | $peak"
    ratios+=" | $(awk -v s="$stale_wall" -v r="$wall" \
      'BEGIN { if (r > 0) printf "%.1f", s / r; else print "n/a" }')"
  done
  echo "$row$ratios |"
  last_nodes=$n last_peak=$stale_peak
done

echo
echo "Overhead: stale wall / raw wall. Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
if ((last_peak > LIMIT_MB)); then
  echo "FAIL: $last_nodes nodes peaked at $last_peak MB, over the $LIMIT_MB MB bound"
  exit 1
fi
echo "OK: $last_nodes nodes peaked at $last_peak MB (bound $LIMIT_MB MB)"
