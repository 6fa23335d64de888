# comm_ttt.awk: time to target for experiments/comm_policies.sh's CSV.
# Targets are per seed: at each fraction f of the improvement the `none` run
# of that seed makes from its first sample to its best,
#   target = first + f * (best - first),
# and a run's time to target is the simulated time of its first sample at
# least that good. Speed-up = none's time / the run's, same seed and target.
# The samples are the runs' clocks (runs.csv alone) or, given a second file,
# `stale sim --model-trace` samples of the same runs (same run numbers),
# taken every few ms of simulated time: at s > 0 clocks complete in bursts
# (when the slowest worker finishes one), far apart early in a run.
#   awk -F, -v maximize=0|1 -v metric=COLUMN -v fractions="0.5 0.9" \
#       -v speedups=FILE -f experiments/comm_ttt.awk runs.csv [trace.csv] > ttt.csv
# ttt.csv: run,seed,comm_policy,budget_Bps,fraction,target,time_to_target_s,
#   speedup_vs_none,final_objective,final_time_s,bytes_early,read_staleness
# FILE: comm_policy,budget_Bps,fraction,seeds,seeds_reaching,speedup_mean,
#   speedup_min,speedup_max,time_mean_s (over the seeds that reach it; a
#   seed whose none run does not reach it cannot count, none always does)
function good(v, t) { return maximize ? v + 0 >= t + 0 : v + 0 <= t + 0 }
function num(v) { return v ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
FNR == 1 && NR != 1 { # the trace: its samples replace the clocks as the series
  for (i = 1; i <= NF; i++) tcol[$i] = i
  if (!("run" in tcol) || !("sim_time_s" in tcol) || !("model_objective" in tcol)) {
    print "comm_ttt.awk: " FILENAME ": not a --model-trace file" > "/dev/stderr"; bad = 1; exit 1
  }
  traced = 1
  next
}
traced {
  r = $tcol["run"]
  if (!(r in pol)) { print "comm_ttt.awk: " FILENAME ": run " r " is not in the runs' CSV" > "/dev/stderr"; bad = 1; exit 1 }
  if (!(r in retraced)) { retraced[r] = 1; rows[r] = 0; if (pol[r] == "none") { delete first[sd[r]]; delete best[sd[r]] } }
  k = ++rows[r]; t[r, k] = $tcol["sim_time_s"] + 0; obj[r, k] = $tcol["model_objective"]
  if (pol[r] == "none" && num(obj[r, k])) {
    if (!(sd[r] in first)) first[sd[r]] = obj[r, k]
    if (!(sd[r] in best) || good(obj[r, k], best[sd[r]])) best[sd[r]] = obj[r, k]
  }
  next
}
NR == 1 {
  for (i = 1; i <= NF; i++) col[$i] = i
  if (metric == "") metric = "objective"
  if (!(metric in col)) { print "comm_ttt.awk: no column " metric > "/dev/stderr"; bad = 1; exit 1 }
  if (fractions == "") fractions = "0.9"
  nf = split(fractions, frac, " ")
  next
}
{
  r = $col["run"]
  if (!(r in pol)) order[++n] = r
  pol[r] = $col["comm_policy"]; bud[r] = $col["comm_budget_Bps"] + 0; sd[r] = $col["seed"]
  k = ++rows[r]; t[r, k] = $col["sim_time_s"] + 0; obj[r, k] = $col[metric]
  last[r] = $col[metric]; lt[r] = $col["sim_time_s"]
  early[r] = $col["bytes_early"]; stale[r] = $col["read_staleness"]
  if (pol[r] == "none" && num(obj[r, k])) {
    if (!(sd[r] in first)) first[sd[r]] = obj[r, k]
    if (!(sd[r] in best) || good(obj[r, k], best[sd[r]])) best[sd[r]] = obj[r, k]
    base[sd[r]] = r
  }
}
function ttt(r, target,   k) {
  for (k = 1; k <= rows[r]; k++)
    if (num(obj[r, k]) && good(obj[r, k], target)) return t[r, k]
  return "nan"
}
END {
  if (bad) exit 1
  if (traced) for (i = 1; i <= n; i++)
    if (!(order[i] in retraced)) { print "comm_ttt.awk: run " order[i] " has no samples in the trace" > "/dev/stderr"; exit 1 }
  print "run,seed,comm_policy,budget_Bps,fraction,target,time_to_target_s,speedup_vs_none,final_objective,final_time_s,bytes_early,read_staleness"
  for (i = 1; i <= n; i++) {
    r = order[i]; s = sd[r]
    if (!(s in base)) { print "comm_ttt.awk: seed " s " has no none run" > "/dev/stderr"; exit 1 }
    key = pol[r] SUBSEP bud[r]
    if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
    for (j = 1; j <= nf; j++) {
      f = frac[j]; target = first[s] + f * (best[s] - first[s])
      tr = ttt(r, target); tb = ttt(base[s], target)
      sp = (tr == "nan" || tb == "nan") ? "nan" : sprintf("%.3f", tb / tr)
      printf "%s,%s,%s,%s,%s,%.6g,%s,%s,%s,%s,%s,%s\n", r, s, pol[r], bud[r], f, target, tr, sp, last[r], lt[r], early[r], stale[r]
      cnt[key, f]++
      if (sp != "nan") {
        reach[key, f]++; sum[key, f] += sp; tsum[key, f] += tr
        if (!((key, f) in mn) || sp + 0 < mn[key, f]) mn[key, f] = sp + 0
        if (!((key, f) in mx) || sp + 0 > mx[key, f]) mx[key, f] = sp + 0
      }
    }
  }
  if (speedups != "") {
    print "comm_policy,budget_Bps,fraction,seeds,seeds_reaching,speedup_mean,speedup_min,speedup_max,time_mean_s" > speedups
    for (q = 1; q <= nk; q++) {
      split(keys[q], kb, SUBSEP)
      for (j = 1; j <= nf; j++) {
        f = frac[j]; key = keys[q]; m = reach[key, f] + 0
        if (m) printf "%s,%s,%s,%d,%d,%.3f,%.3f,%.3f,%.4f\n", kb[1], kb[2], f, cnt[key, f], m, sum[key, f] / m, mn[key, f], mx[key, f], tsum[key, f] / m > speedups
        else printf "%s,%s,%s,%d,0,nan,nan,nan,nan\n", kb[1], kb[2], f, cnt[key, f] > speedups
      }
    }
  }
}
