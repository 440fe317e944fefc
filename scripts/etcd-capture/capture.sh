#!/usr/bin/env bash
# capture.sh - start a fresh, loopback-only etcd 3.4 and record how its v3 HTTP/JSON gateway
# answers a fixed sequence of requests. Each section goes to $OUT/NN-<name>.txt
# (default: the repository's Tests/RealNetTests/Fixtures/etcd-api).
#
#   ./capture.sh                 # uses ports 2379/2380 and data dir /tmp/etcd-ref (wiped first)
#   CPORT=22379 PPORT=22380 DATA=/tmp/x ./capture.sh
#   OUT=/tmp/caps ./capture.sh     # write the transcripts elsewhere
#
# Needs: etcd + etcdctl 3.4 (Debian: etcd-server etcd-client), curl, jq, python3, base64.
# Transcript format, per request:
#   ### N. title
#   > METHOD /path            request line; "> Header: v" for headers we set; "> {body}"
#   #   decoded: ...          base64 bytes fields of the JSON shown decoded (annotation only)
#   < HTTP/1.1 200 OK         status line and response headers (Date and the three
#                             Access-Control-* headers are left out; 00-misc.txt shows them)
#   < [trailer] X: y          HTTP trailers, when the response has any
#   <blank line, then the exact body bytes; a newline is added if the body has none>
# Streamed requests (watch, keepalive, observe, snapshot) run with curl -N for a few seconds
# while other requests ("meanwhile") are made; the stream is shown as received.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(cd "$HERE/../.." && pwd)/Tests/RealNetTests/Fixtures/etcd-api}  # where captures are written
mkdir -p "$OUT"
CPORT=${CPORT:-2379}
PPORT=${PPORT:-2380}
DATA=${DATA:-/tmp/etcd-ref}
ETCD=${ETCD:-etcd}
ETCDCTL=${ETCDCTL:-etcdctl}
E=http://127.0.0.1:$CPORT
PEER=http://127.0.0.1:$PPORT
# peer ports for members that never start: privileged ports nothing listens on, so the reference
# etcd never reaches another process (e.g. someone else's etcd on 12380) when it dials them
FAKE1=1 FAKE2=2 FAKE3=3 FAKE4=4
WORK=$(mktemp -d /tmp/etcd-capture.XXXXXX)
# call the real interpreter directly (a pyenv shim costs a shell and ~100 ms per call)
PY=$(python3 -c 'import sys; print(sys.executable)')
python3() { "$PY" "$@"; }
DEC="python3 $HERE/decode.py"
export ETCDCTL_API=3

for p in $CPORT $PPORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; set CPORT/PPORT" >&2; exit 1; fi
done

rm -rf "$DATA"
"$ETCD" --name ref --data-dir "$DATA" \
  --listen-client-urls "$E" --advertise-client-urls "$E" \
  --listen-peer-urls "$PEER" --initial-advertise-peer-urls "$PEER" \
  --initial-cluster "ref=$PEER" --initial-cluster-token etcd-ref --initial-cluster-state new \
  --experimental-watch-progress-notify-interval 2s \
  >"$WORK/etcd.log" 2>&1 &
EPID=$!
cleanup() { kill "$EPID" 2>/dev/null; wait "$EPID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 100); do
  curl -s "$E/health" 2>/dev/null | grep -q true && break
  sleep 0.1
done

N=0
CUR=/dev/null
section() { # section <file-stem> <title>
  CUR="$OUT/$1.txt"
  {
    echo "# $2"
    echo "# Captured by capture.sh from $("$ETCD" --version | head -1) on 127.0.0.1:$CPORT (single member 'ref')."
    echo "# Date and Access-Control-* response headers omitted; bodies exact."
    echo
  } >"$CUR"
}
note() { echo "# $*" >>"$CUR"; }

# headers <file>: print status line + headers as "< ...", trailers as "< [trailer] ..."
headers() {
  awk -v keep="${KEEPALL:-0}" '
    { sub(/\r$/, "") }
    part == 0 && /^$/ { part = 1; next }
    part == 0 {
      if (keep != "1" && ($0 ~ /^Date:/ || $0 ~ /^Access-Control-/)) next
      print "< " $0; next }
    part == 1 && NF { print "< [trailer] " $0 }' "$1"
}

# emit <title> <method> <path> <shown-body> <curl-rc> [request headers...]
emit() {
  local title=$1 method=$2 path=$3 shown=$4 rc=$5; shift 5
  {
    echo "### $N. $title"
    echo "> $method $path"
    local h
    for h in "$@"; do echo "> $h"; done
    if [ -n "$shown" ]; then
      echo "> $shown"
      printf '%s' "$shown" | $DEC note
    fi
    if [ -s "$WORK/side" ]; then cat "$WORK/side"; fi
    if [ -s "$WORK/h" ]; then headers "$WORK/h"; else echo "< (nothing received: no status line, no headers)"; fi
    echo
    if [ -n "${ELIDE:-}" ]; then
      echo "(body of $(wc -c <"$WORK/b") bytes elided: $ELIDE)"
    else
      if [ "${SHRINK:-0}" = 1 ]; then $DEC shrink <"$WORK/b"; else cat "$WORK/b"; fi
      if [ -s "$WORK/b" ] && [ "$(tail -c1 "$WORK/b" | od -An -c | tr -d ' ')" != '\n' ]; then
        echo
        [ "${STREAMED:-0}" = 1 ] && echo "#   (the last line above arrived without a trailing newline)"
      fi
      if [ "${SHRINK:-0}" != 1 ]; then $DEC note <"$WORK/b"; fi
    fi
    [ "$rc" = 28 ] && echo "#   (curl stopped reading after ${SECS:-?}s; the server kept the stream open)"
    [ "$rc" != 0 ] && [ "$rc" != 28 ] && echo "#   (curl exit status $rc: $(head -c 300 "$WORK/err"))"
    echo
  } >>"$CUR"
  : >"$WORK/side"
}

# req <title> <path> <body> [header...]
#   env: METHOD (POST), NOBODY=1 (send no body), BODYFILE=<file> (send file, show $4 as the body)
req() {
  local title=$1 path=$2 body=$3; shift 3
  local method=${METHOD:-POST} hdr=() h
  N=$((N + 1))
  [ "${NOCT:-0}" = 1 ] || hdr+=("Content-Type: application/json")
  for h in "$@"; do hdr+=("$h"); done
  local args=(-sS --http1.1 -X "$method" -D "$WORK/h" -o "$WORK/b" --max-time "${MAXT:-20}" -H 'Expect:')
  for h in "${hdr[@]}"; do args+=(-H "$h"); done
  if [ -n "${BODYFILE:-}" ]; then args+=(--data-binary "@$BODYFILE")
  elif [ "${NOBODY:-0}" != 1 ]; then args+=(--data-binary "$body"); fi
  : >"$WORK/h"; : >"$WORK/b"
  curl "${args[@]}" "$E$path" 2>"$WORK/err"
  local rc=$?
  cp "$WORK/b" "$WORK/last"
  emit "$title" "$method" "$path" "$body" "$rc" "${hdr[@]}"
}

# stream <title> <path> <body> <seconds> [action-function]  (POST, curl -N, action runs meanwhile)
stream() {
  local title=$1 path=$2 body=$3 secs=$4 action=${5:-}
  N=$((N + 1))
  local hdr=("Content-Type: application/json") h args
  for h in "${SHDR[@]+"${SHDR[@]}"}"; do hdr+=("$h"); done
  args=(-sS -N --http1.1 -X POST -D "$WORK/h" -o "$WORK/b" --max-time "$secs")
  for h in "${hdr[@]}"; do args+=(-H "$h"); done
  : >"$WORK/h"; : >"$WORK/b"
  curl "${args[@]}" -H 'Expect:' --data-binary "$body" "$E$path" 2>"$WORK/err" &
  local cpid=$!
  case "$body" in @*) body="<$(wc -c <"${body#@}") bytes from $(basename "${body#@}"): see the title>" ;; esac
  sleep 0.7
  if [ -n "$action" ]; then "$action"; fi
  wait "$cpid"
  local rc=$?
  STREAMED=1 SECS=$secs emit "$title" POST "$path" "$body" "$rc" "${hdr[@]}"
}

# side <path> <body> [header...]: a request made while a stream is open; logged compactly
side() {
  local path=$1 body=$2; shift 2
  local args=(-sS --http1.1 -X POST -H 'Content-Type: application/json') h
  for h in "$@"; do args+=(-H "$h"); done
  local out
  out=$(curl "${args[@]}" --data-binary "$body" -w ' [HTTP %{http_code}]' "$E$path" 2>&1)
  printf '#   meanwhile: POST %s %s -> %s\n' "$path" "$body" "$out" >>"$WORK/side"
  printf '%s' "${out% \[HTTP*}" >"$WORK/sidelast"
}
# wsreq <title> <path> <seconds> <action-or-""> <msg>...: same gateway path over a WebSocket
wsreq() {
  local title=$1 path=$2 secs=$3 action=$4; shift 4
  N=$((N + 1))
  python3 "$HERE/ws.py" 127.0.0.1 "$CPORT" "$path" "$secs" "$@" >"$WORK/ws" 2>&1 &
  local wpid=$!
  sleep 0.7
  if [ -n "$action" ]; then "$action"; fi
  wait "$wpid"
  {
    echo "### $N. $title"
    echo "> GET $path  (Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Version: 13)"
    if [ -s "$WORK/side" ]; then cat "$WORK/side"; fi
    cat "$WORK/ws"
    echo
  } >>"$CUR"
  : >"$WORK/side"
}
j() { jq -r "$1" "$WORK/last"; }  # read a field of the last response body
: >"$WORK/side"
SHDR=()

###########################################################################################
section 00-misc "Non-gRPC endpoints on the client port, CORS, path aliases, JSON input leniency"
KEEPALL=1 METHOD=GET NOBODY=1 NOCT=1 req "GET /version (all headers kept)" /version ""
KEEPALL=1 METHOD=GET NOBODY=1 NOCT=1 req "GET /health" /health ""
KEEPALL=1 METHOD=GET NOBODY=1 NOCT=1 req "GET / (nothing there)" / ""
KEEPALL=1 req "put: full header set of a gateway success" /v3/kv/put '{"key":"Zm9v","value":"YmFy"}'
KEEPALL=1 req "range on missing key: full header set of a gRPC error passed through the gateway" /v3/kv/range '{}'
KEEPALL=1 req "bad JSON: full header set of an error raised by the gateway itself" /v3/kv/range '{"key":'
KEEPALL=1 METHOD=OPTIONS NOBODY=1 NOCT=1 req "CORS preflight" /v3/kv/range "" "Origin: http://example.com" "Access-Control-Request-Method: POST"
KEEPALL=1 req "Origin header on a normal request" /v3/kv/range '{"key":"Zm9v"}' "Origin: http://example.com"
req "/v3beta/ is rewritten to /v3/ in 3.4" /v3beta/kv/range '{"key":"Zm9v"}'
req "/v3alpha/ is gone in 3.4" /v3alpha/kv/range '{"key":"Zm9v"}'
NOCT=1 req "no Content-Type header at all: body still parsed as JSON" /v3/kv/range '{"key":"Zm9v"}'
NOCT=1 req "form Content-Type (curl -d default): body still parsed as JSON" /v3/kv/range '{"key":"Zm9v"}' "Content-Type: application/x-www-form-urlencoded"
req "lowerCamelCase field names accepted (keysOnly, countOnly)" /v3/kv/range '{"key":"Zm9v","keysOnly":true}'
req "original proto field names accepted (keys_only)" /v3/kv/range '{"key":"Zm9v","keys_only":true}'
req "unknown fields are silently ignored" /v3/kv/range '{"key":"Zm9v","no_such_field":[1,2,3]}'
req "field names are case sensitive: 'ttl' and 'id' are unknown (ignored), so TTL=0" /v3/lease/grant '{"ttl":60,"id":77}'
req "int64 given as a JSON number" /v3/kv/range '{"key":"Zm9v","limit":1}'
req "int64 given as a JSON string" /v3/kv/range '{"key":"Zm9v","limit":"1"}'
req "enum given by name" /v3/kv/range '{"key":"Zm9v","sort_order":"DESCEND","sort_target":"KEY"}'
req "enum given by number" /v3/kv/range '{"key":"Zm9v","sort_order":2,"sort_target":0}'
req "JSON null for a field = field unset" /v3/kv/range '{"key":"Zm9v","range_end":null,"limit":null}'
req "booleans given as strings are rejected" /v3/kv/range '{"key":"Zm9v","keys_only":"true"}'
req "bytes field: standard base64 with padding" /v3/kv/range '{"key":"Zm9vMQ=="}'
req "bytes field: unpadded base64" /v3/kv/range '{"key":"Zm9vMQ"}'
req "bytes field: URL-safe alphabet (- and _)" /v3/kv/range '{"key":"-_-_"}'
req "empty JSON object body on an RPC without fields" /v3/maintenance/status '{}'
NOBODY=1 req "empty body (no bytes) on an RPC without fields" /v3/maintenance/status ""
req "JSON array instead of object" /v3/kv/range '[]'
req "trailing garbage after the JSON object" /v3/kv/range '{"key":"Zm9v"} xyz'
KEEPALL=1 METHOD=GET NOBODY=1 NOCT=1 req "GET on a gateway path: full header set of the 405" /v3/kv/range ""
KEEPALL=1 req "unknown path under /v3/: full header set of the 404" /v3/kv/nope '{}'

###########################################################################################
section 01-kv "KV: put, range, deleterange"
req "put foo=bar" /v3/kv/put '{"key":"Zm9v","value":"YmFy"}'
req "put foo=baz with prev_kv" /v3/kv/put '{"key":"Zm9v","value":"YmF6","prev_kv":true}'
req "put prev_kv on a new key: prev_kv absent" /v3/kv/put '{"key":"Zm9vMQ==","value":"djE=","prev_kv":true}'
req "put foo2=v2" /v3/kv/put '{"key":"Zm9vMg==","value":"djI="}'
req "put foo3=a3 (value sorts first)" /v3/kv/put '{"key":"Zm9vMw==","value":"YTM="}'
req "put with no value: key stored with empty value" /v3/kv/put '{"key":"bm9rZXk="}'
req "range key with empty value: value field absent" /v3/kv/range '{"key":"bm9rZXk="}'
req "lease grant (for the put below)" /v3/lease/grant '{"TTL":600,"ID":100}'
req "put with lease" /v3/kv/put '{"key":"bGVhc2Vk","value":"djE=","lease":100}'
req "range leased key: lease shown" /v3/kv/range '{"key":"bGVhc2Vk"}'
req "put ignore_value (keeps value, bumps revision and version)" /v3/kv/put '{"key":"bGVhc2Vk","ignore_value":true,"prev_kv":true}'
req "put ignore_lease (keeps lease)" /v3/kv/put '{"key":"bGVhc2Vk","value":"djI=","ignore_lease":true}'
req "put without lease on a leased key detaches it" /v3/kv/put '{"key":"bGVhc2Vk","value":"djM="}'
req "range leased key after detaching" /v3/kv/range '{"key":"bGVhc2Vk"}'
req "range single key" /v3/kv/range '{"key":"Zm9v"}'
req "range missing key: no kvs, no count" /v3/kv/range '{"key":"eg=="}'
req "range prefix foo (range_end=fop)" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w"}'
req "range from key (range_end=\\0): all keys >= foo1" /v3/kv/range '{"key":"Zm9vMQ==","range_end":"AA=="}'
req "range all keys (key=\\0, range_end=\\0)" /v3/kv/range '{"key":"AA==","range_end":"AA=="}'
req "range prefix limit 2: more=true, count=total" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","limit":2}'
req "range prefix keys_only" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","keys_only":true}'
req "range prefix count_only" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","count_only":true}'
req "range prefix sort DESCEND by KEY" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","sort_order":"DESCEND","sort_target":"KEY"}'
req "range prefix sort ASCEND by VALUE" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","sort_order":"ASCEND","sort_target":"VALUE"}'
req "range prefix sort DESCEND by MOD" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","sort_order":"DESCEND","sort_target":"MOD"}'
req "range prefix sort DESCEND by CREATE" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","sort_order":"DESCEND","sort_target":"CREATE"}'
req "range prefix sort DESCEND by VERSION" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","sort_order":"DESCEND","sort_target":"VERSION"}'
req "range prefix sort_order omitted (NONE) with sort_target VALUE" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","sort_target":"VALUE"}'
req "range prefix sort DESCEND + limit 1" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","sort_order":"DESCEND","limit":1}'
req "range at old revision 2 (foo=bar then)" /v3/kv/range '{"key":"Zm9v","revision":2}'
req "range prefix at revision 3" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","revision":3}'
req "range prefix min_mod_revision=4" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","min_mod_revision":4}'
req "range prefix max_mod_revision=4" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","max_mod_revision":4}'
req "range prefix min_create_revision=5 max_create_revision=5" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","min_create_revision":5,"max_create_revision":5}'
req "range prefix min_mod_revision with limit 1 (count is before filtering)" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","min_mod_revision":4,"limit":1}'
req "range serializable" /v3/kv/range '{"key":"Zm9v","serializable":true}'
req "range with range_end < key: empty" /v3/kv/range '{"key":"Zm9w","range_end":"Zm9v"}'
req "range with range_end == key: empty" /v3/kv/range '{"key":"Zm9v","range_end":"Zm9v"}'
req "deleterange missing key: no deleted field" /v3/kv/deleterange '{"key":"eg=="}'
req "deleterange single key with prev_kv" /v3/kv/deleterange '{"key":"bm9rZXk=","prev_kv":true}'
req "deleterange prefix foo1..fop without prev_kv" /v3/kv/deleterange '{"key":"Zm9vMQ==","range_end":"Zm9w"}'
req "range after deletes" /v3/kv/range '{"key":"AA==","range_end":"AA=="}'
req "put again after delete: version restarts at 1, new create_revision" /v3/kv/put '{"key":"Zm9vMQ==","value":"djE=","prev_kv":true}'
req "range it" /v3/kv/range '{"key":"Zm9vMQ=="}'
req "binary key and value (bytes 00 ff)" /v3/kv/put '{"key":"AP8=","value":"/wA="}'
req "range binary key" /v3/kv/range '{"key":"AP8="}'
req "deleterange all keys (\\0..\\0) with prev_kv" /v3/kv/deleterange '{"key":"AA==","range_end":"AA==","prev_kv":true}'

###########################################################################################
section 02-txn "KV: txn (compare / success / failure, nested)"
req "setup put a=1" /v3/kv/put '{"key":"YQ==","value":"MQ=="}'
req "setup put b=2" /v3/kv/put '{"key":"Yg==","value":"Mg=="}'
req "txn with empty body: no compares -> succeeded, no responses" /v3/kv/txn '{}'
req "txn compare VALUE a == 1 -> success put a=11 + range a" /v3/kv/txn '{"compare":[{"key":"YQ==","target":"VALUE","result":"EQUAL","value":"MQ=="}],"success":[{"request_put":{"key":"YQ==","value":"MTE=","prev_kv":true}},{"request_range":{"key":"YQ=="}}],"failure":[{"request_range":{"key":"Yg=="}}]}'
req "txn compare VALUE a == 1 again -> false: failure branch, succeeded absent" /v3/kv/txn '{"compare":[{"key":"YQ==","target":"VALUE","result":"EQUAL","value":"MQ=="}],"success":[{"request_put":{"key":"YQ==","value":"MTE="}}],"failure":[{"request_range":{"key":"YQ=="}}]}'
req "txn compare VERSION a == 2 (target given as int 0 = VERSION), result omitted = EQUAL" /v3/kv/txn '{"compare":[{"key":"YQ==","target":0,"version":2}],"success":[{"request_range":{"key":"YQ==","keys_only":true}}]}'
req "txn compare CREATE_REVISION of missing key == 0 (create-if-absent, as etcd3gw does)" /v3/kv/txn '{"compare":[{"key":"Yw==","result":"EQUAL","target":"CREATE","create_revision":0}],"success":[{"request_put":{"key":"Yw==","value":"Mw=="}}],"failure":[{"request_range":{"key":"Yw=="}}]}'
req "same again: key now exists -> failure branch returns the range" /v3/kv/txn '{"compare":[{"key":"Yw==","result":"EQUAL","target":"CREATE","create_revision":0}],"success":[{"request_put":{"key":"Yw==","value":"Mw=="}}],"failure":[{"request_range":{"key":"Yw=="}}]}'
req "txn compare MOD b < 100 (LESS) and b > 1 (GREATER)" /v3/kv/txn '{"compare":[{"key":"Yg==","target":"MOD","result":"LESS","mod_revision":100},{"key":"Yg==","target":"MOD","result":"GREATER","mod_revision":1}],"success":[{"request_delete_range":{"key":"Yg==","prev_kv":true}}]}'
req "txn compare VALUE a != 11 (NOT_EQUAL) -> false" /v3/kv/txn '{"compare":[{"key":"YQ==","target":"VALUE","result":"NOT_EQUAL","value":"MTE="}],"success":[{"request_put":{"key":"YQ==","value":"eA=="}}]}'
req "lease grant 200 for LEASE compare" /v3/lease/grant '{"TTL":600,"ID":200}'
req "put c with lease 200" /v3/kv/put '{"key":"Yw==","value":"Mw==","lease":200}'
req "txn compare LEASE c == 200" /v3/kv/txn '{"compare":[{"key":"Yw==","target":"LEASE","result":"EQUAL","lease":200}],"success":[{"request_range":{"key":"Yw=="}}]}'
req "txn compare on a range (key a..d, range_end): every key must match VERSION > 0" /v3/kv/txn '{"compare":[{"key":"YQ==","range_end":"ZA==","target":"VERSION","result":"GREATER","version":0}],"success":[{"request_range":{"key":"YQ==","range_end":"ZA=="}}]}'
req "txn compare on missing key VALUE == x -> false" /v3/kv/txn '{"compare":[{"key":"enp6","target":"VALUE","result":"EQUAL","value":"eA=="}],"success":[{"request_range":{"key":"enp6"}}]}'
req "txn nested request_txn inside success" /v3/kv/txn '{"success":[{"request_txn":{"compare":[{"key":"YQ==","target":"VALUE","value":"MTE="}],"success":[{"request_put":{"key":"ZA==","value":"NA=="}},{"request_range":{"key":"ZA=="}}],"failure":[{"request_range":{"key":"YQ=="}}]}},{"request_range":{"key":"YQ==","count_only":true}}]}'
req "txn camelCase op names (requestPut, requestRange) also accepted" /v3/kv/txn '{"compare":[{"key":"YQ==","target":"VALUE","value":"MTE="}],"success":[{"requestPut":{"key":"ZQ==","value":"NQ=="}},{"requestRange":{"key":"ZQ==","keysOnly":true}}]}'
req "txn put + delete of different keys" /v3/kv/txn '{"success":[{"request_put":{"key":"Zg==","value":"Ng=="}},{"request_delete_range":{"key":"ZQ=="}}]}'
req "txn compare with target VALUE but the version field set (mismatched union)" /v3/kv/txn '{"compare":[{"key":"YQ==","target":"VALUE","version":2}],"success":[{"request_range":{"key":"YQ=="}}]}'
req "txn read-only (range only): revision not bumped" /v3/kv/txn '{"success":[{"request_range":{"key":"YQ=="}}]}'
req "txn op with an empty RequestOp {} (no request set)" /v3/kv/txn '{"success":[{}]}'
req "cleanup: delete all" /v3/kv/deleterange '{"key":"AA==","range_end":"AA=="}'

###########################################################################################
section 03-compaction "KV: compaction and compacted revisions"
req "put k1=1" /v3/kv/put '{"key":"azE=","value":"MQ=="}'
REV_K1=$(j .header.revision)
req "put k1=2" /v3/kv/put '{"key":"azE=","value":"Mg=="}'
req "put k1=3" /v3/kv/put '{"key":"azE=","value":"Mw=="}'
REV_K3=$(j .header.revision)
req "range k1 at old revision $REV_K1 (still there)" /v3/kv/range "{\"key\":\"azE=\",\"revision\":$REV_K1}"
req "compact to revision $((REV_K3 - 1))" /v3/kv/compaction "{\"revision\":$((REV_K3 - 1))}"
req "range k1 at compacted revision $REV_K1" /v3/kv/range "{\"key\":\"azE=\",\"revision\":$REV_K1}"
req "range k1 exactly at the compact revision $((REV_K3 - 1)) (allowed)" /v3/kv/range "{\"key\":\"azE=\",\"revision\":$((REV_K3 - 1))}"
req "compact again to the same revision" /v3/kv/compaction "{\"revision\":$((REV_K3 - 1))}"
req "compact to an older revision" /v3/kv/compaction "{\"revision\":$REV_K1}"
req "compact to a future revision" /v3/kv/compaction '{"revision":100000}'
req "compact physical=true to current revision $REV_K3" /v3/kv/compaction "{\"revision\":$REV_K3,\"physical\":true}"
req "compact revision 0 / omitted" /v3/kv/compaction '{}'
req "txn whose range reads a compacted revision" /v3/kv/txn "{\"success\":[{\"request_range\":{\"key\":\"azE=\",\"revision\":$REV_K1}}]}"
COMPACTED=$REV_K3

###########################################################################################
section 04-watch "Watch: POST /v3/watch (bidirectional stream over one HTTP request)"
note "Each request body may hold several WatchRequest JSON objects back to back; the response is"
note "a chunked stream, one JSON object per line: {\"result\":WatchResponse} (or {\"error\":...})."
note "curl is stopped after a few seconds; the server never closes a watch stream by itself."
echo >>"$CUR"
w_basic() {
  side /v3/kv/put '{"key":"dw==","value":"MQ=="}'
  side /v3/kv/put '{"key":"dw==","value":"Mg=="}'
  side /v3/kv/deleterange '{"key":"dw=="}'
  side /v3/kv/put '{"key":"eA==","value":"MQ=="}'
}
stream "watch key w; put w twice, delete w (and put unrelated x)" /v3/watch '{"create_request":{"key":"dw=="}}' 3 w_basic
REV_W_FIRST=$(grep -m1 '"events"' "$WORK/b" | jq -r '.result.events[0].kv.mod_revision')
w_prefix() {
  side /v3/kv/put '{"key":"d3AvYQ==","value":"MQ=="}'
  side /v3/kv/put '{"key":"d3AvYg==","value":"Mg=="}'
  side /v3/kv/txn '{"success":[{"request_put":{"key":"d3AvYQ==","value":"Mw=="}},{"request_put":{"key":"d3AvYw==","value":"NA=="}}]}'
  side /v3/kv/deleterange '{"key":"d3Av","range_end":"d3Aw"}'
}
stream "watch prefix wp/ (range_end wp0) with prev_kv; puts, a txn with two puts, a range delete" /v3/watch '{"create_request":{"key":"d3Av","range_end":"d3Aw","prev_kv":true}}' 3 w_prefix
stream "watch key w from start_revision $REV_W_FIRST (replays history, then live)" /v3/watch "{\"create_request\":{\"key\":\"dw==\",\"start_revision\":$REV_W_FIRST}}" 2
w_filter() {
  side /v3/kv/put '{"key":"d3AvYQ==","value":"MQ=="}'
  side /v3/kv/deleterange '{"key":"d3AvYQ=="}'
}
stream "watch prefix wp/ with filters [NOPUT] (only deletes delivered)" /v3/watch '{"create_request":{"key":"d3Av","range_end":"d3Aw","filters":["NOPUT"]}}' 3 w_filter
stream "watch prefix wp/ with filters [1] = NODELETE given as number (only puts delivered)" /v3/watch '{"create_request":{"key":"d3Av","range_end":"d3Aw","filters":[1]}}' 3 w_filter
stream "watch all keys (key \\0, range_end \\0) with progress_notify; server started with --experimental-watch-progress-notify-interval 2s" /v3/watch '{"create_request":{"key":"AA==","range_end":"AA==","progress_notify":true}}' 5.5
w_multi() { side /v3/kv/put '{"key":"dzE=","value":"MQ=="}'; }
stream "several requests in one body: create(auto id), create(watch_id 7), progress_request, cancel 7, cancel unknown 99" /v3/watch '{"create_request":{"key":"dzE="}}{"create_request":{"key":"dzE=","watch_id":7}}{"progress_request":{}}{"cancel_request":{"watch_id":7}}{"cancel_request":{"watch_id":99}}' 2.5 w_multi
stream "create with a watch_id already in use in this stream" /v3/watch '{"create_request":{"key":"dzE=","watch_id":3}}{"create_request":{"key":"dzI=","watch_id":3}}' 2
stream "watch from a compacted revision (start_revision 1 < compacted $COMPACTED)" /v3/watch '{"create_request":{"key":"azE=","start_revision":1}}' 2
stream "watch with start_revision in the future (waits for it)" /v3/watch '{"create_request":{"key":"dzE=","start_revision":100000}}' 2
stream "watch from-key: key w with range_end \\0 (all keys >= w)" /v3/watch '{"create_request":{"key":"dw==","range_end":"AA=="}}' 2 w_multi
stream "watch create_request without key" /v3/watch '{"create_request":{}}' 2
stream "watch with empty body object {}" /v3/watch '{}' 2
stream "watch with malformed JSON" /v3/watch '{"create_request":{"key":' 2
stream "watch with invalid base64 key" /v3/watch '{"create_request":{"key":"!!"}}' 2
python3 - "$WORK/wbig1.json" "$WORK/wbig2.json" <<'EOF'
import json, sys, base64
big = base64.b64encode(b"k" * (3 * 1024 * 1024)).decode()
open(sys.argv[1], "w").write(json.dumps({"create_request": {"key": big}}))
open(sys.argv[2], "w").write(json.dumps({"create_request": {"key": "dzE="}}) + json.dumps({"create_request": {"key": big}}))
EOF
stream "watch whose first message is over the gRPC size limit (3 MiB key): stream error before any result" /v3/watch "@$WORK/wbig1.json" 3
stream "watch: one good create, then a 3 MiB create: stream error after a result" /v3/watch "@$WORK/wbig2.json" 3
stream "watch fragment=true (small events are not fragmented)" /v3/watch '{"create_request":{"key":"dzE=","fragment":true}}' 2.5 w_multi

note "Chunk framing (raw HTTP/1.1 transfer-encoding chunks as sent by the server): a small message"
note "and its newline go out as one chunk; a large message goes out as one chunk followed by a"
note "separate 1-byte chunk holding the newline."
echo >>"$CUR"
w_big() {
  side /v3/kv/put '{"key":"dzE=","value":"MQ=="}'
  python3 -c 'import base64,json; print(json.dumps({"key":"dzE=","value":base64.b64encode(b"0"*10000).decode()}))' >"$WORK/big10k.json"
  curl -sS -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/big10k.json" "$E/v3/kv/put" -o /dev/null
  echo '#   meanwhile: POST /v3/kv/put {"key":"dzE=","value":"<10000 bytes of 0, base64>"}' >>"$WORK/side"
}
N=$((N + 1))
python3 "$HERE/chunks.py" "$CPORT" /v3/watch '{"create_request":{"key":"dzE="}}' 2.5 >"$WORK/ch" 2>&1 &
CHPID=$!; sleep 0.7; w_big; wait "$CHPID"
{ echo "### $N. chunk framing of a watch stream: created, a small event, a 10 KB event"
  echo "> POST /v3/watch"; echo '> {"create_request":{"key":"dzE="}}'; cat "$WORK/side"; cat "$WORK/ch"; echo; } >>"$CUR"
: >"$WORK/side"
N=$((N + 1))
python3 "$HERE/chunks.py" "$CPORT" /v3/lease/keepalive '{"ID":5}{"ID":6}' 1.5 >"$WORK/ch" 2>&1
{ echo "### $N. chunk framing of a keepalive stream that ends (two requests, then body EOF)"
  echo "> POST /v3/lease/keepalive"; echo '> {"ID":5}{"ID":6}'; cat "$WORK/ch"; echo; } >>"$CUR"
N=$((N + 1))
python3 "$HERE/chunks.py" "$CPORT" /v3/kv/range '{}' 1.5 >"$WORK/ch" 2>&1
{ echo "### $N. chunk framing of a unary gRPC error (range without key)"
  echo "> POST /v3/kv/range"; echo '> {}'; cat "$WORK/ch"; echo; } >>"$CUR"

note "WebSocket: etcd 3.4 wraps /v3/ in a websocket proxy. A request with Upgrade: websocket"
note "gets 101; each text frame sent is one request message, each message back is one text frame"
note "(same JSON as the HTTP stream lines, without the trailing newline)."
echo >>"$CUR"
wsreq "watch over WebSocket; put w1 meanwhile" /v3/watch 2 w_multi '{"create_request":{"key":"dzE="}}'
wsreq "watch over WebSocket: create then cancel in two frames" /v3/watch 1.5 "" '{"create_request":{"key":"dzE="}}' '{"cancel_request":{"watch_id":0}}'
wsreq "unary RPC over WebSocket (range)" /v3/kv/range 1.5 "" '{"key":"dzE="}'
wsreq "lease keepalive over WebSocket (unknown lease 1)" /v3/lease/keepalive 1.5 "" '{"ID":1}' '{"ID":1}'
wsreq "malformed JSON frame over WebSocket" /v3/watch 1.5 "" '{"create_request":'

###########################################################################################
section 05-lease "Lease: grant, revoke, keepalive (stream), timetolive, leases"
req "grant TTL 60, ID chosen by server (ID omitted)" /v3/lease/grant '{"TTL":60}'
AUTO_LEASE=$(j .ID)
req "grant the way etcd3gw does it: ID 0 = server chooses" /v3/lease/grant '{"TTL":30,"ID":0}'
req "grant TTL 120 with ID 1000 (TTL as string)" /v3/lease/grant '{"TTL":"120","ID":"1000"}'
req "grant duplicate ID 1000" /v3/lease/grant '{"TTL":120,"ID":1000}'
req "grant TTL 0 -> server minimum TTL" /v3/lease/grant '{"TTL":0,"ID":1001}'
req "grant TTL 1 -> raised to minimum" /v3/lease/grant '{"TTL":1,"ID":1002}'
req "grant TTL above the maximum (9000000000)" /v3/lease/grant '{"TTL":9000000001}'
req "grant negative ID" /v3/lease/grant '{"TTL":60,"ID":-5}'
req "put k1 with lease 1000" /v3/kv/put '{"key":"azE=","value":"MQ==","lease":1000}'
req "put k2 with lease 1000" /v3/kv/put '{"key":"azI=","value":"Mg==","lease":1000}'
req "timetolive 1000" /v3/lease/timetolive '{"ID":1000}'
req "timetolive 1000 with keys" /v3/lease/timetolive '{"ID":1000,"keys":true}'
req "timetolive via the /v3/kv/lease/ alias" /v3/kv/lease/timetolive '{"ID":1000,"keys":true}'
req "timetolive of a lease with no keys, keys=true" /v3/lease/timetolive "{\"ID\":\"$AUTO_LEASE\",\"keys\":true}"
req "timetolive unknown lease" /v3/lease/timetolive '{"ID":424242}'
req "leases" /v3/lease/leases '{}'
req "leases via /v3/kv/lease/leases" /v3/kv/lease/leases '{}'
stream "keepalive 1000: one request in the body -> one response, then the stream ends" /v3/lease/keepalive '{"ID":1000}' 3
stream "keepalive: three requests in one body (1000, 1000, unknown 31337)" /v3/lease/keepalive '{"ID":1000}{"ID":"1000"}{"ID":31337}' 3
stream "keepalive with empty body object (ID 0)" /v3/lease/keepalive '{}' 3
req "revoke 1000" /v3/lease/revoke '{"ID":1000}'
req "keys of revoked lease are gone" /v3/kv/range '{"key":"azE=","range_end":"azM="}'
req "revoke 1000 again" /v3/lease/revoke '{"ID":1000}'
req "revoke via /v3/kv/lease/revoke alias" /v3/kv/lease/revoke "{\"ID\":\"$AUTO_LEASE\"}"
req "timetolive of revoked lease" /v3/lease/timetolive '{"ID":1000}'
req "put with unknown lease" /v3/kv/put '{"key":"azE=","value":"MQ==","lease":555}'
sleep 2
req "timetolive 1002 after its 2s TTL ran out (expired = not found)" /v3/lease/timetolive '{"ID":1002}'
req "leases after revokes/expiry" /v3/lease/leases '{}'

###########################################################################################
section 06-cluster "Cluster: member list/add/update/promote/remove"
req "member list" /v3/cluster/member/list '{}'
SELF=$(j '.members[0].ID')
req "member add learner (peer 127.0.0.1:$FAKE1)" /v3/cluster/member/add "{\"peerURLs\":[\"http://127.0.0.1:$FAKE1\"],\"isLearner\":true}"
LEARNER=$(j .member.ID)
req "member list with an unstarted learner (no name, no clientURLs)" /v3/cluster/member/list '{}'
req "member add a second learner (limit is 1)" /v3/cluster/member/add "{\"peerURLs\":[\"http://127.0.0.1:$FAKE2\"],\"isLearner\":true}"
req "member add with a peer URL already used" /v3/cluster/member/add "{\"peerURLs\":[\"http://127.0.0.1:$FAKE1\"],\"isLearner\":true}"
req "member add with an invalid URL" /v3/cluster/member/add '{"peerURLs":["not a url"],"isLearner":true}'
req "member add with no peerURLs" /v3/cluster/member/add '{"isLearner":true}'
req "member update learner peer URLs" /v3/cluster/member/update "{\"ID\":\"$LEARNER\",\"peerURLs\":[\"http://127.0.0.1:$FAKE3\"]}"
req "member list after update (is the learner still a learner?)" /v3/cluster/member/list '{}'
req "member update unknown ID" /v3/cluster/member/update '{"ID":"12345","peerURLs":["http://127.0.0.1:1"]}'
req "member promote the (not running) learner" /v3/cluster/member/promote "{\"ID\":\"$LEARNER\"}"
req "member promote a voting member (self)" /v3/cluster/member/promote "{\"ID\":\"$SELF\"}"
req "member promote unknown ID" /v3/cluster/member/promote '{"ID":"12345"}'
req "member remove learner, ID given as a bare JSON number (uint64 above 2^53 parsed exactly)" /v3/cluster/member/remove "{\"ID\":$LEARNER}"
req "member remove it again" /v3/cluster/member/remove "{\"ID\":\"$LEARNER\"}"
req "member remove unknown ID" /v3/cluster/member/remove '{"ID":"12345"}'
req "member list at the end" /v3/cluster/member/list '{}'

###########################################################################################
section 07-maintenance "Maintenance: status, hash, (hashkv), alarm, defragment, snapshot, transfer-leadership"
req "status" /v3/maintenance/status '{}'
req "hash" /v3/maintenance/hash '{}'
H1=$(j .hash)
req "hash with revision (HashKVRequest field) - see note below" /v3/maintenance/hash '{"revision":2}'
echo "# note: 'etcdctl endpoint hashkv -w json' (gRPC HashKV) says: $($ETCDCTL --endpoints=$E endpoint hashkv -w json 2>&1 | jq -c '.[0].HashKV | {hash, compact_revision}' 2>&1)" >>"$CUR"
echo "# note: gateway /v3/maintenance/hash gave hash=$H1; both Hash and HashKV are bound to this one path" >>"$CUR"
echo >>"$CUR"
req "alarm list (action omitted = GET)" /v3/maintenance/alarm '{}'
req "setup: put a=1" /v3/kv/put '{"key":"YQ==","value":"MQ=="}'
req "setup: put b=2" /v3/kv/put '{"key":"Yg==","value":"Mg=="}'
req "alarm ACTIVATE NOSPACE on this member" /v3/maintenance/alarm "{\"action\":\"ACTIVATE\",\"memberID\":\"$SELF\",\"alarm\":\"NOSPACE\"}"
req "alarm GET" /v3/maintenance/alarm '{"action":"GET"}'
req "status while alarmed: errors field" /v3/maintenance/status '{}'
req "put while NOSPACE alarm active" /v3/kv/put '{"key":"YQ==","value":"MQ=="}'
req "range while NOSPACE alarm active (reads still allowed)" /v3/kv/range '{"key":"YQ==","range_end":"Yw=="}'
req "deleterange of an existing key while NOSPACE alarm active (deletes still allowed)" /v3/kv/deleterange '{"key":"YQ=="}'
req "txn with only a range while NOSPACE alarm active" /v3/kv/txn '{"success":[{"request_range":{"key":"Yg=="}}]}'
req "txn with a put while NOSPACE alarm active" /v3/kv/txn '{"success":[{"request_put":{"key":"Yg==","value":"Mw=="}}]}'
req "lease grant while NOSPACE alarm active" /v3/lease/grant '{"TTL":60}'
req "alarm DEACTIVATE NOSPACE (action/alarm as numbers)" /v3/maintenance/alarm "{\"action\":2,\"memberID\":\"$SELF\",\"alarm\":1}"
req "alarm GET after deactivate" /v3/maintenance/alarm '{"action":"GET"}'
req "alarm ACTIVATE CORRUPT on an unknown member" /v3/maintenance/alarm '{"action":"ACTIVATE","memberID":"1","alarm":"CORRUPT"}'
req "alarm GET (other member's alarm listed)" /v3/maintenance/alarm '{"action":"GET"}'
req "put with a CORRUPT alarm active on any member" /v3/kv/put '{"key":"YQ==","value":"MQ=="}'
req "range with a CORRUPT alarm active" /v3/kv/range '{"key":"YQ=="}'
req "alarm DEACTIVATE CORRUPT" /v3/maintenance/alarm '{"action":"DEACTIVATE","memberID":"1","alarm":"CORRUPT"}'
req "defragment" /v3/maintenance/defragment '{}'
SHRINK=1 stream "snapshot (stream of {result:{blob,remaining_bytes}}; blob shortened here)" /v3/maintenance/snapshot '{}' 10
req "transfer-leadership to self" /v3/maintenance/transfer-leadership "{\"targetID\":\"$SELF\"}"
req "transfer-leadership to unknown member" /v3/maintenance/transfer-leadership '{"targetID":"5"}'
req "status after all that" /v3/maintenance/status '{}'

###########################################################################################
section 08-election "v3election: campaign, leader, proclaim, observe (stream), resign"
req "lease 2000 for candidate 1" /v3/lease/grant '{"TTL":600,"ID":2000}'
req "lease 2001 for candidate 2" /v3/lease/grant '{"TTL":600,"ID":2001}'
req "leader when nobody campaigned" /v3/election/leader '{"name":"bXktZWxlY3Rpb24="}'
req "campaign: candidate 1 (lease 2000, value cand1)" /v3/election/campaign '{"name":"bXktZWxlY3Rpb24=","lease":2000,"value":"Y2FuZDE="}'
L1=$(jq -c .leader "$WORK/last")
req "leader" /v3/election/leader '{"name":"bXktZWxlY3Rpb24="}'
req "proclaim new value cand1b with the leader key" /v3/election/proclaim "{\"leader\":$L1,\"value\":\"Y2FuZDFi\"}"
req "range the election prefix (keys are <name>/<lease hex>)" /v3/kv/range '{"key":"bXktZWxlY3Rpb24v","range_end":"bXktZWxlY3Rpb24w"}'
e_obs() { side /v3/election/proclaim "{\"leader\":$L1,\"value\":\"Y2FuZDFj\"}"; }
stream "observe (current leader first, then each proclaim)" /v3/election/observe '{"name":"bXktZWxlY3Rpb24="}' 2.5 e_obs
e_resign() { sleep 0.5; side /v3/election/resign "{\"leader\":$L1}"; sleep 0.5; }
stream "campaign: candidate 2 blocks until candidate 1 resigns" /v3/election/campaign '{"name":"bXktZWxlY3Rpb24=","lease":2001,"value":"Y2FuZDI="}' 5 e_resign
L2=$(jq -c .leader "$WORK/b")
req "leader is now candidate 2" /v3/election/leader '{"name":"bXktZWxlY3Rpb24="}'
req "proclaim with the old (resigned) leader key" /v3/election/proclaim "{\"leader\":$L1,\"value\":\"eA==\"}"
req "resign with the old leader key" /v3/election/resign "{\"leader\":$L1}"
req "campaign with unknown lease" /v3/election/campaign '{"name":"ZTI=","lease":98765,"value":"eA=="}'
req "resign candidate 2" /v3/election/resign "{\"leader\":$L2}"
req "leader after everyone resigned" /v3/election/leader '{"name":"bXktZWxlY3Rpb24="}'
req "campaign without a lease (fresh election e1)" /v3/election/campaign '{"name":"ZTE=","value":"eA=="}'
L3=$(jq -c .leader "$WORK/last")
req "timetolive of the lease the election service made for it" /v3/lease/timetolive "{\"ID\":\"$(jq -r .leader.lease "$WORK/last")\"}"
req "resign it" /v3/election/resign "{\"leader\":$L3}"
req "proclaim with no leader key" /v3/election/proclaim '{"value":"eA=="}'
req "resign with empty body" /v3/election/resign '{}'
stream "observe an election with no leader (waits)" /v3/election/observe '{"name":"bm9ib2R5"}' 2

###########################################################################################
section 09-lock "v3lock: lock, unlock"
req "lease 3000" /v3/lease/grant '{"TTL":600,"ID":3000}'
req "lease 3001" /v3/lease/grant '{"TTL":600,"ID":3001}'
req "lock mylock with lease 3000" /v3/lock/lock '{"name":"bXlsb2Nr","lease":3000}'
K1=$(j .key)
req "range the lock prefix" /v3/kv/range '{"key":"bXlsb2NrLw==","range_end":"bXlsb2NrMA=="}'
l_unlock() { sleep 0.5; side /v3/lock/unlock "{\"key\":\"$K1\"}"; sleep 0.5; }
stream "lock mylock with lease 3001 blocks until the holder unlocks" /v3/lock/lock '{"name":"bXlsb2Nr","lease":3001}' 5 l_unlock
K2=$(jq -r .key "$WORK/b")
req "unlock second holder" /v3/lock/unlock "{\"key\":\"$K2\"}"
req "unlock a key that does not exist" /v3/lock/unlock '{"key":"bm9wZQ=="}'
req "lock without lease" /v3/lock/lock '{"name":"bXlsb2Nr"}'
LOCKLEASE=$(j .key | base64 -d | python3 -c 'import sys; print(int(sys.stdin.read().rsplit("/", 1)[1], 16))')
req "timetolive of the lease the lock service made for it (ID = the key's hex suffix)" /v3/lease/timetolive "{\"ID\":\"$LOCKLEASE\"}"
req "lock with unknown lease" /v3/lock/lock '{"name":"bXlsb2Nr","lease":98765}'
req "lock with empty name" /v3/lock/lock '{"lease":3000}'
req "unlock with empty key" /v3/lock/unlock '{}'
req "revoke lease 3000: its lock key goes with it" /v3/lease/revoke '{"ID":3000}'

###########################################################################################
section 10-auth "Auth: users, roles, permissions, enable/disable, authenticate, token use"
req "authenticate while auth is disabled" /v3/auth/authenticate '{"name":"root","password":"x"}'
req "auth enable before a root user exists" /v3/auth/enable '{}'
req "user add root" /v3/auth/user/add '{"name":"root","password":"rootpw"}'
req "auth enable: root user has no root role yet" /v3/auth/enable '{}'
req "user add alice" /v3/auth/user/add '{"name":"alice","password":"alicepw"}'
req "user add bob with options.no_password" /v3/auth/user/add '{"name":"bob","options":{"no_password":true}}'
req "user add alice again" /v3/auth/user/add '{"name":"alice","password":"x"}'
req "user add with empty name" /v3/auth/user/add '{"password":"x"}'
req "user add with no password and no options (accepted)" /v3/auth/user/add '{"name":"carol"}'
req "user get root (no roles: roles absent)" /v3/auth/user/get '{"name":"root"}'
req "user get unknown" /v3/auth/user/get '{"name":"nobody"}'
req "user list" /v3/auth/user/list '{}'
req "role add root" /v3/auth/role/add '{"name":"root"}'
req "role add reader" /v3/auth/role/add '{"name":"reader"}'
req "role add tmp" /v3/auth/role/add '{"name":"tmp"}'
req "role add reader again" /v3/auth/role/add '{"name":"reader"}'
req "role add with empty name" /v3/auth/role/add '{}'
req "role grant reader READ on prefix /app/ (permType omitted = READ)" /v3/auth/role/grant '{"name":"reader","perm":{"key":"L2FwcC8=","range_end":"L2FwcDA="}}'
req "role grant reader WRITE on key /app/public/x" /v3/auth/role/grant '{"name":"reader","perm":{"permType":"WRITE","key":"L2FwcC9wdWJsaWMveA=="}}'
req "role grant reader READWRITE (as number 2) on key z" /v3/auth/role/grant '{"name":"reader","perm":{"permType":2,"key":"eg=="}}'
req "role grant to unknown role" /v3/auth/role/grant '{"name":"nope","perm":{"key":"eg=="}}'
req "role get reader" /v3/auth/role/get '{"role":"reader"}'
req "role get root (no permissions listed)" /v3/auth/role/get '{"role":"root"}'
req "role get unknown" /v3/auth/role/get '{"role":"nope"}'
req "role list" /v3/auth/role/list '{}'
req "role revoke permission key z from reader" /v3/auth/role/revoke '{"role":"reader","key":"eg=="}'
req "role revoke the same permission again" /v3/auth/role/revoke '{"role":"reader","key":"eg=="}'
req "user grant root -> root" /v3/auth/user/grant '{"user":"root","role":"root"}'
req "user grant alice -> reader" /v3/auth/user/grant '{"user":"alice","role":"reader"}'
req "user grant alice -> tmp" /v3/auth/user/grant '{"user":"alice","role":"tmp"}'
req "user grant unknown role" /v3/auth/user/grant '{"user":"alice","role":"nope"}'
req "user grant to unknown user" /v3/auth/user/grant '{"user":"nobody","role":"reader"}'
req "user get alice" /v3/auth/user/get '{"name":"alice"}'
req "user revoke alice tmp" /v3/auth/user/revoke '{"name":"alice","role":"tmp"}'
req "user revoke alice tmp again" /v3/auth/user/revoke '{"name":"alice","role":"tmp"}'
req "user changepw alice" /v3/auth/user/changepw '{"name":"alice","password":"alicepw2"}'
req "user changepw unknown" /v3/auth/user/changepw '{"name":"nobody","password":"x"}'
req "role delete tmp" /v3/auth/role/delete '{"role":"tmp"}'
req "role delete unknown" /v3/auth/role/delete '{"role":"tmp"}'
req "put /app/a (before enabling auth)" /v3/kv/put '{"key":"L2FwcC9h","value":"MQ=="}'
req "auth enable" /v3/auth/enable '{}'
req "auth enable again" /v3/auth/enable '{}'
req "range without a token" /v3/kv/range '{"key":"L2FwcC9h"}'
req "put without a token" /v3/kv/put '{"key":"L2FwcC9h","value":"Mg=="}'
req "status without a token" /v3/maintenance/status '{}'
req "member list without a token" /v3/cluster/member/list '{}'
req "user list without a token" /v3/auth/user/list '{}'
req "lease grant without a token" /v3/lease/grant '{"TTL":60}'
req "authenticate root, wrong password" /v3/auth/authenticate '{"name":"root","password":"wrong"}'
req "authenticate unknown user" /v3/auth/authenticate '{"name":"nobody","password":"x"}'
req "authenticate bob (no password user)" /v3/auth/authenticate '{"name":"bob","password":""}'
req "authenticate root" /v3/auth/authenticate '{"name":"root","password":"rootpw"}'
ROOT=$(j .token)
req "authenticate alice with the old password" /v3/auth/authenticate '{"name":"alice","password":"alicepw"}'
req "authenticate alice" /v3/auth/authenticate '{"name":"alice","password":"alicepw2"}'
ALICE=$(j .token)
req "range with root token in Authorization header (raw token, no scheme)" /v3/kv/range '{"key":"L2FwcC9h"}' "Authorization: $ROOT"
req "range with 'Bearer <token>'" /v3/kv/range '{"key":"L2FwcC9h"}' "Authorization: Bearer $ROOT"
req "range with token in Grpc-Metadata-Token header" /v3/kv/range '{"key":"L2FwcC9h"}' "Grpc-Metadata-Token: $ROOT"
req "range with an invalid token" /v3/kv/range '{"key":"L2FwcC9h"}' "Authorization: notatoken.1"
req "put as root" /v3/kv/put '{"key":"L2FwcC9i","value":"Mg=="}' "Authorization: $ROOT"
req "range /app/a as alice (READ on /app/ prefix)" /v3/kv/range '{"key":"L2FwcC9h"}' "Authorization: $ALICE"
req "range whole /app/ prefix as alice" /v3/kv/range '{"key":"L2FwcC8=","range_end":"L2FwcDA="}' "Authorization: $ALICE"
req "put /app/a as alice (no WRITE)" /v3/kv/put '{"key":"L2FwcC9h","value":"Mw=="}' "Authorization: $ALICE"
req "put /app/public/x as alice (WRITE)" /v3/kv/put '{"key":"L2FwcC9wdWJsaWMveA==","value":"Mw=="}' "Authorization: $ALICE"
req "range outside her prefix as alice" /v3/kv/range '{"key":"eg=="}' "Authorization: $ALICE"
req "range all keys as alice" /v3/kv/range '{"key":"AA==","range_end":"AA=="}' "Authorization: $ALICE"
req "txn as alice: read ok but write denied" /v3/kv/txn '{"success":[{"request_range":{"key":"L2FwcC9h"}},{"request_put":{"key":"L2FwcC9h","value":"NA=="}}]}' "Authorization: $ALICE"
req "user list as alice (needs root)" /v3/auth/user/list '{}' "Authorization: $ALICE"
req "user get alice as alice" /v3/auth/user/get '{"name":"alice"}' "Authorization: $ALICE"
req "lease grant as alice" /v3/lease/grant '{"TTL":60}' "Authorization: $ALICE"
req "user list as root" /v3/auth/user/list '{}' "Authorization: $ROOT"
stream "watch /app/ prefix as alice" /v3/watch '{"create_request":{"key":"L2FwcC8=","range_end":"L2FwcDA="}}' 2
SHDR=("Authorization: $ALICE")
stream "watch /app/ prefix as alice (token sent)" /v3/watch '{"create_request":{"key":"L2FwcC8=","range_end":"L2FwcDA="}}' 2
stream "watch key z as alice (not permitted)" /v3/watch '{"create_request":{"key":"eg=="}}' 2
SHDR=()
req "user changepw alice as root (then try her old token)" /v3/auth/user/changepw '{"name":"alice","password":"alicepw3"}' "Authorization: $ROOT"
req "range with alice's token after her password changed" /v3/kv/range '{"key":"L2FwcC9h"}' "Authorization: $ALICE"
req "user revoke alice reader as root" /v3/auth/user/revoke '{"name":"alice","role":"reader"}' "Authorization: $ROOT"
req "range with alice's token after losing the role" /v3/kv/range '{"key":"L2FwcC9h"}' "Authorization: $ALICE"
req "auth disable as alice" /v3/auth/disable '{}' "Authorization: $ALICE"
req "auth disable without token" /v3/auth/disable '{}'
req "auth disable as root" /v3/auth/disable '{}' "Authorization: $ROOT"
req "auth disable again" /v3/auth/disable '{}'
req "range with an invalid token after auth is disabled" /v3/kv/range '{"key":"L2FwcC9h"}' "Authorization: notatoken.1"
req "user delete bob" /v3/auth/user/delete '{"name":"bob"}'
req "user delete unknown" /v3/auth/user/delete '{"name":"bob"}'
req "role delete reader" /v3/auth/role/delete '{"role":"reader"}'
req "user list / role list at the end" /v3/auth/user/list '{}'
req "role list" /v3/auth/role/list '{}'

###########################################################################################
section 11-errors "Error cases (shapes, codes, HTTP statuses)"
req "setup: put foo=bar" /v3/kv/put '{"key":"Zm9v","value":"YmFy"}'
req "malformed JSON" /v3/kv/put '{"key":"Zm9v",'
req "JSON string instead of object" /v3/kv/put '"hello"'
req "wrong JSON type for a bytes field (number)" /v3/kv/put '{"key":5}'
req "wrong JSON type for an int64 field (bool)" /v3/kv/range '{"key":"Zm9v","limit":true}'
req "int64 overflow" /v3/kv/range '{"key":"Zm9v","revision":"99999999999999999999"}'
req "int64 with fraction" /v3/kv/range '{"key":"Zm9v","limit":1.5}'
req "invalid base64" /v3/kv/put '{"key":"not base64!","value":"YmFy"}'
req "unknown enum name" /v3/kv/range '{"key":"Zm9v","sort_order":"descend"}'
req "unknown enum number (accepted, sort_order 9)" /v3/kv/range '{"key":"Zm9v","sort_order":9}'
req "put without key" /v3/kv/put '{"value":"YmFy"}'
req "range without key" /v3/kv/range '{"range_end":"Zm9w"}'
req "deleterange without key" /v3/kv/deleterange '{}'
req "put ignore_value on a missing key" /v3/kv/put '{"key":"bWlzc2luZw==","ignore_value":true}'
req "put ignore_value together with a value" /v3/kv/put '{"key":"Zm9v","value":"YmFy","ignore_value":true}'
req "put ignore_lease together with a lease" /v3/kv/put '{"key":"Zm9v","value":"YmFy","lease":1,"ignore_lease":true}'
req "put ignore_lease on a missing key" /v3/kv/put '{"key":"bWlzc2luZw==","value":"YmFy","ignore_lease":true}'
req "range at a future revision" /v3/kv/range '{"key":"Zm9v","revision":100000}'
req "range with negative revision" /v3/kv/range '{"key":"Zm9v","revision":-1}'
req "range with negative limit" /v3/kv/range '{"key":"Zm9v","limit":-1}'
METHOD=GET NOBODY=1 NOCT=1 req "GET on a POST-only gateway path" /v3/kv/range ""
METHOD=PUT req "PUT on a POST-only gateway path" /v3/kv/put '{"key":"Zm9v","value":"YmFy"}'
METHOD=DELETE req "DELETE on a gateway path" /v3/kv/deleterange '{"key":"Zm9v"}'
req "unknown path under /v3/" /v3/kv/nope '{}'
req "unknown service under /v3/" /v3/nope '{}'
req "trailing slash" /v3/kv/range/ '{"key":"Zm9v"}'
req "unknown top-level path" /v4/kv/range '{}'
req "path with query string (ignored)" '/v3/kv/range?key=Zm9v' '{"key":"Zm9v"}'
python3 - "$WORK/txn129.json" "$WORK/txn128.json" <<'EOF'
import json, sys, base64
def ops(n): return [{"request_put": {"key": base64.b64encode(b"t/%03d" % i).decode(), "value": "eA=="}} for i in range(n)]
json.dump({"success": ops(129)}, open(sys.argv[1], "w"), separators=(",", ":"))
json.dump({"success": ops(128)}, open(sys.argv[2], "w"), separators=(",", ":"))
EOF
ELIDE="header + succeeded:true + 128 x {response_put:{header:{revision}}}" BODYFILE=$WORK/txn128.json req "txn with 128 puts (the default --max-txn-ops limit)" /v3/kv/txn '{"success":[{"request_put":{"key":"dC8wMDA=","value":"eA=="}}, ... 128 puts of t/000..t/127 ...]}'
BODYFILE=$WORK/txn129.json req "txn with 129 puts (one over --max-txn-ops)" /v3/kv/txn '{"success":[ ... 129 request_put ops t/000..t/128 ...]}'
req "txn putting the same key twice" /v3/kv/txn '{"success":[{"request_put":{"key":"Zm9v","value":"MQ=="}},{"request_put":{"key":"Zm9v","value":"Mg=="}}]}'
req "txn put and delete of the same key" /v3/kv/txn '{"success":[{"request_put":{"key":"Zm9v","value":"MQ=="}},{"request_delete_range":{"key":"Zm9v"}}]}'
req "txn put in success and failure of the same key (allowed: different branches)" /v3/kv/txn '{"success":[{"request_put":{"key":"Zm9v","value":"MQ=="}}],"failure":[{"request_put":{"key":"Zm9v","value":"Mg=="}}]}'
req "txn with a failing op (put with unknown lease)" /v3/kv/txn '{"success":[{"request_put":{"key":"Zm9v","value":"MQ==","lease":4242}}]}'
req "txn with a failing op (range at compacted revision) after a put" /v3/kv/txn '{"success":[{"request_put":{"key":"Zm9v","value":"MQ=="}},{"request_range":{"key":"Zm9v","revision":1}}]}'
req "txn compare without key" /v3/kv/txn '{"compare":[{"target":"VALUE","value":"eA=="}],"success":[]}'
python3 - "$WORK/big2.json" "$WORK/big3.json" <<'EOF'
import json, sys, base64
json.dump({"key": "Ymln", "value": base64.b64encode(b"x" * (1792 * 1024)).decode()}, open(sys.argv[1], "w"))
json.dump({"key": "Ymln", "value": base64.b64encode(b"x" * (3 * 1024 * 1024)).decode()}, open(sys.argv[2], "w"))
EOF
python3 - "$WORK/big1.json" <<'EOF'
import json, sys, base64
json.dump({"key": "Ymln", "value": base64.b64encode(b"x" * (1536 * 1024 - 64)).decode()}, open(sys.argv[1], "w"))
EOF
BODYFILE=$WORK/big1.json req "put with a value just under 1.5 MiB (1572800 bytes)" /v3/kv/put '{"key":"Ymln","value":"<1572800 bytes of x, base64>"}'
BODYFILE=$WORK/big2.json req "put with a 1.75 MiB value (over --max-request-bytes 1.5 MiB, under the gRPC limit)" /v3/kv/put '{"key":"Ymln","value":"<1835008 bytes of x, base64>"}'
BODYFILE=$WORK/big3.json req "put with a 3 MiB value (over the gRPC receive limit = max-request-bytes + 512 KiB = 2 MiB)" /v3/kv/put '{"key":"Ymln","value":"<3145728 bytes of x, base64>"}'
req "range big key keys_only" /v3/kv/range '{"key":"Ymln","keys_only":true}'
SHRINK=1 stream "snapshot of the now ~1.6 MB backend: remaining_bytes counts down (blobs shortened)" /v3/maintenance/snapshot '{}' 10
req "lease revoke unknown" /v3/lease/revoke '{"ID":999999}'
req "lease timetolive unknown" /v3/lease/timetolive '{"ID":999999}'

###########################################################################################
section 12-quorum-loss "Losing quorum: add a voting member that never starts"
req "member add voting member (1-member cluster: allowed)" /v3/cluster/member/add "{\"peerURLs\":[\"http://127.0.0.1:$FAKE4\"]}"
req "status right after" /v3/maintenance/status '{}'
MAXT=30 req "put with no quorum (waits for the server's request timeout)" /v3/kv/put '{"key":"cQ==","value":"MQ=="}'
MAXT=30 req "linearizable range with no quorum" /v3/kv/range '{"key":"cQ=="}'
req "serializable range with no quorum (served locally)" /v3/kv/range '{"key":"Zm9v","serializable":true}'
req "member list with no quorum" /v3/cluster/member/list '{}'
MAXT=30 req "lease grant with no quorum" /v3/lease/grant '{"TTL":60}'

head -n 60 "$WORK/etcd.log" >"$OUT/etcd-startup.log"
echo "done: $N requests; transcripts in $OUT"
