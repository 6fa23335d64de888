# adarevision.gp: MF's held-out RMSE against simulated time, one panel per
# staleness bound, one curve per item step (SGD, AdaGrad, AdaRevision),
# solid without managed communication and dashed with it.
#   gnuplot -e "data='out/adarevision_plot.csv'; out='fig.png'; title='...'; bounds='0 3 8'; variants='a a+c b ...'; steps='a b ...'" plots/adarevision.gp
# data: experiments/adarevision.sh's OUT_plot.csv (variant,staleness,sim_time_s,objective).
if (!exists("title")) title = "stale: AdaRevision"
set datafile separator comma
set datafile columnheaders
n = words(bounds)
set terminal pngcairo size 520*n,520 font "sans,10"
set output out
set multiplot layout 1,n title title noenhanced
set xlabel "simulated time (s)"
set ylabel "held-out RMSE"
set yrange [0.70:1.10]
set grid
set key inside left bottom Left reverse font ",8" noenhanced
# Colour by step (the variant before "+", its place in steps), dashed when
# managed communication is on.
if (!exists("steps")) steps = variants
base(v) = strstrt(v, "+") ? v[1:strstrt(v, "+") - 1] : v
place(b, i) = i > words(steps) ? 0 : (word(steps, i) eq b ? i : place(b, i + 1))
colour(v) = place(base(v), 1)
dash(v) = (strstrt(v, "+") ? 2 : 1)
do for [b in bounds] {
  set title "s = ".b
  plot for [v in variants] data using "sim_time_s":((strcol("variant") eq v && strcol("staleness") eq b) ? column("objective") : NaN) \
       with lines lw 2 lc colour(v) dt dash(v) title v
}
unset multiplot
