# schedules.gp: the Lasso's schedules, objective's gap to the best against
# simulated time; one panel per (design, workers), one curve per schedule.
#   gnuplot -e "data='out/schedules.csv'; out='fig.png'" plots/schedules.gp
# data: experiments/schedule_sweep.sh's CSV (columns by name). The gap is
# (F - F_best) / F_best with F_best the design's best finite objective; a
# diverged run (nan, inf, or a gap above 10) is drawn at 10.
set datafile separator comma
set datafile columnheaders
set terminal pngcairo size 1500,820 font "sans,10"
set output out
designs = "correlated diabetes"
# The gap of an objective given as text: a diverged run's nan/inf, or a gap
# above 10, is 10; below 1e-7, 1e-7 (the text is parsed: gnuplot would
# skip a "nan" field as missing).
clampgap(g) = g > 10 ? 10 : (g < 1e-7 ? 1e-7 : g)
gap(o, b) = (o eq "nan" || o eq "-nan" || o eq "inf" || o eq "-inf") ? 10 : clampgap((real(o) - b) / b)
workers = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"workers\")c=i;next}!s[$c]++{printf \"%s \", $c}' ".data)
scheds = "sequential shotgun priority dependency priority+dependency"
set multiplot layout 2,words(workers) title "Lasso by scheduled coordinate descent: (F - F_{best}) / F_{best} against simulated time"
set logscale y
set yrange [1e-7:40]
set format y "10^{%T}"
set grid
set xlabel "simulated time (s)"
set ylabel "relative gap"
set key top right font ",9"
do for [d in designs] {
  best = real(system("awk -F, 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next}$h[\"design\"]==\"".d."\"&&$h[\"objective\"]~/^[0-9.eE+-]+$/&&$h[\"objective\"]!~/^[-+]?$/{o=$h[\"objective\"]+0;if(!n++||o<b)b=o}END{printf \"%.17g\", b}' ".data))
  do for [w in workers] {
    set title d.", ".w." workers (diverged runs drawn at 10)"
    xmax = real(system("awk -F, 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next}$h[\"design\"]==\"".d."\"&&$h[\"workers\"]==\"".w."\"&&$h[\"sim_time_s\"]+0>m{m=$h[\"sim_time_s\"]+0}END{printf \"%.9g\", m}' ".data))
    set xrange [0:xmax]
    plot for [s in scheds] data using "sim_time_s":((strcol("design") eq d && strcol("workers") eq w && strcol("schedule") eq s) ? gap(strcol("objective"), best) : NaN) \
         with linespoints pointsize 0.4 title s
  }
}
unset multiplot
