#!/usr/bin/env bash
# Quick load run (issue 5): wrk posting /v3/kv/put (new keys, 256-byte values) against keel with
# 1 and 3 members on loopback, release build. Prints requests/s, p50/p99 and fsync groups per request.
#   bench/load.sh [connections=64] [seconds=10]
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${1:-64}
SECS=${2:-10}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product keel >/dev/null
KEEL=$PWD/.build/release/keel
ROOT=$(mktemp -d /tmp/keel-load.XXXXXX)
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$ROOT"; }
trap cleanup EXIT

start_cluster() { # start_cluster N -> client ports in PORTS
  local n=$1 cluster="" i
  PORTS=()
  for ((i = 0; i < n; i++)); do cluster+="${cluster:+,}m$i=http://127.0.0.1:$((31380 + 10 * i))"; done
  for ((i = 0; i < n; i++)); do
    "$KEEL" --name m$i --data-dir "$ROOT/n$n-m$i" \
      --listen-client-urls http://127.0.0.1:$((31379 + 10 * i)) --advertise-client-urls http://127.0.0.1:$((31379 + 10 * i)) \
      --listen-peer-urls http://127.0.0.1:$((31380 + 10 * i)) --initial-advertise-peer-urls http://127.0.0.1:$((31380 + 10 * i)) \
      --initial-cluster "$cluster" --initial-cluster-token load --initial-cluster-state new 2>"$ROOT/n$n-m$i.log" &
    PIDS+=($!)
    PORTS+=($((31379 + 10 * i)))
  done
  for ((i = 0; i < 100; i++)); do
    curl -s "http://127.0.0.1:${PORTS[0]}/health" | grep -q true && break
    sleep 0.1
  done
}

metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }

for members in 1 3; do
  start_cluster $members
  leader=${PORTS[0]}
  for p in "${PORTS[@]}"; do
    id=$(curl -s -X POST http://127.0.0.1:$p/v3/maintenance/status -d '{}' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["leader"] == d["header"]["member_id"])')
    [ "$id" = "True" ] && leader=$p
  done
  g0=$(metric $leader keel_wal_fsync_groups_total); b0=$(metric $leader keel_wal_persist_batches_total)
  a0=$(metric $leader etcd_server_proposals_applied_total)
  printf "%d member(s), %d connections, %ds: " $members $CONNS $SECS
  wrk -t2 -c$CONNS -d${SECS}s -s bench/put.lua "http://127.0.0.1:$leader" | tail -1
  g1=$(metric $leader keel_wal_fsync_groups_total); b1=$(metric $leader keel_wal_persist_batches_total)
  a1=$(metric $leader etcd_server_proposals_applied_total)
  python3 -c "g=$g1-$g0; b=$b1-$b0; a=$a1-$a0; print(f'  leader: {a} entries applied, {b} persist batches, {g} fsync groups: {a/max(g,1):.1f} entries per fsync, {b/max(g,1):.1f} batches per fsync')"
  kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; PIDS=()
done
