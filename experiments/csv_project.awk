# csv_project.awk: the columns of a stale CSV named in the header of another
# CSV, in that order (to compare a CSV with more columns against an older one).
#   awk -F, -v OFS=, -v cols="$(head -1 old.csv)" -f experiments/csv_project.awk new.csv
BEGIN { n = split(cols, want, ",") }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; for (k = 1; k <= n; k++) if (!(want[k] in col)) { print "no column " want[k] > "/dev/stderr"; exit 2 } }
{ line = ""; for (k = 1; k <= n; k++) line = line (k > 1 ? OFS : "") $col[want[k]]; print line }
