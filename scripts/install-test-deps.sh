#!/bin/sh
# install-test-deps.sh - install what the test suite runs besides Swift: etcd 3.4 and etcdctl 3.4
# (Debian's etcd-server and etcd-client), which Tests/EtcdctlTests compares keel against.
# Idempotent and quiet; returns at once when both are already on PATH.
set -eu

if command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-test-deps: etcd/etcdctl missing and not root (no sudo): install etcd-server etcd-client" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: no apt-get: install etcd 3.4 (etcd, etcdctl) on PATH by hand" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null

command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 || {
    echo "install-test-deps: etcd-server/etcd-client installed but etcd or etcdctl is not on PATH" >&2
    exit 1
}
