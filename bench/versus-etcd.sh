#!/usr/bin/env bash
# Head-to-head benchmark against etcd 3.4 (issues 6 and 12). Starts etcd and keel the same way (one member,
# then three members on 127.0.0.1 with etcd's flags, data dirs side by side on one disk), sends the same load
# to the leader of each, and runs every cell as interleaved repeats (etcd, keel, etcd, keel, ...). Drivers:
#   h2load    unary gRPC (h2c prior knowledge) from nghttp2's h2load: Put of one key (256-byte values),
#             linearizable and serializable Range of one key; shapes 1x64 (one connection, 64 streams) and
#             64x1 (64 connections, one stream each)
#   clientv3  bench/loadgen on etcd's Go client at 1, 64 and 256 clients (one gRPC connection per 8):
#             put of new keys (256-byte values), linearizable and serializable range, and watch fan-out
#             (1000 watchers over 10 streams on one key, the clients putting to it: events/s delivered and
#             put-to-delivery latency)
#   json      the v3 JSON gateway from wrk (bench/versus-*.lua): put, range-lin, range-ser and a 90/10 mix at
#             1, 16, 64 and 256 connections (the issue 6 rows; only with --json-gateway or --drivers json)
# Then resident memory and data dir size after 100k keys put over gRPC (one member each).
# Every acknowledged put is counted afterwards (h2load: the key's version; clientv3 and json: keys under the
# run's prefix) and gRPC answers are checked to be OK (h2load: exact gRPC message bytes; clientv3: loadgen's
# own checks); a failed check fails the run. gRPC runs are sized, not timed: a short warm-up before a cell's
# first run measures the rate that sets its request count (h2load -n, loadgen --total) for about S seconds,
# later repeats use the last rate, and no request is still in flight when the puts are counted.
# bench/versus-report.py prints medians, keel/etcd ratios, CPU and fsyncs per request.
#   bench/versus-etcd.sh                  full: 8 s cells, 3 repeats, 1 and 3 members (about 40 minutes)
#   bench/versus-etcd.sh --quick          2 s cells, 1 repeat, 20k-key footprint (about 6 minutes)
#   bench/versus-etcd.sh --json-gateway   adds the JSON gateway rows (full: about 25 minutes more)
# To look at one part: [--members 3] [--drivers h2load,clientv3,json] [--workloads put,watch]
#   [--shapes 1x64,64x1] [--clients 1,64,256] [--conns 1,16,64,256] [--systems keel] [--seconds S]
#   [--repeats R] [--no-footprint]
# Keel is KEEL_BIN, else .build/release/keel (built under the build lock only when missing), else
# /tmp/keel-loadgen/keel-release; it is copied into the run directory first. KEEL_FLAGS="..." adds flags to
# every keel member.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=8
REPEATS=3
SIZES=(1 3)
SYSTEMS=(etcd keel)
DRIVERS=(h2load clientv3)
WORKLOADS=(put range-lin range-ser watch mix)
SHAPES=(1x64 64x1)
CLIENTS=(1 64 256)
CONNS=(1 16 64 256)
FILL=100000
WATCH_MAX=4000  # most puts of one watch cell (each delivered to 1000 watchers)
FOOTPRINT=1
list() { echo "${1//,/ }"; }
usage() {
  echo "usage: bench/versus-etcd.sh [--quick] [--json-gateway] [--seconds S] [--repeats R] [--members 1,3]" \
    "[--systems etcd,keel] [--drivers h2load,clientv3,json] [--workloads put,range-lin,range-ser,watch,mix]" \
    "[--shapes 1x64,64x1] [--clients 1,64,256] [--conns 1,16,64,256] [--no-footprint]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) SECS=2; REPEATS=1; FILL=20000; WATCH_MAX=1000; CONNS=(16 256); shift ;;
    --json-gateway) DRIVERS+=(json); shift ;;
    --seconds) SECS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --members) read -ra SIZES <<<"$(list "$2")"; shift 2 ;;
    --systems) read -ra SYSTEMS <<<"$(list "$2")"; shift 2 ;;
    --drivers) read -ra DRIVERS <<<"$(list "$2")"; shift 2 ;;
    --workloads) read -ra WORKLOADS <<<"$(list "$2")"; shift 2 ;;
    --shapes) read -ra SHAPES <<<"$(list "$2")"; shift 2 ;;
    --clients) read -ra CLIENTS <<<"$(list "$2")"; shift 2 ;;
    --conns) read -ra CONNS <<<"$(list "$2")"; shift 2 ;;
    --no-footprint) FOOTPRINT=0; shift ;;
    *) usage ;;
  esac
done
has() { local x want=$1; shift; for x in "$@"; do [ "$x" = "$want" ] && return 0; done; return 1; }
for d in "${DRIVERS[@]}"; do has "$d" h2load clientv3 json || usage; done
for s in "${SHAPES[@]}"; do [[ $s =~ ^[0-9]+x[0-9]+$ ]] || usage; done

# --- tools -----------------------------------------------------------------------------------------------
need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v curl >/dev/null || need+=(curl)
has h2load "${DRIVERS[@]}" && { command -v h2load >/dev/null || need+=(nghttp2-client); }
has json "${DRIVERS[@]}" && { command -v wrk >/dev/null || need+=(wrk); }
if has clientv3 "${DRIVERS[@]}" || [ $FOOTPRINT = 1 ]; then
  command -v go >/dev/null || need+=(golang-go)
  [ -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3 ] || need+=(golang-etcd-server-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing ${need[*]} from Debian" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }

mkdir -p .build
ROOT=$(mktemp -d "$PWD/.build/versus.XXXXXX")  # Same disk as the checkout (not tmpfs) for both systems.
RESULTS=$ROOT/cells.tsv
FOOT=$ROOT/footprint.tsv
: >"$RESULTS"
: >"$FOOT"

KEEL_SRC=${KEEL_BIN:-}
if [ -z "$KEEL_SRC" ]; then
  if [ ! -x .build/release/keel ]; then
    echo "building keel (release)..." >&2
    flock /tmp/keel-build.lock swift build -c release --product keel >"$ROOT/build.log" 2>&1 \
      || echo "keel's release build failed (see $ROOT/build.log); looking for an earlier binary" >&2
  fi
  for candidate in .build/release/keel /tmp/keel-loadgen/keel-release; do
    [ -x "$candidate" ] && { KEEL_SRC=$candidate; break; }
  done
fi
[ -n "$KEEL_SRC" ] || { echo "no keel binary (set KEEL_BIN)" >&2; exit 1; }
cp "$KEEL_SRC" "$ROOT/keel"  # Rebuilds by others during the run cannot swap it.
KEEL=$ROOT/keel
echo "keel: $KEEL_SRC ($(date -r "$KEEL_SRC" '+%F %T')), etcd: $(etcd --version | head -1)" | tee "$ROOT/load.txt" >&2

LOADGEN=$ROOT/loadgen
if has clientv3 "${DRIVERS[@]}" || [ $FOOTPRINT = 1 ]; then
  scratch=$(mktemp -d /tmp/keel-loadgen-gopath.XXXXXX)
  GO111MODULE=off GOFLAGS= GOPATH="$scratch:/usr/share/gocode" GOCACHE=/tmp/keel-loadgen/gocache \
    go build -o "$LOADGEN" ./bench/loadgen || { rm -rf "$scratch"; echo "bench/loadgen did not build" >&2; exit 1; }
  rm -rf "$scratch"
fi

declare -A PIDS_OF RATE
cleanup() {
  local pids
  for pids in "${PIDS_OF[@]}"; do kill $pids 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$ROOT/data" "$ROOT/tmp" "$ROOT/keel" "$ROOT/loadgen"
}
trap cleanup EXIT
mkdir -p "$ROOT/tmp"
TMP=$ROOT/tmp

b64() { printf %s "$1" | base64 -w0; }
post() { curl -s -m 5 -X POST "http://127.0.0.1:$1$2" -d "$3"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
H2=bench/versus-h2load.py

# Below the ephemeral range (32768-60999), so clients' outgoing ports cannot take them.
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
minus() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
key_count() { # key_count port prefix/ -> keys under the prefix (which ends in /), over the JSON gateway
  local p=${2%/}
  post $1 /v3/kv/range "{\"key\":\"$(b64 "$p/")\",\"range_end\":\"$(b64 "${p}0")\",\"count_only\":true}" \
    | json 'd.get("count", "0")'
}
key_version() { # key_version port key -> how many times the key was put since it was created
  post $1 /v3/kv/range "{\"key\":\"$(b64 "$2")\"}" | json 'd["kvs"][0]["version"] if d.get("kvs") else 0'
}
grpc_call() { # grpc_call port method body-file -> the response body in $TMP/resp; prints grpc-status
  curl -s -m 5 --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
    --data-binary @"$3" "http://127.0.0.1:$1/etcdserverpb.KV/$2" -D "$TMP/resp.headers" -o "$TMP/resp" || true
  tr -d '\r' <"$TMP/resp.headers" | awk '$1 == "grpc-status:" { s = $2 } END { print (s == "" ? "none" : s) }'
}
# sized N: requests for about SECS seconds of a cell at its last measured rate, within [low, high].
sized() { awk -v r="$1" -v s=$SECS -v lo="$2" -v hi="$3" 'BEGIN { n = int(r * s); n = n < lo ? lo : n; print (n > hi ? hi : n) }'; }

# row sys n driver workload shape rep units seconds errors p50 p99 acked landed cpu fsyncs puts cpu_units check
row() {
  local IFS=$'\t'
  echo "$*" >>"$RESULTS"
  printf '  %s n=%s %s %s %s r%s: %s ok in %s s, %s errors, p50 %s p99 %s ms, acked %s landed %s; %s\n' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}" "${12}" "${13}" "${18}" >&2
}

# landed_check acked landed errors exact: "ok", or why not. Exact: no answer lost in flight (h2load -n,
# loadgen), so the count lies in [acked, acked + errors]; else (wrk stops mid-flight) at least acked.
landed_check() {
  if [ "$2" -lt "$1" ]; then echo "MISSING: $2 counted < $1 acknowledged puts"
  elif [ "$4" = exact ] && [ "$2" -gt $(($1 + $3)) ]; then echo "EXTRA: $2 counted > $1 acknowledged + $3 failed puts"
  else echo ok; fi
}

# --- h2load: unary gRPC ------------------------------------------------------------------------------------
h2() { # h2 port method body log args... -> h2load's output
  local port=$1 method=$2 body=$3 log=$4
  shift 4
  timeout $((SECS * 20 + 120)) h2load "$@" -d "$body" -H 'content-type: application/grpc' -H 'te: trailers' \
    --log-file "$log" "http://127.0.0.1:$port/etcdserverpb.KV/$method" 2>&1 || true
}

run_h2load() { # run_h2load sys n workload shape rep
  local sys=$1 n=$2 workload=$3 shape=$4 rep=$5 port conns streams method key check status n_req rate
  local cpu0 cpu1 f0 f1 out fields landed="-1" acked="-1" verdict units seconds errors p50 p99 data_ok note
  port=$(leader_port "$sys" "$n")
  conns=${shape%x*} streams=${shape#*x}
  case $workload in
    put) method=Put key="bench/h2/put-n$n-$shape-r$rep"
      python3 $H2 body put "$key" 256 "$TMP/body"
      python3 $H2 body put bench/h2/probe 256 "$TMP/probe" ;;
    range-lin|range-ser) method=Range
      python3 $H2 body range bench/one "$([ $workload = range-lin ] && echo l || echo s)" "$TMP/body"
      cp "$TMP/body" "$TMP/probe" ;;
    *) return 0 ;;
  esac
  rate=${RATE[$sys/$n/h2load/$workload/$shape]:-}
  if [ -z "$rate" ]; then # first time: one second of warm-up, whose rate sizes the run
    out=$(h2 $port $method "$TMP/probe" /dev/null -c $conns -m $streams -D 1)
    rate=$(echo "$out" | python3 $H2 result /dev/stdin /dev/null exact 0 | awk -F'\t' '{ print $1 / $2 }')
  fi
  # One call first: it must answer gRPC OK, and its size (its revision, for puts) is what every answer of
  # the run must add up to.
  status=$(grpc_call $port $method "$TMP/probe")
  if [ "$workload" = put ]; then
    check="puts $(stat -c %s "$TMP/resp") $(python3 $H2 revision "$TMP/resp")"
  else
    check="exact $(stat -c %s "$TMP/resp")"
  fi
  n_req=$(sized "$rate" $((conns * streams * 4 > 100 ? conns * streams * 4 : 100)) 10000000)
  cpu0=$(cpu_seconds "$sys"); f0=$(fsyncs "$port")
  out=$(h2 $port $method "$TMP/body" "$TMP/h2.log" -c $conns -m $streams -t 1 -n $n_req)
  cpu1=$(cpu_seconds "$sys"); f1=$(fsyncs "$port")
  echo "$out" >"$TMP/h2.out"
  fields=$(python3 $H2 result "$TMP/h2.out" "$TMP/h2.log" $check)
  rm -f "$TMP/h2.log"
  IFS=$'\t' read -r units seconds errors p50 p99 data_ok note <<<"$fields"
  RATE[$sys/$n/h2load/$workload/$shape]=$(awk -v u=$units -v s=$seconds 'BEGIN { print (s > 0 ? u / s : 0) }')
  verdict=$note
  [ "$status" = 0 ] || verdict="probe call answered grpc-status $status; $verdict"
  if [ "$workload" = put ]; then
    acked=$units landed=$(key_version $port "$key")
    local c
    c=$(landed_check $acked $landed $errors exact)
    [ "$c" = ok ] || verdict="$c; $verdict"
  fi
  [ "$status" = 0 ] && [ "$data_ok" = 1 ] && [[ $verdict == ok* ]] || verdict="FAILED: $verdict"
  row $sys $n h2load $workload $shape $rep $units $seconds $errors $p50 $p99 $acked $landed \
    "$(minus $cpu0 $cpu1)" $(( ${f1:-0} - ${f0:-0} )) "$([ $workload = put ] && echo $units || echo 0)" \
    $((units + errors)) "$verdict"
}

# --- clientv3: bench/loadgen -------------------------------------------------------------------------------
loadgen_args() { # loadgen_args workload clients requests prefix -> the loadgen command line
  local w=$1 c=$2 total=$3 prefix=$4
  local common=(--clients $c --conns $(((c + 7) / 8)) --json)
  case $w in
    put) echo put "${common[@]}" --total $total --warmup $((c * 2)) --val-size 256 --key-prefix $prefix --verify=count ;;
    range-lin) echo range bench/lg/one --consistency l --populate 1 --val-size 256 "${common[@]}" --total $total --warmup $((c * 2)) ;;
    range-ser) echo range bench/lg/one --consistency s --populate 1 --val-size 256 "${common[@]}" --total $total --warmup $((c * 2)) ;;
    watch) echo watch --watchers 1000 --streams 10 --key-space-size 1 --put-rate 0 --put-total $total \
      --settle 500ms --key-prefix $prefix "${common[@]}" ;;
  esac
}

run_clientv3() { # run_clientv3 sys n workload clients rep
  local sys=$1 n=$2 workload=$3 c=$4 rep=$5 port rate total low high cpu0 cpu1 f0 f1 fields landed="-1" rc=0
  local units seconds errors p50 p99 acked puts cpu_units ok note
  local prefix="lg/$workload-n$n-c$c-r$rep/"
  case $workload in put|range-lin|range-ser|watch) ;; *) return 0 ;; esac
  port=$(leader_port "$sys" "$n")
  local probe=$((c * 10 > 1000 ? c * 10 : 1000))
  low=$((c * 4 > 100 ? c * 4 : 100)) high=5000000
  [ $workload = watch ] && low=$((c > 20 ? c : 20)) high=$WATCH_MAX probe=$((c > 50 ? c : 50))
  rate=${RATE[$sys/$n/clientv3/$workload/$c]:-}
  if [ -z "$rate" ]; then # first time: a short run (also a warm-up) whose rate sizes the real one
    timeout $((SECS * 20 + 120)) "$LOADGEN" $(loadgen_args $workload $c $probe "lg/probe-$workload-n$n-c$c/") \
      --endpoints 127.0.0.1:$port >"$TMP/lg.json" 2>"$TMP/lg.err" || true
    rate=$(python3 bench/versus-loadgen.py "$TMP/lg.json" | cut -f9)
  fi
  total=$(sized "$rate" $low $high)
  cpu0=$(cpu_seconds "$sys"); f0=$(fsyncs "$port")
  timeout $((SECS * 20 + 120)) "$LOADGEN" $(loadgen_args $workload $c $total "$prefix") \
    --endpoints 127.0.0.1:$port >"$TMP/lg.json" 2>"$TMP/lg.err" || rc=$?
  cpu1=$(cpu_seconds "$sys"); f1=$(fsyncs "$port")
  fields=$(python3 bench/versus-loadgen.py "$TMP/lg.json")
  IFS=$'\t' read -r units seconds errors p50 p99 acked puts cpu_units rate ok note <<<"$fields"
  RATE[$sys/$n/clientv3/$workload/$c]=$rate
  [ $rc = 0 ] || note="loadgen exit $rc: $(tail -c 200 "$TMP/lg.err" | tr '\t\n' '  '); $note"
  if [ $workload = put ]; then
    landed=$(key_count $port "$prefix")
    local v
    v=$(landed_check $acked $landed $errors exact)
    [ "$v" = ok ] || { note="$v; $note"; ok=0; }
  fi
  [ "$ok" = 1 ] && [ $rc = 0 ] || note="FAILED: $note"
  row $sys $n clientv3 $workload c$c $rep $units $seconds $errors $p50 $p99 $acked $landed \
    "$(minus $cpu0 $cpu1)" $(( ${f1:-0} - ${f0:-0} )) $puts $cpu_units "$note"
}

# --- json: wrk on the v3 JSON gateway (the issue 6 rows) ---------------------------------------------------
run_json() { # run_json sys n workload conns rep
  local sys=$1 n=$2 workload=$3 conns=$4 rep=$5 port threads prefix out cpu0 cpu1 f0 f1 args line
  local landed="-1" acked="-1" note=ok
  port=$(leader_port "$sys" "$n")
  threads=$((conns < 2 ? 1 : 2))
  prefix="bench/$workload-n$n-c$conns-r$rep"
  case $workload in
    put) args=(-s bench/versus-put.lua "http://127.0.0.1:$port" -- "$prefix") ;;
    range-lin) args=(-s bench/versus-range.lua "http://127.0.0.1:$port" -- bench/one linearizable) ;;
    range-ser) args=(-s bench/versus-range.lua "http://127.0.0.1:$port" -- bench/one serializable) ;;
    mix) args=(-s bench/versus-mix.lua "http://127.0.0.1:$port" -- bench/mix 100) ;;
    *) return 0 ;;
  esac
  cpu0=$(cpu_seconds "$sys"); f0=$(fsyncs "$port")
  out=$(wrk -t$threads -c$conns -d${SECS}s --timeout 5s "${args[@]}" 2>&1) || true
  cpu1=$(cpu_seconds "$sys"); f1=$(fsyncs "$port")
  line=$(echo "$out" | awk '$1 == "RESULT"')
  [ -n "$line" ] || { note="FAILED: wrk: $(echo $out | tail -c 200)"; line="RESULT 0 1 0 0 0 0"; }
  read -r _ requests micros non2xx sockerr p50 p99 <<<"$line"
  local units=$((requests - non2xx))
  if [ $workload = put ]; then
    acked=$units landed=$(key_count "$port" "$prefix/")
    local v
    v=$(landed_check $acked $landed 0 at-least)
    [ "$v" = ok ] || note="FAILED: $v"
  fi
  row $sys $n json $workload c$conns $rep $units "$(awk -v m=$micros 'BEGIN { print m / 1e6 }')" \
    $((non2xx + sockerr)) "$(awk -v x=$p50 'BEGIN { print x / 1000 }')" "$(awk -v x=$p99 'BEGIN { print x / 1000 }')" \
    $acked $landed "$(minus $cpu0 $cpu1)" $(( ${f1:-0} - ${f0:-0} )) \
    "$([ $workload = range-lin ] || [ $workload = range-ser ] && echo 0 || echo $units)" $((units + non2xx)) "$note"
}

seed_keys() { # seed_keys port: the one key of the range workloads and the mix's 100 keys
  local i value
  value=$(b64 "$(printf 'v%.0s' $(seq 256))")
  post $1 /v3/kv/put "{\"key\":\"$(b64 bench/one)\",\"value\":\"$value\"}" >/dev/null
  if has json "${DRIVERS[@]}"; then
    for ((i = 0; i < 100; i++)); do
      post $1 /v3/kv/put "{\"key\":\"$(b64 bench/mix/$i)\",\"value\":\"$value\"}" >/dev/null
    done
  fi
}

# cells driver -> "workload shape" lines of the cells it runs, in order
cells() {
  local w s
  for w in "${WORKLOADS[@]}"; do
    case $1/$w in
      h2load/put|h2load/range-lin|h2load/range-ser) for s in "${SHAPES[@]}"; do echo "$w $s"; done ;;
      clientv3/put|clientv3/range-lin|clientv3/range-ser|clientv3/watch) for s in "${CLIENTS[@]}"; do echo "$w $s"; done ;;
      json/put|json/range-lin|json/range-ser|json/mix) for s in "${CONNS[@]}"; do echo "$w $s"; done ;;
    esac
  done
}

STARTED=$SECONDS
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" | tee -a "$ROOT/load.txt" >&2
for n in "${SIZES[@]}"; do
  echo "== $n member(s)" >&2
  for sys in "${SYSTEMS[@]}"; do start_system $sys "$n"; done
  for sys in "${SYSTEMS[@]}"; do seed_keys "$(leader_port $sys "$n")"; done
  for driver in "${DRIVERS[@]}"; do
    while read -r workload shape; do
      for ((rep = 1; rep <= REPEATS; rep++)); do
        for sys in "${SYSTEMS[@]}"; do run_$driver $sys "$n" $workload $shape $rep; done
      done
    done < <(cells $driver)
  done
  for sys in "${SYSTEMS[@]}"; do stop_system $sys; done
done

# Memory and disk after FILL keys put over gRPC (bench/loadgen, 64 clients on 8 connections), one member each.
if [ $FOOTPRINT = 1 ]; then
  echo "== $FILL keys, one member" >&2
  for sys in "${SYSTEMS[@]}"; do
    rm -rf "$ROOT/data/$sys-n1-m0"
    start_system $sys 1
    port=$(leader_port $sys 1)
    start=$(date +%s.%N)
    "$LOADGEN" put --endpoints 127.0.0.1:$port --clients 64 --conns 8 --total $FILL --val-size 256 \
      --key-prefix fill/ --verify=count --json >"$TMP/fill.json" 2>"$TMP/fill.err" || echo "$sys: fill failed" >&2
    elapsed=$(awk -v a=$start -v b=$(date +%s.%N) "BEGIN { printf \"%.1f\", b - a }")
    sleep 1
    keys=$(key_count "$port" fill/)
    pid=$(echo ${PIDS_OF[$sys]})
    rss=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)
    disk=$(du -sk "$ROOT/data/$sys-n1-m0" | cut -f1)
    printf "%s\t%s\t%s\t%s\t%s\n" $sys "$keys" "$rss" "$disk" "$elapsed" >>"$FOOT"
    stop_system $sys
  done
fi
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg); the run took $((SECONDS - STARTED)) s" \
  | tee -a "$ROOT/load.txt" >&2
echo "seconds $SECS repeats $REPEATS" >"$ROOT/settings"

status=0
python3 bench/versus-report.py "$ROOT" || status=$?
cat "$ROOT/load.txt"
echo "raw results: $RESULTS, logs in $ROOT"
exit $status
