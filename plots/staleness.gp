# staleness.gp: convergence against simulated time, one curve per staleness
# bound, and time-to-target against the bound.
#   gnuplot -e "data='run.csv'; ttt='ttt.csv'; out='fig.png'; title='...'" plots/staleness.gp
# data: the CSV of `stale sim` (columns by name); ttt: the output of
# experiments/time_to_target.awk on it.
if (!exists("title")) title = "stale: convergence vs staleness"
# ylab: the objective's axis label (default "held-out <metric>"); cmp: how
# the target is reached, "<=" (default) or ">=" for an objective to raise.
if (!exists("cmp")) cmp = "<="
set datafile separator comma
set datafile columnheaders
set terminal pngcairo size 1400,560 font "sans,11"
set output out
set multiplot layout 1,2 title title

# Left: objective against simulated time, one curve per bound.
bounds = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"staleness\")c=i;next}!s[$c]++{printf \"%s \", $c}' ".data)
metric = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"metric\")c=i;next}{print $c; exit}' ".data)
set xlabel "simulated time (s)"
if (!exists("ylab")) ylab = "held-out ".metric
set ylabel ylab
if (!exists("keypos")) keypos = "top right"
eval "set key ".keypos." title \"staleness s\""
set grid
plot for [b in bounds] data using "sim_time_s":(strcol("staleness") eq b ? column("objective") : NaN) \
     with linespoints pointsize 0.6 title (b eq "0" ? "0 (BSP)" : (b eq "inf" ? "inf (async)" : b))

# Right: time to reach the target objective, one bar per bound.
target = system("awk -F, 'NR==2{print $3; exit}' ".ttt)
set xlabel "staleness bound s"
set ylabel "simulated time to ".metric." ".cmp." ".sprintf("%.4g", real(target))." (s)" noenhanced
set key off
set style fill solid 0.6
set boxwidth 0.6
set yrange [0:*]
# Bounds that never reach the target get a "not reached" label at the axis.
plot ttt using 0:"time_to_target_s":xticlabels(strcol("staleness")) with boxes lc rgb "#3060a0", \
     ttt using 0:"time_to_target_s":(sprintf("%.3g", column("time_to_target_s"))) with labels offset 0,1 notitle, \
     ttt using 0:(0):(strcol("time_to_target_s") eq "nan" ? "not reached" : "") with labels rotate by 90 left offset 0,0.5 notitle
unset multiplot
