# shotgun_stability.gp: final relative gap to the sequential solver against
# coordinates a round, one curve per design correlation; Shotgun left,
# priority+dependency right.
#   gnuplot -e "data='out/shotgun_stability.csv'; out='fig.png'" plots/shotgun_stability.gp
# A diverged run (nan or inf, or a gap above 10) is drawn at 10.
set datafile separator comma
set datafile columnheaders
set terminal pngcairo size 1400,560 font "sans,11"
set output out
corrs = system("awk -F, 'NR>1&&!s[$2]++{printf \"%s \", $2}' ".data)
set multiplot layout 1,2 title "Lasso, fixed rounds: where parallel coordinate descent ends, against parallelism and correlation"
set logscale xy
set xlabel "coordinates scheduled a round (schedule size)"
set ylabel "(F - F_{sequential}) / F_{sequential} after the rounds"
set yrange [1e-8:30]
set format y "10^{%T}"
set grid
set key top left title "design correlation"
gap(s, r) = (strcol("schedule") eq s && strcol("design_rho") eq r) ? \
  ((strcol("relative_gap") eq "nan" || column("relative_gap") > 10) ? 10 : \
   (abs(column("relative_gap")) < 1e-8 ? 1e-8 : abs(column("relative_gap")))) : NaN
do for [s in "shotgun priority+dependency"] {
  set title s
  plot for [r in corrs] data using "schedule_size":(gap(s, r)) with linespoints pointsize 0.8 title r
}
unset multiplot
