#!/bin/sh
# test.sh - the test command of the README and of .ci/run: installs what the build and tests need besides Swift
# (libssl-dev for CKeelCrypto; openssl, etcd 3.4 and etcdctl 3.4 from Debian), builds, and runs every default test.
set -eu
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
swift build
swift test
