#!/usr/bin/env python3
"""Mutation testing as a tool we keep (issue 16): applies each bug of mutants/catalog.json to a scratch copy of
the committed tree, builds keelsim (release, under /tmp/keel-build.lock), sweeps seeds with 3 and 5 members
(the catalog may name a workload), and prints caught / not caught with the first failing seed and the check.

    scripts/mutants.py [--seeds 200] [--only NAME,...] [--list] [--check]

--check verifies that every mutant's text occurs exactly once in the sources (no build). The scratch copy is
/tmp/keel-mutants (its .build is kept between runs, so each mutant rebuilds only what it touches).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRATCH = "/tmp/keel-mutants"


def load():
    with open(os.path.join(ROOT, "mutants", "catalog.json")) as f:
        return json.load(f)


def check(catalog):
    bad = 0
    for m in catalog:
        text = open(os.path.join(ROOT, m["file"])).read()
        n = text.count(m["old"])
        if n != 1:
            print(f"{m['name']}: its text occurs {n} times in {m['file']}")
            bad += 1
    print(f"{len(catalog)} mutants, {bad} do not apply")
    return bad == 0


def scratch_copy():
    os.makedirs(SCRATCH, exist_ok=True)
    # Everything but the build directory goes, so files the tree no longer has cannot linger in the build.
    for name in os.listdir(SCRATCH):
        if name != ".build":
            path = os.path.join(SCRATCH, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    archive = subprocess.run(["git", "-C", ROOT, "archive", "HEAD"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", SCRATCH], input=archive, check=True)


def sweep(seeds, members, workload):
    cmd = [os.path.join(SCRATCH, ".build/release/keelsim"), "sweep", "--seeds", str(seeds), "--members", str(members),
           "--faults", "all", "--workload", workload]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    if "sweep done:" not in out:
        return ("-", "the sweep did not finish: " + out[-300:])
    failed = re.search(r"^FAILED seed=(\d+): (\w+) check '([^']+)'", out, re.M)
    return (failed.group(1), failed.group(3)) if failed else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=200)
    p.add_argument("--only", default="")
    p.add_argument("--list", action="store_true")
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    catalog = load()
    if a.list:
        for m in catalog:
            print(f"{m['name']:36} {m['area']:9} {m['why']}")
        return 0
    if not check(catalog):
        return 1
    if a.check:
        return 0
    only = set(filter(None, a.only.split(",")))
    scratch_copy()
    rows = []
    for m in catalog:
        if only and m["name"] not in only:
            continue
        path = os.path.join(SCRATCH, m["file"])
        pristine = open(path).read()
        open(path, "w").write(pristine.replace(m["old"], m["new"], 1))
        start = time.time()
        build = subprocess.run(["flock", "/tmp/keel-build.lock", "swift", "build", "-c", "release", "--product",
                                "keelsim", "--package-path", SCRATCH], capture_output=True, text=True)
        if build.returncode != 0:
            rows.append((m["name"], "BUILD FAILED", "", ""))
        else:
            found = None
            for members in (3, 5):
                found = sweep(a.seeds, members, m.get("workload", "kv"))
                if found:
                    rows.append((m["name"], "caught", f"seed {found[0]} ({members} members)", found[1]))
                    break
            if not found:
                rows.append((m["name"], "NOT CAUGHT", f"{a.seeds} seeds x 3 and 5 members", ""))
        open(path, "w").write(pristine)
        print(f"{rows[-1][0]:36} {rows[-1][1]:12} {rows[-1][2]:28} {rows[-1][3]}  ({time.time() - start:.0f} s)",
              flush=True)
    caught = sum(1 for r in rows if r[1] == "caught")
    print(f"{caught} of {len(rows)} mutants caught")
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
