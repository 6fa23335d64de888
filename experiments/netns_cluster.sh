#!/usr/bin/env bash
# netns_cluster.sh: a real, bandwidth-limited cluster on one machine.
# Builds N network namespaces (stale-ns0..), each joined to one bridge
# (stale-br0) by a veth pair, limits every host's link in both directions
# with tc tbf (netem is not available here), runs one `stale run` per
# namespace, and tears everything down on exit, error or interrupt. On
# standard error it also prints the measured path latency (before the run)
# and the bytes each host's link carried (after it), for models of the run
# (experiments/netns_vs_sim.sh compares against `stale sim`).
#
# usage: sudo experiments/netns_cluster.sh [-n NODES] [-r RATE] [-b STALE]
#             [-o OUT.csv] [-- stale run options...]
#   -n NODES  namespaces / ranks (default 4)
#   -r RATE   tbf rate of each host link, tc syntax (default 100mbit)
#   -b STALE  the stale binary (default build/stale next to this script)
#   -o OUT    CSV written by rank 0 (default netns_cluster.csv)
# Options after -- go to every rank (default: --app mf --clocks 20 --staleness 1).
# Example: sudo experiments/netns_cluster.sh -n 4 -r 50mbit -- --app mf --staleness 0,
# then compare time_s against a run with -r 1gbit.
set -euo pipefail

NODES=4
RATE=100mbit
HERE=$(cd "$(dirname "$0")" && pwd)
STALE="$HERE/../build/stale"
OUT=netns_cluster.csv
while getopts "n:r:b:o:h" opt; do
  case $opt in
    n) NODES=$OPTARG ;;
    r) RATE=$OPTARG ;;
    b) STALE=$OPTARG ;;
    o) OUT=$OPTARG ;;
    h) sed -n '2,19p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
RUNARGS=("$@")
[ ${#RUNARGS[@]} -eq 0 ] && RUNARGS=(--app mf --clocks 20 --staleness 1)

if ! [[ $NODES =~ ^[0-9]+$ ]] || [ "$NODES" -lt 1 ] || [ "$NODES" -gt 200 ]; then
  echo "netns_cluster.sh: -n: need 1..200 nodes, got '$NODES'" >&2; exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "netns_cluster.sh: needs root (ip netns, tc)" >&2; exit 2; }
[ -x "$STALE" ] || { echo "netns_cluster.sh: $STALE: not an executable (use -b)" >&2; exit 2; }
STALE=$(readlink -f "$STALE")

BR=stale-br0
PORT=7000
ip_of() { echo "10.77.0.$(( $1 + 1 ))"; }
PIDS=()
LOGDIR=$(mktemp -d /tmp/stale-netns.XXXXXX)

cleanup() {
  local rc=$?
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for i in $(seq 0 $((NODES - 1))); do
    ip netns del "stale-ns$i" 2>/dev/null || true
    ip link del "stale-v$i" 2>/dev/null || true
  done
  ip link del "$BR" 2>/dev/null || true
  exit $rc
}
trap cleanup EXIT INT TERM

# Leftovers of an interrupted earlier run would make `ip` fail below.
for i in $(seq 0 $((NODES - 1))); do ip netns del "stale-ns$i" 2>/dev/null || true; done
ip link del "$BR" 2>/dev/null || true

ip link add "$BR" type bridge
ip link set "$BR" up
for i in $(seq 0 $((NODES - 1))); do
  ns=stale-ns$i
  ip netns add "$ns"
  ip link add "stale-v$i" type veth peer name "stale-p$i"
  ip link set "stale-p$i" netns "$ns"
  ip link set "stale-v$i" master "$BR"
  ip link set "stale-v$i" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$(ip_of "$i")/24" dev "stale-p$i"
  ip -n "$ns" link set "stale-p$i" up
  # Egress of the host (what it sends) and egress of the bridge port (what
  # it receives): a full-duplex link of RATE each way.
  ip netns exec "$ns" tc qdisc add dev "stale-p$i" root tbf rate "$RATE" burst 64kb latency 100ms
  tc qdisc add dev "stale-v$i" root tbf rate "$RATE" burst 64kb latency 100ms
done

# One-way latency of a host-to-host path, as a model of this cluster needs
# it: half the median round trip of 1-byte TCP messages from host 1 to host
# 0 (the links are idle now). Printed as "path latency: X us".
if [ "$NODES" -ge 2 ] && command -v python3 >/dev/null; then
  ip netns exec stale-ns0 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7999)); s.listen(1); c, _ = s.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
    b = c.recv(1)
    if not b: break
    c.sendall(b)' "$(ip_of 0)" &
  ECHO=$!
  sleep 0.3
  ip netns exec stale-ns1 python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7999))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
rtt = []
for i in range(300):
    t = time.perf_counter(); s.sendall(b"x"); s.recv(1); rtt.append(time.perf_counter() - t)
rtt.sort()
print("netns_cluster.sh: path latency: %.1f us (half the median TCP round trip of %.1f us)"
      % (rtt[150] / 2 * 1e6, rtt[150] * 1e6))' "$(ip_of 0)" >&2 || true
  wait "$ECHO" 2>/dev/null || true
fi

SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
COORD="$(ip_of 0):$PORT"
echo "netns_cluster.sh: $NODES namespaces on $BR, links limited to $RATE; logs in $LOGDIR" >&2
START=$(date +%s.%N)
for i in $(seq 0 $((NODES - 1))); do
  out=()
  [ "$i" -eq 0 ] && out=(--out "$OUT")
  listen=()
  [ "$i" -gt 0 ] && listen=(--listen "$(ip_of "$i"):$PORT")
  STALE_SECRET=$SECRET ip netns exec "stale-ns$i" "$STALE" run --rank "$i" \
    --world-size "$NODES" --coordinator "$COORD" "${listen[@]}" "${out[@]}" \
    "${RUNARGS[@]}" 2>"$LOGDIR/rank$i.err" &
  PIDS+=($!)
done
FAILED=0
for i in $(seq 0 $((NODES - 1))); do
  if ! wait "${PIDS[$i]}"; then
    echo "netns_cluster.sh: rank $i failed:" >&2
    sed 's/^/  /' "$LOGDIR/rank$i.err" >&2
    FAILED=1
  fi
done
PIDS=()
END=$(date +%s.%N)
# What each host's link carried (IP packets incl. headers), for comparing
# against a model of the same run.
echo "netns_cluster.sh: per-host link bytes (tx = sent by the host, rx = received):" >&2
for i in $(seq 0 $((NODES - 1))); do
  st=$(ip -n "stale-ns$i" -s link show "stale-p$i" | awk '/RX:/{getline; rx=$1} /TX:/{getline; tx=$1} END{print tx, rx}')
  echo "  host $i: tx $(echo "$st" | cut -d' ' -f1) rx $(echo "$st" | cut -d' ' -f2)" >&2
done
if [ "$FAILED" -eq 0 ]; then
  echo "netns_cluster.sh: $NODES ranks at $RATE finished in $(echo "$END - $START" | bc) s; CSV in $OUT" >&2
fi
exit $FAILED
