#!/usr/bin/env python3
"""Checks a cluster with python-etcd3 (PyPI `etcd3`, a grpcio client of etcd's v3 API).

Run by scripts/clientv3-check.sh --client python. Prints "ok <check>" or "FAIL <check>: <why>" per check,
then "<n> passed, <m> failed"; exits 1 if any check failed. Each check uses its own key prefix.
"""
import argparse
import hashlib
import io
import sys
import threading
import time
import traceback

import etcd3
import grpc


def check_kv(c, members):
    c.put("py/kv/a", "1")
    c.put("py/kv/b", "2")
    value, meta = c.get("py/kv/a")
    assert value == b"1", value
    assert meta.key == b"py/kv/a" and meta.version == 1, (meta.key, meta.version)
    got = sorted((m.key, v) for v, m in c.get_prefix("py/kv/"))
    assert got == [(b"py/kv/a", b"1"), (b"py/kv/b", b"2")], got
    assert c.put_if_not_exists("py/kv/a", "x") is False
    assert c.put_if_not_exists("py/kv/c", "3") is True
    assert c.replace("py/kv/a", "1", "11") is True
    assert c.replace("py/kv/a", "1", "12") is False
    assert c.delete("py/kv/a") is True
    assert c.delete("py/kv/a") is False
    c.delete_prefix("py/kv/")
    assert list(c.get_prefix("py/kv/")) == []
    assert c.get("py/kv/missing") == (None, None)


def check_txn(c, members):
    c.put("py/txn/k", "v1")
    ok, responses = c.transaction(
        compare=[c.transactions.value("py/txn/k") == "v1"],
        success=[c.transactions.put("py/txn/k", "v2"), c.transactions.get("py/txn/k")],
        failure=[c.transactions.put("py/txn/failed", "yes")],
    )
    assert ok is True, ok
    assert responses[1][0][0] == b"v2", responses
    ok, _ = c.transaction(
        compare=[c.transactions.version("py/txn/k") == 1],
        success=[], failure=[c.transactions.put("py/txn/failed", "yes")],
    )
    assert ok is False
    assert c.get("py/txn/failed")[0] == b"yes"


def check_watch(c, members):
    events, cancel = c.watch_prefix("py/watch/")
    seen = []

    def read():
        for event in events:
            seen.append((type(event).__name__, event.key, event.value))
            if len(seen) == 3:
                break

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(0.3)
    c.put("py/watch/a", "1")
    c.put("py/watch/b", "2")
    c.delete("py/watch/a")
    reader.join(10)
    cancel()
    assert seen == [("PutEvent", b"py/watch/a", b"1"), ("PutEvent", b"py/watch/b", b"2"),
                    ("DeleteEvent", b"py/watch/a", b"")], seen
    # A watch from a past revision replays history.
    _, meta = c.get("py/watch/b")
    response = c.watch_once_response("py/watch/b", timeout=5, start_revision=meta.mod_revision)
    assert response.events[0].key == b"py/watch/b", response


def check_lease(c, members):
    lease = c.lease(30)
    c.put("py/lease/k", "v", lease=lease)
    assert 0 < lease.remaining_ttl <= 30, lease.remaining_ttl
    assert lease.granted_ttl == 30
    assert lease.keys == [b"py/lease/k"], lease.keys
    refreshed = list(lease.refresh())
    assert refreshed and refreshed[0].TTL == 30, refreshed
    lease.revoke()
    assert c.get("py/lease/k") == (None, None)
    short = c.lease(1)
    c.put("py/lease/short", "v", lease=short)
    deadline = time.time() + 10
    while c.get("py/lease/short")[0] is not None:
        assert time.time() < deadline, "a 1 s lease's key outlived 10 s"
        time.sleep(0.2)


def check_lock(c, members):
    first = c.lock("py-lock", ttl=10)
    assert first.acquire(timeout=5)
    second = c.lock("py-lock", ttl=10)
    assert not second.acquire(timeout=1), "a held lock was acquired twice"
    first.release()
    assert second.acquire(timeout=5)
    second.release()


def check_cluster(c, members):
    listed = list(c.members)
    assert len(listed) == members, [(m.id, m.name) for m in listed]
    assert all(m.peer_urls and m.client_urls and m.name for m in listed), [(m.name, m.client_urls) for m in listed]
    status = c.status()
    assert status.version.startswith("3.4"), status.version
    assert status.leader.id in [m.id for m in listed]
    assert status.db_size > 0 and status.raft_term >= 1 and status.raft_index >= 1


def check_maintenance(c, members):
    assert c.hash() != 0
    c.defragment()
    assert c.list_alarms() == [] or list(c.list_alarms()) == []
    buffer = io.BytesIO()
    c.snapshot(buffer)
    data = buffer.getvalue()
    assert len(data) > 32, len(data)
    assert hashlib.sha256(data[:-32]).digest() == data[-32:], "snapshot does not end with its sha256"
    c.put("py/compact/k", "1")
    _, meta = c.get("py/compact/k")
    c.put("py/compact/k", "2")
    c.compact(meta.mod_revision)


def check_errors(c, members):
    try:
        c.put("py/errors/k", "v", lease=0x7777)
        raise AssertionError("a put with an unknown lease succeeded")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error.code()
        assert error.details() == "etcdserver: requested lease not found", error.details()
    c.put("py/errors/c", "1")
    _, meta = c.get("py/errors/c")
    c.put("py/errors/c", "2")
    c.compact(meta.mod_revision + 1)
    try:
        c.kvstub.Range(etcd3.etcdrpc.RangeRequest(key=b"py/errors/c", revision=meta.mod_revision), timeout=5)
        raise AssertionError("a read of a compacted revision succeeded")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.OUT_OF_RANGE, error.code()
        assert error.details() == "etcdserver: mvcc: required revision has been compacted", error.details()


CHECKS = [("kv", check_kv), ("txn", check_txn), ("watch", check_watch), ("lease", check_lease),
          ("lock", check_lock), ("cluster", check_cluster), ("maintenance", check_maintenance),
          ("errors", check_errors)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", required=True)
    parser.add_argument("--members", type=int, default=1)
    parser.add_argument("--checks", default="")
    args = parser.parse_args()
    if args.checks == "list":
        print("\n".join(name for name, _ in CHECKS))
        return 0
    wanted = set(filter(None, args.checks.split(",")))
    host, port = args.endpoints.split(",")[0].rsplit(":", 1)
    client = etcd3.client(host=host, port=int(port), timeout=10)
    passed = failed = 0
    for name, check in CHECKS:
        if wanted and name not in wanted:
            continue
        try:
            check(client, args.members)
            print(f"ok {name}", flush=True)
            passed += 1
        except Exception as error:  # noqa: BLE001 - every failure is reported and counted
            why = str(error) or type(error).__name__
            print(f"FAIL {name}: {why.splitlines()[0] if why else ''}", flush=True)
            traceback.print_exc(file=sys.stderr)
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
