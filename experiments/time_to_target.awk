# time_to_target.awk: per run of a stale CSV, the simulated time at which the
# objective first reaches a target, plus the run's final figures.
#   awk -F, -f experiments/time_to_target.awk [-v target=X] run.csv
# The time column is sim_time_s (stale sim) or time_s (stale run/launch).
# Without a target, it uses 1.05 x the best objective of the first run (in
# the default sweep, BSP): "time to get within 5% of what BSP reaches".
# With -v maximize=1 (an objective to raise, such as LDA's log-likelihood)
# the best is the largest, the default target is best - 0.05 x |best|, and
# a run reaches it when its objective is at least the target.
# Runs that never reach it get nan; so do rows whose objective is not a
# finite number (a diverged run's nan or inf never counts as reached).
# Output CSV: run,staleness,target,time_to_target_s,final_objective,
#             final_time_s,bytes_sent,blocked_s
NR == 1 {
  for (i = 1; i <= NF; i++) col[$i] = i
  tcol = ("sim_time_s" in col) ? "sim_time_s" : "time_s"
  need = "run staleness clock " tcol " objective bytes_sent blocked_s"
  n = split(need, names, " ")
  for (i = 1; i <= n; i++)
    if (!(names[i] in col)) { print "time_to_target.awk: " FILENAME ": no column " names[i] > "/dev/stderr"; bad = 1; exit 2 }
  next
}
{
  r = $col["run"]
  if (!(r in stal)) order[++nruns] = r
  stal[r] = $col["staleness"]
  row++
  # Judged on the text: some awks compare nan as smaller than anything.
  fin[row] = $col["objective"] ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/
  t[row] = $col[tcol] + 0; obj[row] = $col["objective"] + 0; run_of[row] = r
  if (fin[row] && (!(r in best) || (maximize ? obj[row] > best[r] : obj[row] < best[r]))) best[r] = obj[row]
  last_obj[r] = obj[row]; last_t[r] = t[row]
  bytes[r] = $col["bytes_sent"]; blocked[r] = $col["blocked_s"]
}
END {
  if (bad) exit 2
  if (target == "" && !(order[1] in best)) {
    print "time_to_target.awk: " FILENAME ": the first run has no finite objective to set a target; give -v target=X" > "/dev/stderr"
    exit 2
  }
  if (target == "") target = maximize ? best[order[1]] - 0.05 * (best[order[1]] < 0 ? -best[order[1]] : best[order[1]]) : 1.05 * best[order[1]]
  for (i = 1; i <= row; i++) {
    r = run_of[i]
    if (!(r in reached) && fin[i] && (maximize ? obj[i] >= target + 0 : obj[i] <= target + 0)) reached[r] = t[i]
  }
  print "run,staleness,target,time_to_target_s,final_objective,final_time_s,bytes_sent,blocked_s"
  for (k = 1; k <= nruns; k++) {
    r = order[k]
    printf "%s,%s,%.9g,%s,%.9g,%.9g,%s,%s\n", r, stal[r], target,
           (r in reached) ? sprintf("%.9g", reached[r]) : "nan", last_obj[r], last_t[r], bytes[r], blocked[r]
  }
}
