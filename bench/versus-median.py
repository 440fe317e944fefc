#!/usr/bin/env python3
"""Medians over repeated bench/versus-etcd.sh runs: pass their raw result directories (the "raw results:"
line each run prints, without the file name). Prints one row per cell with the median requests/s, p50 and
p99 of each system, the ratio of the medians, and each run's ratio, then the footprint medians.
   bench/versus-median.py .build/versus.AAAA .build/versus.BBBB .build/versus.CCCC"""
import statistics
import sys

cells, feet = {}, {}
for root in sys.argv[1:]:
    for line in open(f"{root}/results.tsv"):
        f = line.rstrip("\n").split("\t")
        key = (int(f[1]), f[2], int(f[3]))
        ok = int(f[4]) - int(f[6])
        rps = ok / (int(f[5]) / 1e6)
        cells.setdefault(key, {}).setdefault(f[0], []).append((rps, float(f[8]) / 1000, float(f[9]) / 1000))
    try:
        for line in open(f"{root}/footprint.tsv"):
            s, keys, rss, disk, _ = line.split()
            feet.setdefault(s, []).append((int(rss) / 1024, int(disk) / 1024))
    except FileNotFoundError:
        pass

median = statistics.median
print(f"medians over {len(sys.argv) - 1} runs; p50/p99 in ms")
print(f"{'members':>7} {'workload':<10} {'conns':>5} | {'etcd req/s':>10} {'p50':>7} {'p99':>7} | "
      f"{'keel req/s':>10} {'p50':>7} {'p99':>7} | {'keel/etcd':>9} | per run")
for key in sorted(cells):
    e, k = cells[key].get("etcd", []), cells[key].get("keel", [])

    def side(runs):
        if not runs:
            return f"{'-':>10} {'-':>7} {'-':>7}"
        return f"{median(r[0] for r in runs):>10.0f} {median(r[1] for r in runs):>7.2f} {median(r[2] for r in runs):>7.2f}"

    ratio = f"{median(r[0] for r in k) / median(r[0] for r in e):>9.2f}" if e and k else f"{'-':>9}"
    runs = " ".join(f"{a[0] / b[0]:.2f}" for a, b in zip(k, e))
    print(f"{key[0]:>7} {key[1]:<10} {key[2]:>5} | {side(e)} | {side(k)} | {ratio} | {runs}")
for s, runs in feet.items():
    print(f"footprint {s}: RSS {median(r[0] for r in runs):.1f} MiB, data dir {median(r[1] for r in runs):.1f} MiB "
          f"(runs: {', '.join(f'{r[0]:.1f}' for r in runs)})")
if "etcd" in feet and "keel" in feet:
    print(f"keel/etcd RSS: {median(r[0] for r in feet['keel']) / median(r[0] for r in feet['etcd']):.2f}")
