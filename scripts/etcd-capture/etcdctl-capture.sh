#!/usr/bin/env bash
# etcdctl-capture.sh - start a fresh loopback-only etcd 3.4 and record what common etcdctl (v3)
# commands print (stdout, stderr, exit status) into etcdctl-outputs.txt.
#   CPORT=2379 PPORT=2380 DATA=/tmp/etcd-ctl-ref ./etcdctl-capture.sh
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(cd "$HERE/../.." && pwd)/Tests/RealNetTests/Fixtures/etcd-api}  # where captures are written
mkdir -p "$OUT"
CPORT=${CPORT:-2379}
PPORT=${PPORT:-2380}
DATA=${DATA:-/tmp/etcd-ctl-ref}
E=http://127.0.0.1:$CPORT
PEER=http://127.0.0.1:$PPORT
OUT=$OUT/etcdctl-outputs.txt
WORK=$(mktemp -d /tmp/etcdctl-capture.XXXXXX)
export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=$E

for p in $CPORT $PPORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; set CPORT/PPORT" >&2; exit 1; fi
done
rm -rf "$DATA"
etcd --name ref --data-dir "$DATA" --listen-client-urls "$E" --advertise-client-urls "$E" \
  --listen-peer-urls "$PEER" --initial-advertise-peer-urls "$PEER" \
  --initial-cluster "ref=$PEER" --initial-cluster-token etcd-ref >"$WORK/etcd.log" 2>&1 &
EPID=$!
cleanup() { kill "$EPID" 2>/dev/null; wait "$EPID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 100); do curl -s "$E/health" 2>/dev/null | grep -q true && break; sleep 0.1; done

{
  echo "# etcdctl $(etcdctl version | head -1 | awk '{print $3}') against a fresh single-member etcd on $E"
  echo "# ETCDCTL_API=3 ETCDCTL_ENDPOINTS=$E. Per command: \$ command, then stdout, then"
  echo "# '!' lines for stderr, then [exit N]."
  echo
} >"$OUT"

# run <shell command line>; optional STDIN env var is fed to it
run() {
  if [ -n "${STDIN:-}" ]; then
    printf '%s' "$STDIN" | timeout "${T:-10}" bash -c "$1" >"$WORK/o" 2>"$WORK/e"
  else
    timeout "${T:-10}" bash -c "$1" </dev/null >"$WORK/o" 2>"$WORK/e"
  fi
  local rc=$?
  {
    echo "\$ $1"
    [ -n "${STDIN:-}" ] && printf '%s\n' "$STDIN" | sed 's/^/  (stdin) /'
    cat "$WORK/o"
    [ -s "$WORK/o" ] && [ "$(tail -c1 "$WORK/o" | od -An -c | tr -d ' ')" != '\n' ] && echo
    sed 's/^/! /' "$WORK/e"
    if [ "$rc" = 124 ]; then echo "[killed by timeout after ${T:-10}s]"; else echo "[exit $rc]"; fi
    echo
  } >>"$OUT"
}

run "etcdctl version"
run "etcdctl put foo bar"
run "etcdctl put foo baz --prev-kv"
run "etcdctl put foo1 v1"
run "etcdctl put foo2 v2"
run "etcdctl get foo"
run "etcdctl get foo --print-value-only"
run "etcdctl get foo -w json"
run "etcdctl get foo -w fields"
run "etcdctl get foo -w protobuf | od -c | head -5"
run "etcdctl get foo --prefix"
run "etcdctl get foo --prefix --keys-only"
run "etcdctl get foo --prefix --limit 1 -w json"
run "etcdctl get foo --prefix --count-only"
run "etcdctl get foo --prefix --order DESCEND --sort-by MODIFY"
run "etcdctl get foo --rev 2"
run "etcdctl get foo --hex"
run "etcdctl get foo1 --from-key"
run "etcdctl get nosuchkey"
run "etcdctl get nosuchkey -w json"
run "etcdctl get foo -w table"
run "etcdctl del nosuchkey"
run "etcdctl del foo2 --prev-kv"
run "etcdctl del foo --prefix"
run "etcdctl put foo bar"
STDIN=$'value("foo") = "bar"\n\nput foo qux\nget foo\n\nput foo nope\n\n' run "etcdctl txn"
STDIN=$'value("foo") = "bar"\n\nput foo qux\n\nget foo\n\n' run "etcdctl txn -w json"
STDIN=$'create("foo") > "0"\nmod("foo") < "1000"\nversion("foo") = "2"\n\ndel foo\n\n\n' run "etcdctl txn"
run "etcdctl lease grant 60"
LID=$(etcdctl lease grant 60 | awk '{print $2}')
run "etcdctl lease grant 60 -w json"
run "etcdctl put leased v --lease=$LID"
run "etcdctl lease timetolive $LID"
run "etcdctl lease timetolive $LID --keys"
run "etcdctl lease timetolive $LID --keys -w json"
run "etcdctl lease list"
run "etcdctl lease keep-alive --once $LID"
run "etcdctl lease revoke $LID"
run "etcdctl lease revoke $LID"
run "etcdctl put k v --lease=1234abcd"
( sleep 1; etcdctl put wkey 1 >/dev/null; etcdctl put wkey 2 >/dev/null; etcdctl del wkey >/dev/null ) &
T=3 run "etcdctl watch wkey"
( sleep 1; etcdctl put wp/a 1 >/dev/null ) &
T=3 run "etcdctl watch wp/ --prefix --prev-kv -w json"
T=2 run "etcdctl watch foo --rev 1"
run "etcdctl compaction 3"
run "etcdctl compaction 3"
run "etcdctl get foo --rev 2"
run "etcdctl member list"
run "etcdctl member list -w table"
run "etcdctl member list -w json"
run "etcdctl endpoint status"
run "etcdctl endpoint status -w table"
run "etcdctl endpoint status -w json"
run "etcdctl endpoint health"
run "etcdctl endpoint health -w json"
run "etcdctl endpoint hashkv"
run "etcdctl alarm list"
run "etcdctl alarm disarm"
run "etcdctl defrag"
run "etcdctl snapshot save $WORK/snap.db | sed 's#$WORK#<tmp>#'"
run "etcdctl snapshot status $WORK/snap.db -w table"
run "etcdctl snapshot status $WORK/snap.db -w json"
run "etcdctl member add m2 --peer-urls=http://127.0.0.1:1 --learner"
MID=$(etcdctl member list | awk -F', ' '$3=="" || $3=="unstarted" {print $1}' | head -1)
run "etcdctl member list"
run "etcdctl member promote $MID"
run "etcdctl member remove $MID"
run "etcdctl member remove 1234"
run "etcdctl move-leader 1234"
T=3 run "etcdctl lock mylock"
run "etcdctl lock mylock echo holding-the-lock"
T=3 run "etcdctl elect myelection proposal1"
run "etcdctl user add root:rootpw"
run "etcdctl user add alice --new-user-password=alicepw"
run "etcdctl user add bob --no-password"
run "etcdctl user add alice --new-user-password=x"
run "etcdctl role add root"
run "etcdctl role add reader"
run "etcdctl role grant-permission reader read /app/ --prefix"
run "etcdctl role grant-permission reader readwrite /z"
run "etcdctl role get reader"
run "etcdctl role list"
run "etcdctl user grant-role root root"
run "etcdctl user grant-role alice reader"
run "etcdctl user get alice"
run "etcdctl user get alice --detail"
run "etcdctl user list"
run "etcdctl auth enable"
run "etcdctl get foo"
run "etcdctl --user root:wrong get foo"
run "etcdctl --user root:rootpw get foo"
run "etcdctl --user alice:alicepw put /app/x 1"
run "etcdctl --user alice:alicepw get /app/x"
run "etcdctl --user root:rootpw role revoke-permission reader /z"
run "etcdctl --user root:rootpw user revoke-role alice reader"
run "etcdctl --user root:rootpw auth disable"
run "etcdctl user delete bob"
run "etcdctl role delete reader"
run "etcdctl get"
run "etcdctl put onlykey"
run "etcdctl nosuchcommand"
run "env -u ETCDCTL_ENDPOINTS etcdctl --endpoints=127.0.0.1:1 --dial-timeout=1s get foo"
run "etcdctl --command-timeout=1ms get foo"
run "etcdctl --endpoints=127.0.0.1:2379 get foo"

echo "wrote $OUT"
