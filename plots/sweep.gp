# sweep.gp: the SSP decomposition of a sweep over staleness bounds with
# several seeds, from experiments/seeds.awk's files (prefix P):
#   (a) objective against clock         (progress per clock)
#   (b) clocks per simulated second     (speed of a clock)
#   (c) objective against simulated time = (a) x (b), cut at the time budget
#   (d) time to reach the target, with the spread over seeds
# Curves are the mean over seeds with a band from the lowest to the highest
# seed; dashed lines are the objective of the servers' model (when recorded).
#   gnuplot -e "p='out/staleness'; out='out/staleness.png'; title='...'; metric='rmse'; xunit='simulated'" plots/sweep.gp
if (!exists("title")) title = "stale: staleness sweep"
if (!exists("metric")) metric = "objective"
if (!exists("xunit")) xunit = "simulated"
if (!exists("ylab")) ylab = "held-out ".metric
clock = p."_clock.dat"; tim = p."_time.dat"; bnd = p."_bounds.csv"
set terminal pngcairo size 1500,1000 font "sans,11" noenhanced
set output out
bounds = system("awk -F, 'NR>1{printf \"%s \", $1}' ".bnd)
nb = words(bounds)
target = system("awk -F, 'NR==2{print $14; exit}' ".bnd)
until = system("awk -F, 'NR==2{print $15; exit}' ".bnd)
reach = system("awk -F, 'NR==2{print ($16 == 1 ? \">=\" : \"<=\"); exit}' ".bnd)
label(b) = (b eq "0" ? "0 (BSP)" : (b eq "inf" ? "inf (async)" : b))
set multiplot layout 2,2 title title
set grid
set key top right title "staleness s" opaque
set style fill transparent solid 0.18 noborder

# The y range of (a) and (c): the workers' curves (a diverging model's
# dashed line may leave it).
stats clock using 4 nooutput
ytop = STATS_max
stats clock using 3 nooutput
ybot = STATS_min
ypad = (ytop - ybot) * 0.05
set yrange [ybot - ypad : ytop + ypad]
set title "(a) progress per clock"
set xlabel "clock"
set ylabel ylab
plot for [i=1:nb] clock index (i-1) using 1:3:4 with filledcurves lc i notitle, \
     for [i=1:nb] clock index (i-1) using 1:2 with lines lw 2 lc i title label(word(bounds,i)), \
     for [i=1:nb] clock index (i-1) using 1:5 with lines dt 2 lc i notitle

set title "(b) speed of a clock (mean and range over seeds)"
set xlabel "staleness bound s"
set ylabel "clocks per ".xunit." second"
set key off
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set datafile separator comma
plot bnd using 0:4:xticlabels(label(strcol(1))) every ::1 with boxes lc rgb "#3060a0", \
     bnd using 0:4:5:6 every ::1 with yerrorbars lc rgb "black" pt 0
set datafile separator whitespace
set yrange [ybot - ypad : ytop + ypad]
set xtics auto

set title "(c) progress per ".xunit." second".(until ne "" ? sprintf(" (every run given %s s)", until) : "")
set xlabel xunit." time (s)"
set ylabel ylab
set key bottom left title "staleness s" opaque
set style fill transparent solid 0.18 noborder
if (target ne "" && target[strlen(target):strlen(target)] ne "x") set arrow from graph 0, first real(target) to graph 1, first real(target) nohead dt 3 lc rgb "gray40"
plot for [i=1:nb] tim index (i-1) using 1:3:4 with filledcurves lc i notitle, \
     for [i=1:nb] tim index (i-1) using 1:2 with lines lw 2 lc i title label(word(bounds,i)), \
     for [i=1:nb] tim index (i-1) using 1:5 with lines dt 2 lc i notitle
unset arrow
unset yrange

set title "(d) time to ".metric." ".reach." ".target." (mean and range over the seeds that reach it)"
set xlabel "staleness bound s"
set ylabel xunit." time to target (s)"
set key off
set style fill solid 0.6 border -1
set yrange [0:*]
set datafile separator comma
plot bnd using 0:7:xticlabels(label(strcol(1))) every ::1 with boxes lc rgb "#3060a0", \
     bnd using 0:7:8:9 every ::1 with yerrorbars lc rgb "black" pt 0, \
     bnd using 0:(0):(column(3) == 0 ? "not reached" : sprintf("%d/%d", column(3), column(2))) every ::1 \
         with labels rotate by 90 left offset 0,0.5 notitle
unset multiplot
