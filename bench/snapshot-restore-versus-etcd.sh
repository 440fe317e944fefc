#!/usr/bin/env bash
# Restore speed of an etcd backup: `etcdctl snapshot restore` versus `keelctl snapshot restore` of the same
# `etcdctl snapshot save` file (issue 18, "restore of a 1M-key etcd snapshot").
#
#   bench/snapshot-restore-versus-etcd.sh [KEYS (default 1000000)] [RUNS (default 3)]
#
# A fresh one-member etcd (Debian's, 3.4) on loopback is filled with KEYS distinct keys (32-byte keys, 64-byte
# values) by bench/loadgen put (64 clients on 8 connections, through scripts/loadgen.sh), saved with
# `etcdctl snapshot save`, and stopped. Then RUNS rounds, interleaved (etcd, keel, etcd, keel, ...), each
# restoring the file into a new data dir; the wall time of each restore is taken. Prints each run, both medians
# and keel/etcd. Finally keel is started from its last restored data dir and must count KEYS keys.
# KEELCTL_BIN and KEEL_BIN (default .build/release/keelctl and keel) pick keel's binaries; WORK_DIR (default a
# mktemp dir under /tmp, removed on exit) is where the data dirs go.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
KEYS=${1:-1000000}
RUNS=${2:-3}
KEELCTL=${KEELCTL_BIN:-$ROOT/.build/release/keelctl}
KEEL=${KEEL_BIN:-$ROOT/.build/release/keel}
log() { printf 'snapshot-restore: %s\n' "$*" >&2; }
for bin in "$KEELCTL" "$KEEL"; do
    [ -x "$bin" ] || { log "missing $bin: flock /tmp/keel-build.lock swift build -c release"; exit 1; }
done
command -v etcd >/dev/null && command -v etcdctl >/dev/null || { log "needs etcd and etcdctl (etcd-server, etcd-client)"; exit 1; }
export ETCDCTL_API=3

WORK=${WORK_DIR:-$(mktemp -d /tmp/keel-snapshot-restore.XXXXXX)}
mkdir -p "$WORK"
PID=""
stop() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi
}
cleanup() { stop; [ -n "${WORK_DIR:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    for _ in $(seq 500); do
        local p=$((29000 + RANDOM % 1000))
        if port_free "$p" && [ "$p" != "${1:-}" ]; then echo "$p"; return; fi
    done
    log "no free port in 29000-29999"; exit 1
}
# start BIN DATADIR [PEER_PORT]: a one-member server named m1 on loopback ports; sets PID and ENDPOINT.
start() {
    local client peer
    client=$(free_port "${3:-}") peer=${3:-$(free_port "$client")}
    "$1" --name m1 --data-dir "$2" --quota-backend-bytes 8589934592 \
        --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
        --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
        --initial-cluster "m1=http://127.0.0.1:$peer" --initial-cluster-token restore-bench \
        --initial-cluster-state new >"$WORK/server.log" 2>&1 &
    PID=$!
    ENDPOINT=127.0.0.1:$client
    local deadline=$((SECONDS + 60))
    until etcdctl --endpoints "$ENDPOINT" endpoint health >/dev/null 2>&1; do
        if ! kill -0 "$PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            log "$1 did not become healthy; its log ends:"; tail -n 15 "$WORK/server.log" >&2; exit 1
        fi
        sleep 0.2
    done
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- the etcd snapshot ----------------------------------------------------------------------------------------
start "$(command -v etcd)" "$WORK/etcd-source"
log "filling etcd at $ENDPOINT with $KEYS keys"
t0=$(now_ms)
scripts/loadgen.sh put --endpoints "$ENDPOINT" --clients 64 --conns 8 --total "$KEYS" --key-size 32 --val-size 64 \
    --key-prefix restore/ >"$WORK/loadgen.log" 2>&1 || { log "loadgen failed:"; tail -n 20 "$WORK/loadgen.log" >&2; exit 1; }
log "filled in $(( ($(now_ms) - t0) / 1000 )) s"
count=$(etcdctl --endpoints "$ENDPOINT" get restore/ --prefix --limit 1 -w json | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
[ "$count" = "$KEYS" ] || { log "etcd holds $count keys under restore/, expected $KEYS"; exit 1; }
etcdctl --endpoints "$ENDPOINT" snapshot save "$WORK/backup.db" >/dev/null 2>"$WORK/save.log"
stop
etcdctl snapshot status "$WORK/backup.db" -w table >&2
size=$(stat -c %s "$WORK/backup.db")

# --- restores, interleaved (both as member m1 at the peer URL keel is started with afterwards) -------------------
RESTORE_PEER=$(free_port)
restore_flags=(--name m1 --initial-cluster "m1=http://127.0.0.1:$RESTORE_PEER"
               --initial-advertise-peer-urls "http://127.0.0.1:$RESTORE_PEER" --initial-cluster-token restore-bench)
etcd_ms=() keel_ms=()
for run in $(seq "$RUNS"); do
    rm -rf "$WORK/etcd-restored" "$WORK/keel-restored"
    sync
    t0=$(now_ms)
    etcdctl snapshot restore "$WORK/backup.db" --data-dir "$WORK/etcd-restored" "${restore_flags[@]}" >/dev/null 2>"$WORK/etcd-restore.log" \
        || { log "etcdctl snapshot restore failed:"; cat "$WORK/etcd-restore.log" >&2; exit 1; }
    etcd_ms+=($(( $(now_ms) - t0 )))
    sync
    t0=$(now_ms)
    "$KEELCTL" snapshot restore "$WORK/backup.db" --data-dir "$WORK/keel-restored" "${restore_flags[@]}" >/dev/null 2>"$WORK/keel-restore.log" \
        || { log "keelctl snapshot restore failed:"; cat "$WORK/keel-restore.log" >&2; exit 1; }
    keel_ms+=($(( $(now_ms) - t0 )))
    log "run $run: etcdctl ${etcd_ms[-1]} ms, keelctl ${keel_ms[-1]} ms"
done

# --- keel serves what it restored -----------------------------------------------------------------------------
start "$KEEL" "$WORK/keel-restored" "$RESTORE_PEER"
count=$(etcdctl --endpoints "$ENDPOINT" get restore/ --prefix --limit 1 -w json | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
stop
[ "$count" = "$KEYS" ] || { log "keel restored $count keys under restore/, expected $KEYS"; exit 1; }

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
etcd_median=$(median "${etcd_ms[@]}")
keel_median=$(median "${keel_ms[@]}")
echo "snapshot: $KEYS keys, $size bytes; $RUNS interleaved runs"
echo "etcdctl snapshot restore: median ${etcd_median} ms (runs: ${etcd_ms[*]})"
echo "keelctl snapshot restore: median ${keel_median} ms (runs: ${keel_ms[*]})"
awk -v k="$keel_median" -v e="$etcd_median" 'BEGIN { printf "keel/etcd: %.2f\n", k / e }'
echo "keel started from its restore and serves all $KEYS keys"
