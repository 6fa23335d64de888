# comm.gp: managed communication. Left: objective against simulated time,
# one curve per policy at one budget. Right: time to target against the
# budget for one policy (none at budget 0 for reference).
#   gnuplot -e "data='runs.csv'; ttt='ttt.csv'; out='fig.png'; title='...'; budget='0.25link'; sweep='magnitude'; maximize=0" plots/comm.gp
# data: experiments/comm_policies.sh's CSV (columns by name); ttt: comm_ttt.awk's output.
if (!exists("title")) title = "stale: managed communication"
if (!exists("maximize")) maximize = 0
set datafile separator comma
set datafile columnheaders
set terminal pngcairo size 1400,560 font "sans,11"
set output out
set multiplot layout 1,2 title title noenhanced
# The runs of the policy comparison: the first budget that is not 0, and none.
cmpbudget = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"comm_budget_Bps\")c=i;next}$c+0>0{print $c; exit}' ".data)
pols = system("awk -F, -v b=".cmpbudget." 'NR==1{for(i=1;i<=NF;i++){if($i==\"comm_policy\")p=i;if($i==\"comm_budget_Bps\")c=i};next}($c==b||$c==0)&&!s[$p]++{printf \"%s \", $p}' ".data)
metric = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"metric\")c=i;next}{print $c; exit}' ".data)
set xlabel "simulated time (s)"
set ylabel metric noenhanced
if (maximize) { set key bottom right } else { set key top right }
set key title "policy at ".budget noenhanced
set grid
plot for [p in pols] data using "sim_time_s":((strcol("comm_policy") eq p && (column("comm_budget_Bps") == real(cmpbudget) || column("comm_budget_Bps") == 0)) ? column("objective") : NaN) \
     with linespoints pointsize 0.6 title p
target = system("awk -F, 'NR==2{print $4; exit}' ".ttt)
set xlabel "budget per node (MB/s)"
set ylabel "simulated time to ".metric." ".(maximize ? ">=" : "<=")." ".sprintf("%.4g", real(target))." (s)" noenhanced
set key top right title ""
set yrange [0:*]
set xrange [-1:*]
plot ttt using ($3/1e6):((strcol("comm_policy") eq sweep) ? column("time_to_target_s") : NaN) with linespoints pointsize 1.2 title sweep, \
     ttt using ($3/1e6):((strcol("comm_policy") eq "none") ? column("time_to_target_s") : NaN) with points pointsize 2 pt 7 title "none"
unset multiplot
