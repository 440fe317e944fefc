#!/usr/bin/env python3
"""The records and tables of bench/tls-versus-etcd.sh.
   tls-versus-report.py record SYSTEM TLS WORKLOAD CLIENTS REPEAT RC CPU_S LANDED CHECK < loadgen.json >> runs.jsonl
       one run as one JSON line: the server (etcd|keel), tls (1: client and peer TLS with client certificates,
       0: plain), the cell, loadgen's exit status, the three members' CPU seconds over the run, the keys counted
       under a put run's prefix afterwards (-1 otherwise), the script's own check, and loadgen's --json report
   tls-versus-report.py table RUNS.jsonl OUT.json SETTINGS...
       prints medians over the repeats per cell: req/s, p50/p99 and server CPU per request for each server with
       TLS and without; keel/etcd ratios with TLS and without; each server's TLS cost (tls/plain req/s); writes
       every record and the medians to OUT.json; exits 1 when any run failed a check"""
import json
import statistics
import sys

median = statistics.median
ORDER = {"put": 0, "range-lin": 1}
TARGET = 2.0  # issue 14: keel over TLS must stay at least twice etcd over TLS


def record(args):
    system, tls, workload, clients, repeat, rc, cpu, landed, check = args
    text = sys.stdin.read().strip()
    try:
        report = json.loads(text.splitlines()[-1]) if text else None
    except ValueError:
        report = None
    ok = rc == "0" and check == "ok" and report is not None and report.get("ok", False)
    notes = [] if check == "ok" else [check]
    if report is None:
        notes.append("no loadgen report")
    elif report.get("failures"):
        notes += report["failures"][:3]
    if rc != "0":
        notes.append(f"loadgen exit {rc}")
    print(json.dumps({
        "system": system, "tls": tls == "1", "workload": workload, "clients": int(clients),
        "repeat": int(repeat), "loadgen_exit": int(rc), "server_cpu_s": float(cpu), "landed": int(landed),
        "ok": ok, "notes": notes, "report": report}))


def summary(runs):
    """Medians of one server's repeats of one cell: OK answers per second, latency, and the three members' CPU
    per request (warm-up requests included, as the CPU is taken over the whole loadgen process)."""
    if not runs:
        return None
    def rps(r):
        rep = r["report"]
        return (rep["requests"] - rep["errors"]) / rep["duration_s"] if rep and rep["duration_s"] > 0 else 0.0
    def cpu_us(r):
        rep = r["report"]
        sent = (rep["requests"] + rep["warmup"]) if rep else 0
        return r["server_cpu_s"] * 1e6 / max(sent, 1)
    def lat(r, q):
        return r["report"]["latency"].get(q, 0.0) if r["report"] else 0.0
    return {
        "repeats": len(runs), "rps": median(rps(r) for r in runs), "p50_ms": median(lat(r, "p50_ms") for r in runs),
        "p99_ms": median(lat(r, "p99_ms") for r in runs), "cpu_us": median(cpu_us(r) for r in runs),
        "errors": sum(r["report"]["errors"] if r["report"] else 0 for r in runs),
        "rps_by_repeat": {r["repeat"]: rps(r) for r in runs},
    }


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def per_repeat(num, den):
    if not num or not den:
        return ""
    return " ".join(f"{num['rps_by_repeat'][rep] / den['rps_by_repeat'][rep]:.2f}"
                    for rep in sorted(num["rps_by_repeat"]) if den["rps_by_repeat"].get(rep))


def side(s):
    if s is None:
        return f"{'-':>9} {'-':>7} {'-':>7} {'-':>6}"
    return f"{s['rps']:>9.1f} {s['p50_ms']:>7.2f} {s['p99_ms']:>7.2f} {s['cpu_us']:>6.0f}"


def table(args):
    runs_path, out_path, settings = args[0], args[1], " ".join(args[2:])
    runs = [json.loads(line) for line in open(runs_path) if line.strip()]
    cells = {}
    for r in runs:
        cells.setdefault((r["workload"], r["clients"]), {}).setdefault((r["system"], r["tls"]), []).append(r)
    med = {cell: {key: summary(rs) for key, rs in by.items()} for cell, by in cells.items()}
    keys = sorted(med, key=lambda c: (ORDER.get(c[0], 9), c[1]))

    print()
    print(f"({settings}; medians over the repeats, runs of each cell interleaved etcd tls, keel tls, etcd plain,")
    print("keel plain, ...). req/s = OK answers per second; p50/p99 in ms; cpu = the three members' CPU-µs per")
    print("request; tls/plain = the server's req/s with TLS over its req/s without (its TLS cost)")
    head = (f"{'cell':<14} {'server':<6} | {'tls req/s':>9} {'p50':>7} {'p99':>7} {'cpu':>6} | {'plain r/s':>9} "
            f"{'p50':>7} {'p99':>7} {'cpu':>6} | {'tls/plain':>9} {'cpu +µs':>8}")
    print(head)
    print("-" * len(head))
    for cell in keys:
        for system in ("etcd", "keel"):
            t, p = med[cell].get((system, True)), med[cell].get((system, False))
            extra = f"{ratio(t and t['rps'], p and p['rps']):>9}"
            if t and p:
                extra += f" {t['cpu_us'] - p['cpu_us']:>+8.1f}"
            print(f"{cell[0] + ' c' + str(cell[1]):<14} {system:<6} | {side(t)} | {side(p)} | {extra}")

    print()
    head = (f"{'keel/etcd':<14} | {'tls req/s':>9} {'p99':>6} {'per repeat':<16} | {'plain r/s':>9} {'p99':>6} "
            f"{'per repeat':<16} | tls >= {TARGET:g}x")
    print(head)
    print("-" * len(head))
    short = []
    for cell in keys:
        parts = []
        for tls in (True, False):
            e, k = med[cell].get(("etcd", tls)), med[cell].get(("keel", tls))
            parts.append(f"{ratio(k and k['rps'], e and e['rps']):>9} {ratio(k and k['p99_ms'], e and e['p99_ms']):>6} "
                         f"{per_repeat(k, e):<16}")
        e, k = med[cell].get(("etcd", True)), med[cell].get(("keel", True))
        held = bool(e and k and e["rps"] > 0 and k["rps"] >= TARGET * e["rps"])
        if not held:
            short.append(f"{cell[0]} c{cell[1]}")
        print(f"{cell[0] + ' c' + str(cell[1]):<14} | {parts[0]} | {parts[1]} | {'yes' if held else 'NO'}")
    if short:
        print(f"keel over TLS below {TARGET:g}x etcd over TLS in: {', '.join(short)}")

    landed = [r for r in runs if r["workload"] == "put" and r["report"]]
    acked = sum(r["report"].get("acknowledged_puts", 0) for r in landed)
    failed = [r for r in runs if not r["ok"]]
    errors = [f"{s}{' tls' if t else ' plain'} {c[0]} c{c[1]}: {m['errors']} errors"
              for c in keys for (s, t), m in sorted(med[c].items()) if m and m["errors"]]
    if errors:
        print("request errors: " + "; ".join(errors))
    with open(out_path, "w") as out:
        json.dump({"settings": settings, "runs": runs,
                   "medians": [{"workload": c[0], "clients": c[1], "system": s, "tls": t, **m}
                               for c in keys for (s, t), m in sorted(med[c].items()) if m]}, out, indent=1)
    print(f"raw results: {out_path}")
    if failed:
        print(f"FAILED checks ({len(failed)}):")
        for r in failed:
            print(f"  {r['system']} {'tls' if r['tls'] else 'plain'} {r['workload']} c{r['clients']} repeat "
                  f"{r['repeat']}: {'; '.join(r['notes'])[:300]}")
        return 1
    print(f"checks held: every acknowledged put counted afterwards ({acked} in {len(landed)} put runs, counted "
          "by loadgen --verify=count and again over the JSON gateway, with the client certificate where TLS is "
          "on); loadgen's own checks")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 11 and sys.argv[1] == "record":
        record(sys.argv[2:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "table":
        sys.exit(table(sys.argv[2:]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
