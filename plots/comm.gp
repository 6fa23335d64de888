# comm.gp: managed communication. Left: the metric against simulated time,
# one curve per policy at the comparison budget (every seed), from curves
# (the runs' --model-trace samples) or, without it, from data's clocks. Right:
# time to the headline target against the budget for the swept policy and
# none at 0: each seed a point, the mean over seeds a line.
#   gnuplot -e "data='runs.csv'; curves='trace.csv'; ttt='ttt.csv'; out='fig.png'; title='...'; budget='0.1link'; sweep='magnitude'; maximize=0; metric='model_objective'; headline='0.9'; speed='speedup.csv'" plots/comm.gp
# data: experiments/comm_policies.sh's CSV (columns by name); ttt: comm_ttt.awk's
# output; speed: its speed-up table (the mean time to target per budget).
if (!exists("title")) title = "stale: managed communication"
if (!exists("maximize")) maximize = 0
if (!exists("metric")) metric = "objective"
if (!exists("headline")) headline = "0.9"
if (!exists("curves")) curves = ""
lines = (curves ne "") ? curves : data
style = (curves ne "") ? "lines" : "linespoints pointsize 0.5"
set datafile separator comma
set datafile columnheaders
set terminal pngcairo size 1400,560 font "sans,11"
set output out
set multiplot layout 1,2 title title noenhanced
# The runs of the policy comparison: the first budget that is not 0, and none.
cmpbudget = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"comm_budget_Bps\")c=i;next}$c+0>0{print $c; exit}' ".data)
pols = system("awk -F, -v b=".cmpbudget." 'NR==1{for(i=1;i<=NF;i++){if($i==\"comm_policy\")p=i;if($i==\"comm_budget_Bps\")c=i};next}($c==b||$c==0)&&!s[$p]++{printf \"%s \", $p}' ".data)
seeds = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"seed\")c=i;next}!s[$c]++{printf \"%s \", $c}' ".data)
set xlabel "simulated time (s)"
set ylabel metric noenhanced
if (maximize) { set key bottom right } else { set key top right }
set key title "policy at ".budget noenhanced
set grid
plot for [i=1:words(pols)] for [sd in seeds] lines using "sim_time_s":((strcol("comm_policy") eq word(pols, i) && strcol("seed") eq sd && (column("comm_budget_Bps") == real(cmpbudget) || column("comm_budget_Bps") == 0)) ? column(metric) : NaN) \
     with @style lc i title (sd eq word(seeds, 1) ? word(pols, i) : "")
set xlabel "budget per node (MB/s)"
set ylabel "simulated time to ".headline." of none's improvement (s)" noenhanced
set key top right title "each seed a point, the mean a line"
set yrange [0:*]
set xrange [-1:*]
plot ttt using ($4/1e6):((strcol("comm_policy") eq sweep && strcol("fraction") eq headline) ? column("time_to_target_s") : NaN) with points pt 6 pointsize 1.2 lc 1 title sweep." (seeds)", \
     "< awk -F, -v p=".sweep." -v f=".headline." 'NR>1&&($1==p||$1==\"none\")&&$3==f&&$9!=\"nan\"{print $2/1e6 \",\" $9}' ".speed." | sort -t, -k1,1g" with linespoints pt 2 lc 1 title sweep." (mean; none at 0)", \
     ttt using ($4/1e6):((strcol("comm_policy") eq "none" && strcol("fraction") eq headline) ? column("time_to_target_s") : NaN) with points pt 7 pointsize 1.6 lc 2 title "none"
unset multiplot
