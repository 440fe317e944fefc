#!/usr/bin/env python3
"""The records and tables of bench/auth-versus-etcd.sh.
   auth-versus-report.py record SYSTEM AUTH WORKLOAD CLIENTS REPEAT RC CPU_S LANDED CHECK < loadgen.json >> runs.jsonl
       one run as one JSON line: the server (etcd|keel), auth (1: requests carry the user's token, 0: a server
       without auth), the cell, loadgen's exit status, the server's CPU seconds over the run, the keys counted
       under a put run's prefix afterwards (-1 otherwise), the script's own check, and loadgen's --json report
   auth-versus-report.py table RUNS.jsonl OUT.json SETTINGS...
       prints medians over the repeats: Authenticate throughput, and put/range with the token vs without auth
       for each server (the token's cost per request) with keel/etcd ratios; writes every record and the
       medians to OUT.json; exits 1 when any run failed a check"""
import json
import statistics
import sys

median = statistics.median


def record(args):
    system, auth, workload, clients, repeat, rc, cpu, landed, check = args
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
        "system": system, "auth": auth == "1", "workload": workload, "clients": int(clients),
        "repeat": int(repeat), "loadgen_exit": int(rc), "server_cpu_s": float(cpu), "landed": int(landed),
        "ok": ok, "notes": notes, "report": report}))


def summary(runs, login_cpu_s=0.0):
    """Medians of one system's repeats of one cell: OK answers per second, latency, server CPU per request.
    The CPU is the server's over the whole loadgen process; with auth on, each connection authenticated once
    while dialing, so login_cpu_s (the server's CPU per Authenticate) is taken off once per connection."""
    if not runs:
        return None
    def rps(r):
        rep = r["report"]
        return (rep["requests"] - rep["errors"]) / rep["duration_s"] if rep and rep["duration_s"] > 0 else 0.0
    def cpu_us(r):
        rep = r["report"]
        sent = (rep["requests"] + rep["warmup"]) if rep else 0
        logins = rep["conns"] if rep and r["auth"] and r["workload"] != "authenticate" else 0
        return max(r["server_cpu_s"] - logins * login_cpu_s, 0.0) * 1e6 / max(sent, 1)
    def lat(r, q):
        return r["report"]["latency"].get(q, 0.0) if r["report"] else 0.0
    return {
        "repeats": len(runs), "rps": median(rps(r) for r in runs), "p50_ms": median(lat(r, "p50_ms") for r in runs),
        "p99_ms": median(lat(r, "p99_ms") for r in runs), "cpu_us": median(cpu_us(r) for r in runs),
        "errors": sum(r["report"]["errors"] if r["report"] else 0 for r in runs),
        "rps_by_repeat": {r["repeat"]: rps(r) for r in runs},
    }


def table(args):
    runs_path, out_path, settings = args[0], args[1], " ".join(args[2:])
    runs = [json.loads(line) for line in open(runs_path) if line.strip()]
    cells = {}
    for r in runs:
        cells.setdefault((r["workload"], r["clients"]), {}).setdefault((r["system"], r["auth"]), []).append(r)
    # The server's CPU per Authenticate, from its single-client Authenticate runs (no dial-time login there).
    login_cpu_s = {}
    for (system, auth), rs in cells.get(("authenticate", 1), {}).items():
        login_cpu_s[system] = summary(rs)["cpu_us"] / 1e6
    med = {cell: {key: summary(rs, login_cpu_s.get(key[0], 0.0)) for key, rs in by.items()}
           for cell, by in cells.items()}
    order = {"authenticate": 0, "put": 1, "range-lin": 2}
    keys = sorted(med, key=lambda c: (order.get(c[0], 9), c[1]))

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "-"

    def side(s, cpu_unit=1.0, cpu_fmt="{:>6.0f}"):
        if s is None:
            return f"{'-':>9} {'-':>8} {'-':>8} {'-':>6}"
        return f"{s['rps']:>9.1f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} " + cpu_fmt.format(s["cpu_us"] / cpu_unit)

    def per_repeat(k, e):
        if not k or not e:
            return ""
        return " ".join(f"{k['rps_by_repeat'][rep] / e['rps_by_repeat'][rep]:.2f}"
                        for rep in sorted(k["rps_by_repeat"]) if e["rps_by_repeat"].get(rep))

    print()
    print(f"({settings}; medians over the repeats, runs of each cell interleaved etcd, keel, ...)")
    print("Authenticate: one Auth.Authenticate RPC per request (the user's name and password); req/s counts")
    print("answers with a token; p50/p99 in ms; cpu = the server's CPU-ms per request")
    head = (f"{'cell':<16} | {'etcd req/s':>9} {'p50':>8} {'p99':>8} {'cpu':>6} | {'keel req/s':>9} {'p50':>8} "
            f"{'p99':>8} {'cpu':>6} | keel/etcd | per repeat")
    print(head)
    print("-" * len(head))
    for cell in keys:
        if cell[0] != "authenticate":
            continue
        e, k = med[cell].get(("etcd", True)), med[cell].get(("keel", True))
        print(f"{cell[0] + ' c' + str(cell[1]):<16} | {side(e, 1000, '{:>6.1f}')} | {side(k, 1000, '{:>6.1f}')} | "
              f"{ratio(k and k['rps'], e and e['rps']):>9} | {per_repeat(k, e)}")

    print()
    print("The token's cost: each request with the user's token (auth on) vs the same request to a server")
    print("without auth (open); cpu = the server's CPU-µs per request (with auth, less the connections' logins at")
    print("dial: conns x its CPU per Authenticate above); cost = auth/open req/s, and p99 and cpu added by auth")
    head = (f"{'cell':<14} {'server':<6} | {'auth req/s':>9} {'p50':>8} {'p99':>8} {'cpu':>6} | {'open req/s':>9} "
            f"{'p50':>8} {'p99':>8} {'cpu':>6} | {'auth/open':>9} {'p99 +ms':>8} {'cpu +µs':>8}")
    print(head)
    print("-" * len(head))
    for cell in keys:
        if cell[0] == "authenticate":
            continue
        for system in ("etcd", "keel"):
            a, o = med[cell].get((system, True)), med[cell].get((system, False))
            extra = f"{ratio(a and a['rps'], o and o['rps']):>9}"
            if a and o:
                extra += f" {a['p99_ms'] - o['p99_ms']:>+8.2f} {a['cpu_us'] - o['cpu_us']:>+8.1f}"
            print(f"{cell[0] + ' c' + str(cell[1]):<14} {system:<6} | {side(a)} | {side(o)} | {extra}")
    print()
    head = f"{'keel/etcd':<14} | {'auth req/s':>10} {'p99':>6} {'per repeat':<16} | {'open req/s':>10} {'p99':>6} per repeat"
    print(head)
    print("-" * len(head))
    for cell in keys:
        if cell[0] == "authenticate":
            continue
        parts = []
        for auth in (True, False):
            e, k = med[cell].get(("etcd", auth)), med[cell].get(("keel", auth))
            parts.append(f"{ratio(k and k['rps'], e and e['rps']):>10} {ratio(k and k['p99_ms'], e and e['p99_ms']):>6} "
                         f"{per_repeat(k, e):<16}")
        print(f"{cell[0] + ' c' + str(cell[1]):<14} | {parts[0]} | {parts[1]}")

    landed = [r for r in runs if r["workload"] == "put" and r["report"]]
    acked = sum(r["report"].get("acknowledged_puts", 0) for r in landed)
    failed = [r for r in runs if not r["ok"]]
    errors = [f"{s}{' auth' if a else ' open'} {c[0]} c{c[1]}: {m['errors']} errors"
              for c in keys for (s, a), m in med[c].items() if m and m["errors"]]
    if errors:
        print("request errors: " + "; ".join(errors))
    with open(out_path, "w") as out:
        json.dump({"settings": settings, "runs": runs,
                   "medians": [{"workload": c[0], "clients": c[1], "system": s, "auth": a, **m}
                               for c in keys for (s, a), m in sorted(med[c].items()) if m]}, out, indent=1)
    print(f"raw results: {out_path}")
    if failed:
        print(f"FAILED checks ({len(failed)}):")
        for r in failed:
            print(f"  {r['system']} {'auth' if r['auth'] else 'open'} {r['workload']} c{r['clients']} repeat "
                  f"{r['repeat']}: {'; '.join(r['notes'])[:300]}")
        return 1
    print(f"checks held: every acknowledged put counted afterwards ({acked} in {len(landed)} put runs, counted "
          "by loadgen --verify=count and again over the JSON gateway, with the user's token where auth is on); "
          "every Authenticate answer a token of its own; loadgen's own checks")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 11 and sys.argv[1] == "record":
        record(sys.argv[2:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "table":
        sys.exit(table(sys.argv[2:]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
