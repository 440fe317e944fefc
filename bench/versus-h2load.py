#!/usr/bin/env python3
"""gRPC over h2load for bench/versus-etcd.sh.

  versus-h2load.py body put KEY VALUE_BYTES OUT       a gRPC-framed etcdserverpb.PutRequest
  versus-h2load.py body range KEY l|s OUT             a gRPC-framed etcdserverpb.RangeRequest
  versus-h2load.py revision RESPONSE                  the header revision of a gRPC-framed PutResponse
  versus-h2load.py result H2LOAD_OUT LOG CHECK...     one line: units seconds errors p50_ms p99_ms data_ok note

h2load counts any HTTP 200 as a success, and gRPC errors are HTTP 200 with a grpc-status trailer and no
message. So `result` also checks the DATA bytes h2load received: a gRPC error carries no message, so every
missing one shows as missing bytes. CHECK is either `exact S` (every response is S bytes: a range of a key
nobody writes during the run) or `puts S0 R0` (put i of the run answers at revision R0 + i with a response
S0 bytes long at revision R0, give or take the length of the revision's varint).
Field numbers are those of etcd 3.4's rpc.proto (PutRequest key 1, value 2; RangeRequest key 1,
serializable 7; ResponseHeader revision 3; PutResponse header 1).
"""
import re
import sys


def varint(n):
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field_bytes(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def frame(message):
    """The gRPC length-prefixed message: not compressed, 4-byte big-endian length."""
    return b"\0" + len(message).to_bytes(4, "big") + message


def read_varint(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def fields(data):
    """(number, wire type, value) of each field of a protobuf message; bytes fields as bytes."""
    at = 0
    while at < len(data):
        tag, at = read_varint(data, at)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, at = read_varint(data, at)
        elif wire == 2:
            size, at = read_varint(data, at)
            value, at = data[at:at + size], at + size
        else:
            raise ValueError(f"wire type {wire} unexpected")
        yield number, wire, value


def body(kind, key, arg, out):
    if kind == "put":
        message = field_bytes(1, key.encode()) + field_bytes(2, b"x" * int(arg))
    else:
        message = field_bytes(1, key.encode())
        if arg == "s":
            message += varint(7 << 3 | 0) + varint(1)
    with open(out, "wb") as f:
        f.write(frame(message))


def revision(path):
    data = open(path, "rb").read()[5:]
    for number, _, value in fields(data):
        if number == 1:
            for inner, _, v in fields(value):
                if inner == 3:
                    return v
    return 0


def percentile(sorted_values, q):
    """Nearest rank: the smallest sample with at least q of the samples at or below it."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-int(q * 1000) * len(sorted_values) // 1000))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def result(out_path, log_path, check):
    text = open(out_path, errors="replace").read()
    m = re.search(r"finished in ([\d.]+)(us|ms|s),", text)
    r = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", text)
    s = re.search(r"status codes: (\d+) 2xx", text)
    d = re.search(r"traffic: .*?, .*? headers .*?, [^(]*\((\d+)\) data", text)
    if not (m and r and s and d):
        print(f"0\t1\t1\t0\t0\t0\th2load failed: {' '.join(text.split()[-12:])}")
        return
    seconds = float(m.group(1)) / {"us": 1e6, "ms": 1e3, "s": 1}[m.group(2)]
    total, started, done, succeeded = (int(r.group(i)) for i in (1, 2, 3, 4))
    ok = int(s.group(1))  # HTTP 2xx: what h2load calls success, gRPC errors included
    data = int(d.group(1))
    errors = total - ok
    latencies = []
    for line in open(log_path):
        parts = line.split()
        if len(parts) >= 3 and parts[1].startswith("2"):
            latencies.append(int(parts[2]) / 1000)
    latencies.sort()
    if check[0] == "exact":
        expected = ok * int(check[1])
    else:
        size0, rev0 = int(check[1]), int(check[2])
        base = len(varint(rev0))
        expected = sum(size0 + len(varint(rev0 + i)) - base for i in range(1, ok + 1))
    data_ok = 1 if data == expected else 0
    note = "ok" if data_ok else f"gRPC message bytes {data} != {expected} expected of {ok} OK answers"
    if started != total or done != total:
        note += f"; {started} started, {done} done of {total}"
    print(f"{ok}\t{seconds:.6f}\t{errors}\t{percentile(latencies, 0.5):.3f}\t{percentile(latencies, 0.99):.3f}"
          f"\t{data_ok}\t{note}")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "body":
        body(*sys.argv[2:6])
    elif command == "revision":
        print(revision(sys.argv[2]))
    elif command == "result":
        result(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(f"unknown command {command}")
