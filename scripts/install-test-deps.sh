#!/bin/sh
# install-test-deps.sh - install what building and testing need besides Swift: OpenSSL's headers, libcrypto and
# libssl (Debian's libssl-dev, which the CKeelCrypto and CKeelTLS targets compile against, and the openssl tool
# the JWT and TLS tests make keys and certificates with), etcd 3.4 and etcdctl 3.4 (Debian's etcd-server and
# etcd-client), which the etcdctl, JWT and TLS suites compare keel against, curl (the gateway over https) and
# python3-venv (the venvs of PyPI's grpcio and prometheus-client). Idempotent and quiet; returns at once when
# everything is already there.
set -eu

have_all() {
    command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 \
        && command -v openssl >/dev/null 2>&1 && [ -f /usr/include/openssl/evp.h ] \
        && [ -f /usr/include/openssl/ssl.h ] && command -v curl >/dev/null 2>&1 \
        && python3 -c 'import venv, ensurepip' >/dev/null 2>&1
}

if have_all; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-test-deps: missing packages and not root (no sudo): install libssl-dev openssl" \
             "etcd-server etcd-client curl python3-venv" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: no apt-get: install OpenSSL 3 headers and libcrypto, the openssl tool, and etcd 3.4" \
         "(etcd, etcdctl) on PATH by hand" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends libssl-dev openssl etcd-server etcd-client curl \
    python3-venv >/dev/null

have_all || {
    echo "install-test-deps: packages installed but etcd, etcdctl, openssl or <openssl/evp.h> is still missing" >&2
    exit 1
}
