#!/usr/bin/env python3
"""Prints the table of bench/versus-etcd.sh from its TSV results (one row per wrk run)."""
import sys

results, footprint, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
cells = {}
for line in open(results):
    f = line.rstrip("\n").split("\t")
    sys_, n, workload, conns = f[0], int(f[1]), f[2], int(f[3])
    requests, micros, non2xx, sockerr = int(f[4]), int(f[5]), int(f[6]), int(f[7])
    ok = requests - non2xx
    cells[(n, workload, conns, sys_)] = {
        "ok": ok, "rps": ok / (micros / 1e6), "p50": float(f[8]) / 1000, "p99": float(f[9]) / 1000,
        "bad": non2xx + sockerr, "keys": int(f[10]), "cpu": float(f[11]), "fsyncs": int(f[12]),
    }

print()
print("requests/s count 2xx answers only; p50/p99 in ms; cpu = server CPU-ms per 1000 requests (all members);")
print("fs/req = leader WAL fsyncs per request; landed = keys counted afterwards vs 2xx puts (>= means all landed)")
header = (f"{'members':>7} {'workload':<10} {'conns':>5} | {'etcd req/s':>10} {'p50':>7} {'p99':>7} {'cpu':>5} "
          f"{'fs/req':>6} | {'keel req/s':>10} {'p50':>7} {'p99':>7} {'cpu':>5} {'fs/req':>6} | {'keel/etcd':>9} "
          f"| landed (etcd, keel)")
print(header)
print("-" * len(header))
order = {"put": 0, "range-lin": 1, "range-ser": 2, "mix": 3}
keys = sorted({(n, w, c) for (n, w, c, _) in cells}, key=lambda k: (k[0], order[k[1]], k[2]))


def side(cell):
    if cell is None:
        return f"{'-':>10} {'-':>7} {'-':>7} {'-':>5} {'-':>6}"
    cpu = cell["cpu"] * 1e6 / max(cell["ok"], 1)
    fs = cell["fsyncs"] / max(cell["ok"], 1)
    return f"{cell['rps']:>10.0f} {cell['p50']:>7.2f} {cell['p99']:>7.2f} {cpu:>5.0f} {fs:>6.2f}"


def landed(cell):
    if cell is None or cell["keys"] < 0:
        return ""
    mark = ">=" if cell["keys"] >= cell["ok"] else "MISSING"
    return f"{cell['keys']} {mark} {cell['ok']}"


for (n, w, c) in keys:
    e, k = cells.get((n, w, c, "etcd")), cells.get((n, w, c, "keel"))
    ratio = f"{k['rps'] / e['rps']:>9.2f}" if e and k and e["rps"] > 0 else f"{'-':>9}"
    extra = ""
    if w == "put":
        extra = f"{landed(e)}; {landed(k)}"
    bad = [f"{s} {x['bad']} errors" for s, x in (("etcd", e), ("keel", k)) if x and x["bad"]]
    if bad:
        extra += ("; " if extra else "") + ", ".join(bad)
    print(f"{n:>7} {w:<10} {c:>5} | {side(e)} | {side(k)} | {ratio} | {extra}")

print()
print(f"footprint after loading keys into one member (64 connections):")
print(f"{'system':<6} {'keys':>8} {'RSS MiB':>8} {'data dir MiB':>12} {'load s':>7}")
for line in open(footprint):
    s, keys, rss, disk, elapsed = line.split()
    print(f"{s:<6} {keys:>8} {int(rss) / 1024:>8.1f} {int(disk) / 1024:>12.1f} {float(elapsed):>7.1f}")
print(f"({seconds:.0f} s per cell, etcd and keel cells interleaved)")
missing = [(n, w, c, s) for (n, w, c, s), cell in cells.items() if 0 <= cell["keys"] < cell["ok"]]
if missing:
    print(f"FAILED: fewer keys than 2xx puts in {missing}")
    sys.exit(1)
