#!/usr/bin/env python3
"""The tables of bench/versus-etcd.sh: medians over the repeats of each cell (and over several runs when
given several run directories, e.g. `bench/versus-report.py .build/versus.A .build/versus.B`), the keel/etcd
ratio of the medians and of each repeat, server CPU and WAL fsyncs per request, and the checks. Exits 1 when
any run failed a check (an acknowledged put not counted afterwards, a gRPC answer that was not OK, ...).
   bench/versus-report.py RUN_DIR...          (each holds cells.tsv and footprint.tsv)"""
import statistics
import sys

DRIVERS = {"h2load": 0, "clientv3": 1, "json": 2}
WORKLOADS = {"put": 0, "range-lin": 1, "range-ser": 2, "watch": 3, "mix": 4}


def shape_order(shape):
    if shape.startswith("c"):
        return (int(shape[1:]), 0)
    conns, streams = shape.split("x")
    return (-int(streams), int(conns))


cells, failures, feet, settings = {}, [], {}, []
for run, root in enumerate(sys.argv[1:]):
    try:
        settings.append(open(f"{root}/settings").read().strip())
    except FileNotFoundError:
        pass
    for line in open(f"{root}/cells.tsv"):
        f = line.rstrip("\n").split("\t")
        s, n, driver, workload, shape, rep = f[0], int(f[1]), f[2], f[3], f[4], int(f[5])
        units, seconds, errors = int(f[6]), float(f[7]), int(f[8])
        acked, landed, cpu, fsyncs, puts, cpu_units = int(f[11]), int(f[12]), float(f[13]), int(f[14]), int(f[15]), int(f[16])
        check = f[17]
        cell = {
            "rps": units / seconds if seconds > 0 else 0.0, "p50": float(f[9]), "p99": float(f[10]),
            "cpu": cpu * 1e6 / max(cpu_units, 1),
            "fs": fsyncs / max(puts if workload == "watch" else units, 1),
            "errors": errors, "acked": acked, "landed": landed, "rep": (run, rep),
        }
        cells.setdefault((n, driver, workload, shape), {}).setdefault(s, []).append(cell)
        if check.startswith("FAILED"):
            failures.append(f"{s} n={n} {driver} {workload} {shape} repeat {rep}: {check}")
    try:
        for line in open(f"{root}/footprint.tsv"):
            s, keys, rss, disk, elapsed = line.split()
            feet.setdefault(s, []).append((int(keys), int(rss) / 1024, int(disk) / 1024, float(elapsed)))
    except FileNotFoundError:
        pass

median = statistics.median
print()
print("Medians over the repeats. req/s counts OK answers only; p50/p99 in ms; cpu = server CPU-µs per request")
print("(all members); fs/req = leader WAL fsyncs per request. watch rows: events/s delivered to 1000 watchers,")
print("put-to-delivery p50/p99, CPU-µs per event, fsyncs per put. Shapes: h2load CxS = C connections x S")
print("streams; clientv3 cN = N clients (one gRPC connection per 8); json cN = N wrk connections.")
header = (f"{'n':>1} {'driver':<8} {'workload':<9} {'shape':>5} | {'etcd req/s':>10} {'p50':>7} {'p99':>7} {'cpu':>5} "
          f"{'fs/req':>6} | {'keel req/s':>10} {'p50':>7} {'p99':>7} {'cpu':>5} {'fs/req':>6} | {'keel/etcd':>9} "
          f"| per repeat | puts landed")
print(header)
print("-" * len(header))


def side(runs):
    if not runs:
        return f"{'-':>10} {'-':>7} {'-':>7} {'-':>5} {'-':>6}"
    return (f"{median(r['rps'] for r in runs):>10.0f} {median(r['p50'] for r in runs):>7.2f} "
            f"{median(r['p99'] for r in runs):>7.2f} {median(r['cpu'] for r in runs):>5.0f} "
            f"{median(r['fs'] for r in runs):>6.3f}")


def landed(runs):
    put_runs = [r for r in runs if r["acked"] >= 0 and r["landed"] >= 0]
    if not put_runs:
        return ""
    short = [r for r in put_runs if r["landed"] < r["acked"]]
    if short:
        return "MISSING " + ", ".join(f"{r['landed']}<{r['acked']}" for r in short)
    landed_all, acked_all = sum(r["landed"] for r in put_runs), sum(r["acked"] for r in put_runs)
    return f"{landed_all}{'=' if landed_all == acked_all else '>='}{acked_all}"


for key in sorted(cells, key=lambda k: (k[0], DRIVERS.get(k[1], 9), WORKLOADS.get(k[2], 9), shape_order(k[3]))):
    n, driver, workload, shape = key
    e, k = cells[key].get("etcd", []), cells[key].get("keel", [])
    ratio = f"{'-':>9}"
    if e and k and median(r["rps"] for r in e) > 0:
        ratio = f"{median(r['rps'] for r in k) / median(r['rps'] for r in e):>9.2f}"
    by_rep = {r["rep"]: r for r in e}
    per = " ".join(f"{r['rps'] / by_rep[r['rep']]['rps']:.2f}" for r in k
                   if r["rep"] in by_rep and by_rep[r["rep"]]["rps"] > 0)
    extra = ""
    if workload in ("put", "mix"):
        extra = "; ".join(x for x in (landed(e) and f"etcd {landed(e)}", landed(k) and f"keel {landed(k)}") if x)
    errs = [f"{s} {sum(r['errors'] for r in rs)} errors" for s, rs in (("etcd", e), ("keel", k))
            if sum(r["errors"] for r in rs)]
    if errs:
        extra += ("; " if extra else "") + ", ".join(errs)
    print(f"{n:>1} {driver:<8} {workload:<9} {shape:>5} | {side(e)} | {side(k)} | {ratio} | {per:<10} | {extra}")

if feet:
    print()
    print("footprint after putting keys into one member over gRPC (64 clients, 8 connections, 256-byte values):")
    print(f"{'system':<6} {'keys':>8} {'RSS MiB':>8} {'data dir MiB':>12} {'load s':>7}")
    for s, runs in feet.items():
        print(f"{s:<6} {median(r[0] for r in runs):>8.0f} {median(r[1] for r in runs):>8.1f} "
              f"{median(r[2] for r in runs):>12.1f} {median(r[3] for r in runs):>7.1f}")
    if "etcd" in feet and "keel" in feet:
        print(f"keel/etcd RSS: {median(r[1] for r in feet['keel']) / median(r[1] for r in feet['etcd']):.2f}")
print(f"({'; '.join(settings)}; etcd and keel runs of each cell interleaved)")
if failures:
    print(f"FAILED checks ({len(failures)}):")
    for f in failures:
        print(f"  {f}")
    sys.exit(1)
drivers = {key[1] for key in cells}
print("checks held: every acknowledged put counted afterwards"
      + ("; every h2load answer a gRPC OK message" if "h2load" in drivers else "")
      + ("; loadgen's own checks (watch: every watcher got every acknowledged put once, in order)"
         if "clientv3" in drivers else ""))
