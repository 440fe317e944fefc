#!/usr/bin/env python3
"""Builds fuzz-corpus/<target>/seed-* from captured traffic and data, once; the seeds are committed.

  make-seeds.py --h2 DIR (etcdctl->keel client streams, one file per connection, preface included)
                --h2-responses DIR (keel->etcdctl streams, files named resp-*: for the client-side targets)
                --peer DIR (keel->keel peer streams, handshake included)
                --data-dir DIR (a keel data dir with a WAL segment and a snapshot)
                --snapshot FILE (an `etcdctl snapshot save` file)
                --transcripts DIR (Tests/RealNetTests/Fixtures/etcd-api)
                --out fuzz-corpus
Each target's input format is FuzzTarget's (Sources/Fuzz): a leading control byte where the target has one.
"""
import argparse, glob, os, struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def write(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def frames(stream):
    """HTTP/2 frames: (type, flags, stream id, payload)."""
    at = 0
    while len(stream) - at >= 9:
        length = int.from_bytes(stream[at:at + 3], "big")
        ftype, flags = stream[at + 3], stream[at + 4]
        sid = int.from_bytes(stream[at + 5:at + 9], "big") & 0x7FFFFFFF
        yield ftype, flags, sid, stream[at + 9:at + 9 + length]
        at += 9 + length


def header_block(flags, payload):
    pad = 0
    if flags & 0x8:
        pad, payload = payload[0], payload[1:]
    if flags & 0x20:
        payload = payload[5:]
    return payload[:len(payload) - pad] if pad else payload


def h2_seeds(src, out):
    grpc_messages, protos, blocks_all = [], [], []
    for k, path in enumerate(sorted(glob.glob(os.path.join(src, "*")))):
        data = open(path, "rb").read()
        if data.startswith(PREFACE):
            data = data[len(PREFACE):]
        if not data:
            continue
        write(out, "http2", f"etcdctl-{k:02d}", bytes([k % 4]) + data)
        blocks = []
        for ftype, flags, sid, payload in frames(data):
            if ftype == 1:
                blocks.append(header_block(flags, payload))
            if ftype == 0 and payload:
                grpc_messages.append(payload)
                if len(payload) >= 5:
                    protos.append(payload[5:])
        if blocks:
            write(out, "hpack", f"etcdctl-{k:02d}", b"\x00" + b"\xfe\xfe".join(blocks))
            blocks_all.extend(blocks)
    for k, message in enumerate(sorted(set(grpc_messages))[:40]):
        write(out, "grpc-framing", f"etcdctl-{k:02d}", bytes([k % 8]) + message)
    for k, proto in enumerate(sorted(set(protos))[:60]):
        write(out, "protobuf", f"etcdctl-{k:02d}", proto)


def h2_response_seeds(src, out):
    messages = []
    for k, path in enumerate(sorted(glob.glob(os.path.join(src, "resp-*")))):
        data = open(path, "rb").read()
        if not data:
            continue
        write(out, "http2-client", f"keel-{k:02d}", bytes([k % 4]) + data)
        for ftype, flags, sid, payload in frames(data):
            if ftype == 0 and len(payload) >= 5:
                messages.append(payload[5:])
    for k, message in enumerate(sorted(set(messages))[:60]):
        write(out, "protobuf-response", f"keel-{k:02d}", message)


def peer_seeds(src, out):
    seen = {}
    for path in sorted(glob.glob(os.path.join(src, "*", "*"))):
        data = open(path, "rb").read()[29:]  # The handshake.
        at = 0
        while len(data) - at >= 8:
            length = int.from_bytes(data[at:at + 4], "little")
            frame = data[at:at + 8 + length]
            kind = frame[8 + 24] if len(frame) > 32 else -1  # The body's tag after from, to, term.
            seen.setdefault(kind, []).append(frame)
            at += 8 + length
    k = 0
    for kind in sorted(seen):
        for frame in seen[kind][:4]:
            write(out, "peer", f"frame-{k:02d}", bytes([k % 2]) + frame)
            k += 1
        write(out, "peer", f"stream-{kind}", b"\x00" + b"".join(seen[kind][:6]))


def storage_seeds(data_dir, snapshot_file, out):
    for path in sorted(glob.glob(os.path.join(data_dir, "wal-*.log"))):
        data = open(path, "rb").read()
        write(out, "wal", "segment-raw", b"\x00" + data)
        write(out, "wal", "segment-reframed", b"\x01" + data)
        at, k = 0, 0
        while len(data) - at >= 12:
            length = int.from_bytes(data[at:at + 4], "little")
            payload = data[at + 12:at + 12 + length]
            if payload[:1] == b"\x02" and len(payload) > 22:
                entry = payload[22:]  # tag, term, index, kind; then the blob: u32 length, data.
                blob = entry[4:4 + int.from_bytes(entry[:4], "little")]
                if blob and k < 40:
                    write(out, "entry", f"wal-{k:02d}", blob)
                    k += 1
            at += 12 + length
    for path in sorted(glob.glob(os.path.join(data_dir, "snap-*.snap"))):
        data = open(path, "rb").read()
        write(out, "snapshot", "file", b"\x00" + data)
        at = 5 + 16
        for _ in range(3):
            count = int.from_bytes(data[at:at + 4], "little")
            at += 4 + 8 * count
        length = int.from_bytes(data[at:at + 4], "little")
        write(out, "snapshot", "state-machine", b"\x01" + data[at + 4:at + 4 + length])
    if snapshot_file:
        write(out, "snapshot", "etcdctl-save", b"\x00" + open(snapshot_file, "rb").read())


def transcript_seeds(src, out):
    bodies, requests = [], []
    for path in sorted(glob.glob(os.path.join(src, "*.txt"))):
        request = None
        for line in open(path, encoding="utf-8", errors="replace"):
            if line.startswith("> POST ") or line.startswith("> GET "):
                request = {"line": line[2:].strip(), "headers": [], "body": None}
                requests.append(request)
            elif line.startswith("> ") and request is not None and request["body"] is None:
                text = line[2:].rstrip("\n")
                if ":" in text and not text.startswith("{") and not text.startswith("["):
                    request["headers"].append(text)
                else:
                    request["body"] = text
                    bodies.append(text)
            elif not line.startswith(">"):
                request = None if line.startswith("<") else request
    for k, body in enumerate(sorted(set(bodies))[:80]):
        write(out, "json", f"transcript-{k:02d}", body.encode())
    for k, request in enumerate(requests[:60]):
        method, path = request["line"].split(" ", 1)
        body = (request["body"] or "").encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:2379\r\n" + "".join(h + "\r\n" for h in request["headers"])
        head += f"Content-Length: {len(body)}\r\n\r\n"
        one = head.encode() + body
        write(out, "http1", f"transcript-{k:02d}", bytes([k % 4]) + (one + one if k % 5 == 0 else one))
    chunked = (b"POST /v3/watch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"10\r\n{\"create_request\"\r\n9\r\n:{\"key\":\"\r\n7\r\nYQ==\"}}\r\n0\r\n\r\n")
    write(out, "http1", "chunked", b"\x02" + chunked)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--h2"); p.add_argument("--h2-responses"); p.add_argument("--peer"); p.add_argument("--data-dir"); p.add_argument("--snapshot")
    p.add_argument("--transcripts"); p.add_argument("--out", default="fuzz-corpus")
    a = p.parse_args()
    if a.h2: h2_seeds(a.h2, a.out)
    if a.h2_responses: h2_response_seeds(a.h2_responses, a.out)
    if a.peer: peer_seeds(a.peer, a.out)
    if a.data_dir: storage_seeds(a.data_dir, a.snapshot, a.out)
    if a.transcripts: transcript_seeds(a.transcripts, a.out)


if __name__ == "__main__":
    main()
