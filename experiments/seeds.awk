# seeds.awk: a stale CSV of several seeds per bound, summarised per bound
# (staleness) as mean and band (min..max over seeds), for plots/sweep.gp and
# the README tables. Columns are found by name; the time column is
# sim_time_s (stale sim) or time_s (stale run).
#   awk -F, -v target=X [-v maximize=1] [-v until=T] [-v grid=N] [-v prefix=P] -f experiments/seeds.awk run.csv
# target: the objective to reach (at or below it; at or above with
# maximize=1, for an objective that improves upward); until: the time budget
# every run was given (a run reaching the target after it does not count;
# default: no budget); grid: points of the time axis (default 60).
# relative=W instead of a target: each seed's own target, (1 + W) times the
# best objective its run of the first bound has within the budget (best - W
# |best| with maximize=1), for an app whose optimum differs between seeds
# (the Lasso: each seed draws its own design); the target column of
# P_bounds.csv then reads "<1+W>x".
# Writes (each block one bound, in the CSV's order, blocks separated by two
# blank lines so gnuplot's `index` picks one; '#' lines say the columns):
#   P_clock.dat  per bound and clock: objective and model objective mean/min/max
#   P_time.dat   per bound on a grid of times: the same, of the last clock
#                ended by then (only where every seed has one)
#   P_bounds.csv per bound: seeds, clocks per simulated second, time to
#                target and the objective at the budget's end (the last
#                clock ended within it), each mean/min/max; reached n/N;
#                clocks within the budget
#   P_runs.csv   per run: seed, bound, time to target (nan: not within the
#                budget), clocks, final time, why it stopped
function num(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
function upd(key, v) {
  if (!(key in n_)) { n_[key] = 0; s_[key] = 0; lo_[key] = v; hi_[key] = v }
  n_[key]++; s_[key] += v; if (v < lo_[key]) lo_[key] = v; if (v > hi_[key]) hi_[key] = v
}
function stat(key) {
  return (key in n_) ? sprintf("%.6g %.6g %.6g", s_[key] / n_[key], lo_[key], hi_[key]) : "nan nan nan"
}
function cstat(key) {
  return (key in n_) ? sprintf("%.6g,%.6g,%.6g", s_[key] / n_[key], lo_[key], hi_[key]) : "nan,nan,nan"
}
NR == 1 {
  for (i = 1; i <= NF; i++) col[$i] = i
  tc = ("sim_time_s" in col) ? "sim_time_s" : "time_s"
  split("run staleness seed clock objective " tc, need, " ")
  for (k in need) if (!(need[k] in col)) { print "seeds.awk: " FILENAME ": no column " need[k] > "/dev/stderr"; bad = 1; exit 2 }
  hasmodel = "model_objective" in col; hasstop = "stopped_by" in col
  next
}
{
  r = $col["seed"] SUBSEP $col["run"]
  b = $col["staleness"]
  if (!(b in nb)) { border[++nbounds] = b; nb[b] = 0 }
  if (!(r in rb)) { rb[r] = b; rorder[++nruns] = r; nb[b]++; rseed[r] = $col["seed"] }
  c = $col["clock"] + 0; t = $col[tc] + 0
  o = $col["objective"]; m = hasmodel ? $col["model_objective"] : ""
  nrow[r]++; rt[r, c] = t; ro[r, c] = o; rm[r, c] = m
  if (c > maxc[b]) maxc[b] = c
  if (t > maxt) maxt = t
  lastt[r] = t; lasto[r] = o; lastc[r] = c
  # what the run had within the budget: its clocks, the last one's time and objective
  if (until == "" || t <= until + 0) { inb[r]++; bt[r] = t; bo[r] = o }
  why[r] = hasstop ? $col["stopped_by"] : ""
  if (num(o)) upd("co" SUBSEP b SUBSEP c, o + 0)
  if (num(m)) upd("cm" SUBSEP b SUBSEP c, m + 0)
  if (num(o) && relative == "" && !(r in ttt) && target != "" && (maximize ? o + 0 >= target + 0 : o + 0 <= target + 0) && (until == "" || t <= until + 0)) ttt[r] = t
}
END {
  if (bad) exit 2
  if (relative != "") {
    # each seed's target from its run of the first bound, then its runs' times to it
    for (i = 1; i <= nruns; i++) {
      r = rorder[i]; if (rb[r] != border[1]) continue
      for (c = 0; c < nrow[r]; c++)
        if (num(ro[r, c]) && (until == "" || rt[r, c] <= until + 0) &&
            (!(rseed[r] in sbest) || (maximize ? ro[r, c] + 0 > sbest[rseed[r]] : ro[r, c] + 0 < sbest[rseed[r]])))
          sbest[rseed[r]] = ro[r, c] + 0
    }
    for (sd in sbest) {
      v = sbest[sd]; a = v < 0 ? -v : v
      stgt[sd] = maximize ? v - relative * a : v + relative * a
    }
    for (i = 1; i <= nruns; i++) {
      r = rorder[i]; if (!(rseed[r] in stgt)) continue
      for (c = 0; c < nrow[r] && !(r in ttt); c++)
        if (num(ro[r, c]) && (until == "" || rt[r, c] <= until + 0) &&
            (maximize ? ro[r, c] + 0 >= stgt[rseed[r]] : ro[r, c] + 0 <= stgt[rseed[r]]))
          ttt[r] = rt[r, c]
    }
    target = sprintf("%.6gx", 1 + relative)
  }
  if (prefix == "") prefix = "out/sweep"
  if (grid == "") grid = 60
  horizon = (until != "") ? until + 0 : maxt
  fc = prefix "_clock.dat"; ft = prefix "_time.dat"; fb = prefix "_bounds.csv"; fr = prefix "_runs.csv"
  for (k = 1; k <= nbounds; k++) {
    b = border[k]
    print "# staleness " b ": clock obj_mean obj_min obj_max model_mean model_min model_max seeds" > fc
    for (c = 0; c <= maxc[b]; c++) {
      key = "co" SUBSEP b SUBSEP c
      if (!(key in n_) || n_[key] < nb[b]) continue   # every seed has it
      print c, stat(key), stat("cm" SUBSEP b SUBSEP c), n_[key] > fc
    }
    print "\n" > fc
    print "# staleness " b ": time obj_mean obj_min obj_max model_mean model_min model_max seeds" > ft
    for (g = 1; g <= grid; g++) {
      tg = horizon * g / grid
      have = 0; delete gv
      for (i = 1; i <= nruns; i++) {
        r = rorder[i]; if (rb[r] != b) continue
        # the last clock ended by tg, if the run still ran then
        if (tg > lastt[r] + 1e-15 && lastt[r] < horizon) continue
        best = -1
        for (c = 0; c < nrow[r]; c++) if (rt[r, c] <= tg) best = c
        if (best < 0 || !num(ro[r, best])) continue
        have++
        upd("to" SUBSEP b SUBSEP g, ro[r, best] + 0)
        if (num(rm[r, best])) upd("tm" SUBSEP b SUBSEP g, rm[r, best] + 0)
      }
      if (have == nb[b]) print tg, stat("to" SUBSEP b SUBSEP g), stat("tm" SUBSEP b SUBSEP g), have > ft
    }
    print "\n" > ft
  }
  print "staleness,seeds,reached,clocks_per_s_mean,clocks_per_s_min,clocks_per_s_max,ttt_mean,ttt_min,ttt_max,final_mean,final_min,final_max,clocks_mean,target,until,maximize" > fb
  print "seed,run,staleness,time_to_target_s,clocks,final_time_s,final_objective,stopped_by" > fr
  for (i = 1; i <= nruns; i++) {
    r = rorder[i]; b = rb[r]
    split(r, parts, SUBSEP)
    printf "%s,%s,%s,%s,%d,%.9g,%s,%s\n", rseed[r], parts[2], b, (r in ttt) ? sprintf("%.9g", ttt[r]) : "nan", nrow[r], lastt[r], lasto[r], why[r] > fr
    if (bt[r] > 0) upd("rate" SUBSEP b, inb[r] / bt[r])
    if (r in ttt) { upd("ttt" SUBSEP b, ttt[r]); reached[b]++ }
    if (num(bo[r])) upd("fin" SUBSEP b, bo[r] + 0)
    upd("ncl" SUBSEP b, inb[r])
  }
  for (k = 1; k <= nbounds; k++) {
    b = border[k]
    split(stat("ncl" SUBSEP b), ncl, " ")
    printf "%s,%d,%d,%s,%s,%s,%.4g,%s,%s,%d\n", b, nb[b], reached[b] + 0, cstat("rate" SUBSEP b), cstat("ttt" SUBSEP b), cstat("fin" SUBSEP b), ncl[1], target, until, maximize + 0 > fb
  }
}
