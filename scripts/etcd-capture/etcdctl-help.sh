#!/usr/bin/env bash
# etcdctl-help.sh - dump `etcdctl --help` and every subcommand's --help (etcdctl v3 API) to etcdctl-help.txt
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(cd "$HERE/../.." && pwd)/Tests/RealNetTests/Fixtures/etcd-api}  # where captures are written
mkdir -p "$OUT"
cd "$OUT"
export ETCDCTL_API=3
{
  echo "# etcdctl $(etcdctl version | head -1 | awk '{print $3}') help output, captured by etcdctl-help.sh"
  echo
  echo "################ etcdctl --help"
  etcdctl --help 2>&1
  etcdctl --help 2>&1 | sed -n '/^COMMANDS:/,/^OPTIONS:/p' | grep -P '^\t' | sed 's/^\t//' |
    awk -F'\t+' '{print $1}' | while read -r cmd; do
      case "$cmd" in help|completion*) continue ;; esac
      echo
      echo "################ etcdctl $cmd --help"
      # shellcheck disable=SC2086
      etcdctl $cmd --help 2>&1 | sed '/^GLOBAL OPTIONS:/,$d'
    done
  for grp in alarm auth check endpoint lease member role snapshot user; do
    echo
    echo "################ etcdctl $grp --help"
    etcdctl $grp --help 2>&1 | sed '/^GLOBAL OPTIONS:/,$d'
  done
} >etcdctl-help.txt
echo "wrote $(pwd)/etcdctl-help.txt ($(grep -c '^################' etcdctl-help.txt) sections)"
