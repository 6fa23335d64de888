# scale.gp: time to target and simulated seconds per clock against the
# number of nodes, one line per (scaling, bound), from scale.sh's summary.
#   gnuplot -e "data='out/scale_summary.csv'; out='out/scale.png'; title='...'" plots/scale.gp
if (!exists("title")) title = "stale: scaling"
set datafile separator comma
set terminal pngcairo size 1400,560 font "sans,11" noenhanced
set output out
set multiplot layout 1,2 title title
set logscale x 2
set grid
set key top left
set xlabel "simulated nodes"
series = system("awk -F, 'NR>1 && !s[$1\" \"$2]++ {printf \"%s:%s \", $1, $2}' ".data)
kind(w) = substr(w, 1, strstrt(w, ":") - 1)
bound(w) = substr(w, strstrt(w, ":") + 1, strlen(w))
name(w) = kind(w)." scaling, s = ".bound(w)
dtw(w) = (kind(w) eq "weak") ? 2 : 1
sel(w, col) = (strcol(1) eq kind(w) && strcol(2) eq bound(w)) ? column(col) : NaN
set ylabel "simulated time to target (s)"
set yrange [0:*]
plot for [w in series] data using 3:(sel(w, 4)) with linespoints lw 2 pt 7 dashtype dtw(w) title name(w)
set ylabel "simulated seconds per clock"
plot for [w in series] data using 3:(sel(w, 5)) with linespoints lw 2 pt 7 dashtype dtw(w) title name(w)
unset multiplot
