#!/usr/bin/env bash
# bench_real.sh: the real runtime's loopback throughput against raw libuv
# TCP moving the same bytes in the same frames, for several row sizes at
# about 512 KiB per frame. Prints one table (median of REPS alternating
# repetitions per line) and the machine it ran on.
#
# usage: experiments/bench_real.sh [-b BENCH] [-r REPS] [-c CLOCKS]
#   -b BENCH   the bench_real program (default build/tests/bench_real)
#   -r REPS    repetitions per row size (default 7)
#   -c CLOCKS  frames per repetition (default 300)
# Build it with: cmake -S . -B build && cmake --build build --target bench_real
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH="$HERE/../build/tests/bench_real"
REPS=7
CLOCKS=300
while getopts "b:r:c:h" opt; do
  case $opt in
    b) BENCH=$OPTARG ;;
    r) REPS=$OPTARG ;;
    c) CLOCKS=$OPTARG ;;
    h) sed -n '2,12p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
[ -x "$BENCH" ] || { echo "bench_real.sh: $BENCH: not an executable (use -b)" >&2; exit 2; }
echo "# $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $BENCH, $REPS reps x $CLOCKS frames; ratio = median over reps of runtime/raw"
first=--header
# row bytes = 4 x width; rows chosen so a frame is about 512 KiB
for width in 64 256 1024 4096; do
  rows=$(( 131072 / width ))
  "$BENCH" $first --rows "$rows" --width "$width" --reps "$REPS" --clocks "$CLOCKS"
  first=
done
