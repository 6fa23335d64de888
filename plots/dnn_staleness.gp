# dnn_staleness.gp: held-out accuracy (left) and training loss (right) of
# the DNN against simulated time, one curve per staleness bound.
#   gnuplot -e "data='run.csv'; out='fig.png'; title='...'; target=0.85" plots/dnn_staleness.gp
# data: the CSV of `stale sim --app dnn` (columns by name).
if (!exists("title")) title = "stale: DNN accuracy vs staleness"
if (!exists("target")) target = 0.85
set datafile separator comma
set datafile columnheaders
set terminal pngcairo size 1400,560 font "sans,11"
set output out
set multiplot layout 1,2 title title
bounds = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"staleness\")c=i;next}!s[$c]++{printf \"%s \", $c}' ".data)
set xlabel "simulated time (s)"
set grid
set key bottom right title "staleness s"
set ylabel "held-out accuracy"
set yrange [0.5:0.92]
set arrow 1 from graph 0, first target to graph 1, first target nohead dt 2 lc rgb "#808080"
plot for [b in bounds] data using "sim_time_s":(strcol("staleness") eq b ? column("test_accuracy") : NaN) \
     with lines lw 1.5 title (b eq "0" ? "0 (BSP)" : (b eq "inf" ? "inf (async)" : b))
unset arrow 1
set yrange [*:*]
set logscale y
set key top right
set ylabel "training loss (mean cross-entropy of the clock's minibatches)"
plot for [b in bounds] data using "sim_time_s":(strcol("staleness") eq b ? column("objective") : NaN) \
     with lines lw 1.5 title (b eq "0" ? "0 (BSP)" : (b eq "inf" ? "inf (async)" : b))
unset multiplot
