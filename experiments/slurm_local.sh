#!/usr/bin/env bash
# Runs the README's sbatch example, unchanged, on a one-node Slurm cluster
# made on this machine from Debian's packages (slurm-wlm, munge), checks
# that its s = 0 CSV equals `stale sim` with the same world size at every
# clock, and tears everything down: the daemons it started (by pid) and
# the directory it made. Root only (the daemons run as root, on ports
# 16817/16818 and a munge socket of their own, so a real Slurm or munge on
# this machine is left alone).
#
#   experiments/slurm_local.sh        (KEEP=1 keeps the directory to look at)
# Needs build/stale (scripts/main.sh or cmake --build build).
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."
repo=$PWD

say() { printf 'slurm_local.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root: it starts slurmctld, slurmd and munged"
[[ -x build/stale ]] || die "build/stale is missing: run cmake -S . -B build && cmake --build build"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
fi

dir=$(mktemp -d /tmp/stale-slurm.XXXXXX)
chmod 0700 "$dir"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then say "kept $dir"; else rm -rf -- "$dir"; fi
}
trap cleanup EXIT

# munge: a key and a socket of our own.
mkdir -m 0700 "$dir/munge"
dd if=/dev/urandom of="$dir/munge/key" bs=1024 count=1 status=none
chmod 0400 "$dir/munge/key"
munged -F --force --key-file="$dir/munge/key" --socket="$dir/munge/sock" \
    --pid-file="$dir/munge/pid" --log-file="$dir/munge/log" --seed-file="$dir/munge/seed" \
    2>"$dir/munge/stderr" &
pids+=($!)

# Slurm: this host as the one node, CPUs as the job asks (oversubscribed).
mkdir -p "$dir/state" "$dir/spool" "$dir/job"
cat >"$dir/slurm.conf" <<CONF
ClusterName=stale-local
SlurmctldHost=localhost
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
CONF
export SLURM_CONF=$dir/slurm.conf
for _ in $(seq 50); do [[ -S $dir/munge/sock ]] && break; sleep 0.1; done
[[ -S $dir/munge/sock ]] || die "munged did not start: $(cat "$dir/munge/stderr" "$dir/munge/log" 2>/dev/null)"
slurmctld -D -i -f "$SLURM_CONF" 2>"$dir/slurmctld.stderr" &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N localhost 2>"$dir/slurmd.stderr" &
pids+=($!)
for _ in $(seq 100); do
    state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
    [[ $state == idle* ]] && break
    sleep 0.2
done
[[ ${state:-} == idle* ]] || die "the node did not come up (state '${state:-none}'): $(tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" 2>/dev/null)"
say "one-node Slurm up ($(sinfo -h -o '%P %D %T'))"

# The README's example, as written there (between its markers).
sed -n '/^<!-- sbatch example begin -->$/,/^<!-- sbatch example end -->$/p' README.md |
    sed -n '/^```bash$/,/^```$/p' | sed '1d;$d' >"$dir/job/stale-mf.sbatch"
[[ -s $dir/job/stale-mf.sbatch ]] || die "README.md has no sbatch example between its markers"
say "the README's sbatch script:"
sed 's/^/    /' "$dir/job/stale-mf.sbatch" >&2

mkdir -p "$dir/job/home/.stale"
export HOME=$dir/job/home PATH=$repo/build:$PATH
build/stale secret --out "$HOME/.stale/secret"
cd "$dir/job"
t0=$(date +%s.%N)
out=$(sbatch --wait --parsable stale-mf.sbatch) || die "sbatch failed: $(cat stale-*.log 2>/dev/null)"
t1=$(date +%s.%N)
job=${out%%;*}
csv=mf-$job.csv
[[ -s $csv ]] || die "the job wrote no $csv: $(cat stale-$job.log 2>/dev/null)"
say "job $job done in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; its log:"
sed 's/^/    /' "stale-$job.log" >&2

# The same run in the simulator: the README example's app flags, 4 nodes.
flags=$(grep -o 'stale run .*' stale-mf.sbatch | sed 's/^stale run //; s/--out [^ ]*//')
# shellcheck disable=SC2086
"$repo/build/stale" sim --nodes 4 $flags --out sim.csv 2>/dev/null
col() { awk -F, -v name="$2" 'NR==1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { print $c }' "$1"; }
if diff <(col "$csv" objective) <(col sim.csv objective) >/dev/null; then
    say "PASSED: the job's s = 0 objective equals stale sim --nodes 4 at all $(($(wc -l <"$csv") - 1)) clocks"
else
    say "FAILED: the job's objectives differ from stale sim's:"
    paste -d' ' <(col "$csv" objective) <(col sim.csv objective) >&2
    exit 1
fi
