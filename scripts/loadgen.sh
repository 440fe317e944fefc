#!/usr/bin/env bash
# Builds bench/loadgen (a load generator on etcd's Go client, clientv3 3.4) offline from Debian's Go packages
# and runs it with the given arguments; optionally against a fresh one-member server it starts first.
#
#   scripts/loadgen.sh [--server etcd|keel] COMMAND [loadgen flags]
#   scripts/loadgen.sh put --endpoints 127.0.0.1:2379 --clients 64 --conns 4 --total 20000 --verify
#   scripts/loadgen.sh --server keel watch --watchers 1000 --streams 10 --put-total 1000
#
#   --server etcd|keel  start a one-member server on a free loopback port in 29000-29999 (data under a mktemp
#                       dir, killed on exit) and point --endpoints at it. Keel is KEEL_BIN, else
#                       .build/release/keel, else .build/debug/keel (a debug build is no benchmark: it warns).
#   COMMAND             put, range, txn-put, watch or authenticate (`scripts/loadgen.sh COMMAND --help` lists the flags)
#
# golang-go and golang-etcd-server-dev (and etcd-server, curl for --server) are installed with apt-get when
# missing. The binary is built into LOADGEN_BIN (default /tmp/keel-loadgen/loadgen) with its Go build cache in
# /tmp/keel-loadgen/gocache; nothing is written to the repository. Exit status is loadgen's (0 ok, 1 an
# assertion failed, 2 bad arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SERVER=""
case "${1:-}" in
    --server) SERVER=${2:?--server needs etcd or keel}; shift 2 ;;
    --server=*) SERVER=${1#--server=}; shift ;;
    -h|--help|"") awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac
case "$SERVER" in
    ""|etcd|keel) ;;
    *) echo "loadgen.sh: --server must be etcd or keel" >&2; exit 2 ;;
esac
log() { printf 'loadgen.sh: %s\n' "$*" >&2; }

GOCODE=/usr/share/gocode
need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d "$GOCODE/src/go.etcd.io/etcd/clientv3" ] || need+=(golang-etcd-server-dev)
if [ -n "$SERVER" ]; then command -v curl >/dev/null 2>&1 || need+=(curl); fi
if [ "$SERVER" = etcd ]; then command -v etcd >/dev/null 2>&1 || need+=(etcd-server); fi
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    log "installing ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- the program: GOPATH's first entry is scratch, Debian's tree is the second -------------------------------
BIN=${LOADGEN_BIN:-/tmp/keel-loadgen/loadgen}
mkdir -p "$(dirname "$BIN")"
GOPATH_SCRATCH=$(mktemp -d /tmp/keel-loadgen-gopath.XXXXXX)
GO111MODULE=off GOFLAGS= GOPATH="$GOPATH_SCRATCH:$GOCODE" GOCACHE="${LOADGEN_GOCACHE:-/tmp/keel-loadgen/gocache}" \
    go build -o "$BIN" ./bench/loadgen || { rm -rf "$GOPATH_SCRATCH"; exit 1; }
rm -rf "$GOPATH_SCRATCH"
[ -n "$SERVER" ] || exec "$BIN" "$@"

# --- a fresh one-member server ------------------------------------------------------------------------------
if [ "$SERVER" = etcd ]; then
    SERVER_BIN=$(command -v etcd)
elif [ -n "${KEEL_BIN:-}" ]; then
    SERVER_BIN=$KEEL_BIN
elif [ -x "$ROOT/.build/release/keel" ]; then
    SERVER_BIN=$ROOT/.build/release/keel
elif [ -x "$ROOT/.build/debug/keel" ]; then
    SERVER_BIN=$ROOT/.build/debug/keel
    log "warning: .build/release/keel is missing; using the DEBUG build (figures mean little)"
else
    log "no keel binary: flock /tmp/keel-build.lock swift build -c release --product keel"
    exit 1
fi
WORK=$(mktemp -d /tmp/keel-loadgen-server.XXXXXX)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
CLIENT_PORT="" PEER_PORT=""
for _ in $(seq 500); do
    p=$((29000 + RANDOM % 1000))
    port_free "$p" || continue
    if [ -z "$CLIENT_PORT" ]; then CLIENT_PORT=$p; elif [ "$p" != "$CLIENT_PORT" ]; then PEER_PORT=$p; break; fi
done
[ -n "$PEER_PORT" ] || { log "no free port in 29000-29999"; exit 1; }
"$SERVER_BIN" --name m1 --data-dir "$WORK/data" \
    --listen-client-urls "http://127.0.0.1:$CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" \
    --initial-cluster "m1=http://127.0.0.1:$PEER_PORT" --initial-cluster-token "loadgen-$$" \
    --initial-cluster-state new >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
deadline=$((SECONDS + 30))
until curl -sf -m 2 "http://127.0.0.1:$CLIENT_PORT/health" 2>/dev/null | grep -q true; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
        log "$SERVER at 127.0.0.1:$CLIENT_PORT exited or was not healthy within 30 s; its log ends:"
        tail -n 15 "$WORK/server.log" >&2 || true
        exit 1
    fi
    sleep 0.2
done
log "$SERVER ($SERVER_BIN) pid $SERVER_PID at 127.0.0.1:$CLIENT_PORT"
rc=0
"$BIN" "$@" --endpoints "127.0.0.1:$CLIENT_PORT" || rc=$?
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "$SERVER exited during the run; its log ends:"
    tail -n 15 "$WORK/server.log" >&2 || true
    [ "$rc" != 0 ] || rc=1
fi
exit "$rc"
