#!/usr/bin/env bash
# What TLS costs, keel against etcd 3.4 (issue 14): put and linearizable range throughput over TLS (client TLS
# with client-certificate auth, peer TLS) and without, three members each. Not part of the default tests; run
# it explicitly:
#   bench/tls-versus-etcd.sh                  8 s cells, 3 repeats
#   bench/tls-versus-etcd.sh --quick          2 s cells, 1 repeat
#   [--seconds S]  [--repeats R]  [--out FILE]
# Four three-member clusters, data dirs side by side on the checkout's disk: etcd and keel over TLS
# (https:// client URLs with --cert-file/--key-file/--trusted-ca-file/--client-cert-auth, https:// peer URLs
# with --peer-cert-file/--peer-key-file/--peer-trusted-ca-file/--peer-client-cert-auth; certificates from
# scripts/make-test-pki.sh in the run directory: server.pem serves both ports, the client presents client.pem),
# and etcd and keel in plain text. Four clusters rather than one pair restarted, so every cell can interleave
# all four (etcd tls, keel tls, etcd plain, keel plain, then the next repeat): drift in the machine's load falls
# on all four alike. An idle cluster costs next to nothing meanwhile (heartbeats).
# Cells (bench/loadgen on etcd's Go client, one gRPC connection per 8 clients, each balancing over all three
# members' endpoints; TLS as etcdctl: --cacert --cert --key and https:// endpoints):
#   put c64, c256          new keys under bench/, 256-byte values
#   range-lin c64, c256    linearizable range of bench/one (256-byte value)
# Each cell's first run is a short probe whose rate sizes the measured runs to about S seconds; no request is
# in flight when the puts are counted. Server CPU is the three members' together, from /proc. Every
# acknowledged put is counted afterwards twice: loadgen --verify=count, and a count-only range over the JSON
# gateway (curl, with the client certificate over TLS) that must lie in [acknowledged, acknowledged + failed].
# bench/tls-versus-report.py prints the medians, keel/etcd ratios with TLS and without, and each system's TLS
# cost (tls/plain req/s), and writes every record to --out (default /tmp/keel-tls-versus.<time>.json).
# Keel is KEEL_BIN, else .build/release/keel after `flock /tmp/keel-build.lock swift build -c release
# --product keel`; it is copied into the run directory first. The benchmark itself does not take the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=8
REPEATS=3
OUT=/tmp/keel-tls-versus.$(date +%Y%m%d-%H%M%S).json
usage() {
  echo "usage: bench/tls-versus-etcd.sh [--quick] [--seconds S] [--repeats R] [--out FILE]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) SECS=2; REPEATS=1; shift ;;
    --seconds) SECS=${2:?}; shift 2 ;;
    --repeats) REPEATS=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ $SECS =~ ^[0-9]+$ ]] && [[ $REPEATS =~ ^[0-9]+$ ]] && [ "$REPEATS" -ge 1 ] || usage

# --- tools -----------------------------------------------------------------------------------------------
need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
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
ROOT=$(mktemp -d "$PWD/.build/tls-versus.XXXXXX")  # The checkout's disk (not tmpfs) for all twelve members.
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
echo "keel: $KEEL_SRC ($(date -r "$KEEL_SRC" '+%F %T')), etcd: $(etcd --version | head -1), three members each" \
  | tee "$ROOT/load.txt" >&2

LOADGEN=$ROOT/loadgen
scratch=$(mktemp -d /tmp/keel-loadgen-gopath.XXXXXX)
GO111MODULE=off GOFLAGS= GOPATH="$scratch:/usr/share/gocode" GOCACHE=/tmp/keel-loadgen/gocache \
  go build -o "$LOADGEN" ./bench/loadgen || { rm -rf "$scratch"; echo "bench/loadgen did not build" >&2; exit 1; }
rm -rf "$scratch"

PKI=$ROOT/pki
scripts/make-test-pki.sh "$PKI" >"$ROOT/pki.log" 2>&1 || { echo "scripts/make-test-pki.sh failed; see $ROOT/pki.log" >&2; exit 1; }

# The four clusters: name -> base port; member i listens for clients on base + 2i and for peers on base + 2i + 1.
# Outside the tests' 24000-28000 and the other benches' ports, below the ephemeral range.
SERVERS=(etcd-tls keel-tls etcd-plain keel-plain)
MEMBERS=(0 1 2)
declare -A BASE=([etcd-tls]=30100 [keel-tls]=30200 [etcd-plain]=30300 [keel-plain]=30400) PID RATE
cleanup() {
  local s
  for s in "${!PID[@]}"; do kill "${PID[$s]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$ROOT/data" "$ROOT/tmp" "$ROOT/keel" "$ROOT/loadgen" "$PKI"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$ROOT/tmp" "$ROOT/data"
TMP=$ROOT/tmp

is_tls() { [ "${1#*-}" = tls ]; }
system_of() { echo "${1%-*}"; }
scheme() { if is_tls "$1"; then echo https; else echo http; fi; }
client_port() { echo $((BASE[$1] + 2 * $2)); }
client_url() { echo "$(scheme "$1")://127.0.0.1:$(client_port "$1" "$2")"; }
peer_url() { echo "$(scheme "$1")://127.0.0.1:$((BASE[$1] + 2 * $2 + 1))"; }
endpoints() { local i e=(); for i in "${MEMBERS[@]}"; do e+=("$(client_url "$1" "$i")"); done; (IFS=,; echo "${e[*]}"); }
b64() { printf %s "$1" | base64 -w0; }
post() { # post server member path body: over TLS with the client certificate where the cluster has TLS
  local tls=()
  if is_tls "$1"; then tls=(--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key"); fi
  curl -s -m 10 "${tls[@]}" -X POST "$(client_url "$1" "$2")$3" -d "$4"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_cluster() { # start_cluster name: three members at once, then wait until each knows the same leader
  local s=$1 binary=$KEEL i cluster=() tls=() leaders
  [ "$(system_of "$s")" = etcd ] && binary=etcd
  for i in "${MEMBERS[@]}"; do cluster+=("m$i=$(peer_url "$s" "$i")"); done
  if is_tls "$s"; then
    tls=(--cert-file "$PKI/server.pem" --key-file "$PKI/server.key" --trusted-ca-file "$PKI/ca.pem"
      --client-cert-auth --peer-cert-file "$PKI/server.pem" --peer-key-file "$PKI/server.key"
      --peer-trusted-ca-file "$PKI/ca.pem" --peer-client-cert-auth)
  fi
  for i in "${MEMBERS[@]}"; do
    "$binary" --name "m$i" --data-dir "$ROOT/data/$s-m$i" \
      --listen-client-urls "$(client_url "$s" "$i")" --advertise-client-urls "$(client_url "$s" "$i")" \
      --listen-peer-urls "$(peer_url "$s" "$i")" --initial-advertise-peer-urls "$(peer_url "$s" "$i")" \
      --initial-cluster "$(IFS=,; echo "${cluster[*]}")" --initial-cluster-token "tls-versus-$s" \
      --initial-cluster-state new "${tls[@]}" >>"$ROOT/$s-m$i.log" 2>&1 &
    PID[$s-m$i]=$!
  done
  for ((n = 0; n < 300; n++)); do
    leaders=$(for i in "${MEMBERS[@]}"; do
      post "$s" "$i" /v3/maintenance/status '{}' | json 'd.get("leader", "0")' 2>/dev/null || echo 0
    done | sort -u)
    if [ "$(wc -l <<<"$leaders")" = 1 ] && [ "$leaders" != 0 ]; then return 0; fi
    for i in "${MEMBERS[@]}"; do kill -0 "${PID[$s-m$i]}" 2>/dev/null || break 2; done
    sleep 0.2
  done
  echo "$s did not start or elect a leader all three members know; logs: $ROOT/$s-m*.log" >&2
  exit 1
}

cpu_seconds() { # the three members' CPU seconds together
  local i total=0
  for i in "${MEMBERS[@]}"; do
    total=$(awk -v t="$total" '{ print t + ($14 + $15) / 100 }' "/proc/${PID[$1-m$i]}/stat")
  done
  echo "$total"
}
minus() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

key_count() { # key_count name prefix/ -> keys under the prefix, over member 0's JSON gateway (linearizable)
  local p=${2%/}
  post "$1" 0 /v3/kv/range "{\"key\":\"$(b64 "$p/")\",\"range_end\":\"$(b64 "${p}0")\",\"count_only\":true}" \
    | json 'd.get("count", "0") if "error" not in d else -1' 2>/dev/null || echo -1
}

# sized rate low high: requests for about SECS seconds at rate, within [low, high].
sized() { awk -v r="$1" -v s="$SECS" -v lo="$2" -v hi="$3" 'BEGIN { n = int(r * s); n = n < lo ? lo : n; print (n > hi ? hi : n) }'; }

loadgen_args() { # loadgen_args server workload clients total prefix
  local s=$1 w=$2 c=$3 total=$4 prefix=$5
  local common=(--clients "$c" --conns $(((c + 7) / 8)) --total "$total" --json --dial-timeout 60s
    --endpoints "$(endpoints "$s")")
  if is_tls "$s"; then common+=(--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key"); fi
  case $w in
    put) echo put "${common[@]}" --warmup $((c * 2)) --val-size 256 --key-prefix "$prefix" --verify=count ;;
    range-lin) echo range bench/one --consistency l --populate 1 --val-size 256 "${common[@]}" --warmup $((c * 2)) ;;
  esac
}

run_cell() { # run_cell server workload clients repeat
  local s=$1 w=$2 c=$3 rep=$4 rate total low probe cpu0 cpu1 rc=0 landed=-1 check=ok
  local prefix="bench/$w-c$c-r$rep/" acked errors
  probe=$((c * 10 > 1000 ? c * 10 : 1000)) low=$((c * 4 > 100 ? c * 4 : 100))
  rate=${RATE[$s/$w/$c]:-}
  if [ -z "$rate" ]; then # the first run of a cell: a probe (also a warm-up) whose rate sizes the real ones
    # shellcheck disable=SC2046  # loadgen_args is words.
    timeout 900 "$LOADGEN" $(loadgen_args "$s" "$w" "$c" "$probe" "bench/probe-$w-c$c/") \
      >"$TMP/lg.json" 2>"$TMP/lg.err" || true
    rate=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print((d["requests"]-d["errors"])/max(d["duration_s"],1e-3))' \
      "$TMP/lg.json" 2>/dev/null || echo 0)
  fi
  total=$(sized "$rate" "$low" 5000000)
  cpu0=$(cpu_seconds "$s")
  # shellcheck disable=SC2046
  timeout $((SECS * 30 + 600)) "$LOADGEN" $(loadgen_args "$s" "$w" "$c" "$total" "$prefix") \
    >"$TMP/lg.json" 2>"$TMP/lg.err" || rc=$?
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
    if [ "$landed" -lt 0 ]; then check="UNCOUNTED: the count-only range over the gateway failed"
    elif [ "$landed" -lt "$acked" ]; then check="MISSING: $landed counted < $acked acknowledged puts"
    elif [ "$landed" -gt $((acked + errors)) ]; then check="EXTRA: $landed counted > $acked acknowledged + $errors failed puts"
    fi
  fi
  if [ $rc != 0 ]; then
    local why
    why="loadgen exit $rc: $(tail -c 200 "$TMP/lg.err" | tr '\t\n' '  ')"
    if [ "$check" = ok ]; then check=$why; else check="$check; $why"; fi
  fi
  python3 bench/tls-versus-report.py record "$(system_of "$s")" "$(is_tls "$s" && echo 1 || echo 0)" "$w" "$c" \
    "$rep" "$rc" "$(minus "$cpu0" "$cpu1")" "$landed" "$check" <"$TMP/lg.json" >>"$RUNS"
  printf '  %-10s %-9s c%-3s r%s: %8.1f req/s, %s errors%s; %s\n' "$s" "$w" "$c" "$rep" "$rate" "$errors" \
    "$([ "$w" = put ] && echo ", acked $acked landed $landed")" "$check" >&2
}

STARTED=$SECONDS
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" | tee -a "$ROOT/load.txt" >&2
for s in "${SERVERS[@]}"; do start_cluster "$s"; done
# TLS is really on: the TLS clusters refuse a client without a certificate, the plain ones answer plain HTTP.
for s in "${SERVERS[@]}"; do
  if is_tls "$s"; then
    if curl -s -m 10 --cacert "$PKI/ca.pem" -X POST "$(client_url "$s" 0)/v3/maintenance/status" -d '{}' \
      >/dev/null 2>&1; then
      echo "$s answered a client without a certificate" >&2
      exit 1
    fi
  elif ! curl -s -m 10 -X POST "$(client_url "$s" 0)/v3/maintenance/status" -d '{}' >/dev/null; then
    echo "$s does not answer plain HTTP" >&2
    exit 1
  fi
done
for cell in "put 64" "put 256" "range-lin 64" "range-lin 256"; do
  read -r w c <<<"$cell"
  for ((rep = 1; rep <= REPEATS; rep++)); do
    for s in "${SERVERS[@]}"; do run_cell "$s" "$w" "$c" "$rep"; done
  done
done
for s in "${SERVERS[@]}"; do
  for i in "${MEMBERS[@]}"; do
    kill -0 "${PID[$s-m$i]}" 2>/dev/null || { echo "$s member $i exited during the run; see $ROOT/$s-m$i.log" >&2; exit 1; }
  done
done
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg); the run took $((SECONDS - STARTED)) s" \
  | tee -a "$ROOT/load.txt" >&2

python3 bench/tls-versus-report.py table "$RUNS" "$OUT" "three members each, $SECS s cells, $REPEATS repeats" \
  && status=0 || status=$?
cat "$ROOT/load.txt"
echo "logs in $ROOT"
exit $status
