#!/usr/bin/env bash
# The README table of a sweep: per bound, how many seeds reach the target
# within the budget, the time to target (mean and range over those seeds),
# clocks per simulated second and the objective at the end of the budget
# (mean and range), and the clocks run within it.
#   experiments/sweep_table.sh PREFIX METRIC   (reads PREFIX_bounds.csv)
set -euo pipefail
awk -F, -v metric="$2" '
NR == 1 { next }
NR == 2 { if ($14 ~ /x$/) printf "Target: %s %s %s times its seed'"'"'s best objective at s = %s within %s simulated s per run.\n\n", metric, ($16 == 1 ? ">=" : "<="), substr($14, 1, length($14) - 1), $1, $15
          else printf "Target: %s %s %s within %s simulated s per run.\n\n", metric, ($16 == 1 ? ">=" : "<="), $14, $15
          print "| s | seeds reaching it | time to target (s): mean (min - max) | clocks per simulated s: mean (min - max) | " metric " at the end of the budget: mean (min - max) | clocks within the budget (mean) |"
          print "|---|---:|---:|---:|---:|---:|" }
{ name = ($1 == "0") ? "0 (BSP)" : ($1 == "inf" ? "inf (async)" : $1)
  ttt = ($3 == 0) ? "not reached" : sprintf("%.4f (%.4f - %.4f)", $7, $8, $9)
  printf "| %s | %d of %d | %s | %.0f (%.0f - %.0f) | %.3f (%.3f - %.3f) | %.1f |\n", name, $3, $2, ttt, $4, $5, $6, $10, $11, $12, $13 }
' "$1_bounds.csv"
