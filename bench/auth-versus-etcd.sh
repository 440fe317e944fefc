#!/usr/bin/env bash
# What auth costs, keel against etcd 3.4 (issue 13): Authenticate throughput, and the cost of a request that
# carries a token, at the same bcrypt cost. Not part of the default tests; run it explicitly:
#   bench/auth-versus-etcd.sh                 8 s cells, 3 repeats (about 12 minutes)
#   bench/auth-versus-etcd.sh --quick         2 s cells, 1 repeat (about 3 minutes)
#   [--bcrypt-cost N] (default 10, etcd's)  [--seconds S]  [--repeats R]  [--out FILE]
# Four one-member servers, data dirs side by side on the checkout's disk: etcd and keel with auth on (root
# with the root role, user "bench" whose role has READWRITE on bench/, auth enable; set up with etcdctl), and
# etcd and keel without auth. Both pairs run the same --bcrypt-cost. The servers without auth are a second
# pair rather than the first pair after auth disable, so every cell can interleave all four (etcd auth, keel
# auth, etcd open, keel open, then the next repeat): drift in the machine's load falls on all four alike, and
# both pairs hold the same data when measured. An idle one-member server costs next to nothing meanwhile.
# Cells (bench/loadgen on etcd's Go client, one gRPC connection per 8 clients):
#   authenticate c1, c16   one Auth.Authenticate RPC per request as user bench (auth pair only); each answer
#                          must carry a token of its own
#   put c64                new keys under bench/, 256-byte values, --user bench on the auth pair (clientv3
#                          authenticates at dial and sends the token with every call)
#   range-lin c64          linearizable range of bench/one (256-byte value), likewise
# Each cell's first run is a short probe whose rate sizes the measured runs to about S seconds; no request is
# in flight when the puts are counted. Every acknowledged put is counted afterwards twice, with the user's
# token where auth is on: loadgen --verify=count, and a count-only range over the JSON gateway that must lie in
# [acknowledged, acknowledged + failed]. bench/auth-versus-report.py prints the medians, the token's cost per
# request (req/s, p99 and server CPU with vs without auth) and keel/etcd ratios, and writes every record to
# --out (default /tmp/keel-auth-versus.<time>.json).
# Keel is KEEL_BIN, else .build/release/keel after `flock /tmp/keel-build.lock swift build -c release
# --product keel`; it is copied into the run directory first. The benchmark itself does not take the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=8
REPEATS=3
COST=10
OUT=/tmp/keel-auth-versus.$(date +%Y%m%d-%H%M%S).json
usage() {
  echo "usage: bench/auth-versus-etcd.sh [--quick] [--bcrypt-cost N] [--seconds S] [--repeats R] [--out FILE]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) SECS=2; REPEATS=1; shift ;;
    --bcrypt-cost) COST=${2:?}; shift 2 ;;
    --seconds) SECS=${2:?}; shift 2 ;;
    --repeats) REPEATS=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ $COST =~ ^[0-9]+$ ]] && [ "$COST" -ge 4 ] && [ "$COST" -le 31 ] || { echo "--bcrypt-cost must be 4 to 31" >&2; exit 2; }
[[ $SECS =~ ^[0-9]+$ ]] && [[ $REPEATS =~ ^[0-9]+$ ]] && [ "$REPEATS" -ge 1 ] || usage

# --- tools -----------------------------------------------------------------------------------------------
need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v curl >/dev/null || need+=(curl)
command -v go >/dev/null || need+=(golang-go)
[ -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3 ] || need+=(golang-etcd-server-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing ${need[*]} from Debian" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }

mkdir -p .build
ROOT=$(mktemp -d "$PWD/.build/auth-versus.XXXXXX")  # The checkout's disk (not tmpfs) for all four servers.
RUNS=$ROOT/runs.jsonl
: >"$RUNS"

KEEL_SRC=${KEEL_BIN:-}
if [ -z "$KEEL_SRC" ]; then
  echo "building keel (release) under /tmp/keel-build.lock..." >&2
  flock /tmp/keel-build.lock swift build -c release --product keel >"$ROOT/build.log" 2>&1 \
    || { echo "keel's release build failed; see $ROOT/build.log" >&2; exit 1; }
  KEEL_SRC=.build/release/keel
fi
cp "$KEEL_SRC" "$ROOT/keel"  # Rebuilds by others during the run cannot swap it.
KEEL=$ROOT/keel
echo "keel: $KEEL_SRC ($(date -r "$KEEL_SRC" '+%F %T')), etcd: $(etcd --version | head -1), bcrypt cost $COST" \
  | tee "$ROOT/load.txt" >&2

LOADGEN=$ROOT/loadgen
scratch=$(mktemp -d /tmp/keel-loadgen-gopath.XXXXXX)
GO111MODULE=off GOFLAGS= GOPATH="$scratch:/usr/share/gocode" GOCACHE=/tmp/keel-loadgen/gocache \
  go build -o "$LOADGEN" ./bench/loadgen || { rm -rf "$scratch"; echo "bench/loadgen did not build" >&2; exit 1; }
rm -rf "$scratch"

# The four servers: name -> client port (the peer port is the next one). Below the ephemeral range, and
# away from bench/versus-etcd.sh's 23000 and 24000.
SERVERS=(etcd-auth keel-auth etcd-open keel-open)
declare -A PORT=([etcd-auth]=25100 [keel-auth]=25200 [etcd-open]=25300 [keel-open]=25400) PID RATE
ROOT_PW=root-pw-$$
USER_PW=bench-pw-$$
cleanup() {
  local s
  for s in "${!PID[@]}"; do kill "${PID[$s]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$ROOT/data" "$ROOT/tmp" "$ROOT/keel" "$ROOT/loadgen"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$ROOT/tmp" "$ROOT/data"
TMP=$ROOT/tmp

b64() { printf %s "$1" | base64 -w0; }
post() { curl -s -m 10 -X POST "http://127.0.0.1:$1$2" "${@:4}" -d "$3"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
is_auth() { [ "${1#*-}" = auth ]; }
system_of() { echo "${1%-*}"; }

start_server() { # start_server name
  local s=$1 port=${PORT[$1]} binary=$KEEL i
  [ "$(system_of "$s")" = etcd ] && binary=etcd
  "$binary" --name m0 --data-dir "$ROOT/data/$s" \
    --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
    --listen-peer-urls "http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
    --initial-cluster "m0=http://127.0.0.1:$((port + 1))" --initial-cluster-token "auth-versus-$s" \
    --initial-cluster-state new --bcrypt-cost "$COST" >>"$ROOT/$s.log" 2>&1 &
  PID[$s]=$!
  for ((i = 0; i < 300; i++)); do
    if [ "$(post "$port" /v3/maintenance/status '{}' | json 'd.get("leader", "0") != "0"' 2>/dev/null)" = True ]; then
      return 0
    fi
    kill -0 "${PID[$s]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$s did not start or elect itself; its log: $ROOT/$s.log" >&2
  exit 1
}

setup_auth() { # setup_auth name: root, the bench role and user, auth enable (etcd's documented sequence)
  local ctl=(etcdctl --endpoints "127.0.0.1:${PORT[$1]}" --command-timeout 30s) step
  for step in "user add root:$ROOT_PW" "role add root" "user grant-role root root" "role add bench" \
    "role grant-permission bench --prefix=true readwrite bench/" "user add bench:$USER_PW" \
    "user grant-role bench bench" "auth enable"; do
    # shellcheck disable=SC2086  # Each step is words.
    "${ctl[@]}" $step >>"$ROOT/setup.log" 2>&1 || { echo "$1: etcdctl $step failed; see $ROOT/setup.log" >&2; exit 1; }
  done
  # Auth is on: a request without a token must be refused.
  if "${ctl[@]}" put bench/probe x >>"$ROOT/setup.log" 2>&1; then
    echo "$1: a put without a token succeeded after auth enable" >&2
    exit 1
  fi
}

cpu_seconds() { awk '{ print ($14 + $15) / 100 }' "/proc/${PID[$1]}/stat"; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

key_count() { # key_count name prefix/ -> keys under the prefix, over the JSON gateway (with a token on auth)
  local port=${PORT[$1]} p=${2%/} header=()
  if is_auth "$1"; then
    header=(-H "Authorization: $(post "$port" /v3/auth/authenticate "{\"name\":\"bench\",\"password\":\"$USER_PW\"}" \
      | json 'd["token"]')")
  fi
  post "$port" /v3/kv/range "{\"key\":\"$(b64 "$p/")\",\"range_end\":\"$(b64 "${p}0")\",\"count_only\":true}" \
    "${header[@]}" | json 'd.get("count", "0") if "error" not in d else -1'
}

# sized rate low high: requests for about SECS seconds at rate, within [low, high].
sized() { awk -v r="$1" -v s="$SECS" -v lo="$2" -v hi="$3" 'BEGIN { n = int(r * s); n = n < lo ? lo : n; print (n > hi ? hi : n) }'; }

loadgen_args() { # loadgen_args workload clients total prefix
  local w=$1 c=$2 total=$3 prefix=$4
  local common=(--clients "$c" --conns $(((c + 7) / 8)) --total "$total" --json --dial-timeout 60s)
  case $w in
    authenticate) echo authenticate "${common[@]}" --warmup "$c" --timeout 120s ;;
    put) echo put "${common[@]}" --warmup $((c * 2)) --val-size 256 --key-prefix "$prefix" --verify=count ;;
    range-lin) echo range bench/one --consistency l --populate 1 --val-size 256 "${common[@]}" --warmup $((c * 2)) ;;
  esac
}

run_cell() { # run_cell server workload clients repeat
  local s=$1 w=$2 c=$3 rep=$4 port=${PORT[$1]} user=() rate total low probe cpu0 cpu1 rc=0 landed=-1 check=ok
  local prefix="bench/$w-c$c-r$rep/" acked errors
  if is_auth "$s"; then user=(--user "bench:$USER_PW"); fi
  if [ "$w" = authenticate ]; then
    probe=$((c * 3 > 10 ? c * 3 : 10)) low=$((c * 2 > 10 ? c * 2 : 10))
  else
    probe=$((c * 10 > 1000 ? c * 10 : 1000)) low=$((c * 4 > 100 ? c * 4 : 100))
  fi
  rate=${RATE[$s/$w/$c]:-}
  if [ -z "$rate" ]; then # the first run of a cell: a probe (also a warm-up) whose rate sizes the real ones
    # shellcheck disable=SC2046  # loadgen_args is words.
    timeout 900 "$LOADGEN" $(loadgen_args "$w" "$c" "$probe" "bench/probe-$w-c$c/") "${user[@]}" \
      --endpoints "127.0.0.1:$port" >"$TMP/lg.json" 2>"$TMP/lg.err" || true
    rate=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print((d["requests"]-d["errors"])/max(d["duration_s"],1e-3))' \
      "$TMP/lg.json" 2>/dev/null || echo 0)
  fi
  total=$(sized "$rate" "$low" 5000000)
  cpu0=$(cpu_seconds "$s")
  # shellcheck disable=SC2046
  timeout $((SECS * 30 + 600)) "$LOADGEN" $(loadgen_args "$w" "$c" "$total" "$prefix") "${user[@]}" \
    --endpoints "127.0.0.1:$port" >"$TMP/lg.json" 2>"$TMP/lg.err" || rc=$?
  cpu1=$(cpu_seconds "$s")
  read -r rate acked errors < <(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print((d["requests"] - d["errors"]) / max(d["duration_s"], 1e-3), d.get("acknowledged_puts", -1), d["errors"])
except Exception:
    print(0, -1, 0)' "$TMP/lg.json")
  RATE[$s/$w/$c]=$rate
  if [ "$w" = put ]; then
    landed=$(key_count "$s" "$prefix")
    if [ "$landed" -lt "$acked" ]; then check="MISSING: $landed counted < $acked acknowledged puts"
    elif [ "$landed" -gt $((acked + errors)) ]; then check="EXTRA: $landed counted > $acked acknowledged + $errors failed puts"
    fi
  fi
  if [ $rc != 0 ]; then
    local why
    why="loadgen exit $rc: $(tail -c 200 "$TMP/lg.err" | tr '\t\n' '  ')"
    if [ "$check" = ok ]; then check=$why; else check="$check; $why"; fi
  fi
  python3 bench/auth-versus-report.py record "$(system_of "$s")" "$(is_auth "$s" && echo 1 || echo 0)" "$w" "$c" \
    "$rep" "$rc" "$(minus "$cpu0" "$cpu1")" "$landed" "$check" <"$TMP/lg.json" >>"$RUNS"
  printf '  %-9s %-12s c%-3s r%s: %8.1f req/s, %s errors%s; %s\n' "$s" "$w" "$c" "$rep" "$rate" "$errors" \
    "$([ "$w" = put ] && echo ", acked $acked landed $landed")" "$check" >&2
}

STARTED=$SECONDS
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" | tee -a "$ROOT/load.txt" >&2
for s in "${SERVERS[@]}"; do start_server "$s"; done
for s in "${SERVERS[@]}"; do
  if is_auth "$s"; then setup_auth "$s"; fi
done
for cell in "authenticate 1" "authenticate 16" "put 64" "range-lin 64"; do
  read -r w c <<<"$cell"
  for ((rep = 1; rep <= REPEATS; rep++)); do
    for s in "${SERVERS[@]}"; do
      if [ "$w" = authenticate ] && ! is_auth "$s"; then continue; fi
      run_cell "$s" "$w" "$c" "$rep"
    done
  done
done
for s in "${SERVERS[@]}"; do
  kill -0 "${PID[$s]}" 2>/dev/null || { echo "$s exited during the run; see $ROOT/$s.log" >&2; exit 1; }
done
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg); the run took $((SECONDS - STARTED)) s" \
  | tee -a "$ROOT/load.txt" >&2

python3 bench/auth-versus-report.py table "$RUNS" "$OUT" "bcrypt cost $COST, $SECS s cells, $REPEATS repeats" \
  && status=0 || status=$?
cat "$ROOT/load.txt"
echo "logs in $ROOT"
exit $status
