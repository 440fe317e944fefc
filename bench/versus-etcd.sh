#!/usr/bin/env bash
# Head-to-head benchmark against etcd 3.4 (issue 6). Starts etcd and keel the same way (one member, then
# three members on 127.0.0.1, data dirs side by side on one disk) and runs the same wrk workloads against
# both, interleaved cell by cell: put of new keys (256-byte values), linearizable range of one key,
# serializable range of one key, a 90/10 range/put mix, at 1, 16, 64 and 256 connections. Load goes to the
# leader. Only 2xx answers count as throughput; after each put cell the keys under its prefix are counted
# and must be at least the 2xx count. Then: resident memory and data dir size after 100k keys (one member).
#   bench/versus-etcd.sh [--quick] [--seconds S]       (full: about 11 minutes; --quick: about 2)
# To look at one part: [--systems keel] [--members 3] [--workloads put,mix] [--conns 64,256] [--no-footprint]
# Experiments: KEEL_FLAGS="--snapshot-count 1000000" adds flags to every keel member.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=8
CONNS=(1 16 64 256)
SIZES=(1 3)
FILL=100000
SYSTEMS=(etcd keel)
WORKLOADS=(put range-lin range-ser mix)
FOOTPRINT=1
list() { echo "${1//,/ }"; }
while [ $# -gt 0 ]; do
  case $1 in
    --quick) SECS=2; CONNS=(16 256); FILL=20000; shift ;;
    --seconds) SECS=$2; shift 2 ;;
    --systems) read -ra SYSTEMS <<<"$(list "$2")"; shift 2 ;;
    --members) read -ra SIZES <<<"$(list "$2")"; shift 2 ;;
    --workloads) read -ra WORKLOADS <<<"$(list "$2")"; shift 2 ;;
    --conns) read -ra CONNS <<<"$(list "$2")"; shift 2 ;;
    --no-footprint) FOOTPRINT=0; shift ;;
    *) echo "usage: bench/versus-etcd.sh [--quick] [--seconds S] [--systems a,b] [--members 1,3]" \
         "[--workloads put,range-lin,range-ser,mix] [--conns 1,16,64,256] [--no-footprint]" >&2; exit 2 ;;
  esac
done

need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian" >&2
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "needs curl and python3" >&2; exit 1; }

echo "building keel (release)..." >&2
swift build -c release --product keel >/dev/null
KEEL=$PWD/.build/release/keel
ROOT=$(mktemp -d "$PWD/.build/versus.XXXXXX")  # Same disk as the checkout (not tmpfs) for both systems.
RESULTS=$ROOT/results.tsv
declare -A PIDS_OF
cleanup() {
  local pids
  for pids in "${PIDS_OF[@]}"; do kill $pids 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$ROOT/data"
}
trap cleanup EXIT

b64() { printf %s "$1" | base64 -w0; }
post() { curl -s -m 5 -X POST "http://127.0.0.1:$1$2" -d "$3"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Below the ephemeral range (32768-60999), so wrk's and curl's outgoing ports cannot take them.
base_port() { [ "$1" = etcd ] && echo 23000 || echo 24000; }

start_system() { # start_system etcd|keel N
  local sys=$1 n=$2 base cluster="" i pids=""
  base=$(base_port "$sys")
  for ((i = 0; i < n; i++)); do cluster+="${cluster:+,}m$i=http://127.0.0.1:$((base + 10 * i + 1))"; done
  for ((i = 0; i < n; i++)); do
    local client=$((base + 10 * i)) peer=$((base + 10 * i + 1)) binary=$KEEL
    [ "$sys" = etcd ] && binary=etcd
    mkdir -p "$ROOT/data"
    "$binary" --name m$i --data-dir "$ROOT/data/$sys-n$n-m$i" \
      --listen-client-urls http://127.0.0.1:$client --advertise-client-urls http://127.0.0.1:$client \
      --listen-peer-urls http://127.0.0.1:$peer --initial-advertise-peer-urls http://127.0.0.1:$peer \
      --initial-cluster "$cluster" --initial-cluster-token versus-$sys --initial-cluster-state new \
      $([ "$sys" = keel ] && echo "${KEEL_FLAGS:-}") \
      >>"$ROOT/$sys-n$n-m$i.log" 2>&1 &
    pids+="$! "
  done
  PIDS_OF[$sys]=$pids
  for ((i = 0; i < 300; i++)); do
    if leader_port "$sys" "$n" >/dev/null 2>&1; then
      for pid in $pids; do
        kill -0 $pid 2>/dev/null || { echo "$sys: a member exited; logs in $ROOT" >&2; exit 1; }
      done
      return 0
    fi
    sleep 0.1
  done
  echo "$sys did not elect a leader; logs in $ROOT" >&2
  exit 1
}

stop_system() {
  kill ${PIDS_OF[$1]} 2>/dev/null || true
  wait ${PIDS_OF[$1]} 2>/dev/null || true
  unset "PIDS_OF[$1]"
}

leader_port() { # leader_port sys N -> the client port of the member that leads
  local base i port status
  base=$(base_port "$1")
  for ((i = 0; i < $2; i++)); do
    port=$((base + 10 * i))
    status=$(post $port /v3/maintenance/status '{}') || continue
    if [ "$(echo "$status" | json 'd.get("leader") == d["header"]["member_id"]' 2>/dev/null)" = True ]; then
      echo $port
      return 0
    fi
  done
  return 1
}

# CPU seconds (user + system) of a system's processes, and fsyncs on its leader.
cpu_seconds() {
  local pid total=0
  for pid in ${PIDS_OF[$1]}; do
    total=$(awk -v t=$total '{ print t + ($14 + $15) / 100 }' /proc/$pid/stat)
  done
  echo $total
}
fsyncs() { curl -s -m 5 "http://127.0.0.1:$1/metrics" | awk '$1 == "etcd_disk_wal_fsync_duration_seconds_count" { print $2 }'; }
key_count() { # key_count port prefix
  post $1 /v3/kv/range "{\"key\":\"$(b64 "$2/")\",\"range_end\":\"$(b64 "${2}0")\",\"count_only\":true}" \
    | json 'd.get("count", "0")'
}

# run_cell sys N workload conns: one wrk run, one line appended to RESULTS.
run_cell() {
  local sys=$1 n=$2 workload=$3 conns=$4 port threads prefix out cpu0 cpu1 f0 f1 args line
  port=$(leader_port "$sys" "$n")
  threads=$((conns < 2 ? 1 : 2))
  prefix="bench/$workload-n$n-c$conns"
  case $workload in
    put) args=(-s bench/versus-put.lua "http://127.0.0.1:$port" -- "$prefix") ;;
    range-lin) args=(-s bench/versus-range.lua "http://127.0.0.1:$port" -- bench/one linearizable) ;;
    range-ser) args=(-s bench/versus-range.lua "http://127.0.0.1:$port" -- bench/one serializable) ;;
    mix) args=(-s bench/versus-mix.lua "http://127.0.0.1:$port" -- bench/mix 100) ;;
  esac
  cpu0=$(cpu_seconds "$sys"); f0=$(fsyncs "$port")
  out=$(wrk -t$threads -c$conns -d${SECS}s --timeout 5s "${args[@]}" 2>&1) || true
  cpu1=$(cpu_seconds "$sys"); f1=$(fsyncs "$port")
  line=$(echo "$out" | awk '$1 == "RESULT"')
  [ -n "$line" ] || { echo "wrk failed: $out" >&2; line="RESULT 0 1 0 0 0 0"; }
  local keys=-1
  [ "$workload" = put ] && keys=$(key_count "$port" "$prefix")
  # sys members workload conns requests duration_us non2xx sockerr p50 p99 keys cpu fsyncs
  echo "$line" | awk -v s=$sys -v n=$n -v w=$workload -v c=$conns -v k=$keys -v cpu=$(awk -v a=$cpu0 -v b=$cpu1 "BEGIN { print b - a }") \
    -v f=$(( ${f1:-0} - ${f0:-0} )) 'BEGIN{OFS="\t"} { print s, n, w, c, $2, $3, $4, $5, $6, $7, k, cpu, f }' >>"$RESULTS"
  echo "  $sys n=$n $workload c=$conns: $(tail -1 "$RESULTS" | cut -f5-13)" >&2
}

seed_keys() { # seed_keys port: the one key of the range workloads and the mix's 100 keys
  local i value
  value=$(b64 "$(printf 'v%.0s' $(seq 256))")
  post $1 /v3/kv/put "{\"key\":\"$(b64 bench/one)\",\"value\":\"$value\"}" >/dev/null
  for ((i = 0; i < 100; i++)); do
    post $1 /v3/kv/put "{\"key\":\"$(b64 bench/mix/$i)\",\"value\":\"$value\"}" >/dev/null
  done
}

echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" | tee "$ROOT/load.txt" >&2
: >"$RESULTS"
for n in "${SIZES[@]}"; do
  echo "== $n member(s)" >&2
  for sys in "${SYSTEMS[@]}"; do start_system $sys "$n"; done
  for sys in "${SYSTEMS[@]}"; do seed_keys "$(leader_port $sys "$n")"; done
  for workload in "${WORKLOADS[@]}"; do
    for conns in "${CONNS[@]}"; do
      for sys in "${SYSTEMS[@]}"; do run_cell $sys "$n" $workload $conns; done
    done
  done
  for sys in "${SYSTEMS[@]}"; do stop_system $sys; done
done

# Memory and disk after FILL keys, one member each, loaded with 64 connections.
echo "== $FILL keys, one member" >&2
FOOT=$ROOT/footprint.tsv
: >"$FOOT"
for sys in "${SYSTEMS[@]}"; do
  [ $FOOTPRINT = 1 ] || break
  rm -rf "$ROOT/data/$sys-n1-m0"
  start_system $sys 1
  port=$(leader_port $sys 1)
  start=$(date +%s.%N)
  # wrk runs for its whole -d even after every thread stopped, so fill in short rounds, each limited to
  # the keys still missing (split over its 2 threads), until the count is reached (at most 100 rounds).
  keys=0
  for ((round = 0; round < 100 && keys < FILL; round++)); do
    VERSUS_LIMITED=1 wrk -t2 -c64 -d2s --timeout 5s -s bench/versus-put.lua "http://127.0.0.1:$port" \
      -- bench/fill/r$round $(((FILL - keys + 1) / 2)) >/dev/null 2>&1 || true
    keys=$(key_count "$port" bench/fill)
  done
  elapsed=$(awk -v a=$start -v b=$(date +%s.%N) "BEGIN { printf \"%.1f\", b - a }")
  sleep 1
  keys=$(key_count "$port" bench/fill)
  pid=$(echo ${PIDS_OF[$sys]})
  rss=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)
  disk=$(du -sk "$ROOT/data/$sys-n1-m0" | cut -f1)
  printf "%s\t%s\t%s\t%s\t%s\n" $sys "$keys" "$rss" "$disk" "$elapsed" >>"$FOOT"
  stop_system $sys
done
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$ROOT/load.txt" >&2

python3 bench/versus-report.py "$RESULTS" "$FOOT" "$SECS"
cat "$ROOT/load.txt"
echo "raw results: $RESULTS, logs in $ROOT"
