#!/bin/sh
# test.sh - the test command of the README and of .ci/run: installs what the tests run besides Swift
# (etcd 3.4 and etcdctl 3.4 from Debian, for Tests/EtcdctlTests), builds, and runs every default test.
set -eu
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
swift build
swift test
