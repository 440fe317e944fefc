#!/usr/bin/env bash
# Where a request's cost goes (issue 6): one member each of keel and etcd, a put or range load from wrk
# for a few seconds with `strace -c -f` attached (syscalls per request, by name), then the same load
# under `perf record` for keel (the hottest symbols). strace slows the server a lot: read the counts per
# request, not the throughput.
#   bench/syscalls.sh [put|range] [connections=64] [seconds=5]
set -euo pipefail
cd "$(dirname "$0")/.."
WORKLOAD=${1:-put}
CONNS=${2:-64}
SECS=${3:-5}
for tool in etcd wrk strace; do
  command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y etcd-server wrk strace)" >&2; exit 1; }
done
swift build -c release --product keel >/dev/null
ROOT=$(mktemp -d "$PWD/.build/syscalls.XXXXXX")
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$ROOT"; }
trap cleanup EXIT

start() { # start etcd|keel port -> PID
  local binary=$PWD/.build/release/keel
  [ "$1" = etcd ] && binary=etcd
  "$binary" --name m0 --data-dir "$ROOT/$1" --listen-client-urls http://127.0.0.1:$2 \
    --advertise-client-urls http://127.0.0.1:$2 --listen-peer-urls http://127.0.0.1:$(($2 + 1)) \
    --initial-advertise-peer-urls http://127.0.0.1:$(($2 + 1)) --initial-cluster m0=http://127.0.0.1:$(($2 + 1)) \
    >"$ROOT/$1.log" 2>&1 &
  PID=$!
  PIDS+=($PID)
  for ((i = 0; i < 100; i++)); do
    curl -s -m 1 http://127.0.0.1:$2/health | grep -q true && return 0
    sleep 0.1
  done
  echo "$1 did not start" >&2
  exit 1
}

load() { # load port -> wrk RESULT line
  local args=(-s bench/versus-put.lua "http://127.0.0.1:$1" -- bench/sys)
  [ "$WORKLOAD" = range ] && args=(-s bench/versus-range.lua "http://127.0.0.1:$1" -- bench/one linearizable)
  wrk -t2 -c$CONNS -d${SECS}s --timeout 5s "${args[@]}" | awk '$1 == "RESULT"'
}

for sys in etcd keel; do
  port=$([ $sys = etcd ] && echo 25000 || echo 25100)
  start $sys $port
  curl -s -m 2 -X POST http://127.0.0.1:$port/v3/kv/put -d '{"key":"YmVuY2gvb25l","value":"eA=="}' >/dev/null
  strace -c -f -p $PID -o "$ROOT/$sys.strace" &
  tracer=$!
  sleep 0.5
  result=$(load $port)
  kill -INT $tracer
  wait $tracer 2>/dev/null || true
  requests=$(echo "$result" | awk '{ print $2 - $4 }')
  echo "== $sys, $WORKLOAD, $CONNS connections: $requests 2xx answers under strace"
  awk -v n="$requests" '$1 ~ /^[0-9.]+$/ && NF >= 5 {
      name = $NF; calls = $4; if (name == "total") next
      printf "  %-16s %8.2f per request\n", name, calls / n }' "$ROOT/$sys.strace" | sort -k2 -n -r | head -12
  awk -v n="$requests" '$NF == "total" { printf "  %-16s %8.2f per request\n", "all syscalls", $4 / n }' \
    "$ROOT/$sys.strace"
  if [ $sys = keel ] && command -v perf >/dev/null; then
    perf record -g -o "$ROOT/perf.data" -p $PID -- sleep $SECS >/dev/null 2>&1 &
    profiler=$!
    load $port >/dev/null
    wait $profiler 2>/dev/null || true
    echo "== keel, hottest symbols (perf, self time)"
    perf report -i "$ROOT/perf.data" --no-children --sort symbol --stdio 2>/dev/null \
      | awk '/^ +[0-9.]+%/ { printf "  %7s %s\n", $1, $3 }' | head -25 | swift demangle --simplified \
      | cut -c1-150
  fi
  kill $PID
  wait $PID 2>/dev/null || true
done
