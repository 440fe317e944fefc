#!/usr/bin/env python3
"""One bench/loadgen `--json` report as the fields bench/versus-etcd.sh records, tab-separated:
   units seconds errors p50_ms p99_ms acked puts cpu_units rate ok note
units are successful requests (watch: events delivered), seconds the measured time (watch: first put sent to
last event received), acked the acknowledged puts (-1 for ranges), puts every write of the process (warmup
included, for fsyncs per put), cpu_units what the server's CPU time is divided by (warmup included; watch:
events), rate what sizes the next run of this cell (requests/s; watch: puts/s until delivered), ok 1 when
loadgen's own checks held.
   versus-loadgen.py REPORT.json"""
import json
import sys

try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print(f"0\t1\t1\t0\t0\t-1\t0\t0\t0\t0\tno loadgen report ({e.__class__.__name__})")
    sys.exit(0)
requests, errors, warmup = d["requests"], d["errors"], d["warmup"]
ok = 1 if d["ok"] else 0
note = "; ".join(f.replace("\t", " ") for f in d["failures"])[:300] or "ok"
if d.get("error_kinds"):
    note += "; errors: " + ", ".join(f"{e['count']}x {e['text'][:80]}" for e in d["error_kinds"][:2])
acked = d.get("acknowledged_puts", -1)
if d["command"] == "watch":
    w = d["watch"]
    units, seconds, latency = w["events_received"], w["delivery_s"], w["delivery_latency"]
    puts, cpu_units = requests + warmup, units
    rate = acked / seconds if seconds > 0 else 0
else:
    units, seconds, latency = requests - errors, d["duration_s"], d["latency"]
    puts = acked if acked >= 0 else 0
    cpu_units = requests + warmup
    rate = units / seconds if seconds > 0 else 0
print(f"{units}\t{seconds}\t{errors}\t{latency.get('p50_ms', 0)}\t{latency.get('p99_ms', 0)}\t{acked}\t{puts}"
      f"\t{cpu_units}\t{rate:.1f}\t{ok}\t{note}")
