#!/usr/bin/env python3
"""Parses a Prometheus text exposition (format 0.0.4) from stdin with prometheus-client's parser and checks
what that parser lets pass: every family declared once with HELP and TYPE before its samples, no sample
outside a declared family, no duplicate series, counters and histogram buckets non-negative, buckets
cumulative with increasing `le` ending at +Inf equal to `_count`.

Prints JSON: {"families": {name: {"type", "help", "samples": [[name, labels, value], ...]}}, "errors": [...]}.
Exits 2 when prometheus_client is missing (the caller skips), 1 when the text does not parse.
Used by Tests/RealNetTests/MetricsTests.swift; run it by hand as `curl -s HOST:PORT/metrics | parse-metrics.py`.
"""
import json
import math
import re
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("prometheus_client is not installed", file=sys.stderr)
    sys.exit(2)

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SUFFIXES = {"counter": ["", "_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"],
            "summary": ["", "_sum", "_count"], "untyped": [""]}


def line_checks(text, errors):
    """Checks the raw lines: comments' order, names, and that every sample belongs to a declared family."""
    helped, typed, seen_samples = {}, {}, set()
    current = None
    for number, line in enumerate(text.split("\n"), 1):
        if line == "":
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not NAME.match(parts[2]):
                errors.append(f"line {number}: malformed comment {line!r}")
                continue
            kind, name = parts[1], parts[2]
            table = helped if kind == "HELP" else typed
            if name in table:
                errors.append(f"line {number}: second {kind} for {name}")
            if name in seen_samples:
                errors.append(f"line {number}: {kind} for {name} after its samples")
            table[name] = parts[3]
            if kind == "TYPE" and parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                errors.append(f"line {number}: unknown type {parts[3]!r}")
            current = name
            continue
        if line.startswith("#"):
            continue
        sample = re.split(r"[{ ]", line, 1)[0]
        family = current if current and any(sample == current + s for s in SUFFIXES.get(typed.get(current), [""])) \
            else None
        if family is None:
            errors.append(f"line {number}: sample {sample} outside a declared family")
            continue
        seen_samples.add(family)
        escape_check(line, number, errors)
    for name in typed:
        if name not in helped:
            errors.append(f"{name}: TYPE without HELP")
    return typed


def escape_check(line, number, errors):
    """Inside label values a backslash may escape only a backslash, a double quote or n (prometheus_client
    lets other escapes by)."""
    quoted = False
    k = 0
    while k < len(line):
        c = line[k]
        if quoted and c == "\\":
            if k + 1 >= len(line) or line[k + 1] not in '\\"n':
                errors.append(f"line {number}: bad escape in a label value")
            k += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == " " and not quoted:
            break
        k += 1


def main():
    text = sys.stdin.read()
    errors = []
    typed = line_checks(text, errors)
    families = {}
    try:
        parsed = list(text_string_to_metric_families(text))
    except Exception as error:  # The parser's own refusal: malformed exposition.
        print(json.dumps({"families": {}, "errors": [f"parse: {error}"]}))
        sys.exit(1)
    for family in parsed:
        # prometheus_client drops a counter's "_total" from the family name; report the name as declared.
        name = family.name + "_total" if family.type == "counter" and family.name + "_total" in typed \
            else family.name
        if name in families:
            errors.append(f"{name}: family repeated")
        series = set()
        samples = []
        for s in family.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in series:
                errors.append(f"{s.name}{s.labels}: duplicate series")
            series.add(key)
            if math.isnan(s.value):
                errors.append(f"{s.name}: NaN")
            if family.type in ("counter", "histogram") and s.value < 0:
                errors.append(f"{s.name}{s.labels}: negative {family.type} value {s.value}")
            samples.append([s.name, s.labels, s.value if math.isfinite(s.value) else str(s.value)])
        if family.type == "histogram":
            check_histogram(family, errors)
        families[name] = {"type": family.type, "help": family.documentation, "samples": samples}
    print(json.dumps({"families": families, "errors": errors}))


def check_histogram(family, errors):
    """Buckets per label set: `le` increasing to +Inf, counts cumulative, +Inf equal to `_count`."""
    groups = {}
    for s in family.samples:
        labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        group = groups.setdefault(labels, {"buckets": [], "count": None, "sum": None})
        if s.name.endswith("_bucket"):
            group["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            group["count"] = s.value
        elif s.name.endswith("_sum"):
            group["sum"] = s.value
    for labels, group in groups.items():
        buckets = group["buckets"]
        bounds = [b for b, _ in buckets]
        counts = [c for _, c in buckets]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            errors.append(f"{family.name}{labels}: le not increasing")
        if not bounds or bounds[-1] != math.inf:
            errors.append(f"{family.name}{labels}: no +Inf bucket")
        if any(a > b for a, b in zip(counts, counts[1:])):
            errors.append(f"{family.name}{labels}: bucket counts not cumulative")
        if group["count"] is None or group["sum"] is None:
            errors.append(f"{family.name}{labels}: _count or _sum missing")
        elif counts and counts[-1] != group["count"]:
            errors.append(f"{family.name}{labels}: +Inf bucket {counts[-1]} != _count {group['count']}")


if __name__ == "__main__":
    main()
