#!/usr/bin/env bash
# Runs etcd's own Go client (go.etcd.io/etcd/clientv3 3.4, the client Kubernetes uses; the program is
# interop/clientv3) against a fresh loopback etcd and/or a fresh keel, and prints a summary. With
# --client python it runs python-etcd3 (PyPI's grpcio client, interop/python/etcd3_check.py) instead.
#
#   scripts/clientv3-check.sh [keel|etcd|both] [--members N] [--checks a,b,...] [--keep] [--client go|python]
#
#   keel|etcd|both   which servers to check (default both)
#   --members N      members per cluster (default 1; 3 starts a three-member cluster of each)
#   --checks LIST    run only these checks (names: `--checks list`)
#   --keep           keep the logs even when every check passed
#   --build-keel     run `swift build --product keel` first even if .build/debug/keel exists
#   --client C       go (default): interop/clientv3; python: interop/python in a venv from PyPI (etcd3 0.12 with
#                    the protobuf 3.20 and tenacity 6 it was built for; PYTHON_CLIENT_VENV names the venv)
#
# The program builds offline from Debian's Go packages; whatever is missing (golang-go, golang-etcd-server-dev,
# etcd-server, curl) is installed with apt-get. Keel is .build/debug/keel (built if missing; KEEL_BIN
# overrides it). Servers listen on free ports in 29000-29999, keep their data under a mktemp dir and are
# killed on exit. Exit status: 0 if every check passed on every server, 1 otherwise, 2 for bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TARGET=both
MEMBERS=1
CHECKS=""
KEEP=0
BUILD_KEEL=0
CLIENT=go
while [ $# -gt 0 ]; do
    case "$1" in
        keel|etcd|both) TARGET=$1 ;;
        --members) MEMBERS=${2:?--members needs a number}; shift ;;
        --members=*) MEMBERS=${1#--members=} ;;
        --checks) CHECKS=${2:?--checks needs a list}; shift ;;
        --checks=*) CHECKS=${1#--checks=} ;;
        --keep) KEEP=1 ;;
        --build-keel) BUILD_KEEL=1 ;;
        --client) CLIENT=${2:?--client needs go or python}; shift ;;
        --client=*) CLIENT=${1#--client=} ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "clientv3-check: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$CLIENT" in
    go|python) ;;
    *) echo "clientv3-check: --client must be go or python" >&2; exit 2 ;;
esac
case "$MEMBERS" in
    [1-9]) ;;
    *) echo "clientv3-check: --members must be 1..9" >&2; exit 2 ;;
esac

log() { printf 'clientv3-check: %s\n' "$*" >&2; }

# --- what must be installed -------------------------------------------------------------------------------
GOCODE=/usr/share/gocode
need=()
if [ "$CLIENT" = go ]; then
    command -v go >/dev/null 2>&1 || need+=(golang-go)
    [ -d "$GOCODE/src/go.etcd.io/etcd/clientv3" ] || need+=(golang-etcd-server-dev)
else
    command -v python3 >/dev/null 2>&1 || need+=(python3)
    python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
fi
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ "$TARGET" != keel ]; then command -v etcd >/dev/null 2>&1 || need+=(etcd-server); fi
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    log "installing ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/clientv3-check.XXXXXX)
PIDS=()
FAILED=0
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "$KEEP" = 1 ] || [ "$FAILED" != 0 ]; then
        rm -rf "$WORK"/*/data "$WORK/gopath" "$WORK/clientv3"
        log "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the program ---------------------------------------------------------------------------------------------
if [ "$CLIENT" = go ]; then
    BIN=$WORK/clientv3
    mkdir -p "$WORK/gopath"
    log "building interop/clientv3"
    # GOPATH's first entry is scratch (nothing lands in the repo); the build cache survives runs under /tmp.
    GO111MODULE=off GOFLAGS= GOPATH="$WORK/gopath:$GOCODE" GOCACHE="${CLIENTV3_GOCACHE:-/tmp/keel-clientv3-gocache}" \
        go build -o "$BIN" ./interop/clientv3
    if [ "$CHECKS" = list ]; then "$BIN" -list; exit 0; fi
else
    VENV=${PYTHON_CLIENT_VENV:-/tmp/keel-python-etcd3}
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import etcd3' 2>/dev/null; then
        log "installing python-etcd3 into $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q "etcd3==0.12.0" "protobuf==3.20.3" "tenacity==6.3.1" grpcio >&2
    fi
    BIN=$WORK/etcd3-check
    printf '#!/bin/sh\nPROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python exec "%s" "%s" "$@"\n' \
        "$VENV/bin/python" "$ROOT/interop/python/etcd3_check.py" >"$BIN"
    chmod +x "$BIN"
    if [ "$CHECKS" = list ]; then "$BIN" --endpoints x:0 --checks list; exit 0; fi
fi

# --- servers -------------------------------------------------------------------------------------------------
TAKEN=" "
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port sets PORT to a port in 29000-29999 that nothing listens on and this run has not taken yet.
free_port() {
    local p tries=0
    while [ $tries -lt 500 ]; do
        p=$((29000 + RANDOM % 1000))
        tries=$((tries + 1))
        case "$TAKEN" in *" $p "*) continue ;; esac
        if port_free "$p"; then TAKEN="$TAKEN$p "; PORT=$p; return 0; fi
    done
    log "no free port in 29000-29999"
    return 1
}

# start_cluster KIND BINARY: starts MEMBERS members with etcd's flags; sets ENDPOINTS (comma-separated).
start_cluster() {
    local kind=$1 bin=$2 i cluster="" token="clientv3-check-$kind-$$"
    local -a client peer pid
    for i in $(seq 1 "$MEMBERS"); do
        free_port; client[i]=$PORT
        free_port; peer[i]=$PORT
        cluster="${cluster:+$cluster,}m$i=http://127.0.0.1:${peer[i]}"
    done
    mkdir -p "$WORK/$kind/data"
    ENDPOINTS=""
    for i in $(seq 1 "$MEMBERS"); do
        "$bin" --name "m$i" --data-dir "$WORK/$kind/data/m$i" \
            --listen-client-urls "http://127.0.0.1:${client[i]}" \
            --advertise-client-urls "http://127.0.0.1:${client[i]}" \
            --listen-peer-urls "http://127.0.0.1:${peer[i]}" \
            --initial-advertise-peer-urls "http://127.0.0.1:${peer[i]}" \
            --initial-cluster "$cluster" --initial-cluster-token "$token" --initial-cluster-state new \
            >"$WORK/$kind/m$i.log" 2>&1 &
        pid[i]=$!
        PIDS+=("${pid[i]}")
        ENDPOINTS="${ENDPOINTS:+$ENDPOINTS,}127.0.0.1:${client[i]}"
    done
    local deadline=$((SECONDS + 30))
    for i in $(seq 1 "$MEMBERS"); do
        until curl -sf -m 2 "http://127.0.0.1:${client[i]}/health" 2>/dev/null | grep -q true; do
            if ! kill -0 "${pid[i]}" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
                log "$kind member m$i (127.0.0.1:${client[i]}) exited or was not healthy within 30 s; its log ends:"
                tail -n 15 "$WORK/$kind/m$i.log" >&2 || true
                return 1
            fi
            sleep 0.2
        done
    done
}

keel_binary() {
    if [ -n "${KEEL_BIN:-}" ]; then echo "$KEEL_BIN"; return; fi
    if [ "$BUILD_KEEL" = 1 ] || [ ! -x "$ROOT/.build/debug/keel" ]; then
        log "building keel (.build/debug/keel)"
        # Builds share the machine's two cores: wait for the lock, but not forever.
        flock -w 1800 /tmp/keel-build.lock swift build --product keel >&2
    fi
    echo "$ROOT/.build/debug/keel"
}

SUMMARY=()
run_against() {
    local kind=$1 bin=$2 start=$SECONDS rc=0
    log "starting $MEMBERS-member $kind"
    if ! start_cluster "$kind" "$bin"; then
        SUMMARY+=("$kind: did not start (logs in $WORK/$kind)")
        FAILED=1
        return
    fi
    log "checking $kind at $ENDPOINTS"
    echo "== $kind with the $CLIENT client ($MEMBERS member(s), $ENDPOINTS)"
    "$BIN" --endpoints "$ENDPOINTS" --members "$MEMBERS" ${CHECKS:+--checks "$CHECKS"} \
        | tee "$WORK/$kind/result.txt" || rc=$?
    local counts failed_names
    counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/$kind/result.txt" || echo "no checks ran")
    failed_names=$(sed -n 's/^FAIL \([^:]*\):.*/\1/p' "$WORK/$kind/result.txt" | paste -sd ' ')
    SUMMARY+=("$kind: $counts in $((SECONDS - start)) s${failed_names:+ (failed: $failed_names)}")
    [ "$rc" = 0 ] || FAILED=1
}

if [ "$TARGET" != keel ]; then run_against etcd "$(command -v etcd)"; fi
if [ "$TARGET" != etcd ]; then
    if KEEL=$(keel_binary); then
        run_against keel "$KEEL"
    else
        SUMMARY+=("keel: swift build failed or its lock stayed busy")
        FAILED=1
    fi
fi

echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
exit "$FAILED"
