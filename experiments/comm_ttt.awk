# comm_ttt.awk: per run of experiments/comm_policies.sh's CSV, the simulated
# time at which the objective first reaches the target (by default what the
# first run, policy none, reaches at its last clock), and the run's totals.
#   awk -F, [-v maximize=1] [-v target=X] -f experiments/comm_ttt.awk runs.csv
# -v metric=NAME picks the objective column (default objective; the
# servers' model_objective is the model's, not a stale worker's view).
# Output: run,comm_policy,budget,budget_Bps,target,time_to_target_s,
#   speedup_vs_none,final_objective,final_time_s,bytes_sent,bytes_early,
#   bytes_at_clocks,read_staleness (mean over the last clock's reads so far)
NR == 1 {
  for (i = 1; i <= NF; i++) col[$i] = i
  if (metric == "") metric = "objective"
  if (!(metric in col)) { print "comm_ttt.awk: no column " metric > "/dev/stderr"; exit 1 }
  next
}
{
  r = $col["run"]
  if (!(r in pol)) order[++n] = r
  pol[r] = $col["comm_policy"]; bud[r] = $col["comm_budget_Bps"]
  k = ++rows[r]; t[r, k] = $col["sim_time_s"] + 0; obj[r, k] = $col[metric]
  last[r] = $col[metric]; lt[r] = $col["sim_time_s"]; bytes[r] = $col["bytes_sent"]
  early[r] = $col["bytes_early"]; atc[r] = $col["bytes_at_clocks"]; stale[r] = $col["read_staleness"]
}
END {
  if (target == "") target = last[order[1]]
  print "run,comm_policy,budget_Bps,target,time_to_target_s,speedup_vs_none,final_objective,final_time_s,bytes_sent,bytes_early,bytes_at_clocks,read_staleness"
  for (i = 1; i <= n; i++) {
    r = order[i]; tt[r] = "nan"
    for (k = 1; k <= rows[r]; k++) {
      if (obj[r, k] !~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) continue
      if ((maximize && obj[r, k] + 0 >= target + 0) || (!maximize && obj[r, k] + 0 <= target + 0)) { tt[r] = t[r, k]; break }
    }
  }
  base = tt[order[1]]
  for (i = 1; i <= n; i++) {
    r = order[i]
    sp = (tt[r] == "nan" || base == "nan") ? "nan" : sprintf("%.3f", base / tt[r])
    printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", r, pol[r], bud[r], target, tt[r], sp, last[r], lt[r], bytes[r], early[r], atc[r], stale[r]
  }
}
