#!/usr/bin/env bash
# capture-v2.sh - start a fresh, loopback-only `etcd --enable-v2` (3.4) and record how its v2 keys API
# answers a fixed sequence of requests, into $OUT (default: the repository's
# Tests/RealNetTests/Fixtures/v2-transcript.txt). V2TranscriptTests replays the file against keel.
#
#   ./capture-v2.sh                      # ports 2379/2380, data dir /tmp/etcd-ref-v2 (wiped first)
#   CPORT=22379 PPORT=22380 DATA=/tmp/x OUT=/tmp/v2.txt ./capture-v2.sh
#
# Needs: etcd 3.4 (Debian: etcd-server), curl.
# Transcript format, per request:
#   ### N. title
#   > METHOD /path?query       request line (HTTP/1.1, curl)
#   > form: value=x&ttl=5      a form body, sent as application/x-www-form-urlencoded
#   < HTTP/1.1 200 OK          status line and response headers (Date left out)
#   <blank line, then the exact body; "#   (no newline at end)" follows a body that had none>
# Indexes in request paths (waitIndex, prevIndex) are etcd's: the replay maps them to keel's.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(cd "$HERE/../.." && pwd)/Tests/RealNetTests/Fixtures/v2-transcript.txt}
CPORT=${CPORT:-2379}
PPORT=${PPORT:-2380}
DATA=${DATA:-/tmp/etcd-ref-v2}
ETCD=${ETCD:-etcd}
E=http://127.0.0.1:$CPORT
PEER=http://127.0.0.1:$PPORT
WORK=$(mktemp -d /tmp/etcd-capture-v2.XXXXXX)

for p in $CPORT $PPORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; set CPORT/PPORT" >&2; exit 1; fi
done

rm -rf "$DATA"
"$ETCD" --name ref --data-dir "$DATA" --enable-v2 \
  --listen-client-urls "$E" --advertise-client-urls "$E" \
  --listen-peer-urls "$PEER" --initial-advertise-peer-urls "$PEER" \
  --initial-cluster "ref=$PEER" --initial-cluster-token etcd-ref-v2 --initial-cluster-state new \
  >"$WORK/etcd.log" 2>&1 &
EPID=$!
cleanup() { kill "$EPID" 2>/dev/null; wait "$EPID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 100); do
  curl -s "$E/health" 2>/dev/null | grep -q true && break
  sleep 0.1
done

N=0
{
  echo "# etcd's v2 keys API (--enable-v2): sets, gets, directories, CAS/CAD, in-order keys, TTLs, errors, waits."
  echo "# Captured by capture-v2.sh from $("$ETCD" --version | head -1) on 127.0.0.1:$CPORT (single member 'ref')."
  echo "# Date response headers omitted; bodies exact."
  echo
} >"$OUT"

# req <title> <method> <path> [form]: one request; the index it answered at is left in $IDX.
req() {
  local title=$1 method=$2 path=$3 form=${4-}
  N=$((N + 1))
  local args=(-s --http1.1 -X "$method" -D "$WORK/h" -o "$WORK/b" --max-time 10 -H 'Expect:')
  [ "$method" = HEAD ] && args=(-s --http1.1 -I -D "$WORK/h" -o /dev/null --max-time 10)
  [ $# -ge 4 ] && args+=(--data-binary "$form" -H 'Content-Type: application/x-www-form-urlencoded')
  : >"$WORK/h"; : >"$WORK/b"
  curl "${args[@]}" "$E$path"
  IDX=$(tr -d '\r' <"$WORK/h" | sed -n 's/^X-Etcd-Index: //p')
  {
    echo "### $N. $title"
    echo "> $method $path"
    [ $# -ge 4 ] && echo "> form: $form"
    tr -d '\r' <"$WORK/h" | awk '/^$/ { exit } /^Date:/ { next } { print "< " $0 }'
    echo
    cat "$WORK/b"
    if [ -s "$WORK/b" ] && [ "$(tail -c1 "$WORK/b" | od -An -c | tr -d ' ')" != '\n' ]; then
      echo
      echo "#   (no newline at end)"
    fi
    echo
  } >>"$OUT"
}

req "set a new key" PUT /v2/keys/message "value=Hello"
req "set it again: prevNode" PUT /v2/keys/message "value=Hello%20World"
req "get it" GET /v2/keys/message
req "HEAD: headers only" HEAD /v2/keys/message
req "get a missing key: 100" GET /v2/keys/nokey
req "make a directory" PUT /v2/keys/dir "dir=true"
req "set keys inside" PUT /v2/keys/dir/a "value=1"
req "set a nested key (creates /dir/sub)" PUT /v2/keys/dir/sub/b "value=2"
req "get the directory" GET /v2/keys/dir
req "get the directory, recursive and sorted" GET "/v2/keys/dir?recursive=true&sorted=true"
req "the root, recursive and sorted" GET "/v2/keys/?recursive=true&sorted=true"
req "a key under a file: 104" PUT /v2/keys/message/x "value=1"
req "set a value on a directory: 102" PUT /v2/keys/dir "value=1"
req "delete a directory without dir: 102" DELETE /v2/keys/dir
req "delete a non-empty directory with dir=true: 108" DELETE "/v2/keys/dir?dir=true"
req "make an existing directory: 102" PUT /v2/keys/dir "dir=true"
req "create an existing key (prevExist=false): 105" PUT /v2/keys/message "value=x&prevExist=false"
req "update a missing key (prevExist=true): 100" PUT /v2/keys/nothere "value=x&prevExist=true"
req "update an existing key" PUT /v2/keys/message "value=Updated&prevExist=true"
req "create a new key" PUT /v2/keys/created "value=c&prevExist=false"
req "CAS by value: success" PUT "/v2/keys/message?prevValue=Updated" "value=Swapped"
req "CAS by value: failure 101" PUT "/v2/keys/message?prevValue=x" "value=No"
MIDX=$IDX
req "CAS by index: failure 101" PUT "/v2/keys/message?prevIndex=1" "value=No"
req "get for the modifiedIndex" GET /v2/keys/created
CIDX=$(sed -n 's/.*"modifiedIndex":\([0-9]*\).*/\1/p' "$WORK/b" | head -1)
req "CAS by index: success" PUT "/v2/keys/created?prevIndex=$CIDX" "value=c2"
req "CAS by value and index: both wrong, 101" PUT "/v2/keys/created?prevValue=a&prevIndex=1" "value=x"
req "CAS on a missing key: 100" PUT "/v2/keys/nothere?prevValue=a" "value=x"
req "CAS on a directory: 102" PUT "/v2/keys/dir?prevValue=a" "value=x"
req "CAD by value: failure 101" DELETE "/v2/keys/created?prevValue=nope"
req "CAD by index: failure 101" DELETE "/v2/keys/created?prevIndex=1"
req "CAD by value: success" DELETE "/v2/keys/created?prevValue=c2"
req "CAD on a missing key: 100" DELETE "/v2/keys/created?prevValue=c2"
req "POST in order" POST /v2/keys/queue "value=job1"
req "POST in order again" POST /v2/keys/queue "value=job2"
req "the queue, sorted" GET "/v2/keys/queue?sorted=true"
req "set with a TTL" PUT /v2/keys/ttl "value=v&ttl=100"
req "get it: ttl and expiration" GET /v2/keys/ttl
req "refresh the TTL without a value" PUT /v2/keys/ttl "ttl=200&refresh=true&prevExist=true"
req "remove the TTL" PUT /v2/keys/ttl "value=v&ttl="
req "a directory with a TTL" PUT /v2/keys/tdir "dir=true&ttl=100"
req "set a key for the wait" PUT /v2/keys/watched "value=first"
WIDX=$IDX
req "change it" PUT /v2/keys/watched "value=second"
req "wait answered from history (waitIndex in the past)" GET "/v2/keys/watched?wait=true&waitIndex=$WIDX"
req "recursive wait answered from history" GET "/v2/keys/?wait=true&recursive=true&waitIndex=$WIDX"
req "delete a key" DELETE /v2/keys/message
req "delete it again: 100" DELETE /v2/keys/message
req "delete an empty directory with dir=true" DELETE "/v2/keys/tdir?dir=true"
req "delete a directory recursively" DELETE "/v2/keys/dir?recursive=true"
req "delete the root: 107" DELETE "/v2/keys/?recursive=true"
req "set the root: 107" PUT /v2/keys/ "value=x"
req "empty prevValue: 201" PUT "/v2/keys/k?prevValue=" "value=x"
req "bad ttl: 202" PUT /v2/keys/k "value=x&ttl=abc"
req "bad prevIndex: 203" PUT "/v2/keys/k?prevIndex=abc" "value=x"
req "bad recursive: 209" GET "/v2/keys/k?recursive=maybe"
req "wait on a PUT: 209" PUT "/v2/keys/k?wait=true" "value=x"
req "bad escape in the query: 210" GET "/v2/keys/k?x=%zz"
req "bad waitIndex: 203" GET "/v2/keys/k?wait=true&waitIndex=abc"
req "the root, not recursive, sorted" GET "/v2/keys/?sorted=true"
echo "wrote $N exchanges to $OUT (last index $IDX, CAS failure index $MIDX)" >&2
