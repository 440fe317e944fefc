#!/usr/bin/env python3
"""Talks to etcd's KV service with grpcio over TLS (PyPI's grpcio; no generated code: requests are encoded by
hand). Used by the TLS tests.

    grpc_tls_check.py HOST:PORT CA.pem [CERT.pem KEY.pem]

Puts py-tls=hello and reads it back; prints "ok", or "error <grpc status code>: <details>" and exits 1.
"""
import sys

import grpc


def field(number, payload):
    """A length-delimited protobuf field (short payloads only)."""
    assert len(payload) < 128
    return bytes([number << 3 | 2, len(payload)]) + payload


def main():
    endpoint, ca = sys.argv[1], sys.argv[2]
    cert = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else None
    key = open(sys.argv[4], "rb").read() if len(sys.argv) > 4 else None
    credentials = grpc.ssl_channel_credentials(open(ca, "rb").read(), key, cert)
    with grpc.secure_channel(endpoint, credentials) as channel:
        try:
            put = channel.unary_unary("/etcdserverpb.KV/Put")
            put(field(1, b"py-tls") + field(2, b"hello"), timeout=5)
            reply = channel.unary_unary("/etcdserverpb.KV/Range")(field(1, b"py-tls"), timeout=5)
        except grpc.RpcError as error:
            print(f"error {error.code().name}: {error.details()}")
            return 1
    if b"hello" not in reply:
        print("error: range did not return the value")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
